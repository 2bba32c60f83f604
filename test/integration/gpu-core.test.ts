// GPU telemetry inside createGantry, through the stand-in nvidia-smi: samples stored as series,
// processes attached, the -q -x detail single-flight, and the child gone after stop.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import { GpuDetail, GpuSnapshot } from '../../src/shared/gpu'
import { GPU_FIXTURES, STANDIN_BIN } from '../helpers/gpu-fixtures'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const running: Gantry[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()))
  cleanupTmp()
})

describe('GPU telemetry in the core', () => {
  it('streams, stores, attaches processes, reads -q -x once for concurrent callers, and stops its child', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'gantry-smi-')), 'calls')
    process.env.STANDIN_XML = join(GPU_FIXTURES, 'datakit__gtx-8card-v100s.xml')
    process.env.STANDIN_LOG = log
    const g = createGantry({
      dataDir: tmpDir(),
      hostIntervalMs: 0,
      storageIntervalMs: 0,
      gpuIntervalMs: 100,
      gpuProcessIntervalMs: 200,
      nvidiaSmi: join(STANDIN_BIN, 'nvidia-smi'),
      log: () => {},
    })
    running.push(g)
    const withProcs = new Promise<GpuSnapshot>((resolve) => {
      g.events.on('gpu.sample', (s) => {
        if (s.state === 'ok' && s.processesAt !== null) resolve(s)
      })
    })
    g.start()
    const snap = GpuSnapshot.parse(await withProcs)
    expect(snap.gpus).toHaveLength(8)
    expect(snap.processes).toHaveLength(8)
    expect(snap.processes[0]).toMatchObject({ name: 'python', gpuUuid: snap.gpus[0].uuid })
    expect(snap.health.find((h) => h.uuid === snap.gpus[3].uuid)?.health.reasons[0]).toMatch(/power capping active/)

    const series = await g.client['telemetry.query']({ key: `gpu.power:${snap.gpus[0].uuid}`, rangeMs: 60_000 })
    expect(series.ok && series.data.points[0][1]).toBe(232.8)

    const [a, b] = await Promise.all([g.client['gpu.detail']({}), g.client['gpu.detail']({})])
    if (!a.ok || !b.ok) throw new Error(`detail failed: ${JSON.stringify([a, b])}`)
    expect(GpuDetail.parse(a.data).gpus).toHaveLength(8)
    expect(a.data.driverVersion).toBe('460.73.01')
    const xmlCalls = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.endsWith(' -q -x'))
    expect(xmlCalls).toHaveLength(1)

    const pid = g.client && (await g.client['app.info']({}))
    expect(pid.ok && pid.data.services.find((s) => s.name === 'gpu')?.state).toBe('ok')
    await g.stop()
    const streamPids = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('--query-gpu'))
      .map((l) => Number(l.split(' ')[0]))
    for (const p of streamPids) expect(() => process.kill(p, 0)).toThrow()
  })

  it('given a hung -q -x, times out, then refuses to start a second while the first is outstanding', async () => {
    let calls = 0
    const g = createGantry({
      dataDir: tmpDir(),
      hostIntervalMs: 0,
      storageIntervalMs: 0,
      gpuIntervalMs: 0,
      gpuDetailTimeoutMs: 100,
      readGpuXml: () => {
        calls++
        return new Promise(() => {})
      },
      log: () => {},
    })
    running.push(g)
    const [first, joined] = await Promise.all([g.client['gpu.detail']({}), g.client['gpu.detail']({})])
    expect(calls).toBe(1)
    expect(first).toEqual({
      ok: false,
      error: { code: 'core/timeout', message: 'nvidia-smi -q -x gave no answer within 0.1 s' },
    })
    expect(joined).toEqual(first)
    const again = await g.client['gpu.detail']({})
    expect(again).toMatchObject({
      ok: false,
      error: { code: 'core/timeout', message: expect.stringMatching(/has not returned yet; not starting another/) },
    })
    expect(calls).toBe(1)
  })
})

describe('stopping with a hung compute-apps query', () => {
  it('kills the query instead of leaving it behind as an orphan', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'gantry-smi-')), 'calls')
    Object.assign(process.env, {
      STANDIN_XML: join(GPU_FIXTURES, 'datakit__gtx-8card-v100s.xml'),
      STANDIN_LOG: log,
      STANDIN_MODE: 'apps-hang',
    })
    try {
      const g = createGantry({
        dataDir: tmpDir(),
        hostIntervalMs: 0,
        storageIntervalMs: 0,
        gpuIntervalMs: 100,
        gpuProcessIntervalMs: 100,
        nvidiaSmi: join(STANDIN_BIN, 'nvidia-smi'),
        log: () => {},
      })
      g.start()
      const queryPid = async (): Promise<number> => {
        for (let i = 0; i < 100; i++) {
          const line = (() => {
            try {
              return readFileSync(log, 'utf8')
                .split('\n')
                .find((l) => l.includes('--query-compute-apps'))
            } catch {
              return undefined
            }
          })()
          if (line) return Number(line.split(' ')[0])
          await new Promise((r) => setTimeout(r, 50))
        }
        throw new Error('no compute-apps query started')
      }
      const pid = await queryPid()
      const alive = (): boolean => {
        try {
          process.kill(pid, 0)
          return true
        } catch {
          return false
        }
      }
      expect(alive()).toBe(true) // hung: it never answers
      await g.stop()
      for (let i = 0; i < 40 && alive(); i++) await new Promise((r) => setTimeout(r, 25))
      expect(alive()).toBe(false)
    } finally {
      delete process.env.STANDIN_MODE
    }
  })
})
