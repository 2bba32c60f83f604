// The GPU stream through the real boundary: a stand-in `nvidia-smi` first on PATH replays real
// recordings at the requested interval, and can stall, die, print garbage or fail as a
// mismatched driver does.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Gpu } from '../../src/shared/gpu'
import { queryComputeApps } from '../../src/main/core/telemetry/gpu/processes'
import { createGpuStream, type GpuStream, type StreamState } from '../../src/main/core/telemetry/gpu/stream'
import { createPoller, type PollOutcome } from '../../src/main/core/util/poller'
import { createLocalAccess } from '../../src/main/core/hosts/local-access'
import { anyFiles } from '../helpers/files'
import { BUNDLES, GPU_FIXTURES, STANDIN_BIN } from '../helpers/gpu-fixtures'

const streams: GpuStream[] = []
const dirs: string[] = []
afterEach(async () => {
  await Promise.all(streams.splice(0).map((s) => s.stop()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function standinEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${STANDIN_BIN}:${process.env.PATH}`, ...extra }
}

function start(
  extra: Record<string, string>,
  opts: { intervalMs?: number; stallMs?: number; startupMs?: number } = {},
) {
  const samples: { gpus: Gpu[]; at: number }[] = []
  const states: [StreamState, string | null][] = []
  const s = createGpuStream({
    access: createLocalAccess(anyFiles, standinEnv(extra)),
    intervalMs: opts.intervalMs ?? 100,
    stallMs: opts.stallMs ?? 600,
    startupMs: opts.startupMs ?? 3000,
    onSample: (gpus, at) => samples.push({ gpus, at }),
    onState: (st, r) => states.push([st, r]),
  })
  streams.push(s)
  s.start()
  return { s, samples, states }
}

async function until<T>(f: () => T | undefined | false, ms = 8000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = f()
    if (v) return v
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

const xml8 = join(GPU_FIXTURES, 'datakit__gtx-8card-v100s.xml')

describe('the GPU stream', () => {
  it('streams all 8 GPUs of the recorded V100S host from one long-lived child', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'gantry-smi-')), 'calls')
    dirs.push(join(log, '..'))
    const { s, samples } = start({
      STANDIN_XML: xml8,
      STANDIN_HELP: join(GPU_FIXTURES, 'netdata__help-query-gpu.txt'),
      STANDIN_LOG: log,
    })
    await until(() => samples.length >= 5)
    const first = samples[0].gpus
    expect(first).toHaveLength(8)
    expect(first.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(first[0]).toMatchObject({
      name: 'Tesla V100S-PCIE-32GB',
      uuid: 'GPU-76098dc1-d3bc-9a1b-7ea6-f7b48837829e',
      memory: { usedMiB: 31689 },
      power: { drawW: 232.8 },
    })
    // The recording marks sw_power_cap Active on GPU 3.
    expect(first[3].clockEventReasons).toEqual(['sw_power_cap'])
    // The old driver's help lists clocks_throttle_reasons: that is what was asked for.
    expect(s.plan?.query).toContain('clocks_throttle_reasons.active')
    const calls = readFileSync(log, 'utf8').trim().split('\n')
    expect(calls.filter((c) => c.includes('--query-gpu'))).toHaveLength(1)
    expect(calls.find((c) => c.includes('--query-gpu'))).toMatch(/--format=csv,noheader,nounits -lms 100$/)
    expect(s.spawned).toBe(1)
  })

  it('asks a 590 driver for clocks_event_reasons and reads the H100 capture', async () => {
    const { s, samples } = start({ STANDIN_BUNDLE: join(GPU_FIXTURES, BUNDLES.h100) })
    await until(() => samples.length >= 1)
    expect(s.plan?.query).toContain('clocks_event_reasons.active')
    expect(samples[0].gpus[0]).toMatchObject({
      name: 'NVIDIA H100 80GB HBM3',
      power: { drawW: 631.95 },
      utilization: { gpuPct: 100 },
    })
  })

  it('reports one clear "no NVIDIA GPU" state when nvidia-smi is not installed', async () => {
    const states: [StreamState, string | null][] = []
    const s = createGpuStream({
      access: createLocalAccess(anyFiles, { ...process.env, PATH: '/nonexistent' }),
      intervalMs: 100,
      onSample: () => {},
      onState: (st, r) => states.push([st, r]),
    })
    streams.push(s)
    s.start()
    await until(() => s.state === 'no-driver')
    await new Promise((r) => setTimeout(r, 300))
    expect(states).toEqual([
      ['starting', null],
      ['no-driver', 'no NVIDIA GPU (nvidia-smi not found)'],
    ])
    expect(s.spawned).toBe(0)
  })

  it('given a hung nvidia-smi, reports "not responding" within the stall limit, kills it and starts exactly one replacement', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'gantry-smi-')), 'calls')
    dirs.push(join(log, '..'))
    const { s, samples, states } = start(
      { STANDIN_XML: xml8, STANDIN_MODE: 'stall-after:3', STANDIN_LOG: log },
      { stallMs: 500 },
    )
    await until(() => samples.length >= 3)
    const firstPid = s.childPid
    const stalledAt = samples.at(-1)?.at ?? 0
    await until(() => s.state === 'not-responding')
    const notice = states.find(([st]) => st === 'not-responding')
    expect(notice?.[1]).toMatch(/^nvidia-smi not responding for \d+ s — a GPU may have fallen off the bus/)
    // Not before the limit: the state changed at least stallMs after the last sample.
    expect(Date.now() - stalledAt).toBeGreaterThanOrEqual(500)
    // The hung child is killed before any replacement exists (backoff 2 s): never two at once.
    await until(() => s.childPid === null || s.childPid !== firstPid, 3000)
    const queries = () =>
      readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter((c) => c.includes('--query-gpu'))
    await until(() => queries().length === 2, 6000)
    await new Promise((r) => setTimeout(r, 300))
    expect(s.spawned).toBe(2)
    expect(queries()).toHaveLength(2)
  })

  it('given nvidia-smi dying, says why from its own output and restarts it', async () => {
    const { s, states } = start({ STANDIN_XML: xml8, STANDIN_MODE: 'die-after:2' })
    await until(() => states.some(([st]) => st === 'error'))
    expect(states.find(([st]) => st === 'error')?.[1]).toBe(
      'nvidia-smi stopped: Unable to determine the device handle for GPU0000:0C:00.0: Unknown Error',
    )
    await until(() => s.spawned === 2, 5000)
  })

  it('given garbage output, reports not responding and quotes what it printed', async () => {
    const { states } = start({ STANDIN_XML: xml8, STANDIN_MODE: 'garbage' }, { startupMs: 500 })
    await until(() => states.some(([st]) => st === 'not-responding'))
    expect(states.find(([st]) => st === 'not-responding')?.[1]).toMatch(
      /its output is unreadable \("\?\?garbage ### not, csv"\)/,
    )
  })

  it('reports a driver/library version mismatch as such', async () => {
    const { s } = start({ STANDIN_XML: xml8, STANDIN_MODE: 'mismatch' })
    await until(() => s.state === 'error')
    expect(s.reason).toMatch(/^driver\/library version mismatch/)
    expect(s.spawned).toBe(0)
  })

  it('stops its child on stop()', async () => {
    const { s, samples } = start({ STANDIN_XML: xml8 })
    await until(() => samples.length >= 1)
    const pid = s.childPid as number
    await s.stop()
    expect(() => process.kill(pid, 0)).toThrow()
    expect(s.state).toBe('off')
  })
})

describe('the GPU stream’s lifecycle', () => {
  it('recovers when spawning nvidia-smi fails after discovery (EACCES), without a ghost child', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-smi-'))
    dirs.push(dir)
    const bin = join(dir, 'nvidia-smi')
    // Answers --help-query-gpu, then takes away its own exec bit: the spawn that follows fails.
    writeFileSync(
      bin,
      `#!/bin/sh\nif [ "$1" = "--help-query-gpu" ]; then chmod -x "$0"; fi\nexec "${join(STANDIN_BIN, 'nvidia-smi')}" "$@"\n`,
    )
    chmodSync(bin, 0o755)
    const states: [StreamState, string | null][] = []
    let samples = 0
    const s = createGpuStream({
      access: createLocalAccess(anyFiles, standinEnv({ STANDIN_XML: xml8 })),
      bin,
      intervalMs: 100,
      onSample: () => samples++,
      onState: (st, r) => states.push([st, r]),
    })
    streams.push(s)
    s.start()
    await until(() => states.some(([st]) => st === 'error'))
    expect(states.find(([st]) => st === 'error')?.[1]).toMatch(/^cannot start nvidia-smi: .*EACCES/)
    expect(s.childPid).toBeNull()
    chmodSync(bin, 0o755)
    // The next discovery takes the bit away again; keep restoring it until a child streams.
    const restore = setInterval(() => chmodSync(bin, 0o755), 20)
    try {
      await until(() => samples > 0, 10_000)
    } finally {
      clearInterval(restore)
    }
    expect(s.state).toBe('ok')
  })

  it('stop() then start() before the stop finishes leaves one running stream, not "off"', async () => {
    const { s, samples, states } = start({ STANDIN_XML: xml8 })
    await until(() => samples.length >= 1)
    const stopping = s.stop()
    s.start()
    await stopping
    expect(s.state).not.toBe('off')
    await until(() => s.state === 'ok' && s.spawned === 2, 8000)
    expect(states.filter(([st]) => st === 'error')).toEqual([])
    const n = samples.length
    await until(() => samples.length > n + 2)
  })
})

describe('lines in pieces', () => {
  it('reads ticks that arrive cut mid-line and with CRLF ends exactly as whole ones', async () => {
    const whole = start({ STANDIN_XML: xml8 })
    const split = start({ STANDIN_XML: xml8, STANDIN_MODE: 'split' })
    await until(() => whole.samples.length >= 3 && split.samples.length >= 3)
    expect(split.states.filter(([st]) => st !== 'starting' && st !== 'ok')).toEqual([])
    for (const { gpus } of split.samples) {
      expect(gpus).toHaveLength(8)
      // everything but the per-tick timestamp is the recording's: equal to the whole-line reading
      expect(gpus).toEqual(whole.samples[0].gpus)
    }
  })
})

describe('the compute-apps query', () => {
  it('never starts a sibling next to a hung query: the poller waits for the killed child', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'gantry-smi-')), 'calls')
    dirs.push(join(log, '..'))
    Object.assign(process.env, { STANDIN_XML: xml8, STANDIN_MODE: 'apps-hang', STANDIN_LOG: log })
    const outcomes: PollOutcome<unknown>[] = []
    const p = createPoller({
      name: 'gpu processes',
      intervalMs: 50,
      timeoutMs: 100,
      run: () => queryComputeApps(createLocalAccess(anyFiles), join(STANDIN_BIN, 'nvidia-smi'), 600),
      onOutcome: (o) => outcomes.push(o),
    })
    p.start()
    await new Promise((r) => setTimeout(r, 2000))
    p.stop()
    delete process.env.STANDIN_MODE
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.includes('--query-compute-apps'))
    // Each hung query lives until its own 600 ms kill: at most ~4 in 2 s, never one per 50 ms tick.
    expect(calls.length).toBeLessThanOrEqual(4)
    expect(outcomes.some((o) => !o.ok && /previous poll still running/.test(o.reason))).toBe(true)
    // The last one is killed by its own timeout too: none is left behind (a stand-in left hanging
    // here outlived the test run once).
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0)
        return true
      } catch {
        return false
      }
    }
    const pids = calls.map((l) => Number(l.split(' ')[0]))
    for (let i = 0; i < 60 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50))
    expect(pids.filter(alive)).toEqual([])
  })
})
