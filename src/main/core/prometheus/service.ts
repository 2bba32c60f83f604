// The Prometheus area: the configured sources (rows added here or by another process's CLI are
// picked up on the next sync), each polled as hosts of the fleet (fleet-source.ts); a host's
// history asked of Prometheus with a step that fits the chart; testing a source before saving it;
// a model's KPIs evaluated on demand. Credentials come from the secrets service, a CA bundle from
// a checked file.
import type { Series } from '../../../shared/contract'
import type { Kpi, PromSourceStatus, PromTestResult } from '../../../shared/prometheus'
import { GantryError } from '../errors'
import type { Service } from '../lifecycle'
import type { SecretStore } from '../secrets'
import { readSmallFileSync } from '../util/small-file'
import { createPromClient, PromError, type PromClient } from './client'
import {
  createFleetSource,
  initialStatus,
  type FleetSource,
  type FleetSourceOptions,
  type PromHost,
  type PromHostDetail,
} from './fleet-source'
import { SUMMARY_QUERIES, historyQuery } from './queries'
import type { KpiRow, PromStore, SourceRow } from './store'

export const CA_MAX_BYTES = 1024 * 1024

export interface PromService extends Service {
  sources(): PromSourceStatus[]
  source(name: string): FleetSource
  /** Every host every source sees (a host seen by two sources: the first source's). */
  hosts(): PromHost[]
  host(name: string): PromHost | null
  /** Picks up sources added or removed (here or by another process). */
  sync(): void
  test(row: Omit<SourceRow, 'id' | 'createdAt' | 'updatedAt'>, credential: string | null): Promise<PromTestResult>
  /** A host's page (its GPUs, host and storage facts), asked of its source. */
  detail(host: PromHost): Promise<PromHostDetail>
  /** A stored-series key of a Prometheus host, answered by query_range (nothing is stored). */
  history(host: PromHost, q: { key: string; rangeMs: number; to?: number; maxPoints?: number }): Promise<Series>
  kpi(row: KpiRow, rangeMs: number, maxPoints: number): Promise<Kpi>
}

export interface PromServiceOptions {
  store: PromStore
  secrets: SecretStore
  intervalMs: number
  now: () => number
  polled(source: string): void
  log(line: string): void
}

/** The Authorization header value of a source, from its stored secret. */
export function authorizationOf(row: Pick<SourceRow, 'authType' | 'authUser'>, secret: string | null): string | null {
  if (!row.authType || secret === null) return null
  if (row.authType === 'bearer') return `Bearer ${secret}`
  return `Basic ${Buffer.from(`${row.authUser ?? ''}:${secret}`).toString('base64')}`
}

/** A CA bundle's text, checked to be PEM certificates. */
export function readCa(path: string): string {
  let text: string
  try {
    text = readSmallFileSync(path, CA_MAX_BYTES).toString('utf8')
  } catch (err) {
    throw new GantryError('files/unreadable', `CA bundle ${path}: ${(err as Error).message}`)
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new GantryError('files/refused', `CA bundle ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`)
  }
  return text
}

/** Step for a chart: the range over the points it can draw, in whole seconds (Prometheus' unit). */
export function stepFor(rangeMs: number, maxPoints: number): number {
  return Math.max(1, Math.ceil(rangeMs / 1000 / Math.max(2, maxPoints)))
}

/** What a source's status says of its settings: header names only (values may be tenant ids). */
function describe(row: SourceRow): FleetSourceOptions['describe'] {
  return {
    url: row.url,
    headers: Object.fromEntries(Object.keys(row.headers).map((k) => [k, '…'])),
    auth: row.authType ?? 'none',
    caFile: row.caFile,
    timeoutMs: row.timeoutMs,
  }
}

export function createPromService(o: PromServiceOptions): PromService {
  const live = new Map<string, { row: SourceRow; source: FleetSource }>()
  let started = false
  let revision = ''

  const clientOf = (
    row: SourceRow | Omit<SourceRow, 'id' | 'createdAt' | 'updatedAt'>,
    credential: string | null,
  ): PromClient =>
    createPromClient({
      url: row.url,
      headers: row.headers,
      authorization: authorizationOf(row, credential),
      ca: row.caFile ? readCa(row.caFile) : null,
      timeoutMs: row.timeoutMs,
    })

  function build(row: SourceRow): FleetSource | null {
    let client: PromClient
    try {
      client = clientOf(row, row.secretRef ? o.secrets.get(row.secretRef) : null)
    } catch (err) {
      o.log(`gantry: Prometheus source ${row.name} cannot be used: ${(err as Error).message}`)
      return null
    }
    return createFleetSource({
      name: row.name,
      client,
      describe: describe(row),
      store: o.store,
      intervalMs: o.intervalMs,
      now: o.now,
      polled: o.polled,
      log: o.log,
    })
  }

  function sync(): void {
    revision = o.store.revision()
    const rows = o.store.sources()
    const wanted = new Map(rows.map((r) => [r.name, r]))
    for (const [name, e] of live) {
      const r = wanted.get(name)
      if (!r || r.updatedAt !== e.row.updatedAt || r.id !== e.row.id) {
        e.source.stop()
        live.delete(name)
      }
    }
    for (const r of rows) {
      if (live.has(r.name)) continue
      const source = build(r)
      if (!source) continue
      live.set(r.name, { row: r, source })
      if (started) source.start()
    }
  }

  const entry = (name: string): { row: SourceRow; source: FleetSource } => {
    if (o.store.revision() !== revision) sync()
    const e = live.get(name)
    if (!e) throw new GantryError('prometheus/unknown-source', `no Prometheus source named "${name}"`)
    return e
  }

  return {
    name: 'prometheus',
    start() {
      if (started) return
      started = true
      sync()
      for (const e of live.values()) e.source.start()
    },
    stop() {
      started = false
      for (const e of live.values()) e.source.stop()
    },
    sync() {
      if (o.store.revision() !== revision) sync()
    },
    sources() {
      if (o.store.revision() !== revision) sync()
      return o.store
        .sources()
        .map(
          (r) =>
            live.get(r.name)?.source.status() ??
            initialStatus(
              r.name,
              describe(r),
              'error',
              'cannot be used (see the log: a credential or CA bundle that cannot be read)',
            ),
        )
    },
    source: (name) => entry(name).source,
    hosts() {
      const seen = new Set<string>()
      const out: PromHost[] = []
      for (const e of live.values()) {
        for (const h of e.source.hosts()) {
          const k = (h.hostname ?? h.name).toLowerCase()
          if (seen.has(k)) continue
          seen.add(k)
          out.push(h)
        }
      }
      return out
    },
    host(name) {
      for (const e of live.values()) for (const h of e.source.hosts()) if (h.name === name) return h
      return null
    },
    async test(row, credential) {
      const started = o.now()
      const client = clientOf(row, credential)
      const result: PromTestResult = {
        ok: false,
        url: row.url,
        version: null,
        error: null,
        ms: 0,
        exporters: { dcgm: 0, nvidiaGpuExporter: 0, node: 0 },
        missing: [],
      }
      try {
        result.version = (await client.buildinfo()).version
        const count = async (q: string): Promise<number> => (await client.query(`count(${q})`)).data[0]?.value ?? 0
        const [dcgm, nvidiaGpuExporter, node] = await Promise.all([
          count(`count by (instance) (${SUMMARY_QUERIES.dcgmGpus})`),
          count(`count by (instance) (${SUMMARY_QUERIES.legacyGpus})`),
          count('count by (instance) (node_uname_info)'),
        ])
        result.exporters = { dcgm, nvidiaGpuExporter, node }
        if (!result.exporters.dcgm && !result.exporters.nvidiaGpuExporter) {
          result.missing.push('no dcgm-exporter or nvidia_gpu_exporter series: no GPUs from this source')
        }
        if (!result.exporters.node) result.missing.push('no node_exporter series: no CPU, memory or filesystems')
        result.ok = true
      } catch (err) {
        result.error = err instanceof PromError ? err.message : (err as Error).message
      }
      result.ms = o.now() - started
      return result
    },
    async detail(h) {
      const d = await entry(h.source).source.detail(h.name)
      if (!d) throw new GantryError('hosts/unknown-host', `${h.name} is no longer reported by Prometheus ${h.source}`)
      return d
    },
    async history(h, q) {
      const host = await this.detail(h)
      const [key, ...rest] = q.key.split(':')
      const id = rest.length ? rest.join(':') : null
      const known = key.startsWith('gpu.')
        ? id !== null && host.gpuFlavor[id] !== undefined
        : key === 'fs.used_pct'
          ? id !== null && !!host.storage?.filesystems.some((f) => f.mount === id)
          : host.nodeInstance !== null
      const promql = known
        ? historyQuery(key, id, {
            gpuFlavor: id ? host.gpuFlavor[id] : undefined,
            instance: host.nodeInstance ?? undefined,
          })
        : null
      if (!promql) {
        throw new GantryError(
          'telemetry/unknown-series',
          `${host.name} (from Prometheus ${host.source}) has no series ${q.key}`,
        )
      }
      const maxPoints = q.maxPoints ?? 500
      const step = stepFor(q.rangeMs, maxPoints)
      // Aligned to the step, so a Mimir/Thanos query cache can answer it.
      const end = Math.floor((q.to ?? o.now()) / 1000 / step) * step
      const start = end - Math.ceil(q.rangeMs / 1000 / step) * step
      const client = entry(host.source).source.client
      let data
      try {
        data = (await client.queryRange(promql, start, end, step)).data
      } catch (err) {
        throw new GantryError(
          'prometheus/query-failed',
          `history of ${q.key} on ${host.name}: ${(err as Error).message}`,
        )
      }
      const points = (data[0]?.points ?? [])
        .filter(([, v]) => Number.isFinite(v))
        .map(([t, v]) => [t * 1000, v, v, v] as [number, number, number, number])
      const unit =
        key.endsWith('pct') || key === 'gpu.util' || key === 'host.cpu.load'
          ? '%'
          : key === 'gpu.temp'
            ? '°C'
            : key === 'gpu.power'
              ? 'W'
              : null
      return { key: q.key, unit, from: start * 1000, to: end * 1000, stepMs: step * 1000, source: 'prometheus', points }
    },
    async kpi(row, rangeMs, maxPoints) {
      const base: Kpi = { ...row, value: null, at: null, breached: false, error: null, points: [], stepMs: 0 }
      let client: PromClient
      try {
        client = entry(row.source).source.client
      } catch (err) {
        return { ...base, error: (err as Error).message }
      }
      const step = stepFor(rangeMs, maxPoints)
      const end = Math.floor(o.now() / 1000 / step) * step
      const start = end - Math.ceil(rangeMs / 1000 / step) * step
      try {
        const [now, range] = await Promise.all([
          client.query(row.query),
          client.queryRange(row.query, start, end, step),
        ])
        const finiteValues = now.data.filter((s) => Number.isFinite(s.value))
        const value = finiteValues.length ? finiteValues.reduce((a, s) => a + s.value, 0) : null
        const warning =
          now.data.length > 1
            ? `the query returned ${now.data.length} series: their sum is shown (aggregate it with sum or avg)`
            : null
        const byT = new Map<number, number>()
        for (const s of range.data)
          for (const [t, v] of s.points) if (Number.isFinite(v)) byT.set(t, (byT.get(t) ?? 0) + v)
        const points: [number, number | null][] = []
        for (let t = start; t <= end; t += step) points.push([t * 1000, byT.get(t) ?? null])
        const breached =
          value !== null &&
          row.threshold !== null &&
          (row.direction === 'higher-is-better' ? value < row.threshold : value > row.threshold)
        return {
          ...base,
          value,
          at: now.data[0] ? Math.round(now.data[0].t * 1000) : o.now(),
          breached,
          error: value === null ? 'the query returned no finite value now' : warning,
          points,
          stepMs: step * 1000,
        }
      } catch (err) {
        return { ...base, error: (err as Error).message }
      }
    },
  }
}
