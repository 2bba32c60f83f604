// Gantry's own /metrics: what it knows, in the Prometheus text format, for sites that scrape it.
// prom-client keeps the registry and writes the format (HELP, TYPE, label escaping); every value is
// read from the core at scrape time (collect callbacks), so nothing here keeps state of its own.
// Health levels are numbers (0 ok, 1 warning, 2 critical, -1 unknown) with the level also as a
// label-less state set where a query wants "is it critical"; endpoint verdicts are a state set.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { HealthLevel } from '../../../shared/contract-base'
import type { GpuSnapshot } from '../../../shared/gpu'
import type { HostSummary } from '../../../shared/hosts'
import type { ModelSummary } from '../../../shared/registry'
import type { EndpointStatus } from '../../../shared/serving'
import { EndpointVerdict } from '../../../shared/serving'

/** Where the exposition reads from (the core passes its services; tests pass plain data). */
export interface MetricsSource {
  hosts(): HostSummary[]
  gpus(host: string): GpuSnapshot | null
  endpoints(): EndpointStatus[]
  models(): ModelSummary[]
  /** Deployments and rollbacks recorded, by model and how they ended (terminal states only). */
  deployOutcomes(): { model: string; kind: 'deploy' | 'rollback'; state: string; count: number }[]
}

export interface MetricsExposition {
  readonly contentType: string
  render(): Promise<string>
}

const LEVEL: Record<HealthLevel, number> = { ok: 0, warning: 1, critical: 2, unknown: -1 }
const MIB = 1024 * 1024

export function createMetricsExposition(src: MetricsSource): MetricsExposition {
  const register = new Registry()
  // Gantry's own process: CPU, memory, event-loop lag, handles (prom-client's standard names).
  collectDefaultMetrics({ register })
  // prom-client also writes three gauges named *_total, which `promtool check metrics` rejects
  // (only counters end in _total); their by-type versions (nodejs_active_handles{type}) stay.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    register.removeSingleMetric(name)

  /** A gauge whose series are rebuilt from the core at every scrape. */
  function gauge(
    name: string,
    help: string,
    labelNames: string[],
    fill: (set: (labels: Record<string, string>, v: number) => void) => void,
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [register],
      collect() {
        this.reset()
        fill((labels, v) => {
          if (Number.isFinite(v)) this.set(labels, v)
        })
      },
    })
  }

  // Read once per scrape, shared by the gauges below (collect callbacks run one after another).
  let cache: {
    at: number
    hosts: HostSummary[]
    gpus: Map<string, GpuSnapshot | null>
    endpoints: EndpointStatus[]
    models: ModelSummary[]
  } | null = null
  const read = (): NonNullable<typeof cache> => {
    if (cache && Date.now() - cache.at < 1000) return cache
    const hosts = src.hosts()
    const gpus = new Map(hosts.map((h) => [h.name, h.enabled ? src.gpus(h.name) : null]))
    cache = { at: Date.now(), hosts, gpus, endpoints: src.endpoints(), models: src.models() }
    return cache
  }

  gauge(
    'gantry_host_info',
    'A host Gantry watches (1), with its kind and the name it reports.',
    ['host', 'kind', 'hostname'],
    (set) => {
      for (const h of read().hosts) set({ host: h.name, kind: h.kind, hostname: h.hostname ?? '' }, 1)
    },
  )
  gauge(
    'gantry_host_up',
    'Whether Gantry reaches the host now (this machine: 1; an SSH host: its connection is up).',
    ['host'],
    (set) => {
      for (const h of read().hosts)
        if (h.enabled) set({ host: h.name }, h.kind === 'local' || h.connection.state === 'up' ? 1 : 0)
    },
  )
  gauge(
    'gantry_host_health',
    'Worst health of the host, its storage and GPUs: 0 ok, 1 warning, 2 critical, -1 unknown.',
    ['host'],
    (set) => {
      for (const h of read().hosts) if (h.enabled) set({ host: h.name }, LEVEL[h.health.level])
    },
  )
  gauge('gantry_host_cpu_ratio', 'CPU busy share of the host, 0-1.', ['host'], (set) => {
    for (const h of read().hosts) if (h.cpuPct !== null) set({ host: h.name }, h.cpuPct / 100)
  })
  gauge('gantry_host_memory_used_ratio', 'Memory used share of the host, 0-1.', ['host'], (set) => {
    for (const h of read().hosts) if (h.memPct !== null) set({ host: h.name }, h.memPct / 100)
  })
  gauge(
    'gantry_host_filesystem_fullest_used_ratio',
    "The host's fullest filesystem: used share, 0-1.",
    ['host', 'mount'],
    (set) => {
      for (const h of read().hosts)
        if (h.storage) set({ host: h.name, mount: h.storage.mount }, h.storage.usedPct / 100)
    },
  )

  const eachGpu = (
    f: (labels: Record<string, string>, g: GpuSnapshot['gpus'][number], snap: GpuSnapshot) => void,
  ): void => {
    for (const [host, snap] of read().gpus) {
      if (!snap || snap.state !== 'ok') continue
      for (const g of snap.gpus) f({ host, gpu: String(g.index), uuid: g.uuid, name: g.name }, g, snap)
    }
  }
  const gpuLabels = ['host', 'gpu', 'uuid', 'name']
  gauge(
    'gantry_gpu_health',
    "A GPU's health by Gantry's diagnosis: 0 ok, 1 warning, 2 critical, -1 unknown.",
    gpuLabels,
    (set) =>
      eachGpu((l, g, snap) => {
        const h = snap.health.find((d) => d.uuid === g.uuid)?.health.level ?? 'unknown'
        set(l, LEVEL[h])
      }),
  )
  gauge('gantry_gpu_utilization_ratio', 'GPU utilization, 0-1.', gpuLabels, (set) =>
    eachGpu((l, g) => g.utilization.gpuPct !== null && set(l, g.utilization.gpuPct / 100)),
  )
  gauge('gantry_gpu_memory_used_bytes', 'GPU memory used.', gpuLabels, (set) =>
    eachGpu((l, g) => g.memory.usedMiB !== null && set(l, g.memory.usedMiB * MIB)),
  )
  gauge('gantry_gpu_memory_total_bytes', 'GPU memory in all.', gpuLabels, (set) =>
    eachGpu((l, g) => g.memory.totalMiB !== null && set(l, g.memory.totalMiB * MIB)),
  )
  gauge('gantry_gpu_temperature_celsius', 'GPU temperature.', gpuLabels, (set) =>
    eachGpu((l, g) => g.temperature.gpuC !== null && set(l, g.temperature.gpuC)),
  )
  gauge(
    'gantry_gpu_slowdown_margin_celsius',
    "Degrees left before the GPU's own slowdown threshold.",
    gpuLabels,
    (set) =>
      eachGpu(
        (l, g) =>
          g.temperature.gpuC !== null &&
          g.temperature.slowdownC !== null &&
          set(l, g.temperature.slowdownC - g.temperature.gpuC),
      ),
  )
  gauge('gantry_gpu_power_watts', 'GPU power draw.', gpuLabels, (set) =>
    eachGpu((l, g) => g.power.drawW !== null && set(l, g.power.drawW)),
  )
  gauge('gantry_gpu_power_limit_watts', 'GPU power limit.', gpuLabels, (set) =>
    eachGpu((l, g) => g.power.limitW !== null && set(l, g.power.limitW)),
  )
  gauge(
    'gantry_gpu_stream_ok',
    "Whether the host's GPU stream is reading (1), or why not is in the console (0).",
    ['host', 'state'],
    (set) => {
      for (const [host, snap] of read().gpus) if (snap) set({ host, state: snap.state }, snap.state === 'ok' ? 1 : 0)
    },
  )

  const epLabels = (e: EndpointStatus): Record<string, string> => ({
    endpoint: e.endpoint.name,
    host: e.endpoint.host,
    url: e.endpoint.url,
  })
  gauge(
    'gantry_endpoint_up',
    'A saved serving endpoint answers, is ready and passes its smoke request (1).',
    ['endpoint', 'host', 'url'],
    (set) => {
      for (const e of read().endpoints) if (e.verdict !== 'unknown') set(epLabels(e), e.verdict === 'up' ? 1 : 0)
    },
  )
  gauge(
    'gantry_endpoint_state',
    "A saved endpoint's verdict as a state set: 1 for the current one.",
    ['endpoint', 'host', 'url', 'state'],
    (set) => {
      for (const e of read().endpoints)
        for (const s of EndpointVerdict.options) set({ ...epLabels(e), state: s }, e.verdict === s ? 1 : 0)
    },
  )
  gauge(
    'gantry_endpoint_latency_p95_seconds',
    "A saved endpoint's p95 request latency over the last poll window (or its average where the runtime has no histogram).",
    ['endpoint', 'host', 'url'],
    (set) => {
      for (const e of read().endpoints) {
        const m = e.latest?.metrics
        const ms = m?.p95Ms ?? m?.avgLatencyMs ?? null
        if (ms !== null) set(epLabels(e), ms / 1000)
      }
    },
  )
  gauge(
    'gantry_endpoint_error_ratio',
    "A saved endpoint's failed share of requests, 0-1.",
    ['endpoint', 'host', 'url'],
    (set) => {
      for (const e of read().endpoints) {
        const r = e.latest?.metrics?.errorRate ?? null
        if (r !== null) set(epLabels(e), r)
      }
    },
  )
  gauge(
    'gantry_intent_mismatch',
    'The registry says one version should be served here and the server serves another, or not the model (1).',
    ['endpoint', 'model', 'alias'],
    (set) => {
      for (const e of read().endpoints)
        for (const c of e.intent)
          if (c.state !== 'no-intent' && c.state !== 'unknown')
            set({ endpoint: e.endpoint.name, model: c.model, alias: c.alias }, c.state === 'match' ? 0 : 1)
    },
  )

  gauge(
    'gantry_model_drift_drifted',
    "Whether the model's latest closed drift window drifted from its reference (1).",
    ['model'],
    (set) => {
      for (const m of read().models) if (m.drift) set({ model: m.name }, m.drift.drifted ? 1 : 0)
    },
  )
  gauge(
    'gantry_model_drift_share',
    "Share of the model's features drifted in its latest closed window, 0-1.",
    ['model'],
    (set) => {
      for (const m of read().models) if (m.drift) set({ model: m.name }, m.drift.share)
    },
  )
  gauge('gantry_model_owner_missing', 'A model in production without an owner team (1).', ['model'], (set) => {
    for (const m of read().models) if ((m.stages.production ?? 0) > 0) set({ model: m.name }, m.ownerTeam ? 0 : 1)
  })
  gauge(
    'gantry_deployments',
    'Deployments and rollbacks recorded, by how they ended (a count that only grows).',
    ['model', 'kind', 'outcome'],
    (set) => {
      for (const d of src.deployOutcomes()) set({ model: d.model, kind: d.kind, outcome: d.state }, d.count)
    },
  )

  return {
    contentType: register.contentType,
    async render() {
      cache = null
      try {
        return await register.metrics()
      } finally {
        cache = null
      }
    },
  }
}
