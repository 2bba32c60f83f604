// The services of one host: its host and storage polls and its GPU service, on its access, each
// sample written to the time-series store under the host's id and announced with its name.
// Built the same way for this machine and for an SSH host; only the probes' sources differ.
import type { HostSnapshot, ServiceStatus, StorageSnapshot } from '../../../shared/contract'
import type { GpuSnapshot } from '../../../shared/gpu'
import { STORAGE_SERIES, seriesKey } from '../../../shared/series'
import type { GantryConfig } from '../config'
import { degradedHost, hostPoints, hostSnapshot, type HostFacts } from '../telemetry/host'
import { storagePoints, storageSnapshot, type StorageFacts } from '../telemetry/storage'
import { createGpuService, gpuPoints, type GpuService } from '../telemetry/gpu/service'
import type { TimeSeriesStore } from '../telemetry/timeseries'
import { createSampledService, type SampledService } from '../util/sampled-service'
import type { HostAccess } from './access'

const FORECAST_WINDOW_MS = 24 * 3600_000

export interface HostServices {
  readonly id: number
  readonly name: string
  readonly access: HostAccess
  readonly host: SampledService<HostSnapshot>
  readonly storage: SampledService<StorageSnapshot>
  readonly gpu: GpuService
  start(): void
  stop(): Promise<void>
  statuses(): ServiceStatus[]
}

export interface HostServicesOptions {
  id: number
  name: string
  access: HostAccess
  config: GantryConfig
  now: () => number
  store: TimeSeriesStore
  /** Where the host's facts come from: systeminformation here, /proc over SSH (proc-probes.ts). */
  probes: { host(): Promise<HostFacts>; storage(): Promise<StorageFacts>; stop?(): void }
  emitHost(s: HostSnapshot): void
  emitStorage(s: StorageSnapshot): void
  emitGpu(s: GpuSnapshot): void
  onStatus(s: ServiceStatus): void
  log(line: string): void
  /** Replaces node-nvidia-smi for the on-demand `-q -x` reading (tests). */
  readGpuXml?: () => Promise<unknown>
  gpuDetailTimeoutMs?: number
}

export function createHostServices(o: HostServicesOptions): HostServices {
  const { config, now } = o
  const write = (t: number, pts: Parameters<TimeSeriesStore['write']>[1]): void => {
    try {
      o.store.write(t, pts, o.id)
    } catch (err) {
      o.log(`gantry: could not store samples of ${o.name}: ${String(err)}`)
    }
  }
  // Service names say the host for any host but this machine, so statuses stay readable.
  const named = (what: string): string => (o.name === 'local' ? what : `${what} (${o.name})`)

  const host = createSampledService<HostSnapshot>({
    name: named('host'),
    intervalMs: config.hostIntervalMs,
    timeoutMs: config.pollTimeoutMs,
    now,
    probe: async () => {
      const t = now()
      const facts = await o.probes.host()
      return hostSnapshot(facts, t, now() - t, o.name)
    },
    degraded: (reason, at, durationMs) => degradedHost(reason, at, durationMs, o.name),
    problemOf: (s) => (s.problems.length ? s.problems.join('; ') : null),
    publish: (s) => {
      write(s.at, hostPoints(s))
      o.emitHost(s)
    },
    onStatus: o.onStatus,
  })

  /** A filesystem's usage history, for its time-to-full forecast. */
  const history = (mount: string): (readonly [number, number])[] => {
    try {
      const series = o.store.query({
        key: seriesKey(STORAGE_SERIES.fsUsed, mount),
        rangeMs: FORECAST_WINDOW_MS,
        maxPoints: 300,
        hostId: o.id,
      })
      return series.points.map((p) => [p[0], p[1]] as const)
    } catch {
      return [] // no history yet for a newly seen mount
    }
  }
  const storage = createSampledService<StorageSnapshot>({
    name: named('storage'),
    intervalMs: config.storageIntervalMs,
    timeoutMs: config.pollTimeoutMs,
    now,
    probe: async () => {
      const t = now()
      const facts = await o.probes.storage()
      return storageSnapshot(facts, t, now() - t, history, o.name)
    },
    degraded: (reason, at, durationMs) =>
      storageSnapshot({ problems: [reason], filesystems: [], io: null }, at, durationMs, history, o.name),
    problemOf: (s) => (s.problems.length ? s.problems.join('; ') : null),
    publish: (s) => {
      write(s.at, storagePoints(s))
      o.emitStorage(s)
    },
    onStatus: o.onStatus,
  })

  const gpu = createGpuService({
    access: o.access,
    host: o.name,
    // GANTRY_NVIDIA_SMI names this machine's binary; on another host it is the one on its PATH.
    bin: o.access.kind === 'local' ? config.nvidiaSmi : 'nvidia-smi',
    intervalMs: config.gpuIntervalMs,
    processIntervalMs: config.gpuProcessIntervalMs,
    detailTimeoutMs: o.gpuDetailTimeoutMs ?? 20_000,
    now,
    publish: (s) => {
      if (s.state === 'ok') write(s.at, gpuPoints(s.gpus))
      o.emitGpu(s)
    },
    onStatus: (s) => o.onStatus({ ...s, name: named('gpu') }),
    readXml: o.readGpuXml,
  })

  return {
    id: o.id,
    name: o.name,
    access: o.access,
    host,
    storage,
    gpu,
    start() {
      host.start()
      storage.start()
      gpu.start()
    },
    async stop() {
      host.stop()
      storage.stop()
      o.probes.stop?.()
      await gpu.stop()
    },
    statuses: () => [host.status(), storage.status(), { ...gpu.status(), name: named('gpu') }],
  }
}
