// Every time series Gantry stores: its key, unit and label, defined once for the core's writers
// (host, storage, GPU and serving samples) and the renderer's readers (charts, sparklines). A
// series key names what is measured; the host it was measured on is a dimension of its own
// (telemetry.query's `host`), never part of the key.

export interface SeriesSpec {
  /** The key, or its prefix before ":<id>" for a series per thing (a GPU, a mount, an endpoint). */
  key: string
  unit: string
  label: string
  /** The chart's axis maximum, where the value has one (a percentage). */
  max?: number
}

const spec = (key: string, unit: string, label: string, max?: number): SeriesSpec => ({ key, unit, label, max })

/** One per host. */
export const HOST_SERIES = {
  cpuLoad: spec('host.cpu.load', '%', 'CPU', 100),
  cpuUser: spec('host.cpu.user', '%', 'CPU user', 100),
  cpuSystem: spec('host.cpu.system', '%', 'CPU system', 100),
  memUsedPct: spec('host.mem.used_pct', '%', 'Memory used', 100),
  memUsed: spec('host.mem.used', 'bytes', 'Memory used'),
  load1: spec('host.load.1', '', 'Load (1 min)'),
  load5: spec('host.load.5', '', 'Load (5 min)'),
  load15: spec('host.load.15', '', 'Load (15 min)'),
} as const

/** One per host (disk IO), or per mounted filesystem (`:<mount>`). */
export const STORAGE_SERIES = {
  fsUsed: spec('fs.used', 'bytes', 'Used'),
  fsUsedPct: spec('fs.used_pct', '%', 'Used', 100),
  readBps: spec('disk.read_bps', 'bytes/s', 'Disk reads'),
  writeBps: spec('disk.write_bps', 'bytes/s', 'Disk writes'),
  readIops: spec('disk.read_iops', 'ops/s', 'Read operations'),
  writeIops: spec('disk.write_iops', 'ops/s', 'Write operations'),
} as const

/** One per GPU (`:<uuid>`). */
export const GPU_SERIES = {
  util: spec('gpu.util', '%', 'Utilization', 100),
  memUsedPct: spec('gpu.mem_used_pct', '%', 'Memory used', 100),
  temp: spec('gpu.temp', '°C', 'Temperature'),
  power: spec('gpu.power', 'W', 'Power'),
} as const

/** One per saved serving endpoint (`:<id>`). */
export const SERVING_SERIES = {
  up: spec('serving.up', '', 'Answering (1) or not (0)', 1),
  rps: spec('serving.rps', 'req/s', 'Requests per second'),
  errPct: spec('serving.err_pct', '%', 'Errors'),
  p95Ms: spec('serving.p95_ms', 'ms', 'p95 latency (or average)'),
  ttftMs: spec('serving.ttft_p95_ms', 'ms', 'Time to first token, p95'),
  tokensPerSec: spec('serving.tokens_per_s', 'tok/s', 'Generated tokens per second'),
  kvCachePct: spec('serving.kv_cache_pct', '%', 'KV cache used', 100),
} as const

/** The key of a series kept per thing: `gpu.util:<uuid>`, `fs.used:/var`, `serving.rps:3`. */
export function seriesKey(s: SeriesSpec, id: string | number): string {
  return `${s.key}:${id}`
}

/** A point to write: the key, the value (null: a gap), the unit. */
export type SamplePoint = readonly [key: string, value: number | null, unit: string]

export function point(s: SeriesSpec, value: number | null, id?: string | number): SamplePoint {
  return [id === undefined ? s.key : seriesKey(s, id), value, s.unit]
}
