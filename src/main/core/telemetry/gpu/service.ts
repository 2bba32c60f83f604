// The GPU service: the stream, the process poller, the kernel-log XID reader and the on-demand
// `-q -x` detail, composed into one GpuSnapshot published on every stream sample.
import nvidiaSmi from 'node-nvidia-smi'
import { execFile, type ChildProcess } from 'node:child_process'
import { parseStringPromise } from 'xml2js'
import os from 'node:os'
import type { ServiceStatus } from '../../../../shared/contract'
import type { Gpu, GpuDetail, GpuProcess, GpuSnapshot } from '../../../../shared/gpu'
import { GantryError } from '../../errors'
import { createPoller, type Poller } from '../../util/poller'
import { diagnoseGpu } from './diagnose'
import { queryComputeApps } from './processes'
import { createGpuStream, type GpuStream, type StreamState } from './stream'
import { normalizeNvidiaSmiLog } from './xml'
import { parseXidLog, readKernelLog, type XidEvent } from './xid'

export interface GpuServiceOptions {
  bin: string
  intervalMs: number
  processIntervalMs: number
  detailTimeoutMs: number
  now: () => number
  publish: (s: GpuSnapshot) => void
  onStatus: (s: ServiceStatus) => void
  /** Reads `nvidia-smi -q -x` (node-nvidia-smi by default). */
  readXml?: () => Promise<unknown>
}

export interface GpuService {
  start(): void
  stop(): Promise<void>
  snapshot(): GpuSnapshot
  /** The full `-q -x` reading: single-flight, with a timeout. */
  detail(): Promise<GpuDetail>
  status(): ServiceStatus
  readonly stream: GpuStream
}

function readXmlWithNodeNvidiaSmi(): Promise<unknown> {
  return new Promise((resolve, reject) =>
    nvidiaSmi((err: unknown, data: unknown) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(data),
    ),
  )
}

/** node-nvidia-smi always runs `nvidia-smi` from PATH; a configured path gets the same parse here. */
function readXmlFrom(bin: string): () => Promise<unknown> {
  if (bin === 'nvidia-smi') return readXmlWithNodeNvidiaSmi
  return () =>
    new Promise((resolve, reject) =>
      execFile(
        bin,
        ['-q', '-x'],
        { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
        (err, stdout) => {
          if (err) return reject(err)
          parseStringPromise(stdout, { explicitArray: false, trim: true }).then(resolve, reject)
        },
      ),
    )
}

export function gpuPoints(gpus: Gpu[]): [string, number | null, string][] {
  const pts: [string, number | null, string][] = []
  for (const g of gpus) {
    const memPct =
      g.memory.usedMiB !== null && g.memory.totalMiB
        ? Math.round((g.memory.usedMiB / g.memory.totalMiB) * 10000) / 100
        : null
    pts.push([`gpu.util:${g.uuid}`, g.utilization.gpuPct, '%'])
    pts.push([`gpu.mem_used_pct:${g.uuid}`, memPct, '%'])
    pts.push([`gpu.temp:${g.uuid}`, g.temperature.gpuC, '°C'])
    pts.push([`gpu.power:${g.uuid}`, g.power.drawW, 'W'])
  }
  return pts
}

export function createGpuService(o: GpuServiceOptions): GpuService {
  let gpus: Gpu[] = []
  let at = o.now()
  let processes: GpuProcess[] = []
  let processesAt: number | null = null
  let xids: XidEvent[] | null = null
  const slowdown = new Map<string, number | null>()
  let stopped = false
  let detailInFlight: Promise<GpuDetail> | null = null
  let xmlInFlight: Promise<unknown> | null = null
  let status: ServiceStatus = { name: 'gpu', state: 'stopped', reason: null, at: o.now(), intervalMs: o.intervalMs }

  function setStatus(state: StreamState, reason: string | null): void {
    // A host without a driver is a clear, working answer ("no NVIDIA GPU"), not a degraded service.
    const s: ServiceStatus['state'] =
      state === 'ok' || state === 'no-driver'
        ? 'ok'
        : state === 'starting'
          ? 'starting'
          : state === 'off'
            ? 'stopped'
            : 'degraded'
    status = { ...status, state: s, reason, at: o.now() }
    o.onStatus(status)
  }

  function snapshot(): GpuSnapshot {
    const st = stream.state
    return {
      at,
      state: st,
      reason: stream.reason,
      driverVersion: gpus[0]?.driverVersion ?? null,
      gpus,
      health: gpus.map((g) => ({ uuid: g.uuid, health: diagnoseGpu(g, xids ?? [], slowdown.get(g.uuid) ?? null) })),
      processes,
      processesAt,
      xids,
    }
  }

  const stream = createGpuStream({
    bin: o.bin,
    intervalMs: o.intervalMs,
    now: o.now,
    onSample: (g, t) => {
      gpus = g
      at = t
      o.publish(snapshot())
    },
    onState: (s, r) => {
      setStatus(s, r)
      // Process and kernel-log polling only make sense once a driver answered: a host without
      // one gets a single clear state, not a stream of failing commands.
      if (s === 'ok' && !procPoller.running && o.intervalMs > 0 && !stopped) {
        procPoller.start()
        xidPoller.start()
      }
      // A stalled or failed driver would hang every --query-compute-apps too; the kernel-log reader
      // keeps running (an XID 79 is exactly what explains a stall).
      if (s !== 'ok' && s !== 'starting') procPoller.stop()
      if (s !== 'ok') {
        at = o.now()
        o.publish(snapshot())
      }
    },
  })

  // A compute-apps query still running when Gantry stops is killed, not left behind as an orphan.
  const apps = new Set<ChildProcess>()
  const procPoller: Poller = createPoller({
    name: 'gpu processes',
    intervalMs: o.processIntervalMs,
    timeoutMs: 10_000,
    now: o.now,
    run: () =>
      queryComputeApps(o.bin, 10_000, (c) => {
        apps.add(c)
        c.once('exit', () => apps.delete(c))
      }),
    onOutcome: (out) => {
      if (out.ok) {
        processes = out.value
        processesAt = out.at
      }
    },
  })

  const bootTime = Date.now() - os.uptime() * 1000
  const xidPoller: Poller = createPoller({
    name: 'kernel log',
    intervalMs: 60_000,
    timeoutMs: 10_000,
    now: o.now,
    run: () => readKernelLog(),
    onOutcome: (out) => {
      if (out.ok) xids = out.value === null ? null : parseXidLog(out.value, bootTime).slice(-50)
    },
  })

  const readXml = o.readXml ?? readXmlFrom(o.bin)

  return {
    stream,
    start() {
      if (o.intervalMs <= 0) return
      stopped = false
      stream.start()
    },
    async stop() {
      stopped = true
      procPoller.stop()
      xidPoller.stop()
      for (const c of apps) c.kill('SIGKILL')
      await stream.stop()
    },
    snapshot,
    status: () => status,
    detail() {
      // Single-flight: a second caller joins the reading in progress instead of spawning another.
      if (detailInFlight) return detailInFlight
      if (xmlInFlight) {
        // The last reading timed out but its nvidia-smi has not returned: never start a second.
        return Promise.reject(
          new GantryError('core/timeout', 'the previous nvidia-smi -q -x has not returned yet; not starting another'),
        )
      }
      const xml = readXml()
      xmlInFlight = xml
      void xml.then(
        () => (xmlInFlight = null),
        () => (xmlInFlight = null),
      )
      const run = (async () => {
        const t = o.now()
        let timer: ReturnType<typeof setTimeout> | undefined
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new GantryError('core/timeout', `nvidia-smi -q -x gave no answer within ${o.detailTimeoutMs / 1000} s`),
              ),
            o.detailTimeoutMs,
          )
        })
        try {
          const parsed = await Promise.race([xml, timeout])
          const d = normalizeNvidiaSmiLog(parsed, 'none', t)
          for (const g of d.gpus) slowdown.set(g.uuid, g.temperature.slowdownC)
          return d
        } catch (err) {
          if (err instanceof GantryError) throw err
          const msg = err instanceof Error ? err.message : String(err)
          if (/ENOENT|not found/i.test(msg))
            throw new GantryError('gpu/unavailable', 'no NVIDIA GPU (nvidia-smi not found)')
          throw new GantryError('gpu/unavailable', `nvidia-smi -q -x failed: ${msg.split('\n')[0]}`)
        } finally {
          clearTimeout(timer)
        }
      })()
      detailInFlight = run
      void run
        .catch(() => {})
        .finally(() => {
          if (detailInFlight === run) detailInFlight = null
        })
      return run
    },
  }
}
