// The GPU service of one host: the stream, the process poller, the kernel-log XID reader and the
// on-demand `-q -x` detail, composed into one GpuSnapshot published on every stream sample. All of
// it runs through the host's access (this machine, or a server over SSH).
import nvidiaSmi from 'node-nvidia-smi'
import { GPU_SERIES, point, type SamplePoint } from '../../../../shared/series'
import { parseStringPromise } from 'xml2js'
import type { HostAccess } from '../../hosts/access'
import type { ServiceStatus } from '../../../../shared/contract'
import type { Gpu, GpuDetail, GpuProcess, GpuSnapshot } from '../../../../shared/gpu'
import { GantryError } from '../../errors'
import { createPoller, type Poller } from '../../util/poller'
import { diagnoseGpu } from './diagnose'
import { queryComputeApps, type CpuHistory } from './processes'
import { createGpuStream, type GpuStream, type StreamState } from './stream'
import { normalizeNvidiaSmiLog } from './xml'
import { parseXidLog, readKernelLog, type XidEvent } from './xid'

export interface GpuServiceOptions {
  /** Where nvidia-smi runs. */
  access: HostAccess
  /** Gantry's name of that host (the snapshot says it). */
  host: string
  bin: string
  intervalMs: number
  processIntervalMs: number
  detailTimeoutMs: number
  now: () => number
  publish: (s: GpuSnapshot) => void
  onStatus: (s: ServiceStatus) => void
  /** Reads `nvidia-smi -q -x` (node-nvidia-smi by default on this machine). */
  readXml?: () => Promise<unknown>
  /** Extra environment for nvidia-smi (tests put a stand-in on PATH). */
  env?: Record<string, string | undefined>
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

/** node-nvidia-smi runs `nvidia-smi` from this machine's PATH; another path, or another host, gets
 *  the same parse here (xml2js with node-nvidia-smi's options). */
function readXmlFrom(
  access: HostAccess,
  bin: string,
  env?: Record<string, string | undefined>,
): () => Promise<unknown> {
  if (access.kind === 'local' && bin === 'nvidia-smi' && !env) return readXmlWithNodeNvidiaSmi
  return async () => {
    const r = await access.run([bin, '-q', '-x'], { maxBytes: 64 * 1024 * 1024, env })
    if (r.notFound) throw new Error(`${bin} not found`)
    if (r.error) throw new Error(r.error)
    if (r.code !== 0) throw new Error((r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.code}`)
    return parseStringPromise(r.stdout, { explicitArray: false, trim: true })
  }
}

export function gpuPoints(gpus: Gpu[]): SamplePoint[] {
  const pts: SamplePoint[] = []
  for (const g of gpus) {
    const memPct =
      g.memory.usedMiB !== null && g.memory.totalMiB
        ? Math.round((g.memory.usedMiB / g.memory.totalMiB) * 10000) / 100
        : null
    pts.push(point(GPU_SERIES.util, g.utilization.gpuPct, g.uuid))
    pts.push(point(GPU_SERIES.memUsedPct, memPct, g.uuid))
    pts.push(point(GPU_SERIES.temp, g.temperature.gpuC, g.uuid))
    pts.push(point(GPU_SERIES.power, g.power.drawW, g.uuid))
  }
  return pts
}

export function createGpuService(o: GpuServiceOptions): GpuService {
  let gpus: Gpu[] = []
  let at = o.now()
  let processes: GpuProcess[] = []
  const cpuHistory: CpuHistory = new Map()
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
      host: o.host,
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
    access: o.access,
    env: o.env,
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
  let quit = new AbortController()
  const procPoller: Poller = createPoller({
    name: 'gpu processes',
    intervalMs: o.processIntervalMs,
    timeoutMs: 10_000,
    now: o.now,
    run: () =>
      queryComputeApps(o.access, o.bin, 10_000, quit.signal, {
        history: cpuHistory,
        now: o.now,
        uuidOf: (index) => gpus.find((g) => g.index === index)?.uuid,
      }),
    onOutcome: (out) => {
      if (out.ok) {
        processes = out.value
        processesAt = out.at
      }
    },
  })

  const xidPoller: Poller = createPoller({
    name: 'kernel log',
    intervalMs: 60_000,
    timeoutMs: 10_000,
    now: o.now,
    run: () => readKernelLog(o.access),
    onOutcome: (out) => {
      if (out.ok) xids = out.value === null ? null : parseXidLog(out.value.text, out.value.bootTime).slice(-50)
    },
  })

  const readXml = o.readXml ?? readXmlFrom(o.access, o.bin, o.env)

  return {
    stream,
    start() {
      if (o.intervalMs <= 0) return
      stopped = false
      quit = new AbortController()
      stream.start()
    },
    async stop() {
      stopped = true
      procPoller.stop()
      xidPoller.stop()
      quit.abort()
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
