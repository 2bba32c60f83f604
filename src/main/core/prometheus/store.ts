// The Prometheus area's tables: sources (with the reference to their credential in the secrets
// service), latched XIDs (dcgm-exporter forgets them; Gantry does not until acknowledged) and
// model KPIs. One owner, so no SQL about them lives anywhere else.
import type { Db } from '../db/database'
import { GantryError } from '../errors'
import type { Kpi, KpiInput } from '../../../shared/prometheus'

export interface SourceRow {
  id: number
  name: string
  url: string
  headers: Record<string, string>
  authType: 'bearer' | 'basic' | null
  authUser: string | null
  secretRef: string | null
  caFile: string | null
  timeoutMs: number
  createdAt: number
  updatedAt: number
}

export interface XidLatch {
  host: string
  uuid: string
  code: number
  source: string
  firstSeen: number
  ackedAt: number | null
  ackedBy: string | null
  note: string | null
}

export type KpiRow = Omit<Kpi, 'value' | 'at' | 'breached' | 'error' | 'points' | 'stepMs'>

interface RawSource {
  id: number
  name: string
  url: string
  headers_json: string
  auth_type: 'bearer' | 'basic' | null
  auth_user: string | null
  secret_ref: string | null
  ca_file: string | null
  timeout_ms: number
  created_at: number
  updated_at: number
}

function headersOf(json: string): Record<string, string> {
  try {
    const v = JSON.parse(json) as unknown
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {}
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
  } catch {
    return {}
  }
}

const toSource = (r: RawSource): SourceRow => ({
  id: r.id,
  name: r.name,
  url: r.url,
  headers: headersOf(r.headers_json),
  authType: r.auth_type,
  authUser: r.auth_user,
  secretRef: r.secret_ref,
  caFile: r.ca_file,
  timeoutMs: r.timeout_ms,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export interface PromStore {
  sources(): SourceRow[]
  source(name: string): SourceRow | null
  addSource(s: Omit<SourceRow, 'id' | 'createdAt' | 'updatedAt'>): SourceRow
  removeSource(name: string): SourceRow
  /** Changes whenever a source row changes (another process's edit too). */
  revision(): string
  latches(): XidLatch[]
  /** Records an XID seen on a GPU; true when it is new (not latched or acknowledged before). */
  latch(x: { host: string; uuid: string; code: number; source: string; at: number }): boolean
  /** Acknowledges every open latch of a GPU (or of one code); returns how many. */
  ack(uuid: string, by: string, note: string | null, at: number, code?: number): number
  /** An acknowledged XID the GPU no longer reports is forgotten: the same code later is a new one. */
  forget(uuid: string, code: number): void
  kpis(model?: string): KpiRow[]
  setKpi(k: KpiInput, at: number): void
  removeKpi(model: string, name: string): boolean
}

export function createPromStore(db: Db, now: () => number): PromStore {
  const q = {
    list: db.prepare('SELECT * FROM prometheus_sources ORDER BY name'),
    get: db.prepare('SELECT * FROM prometheus_sources WHERE name = ?'),
    add: db.prepare(
      `INSERT INTO prometheus_sources (name, url, headers_json, auth_type, auth_user, secret_ref, ca_file, timeout_ms, created_at, updated_at)
       VALUES (@name, @url, @headers, @authType, @authUser, @secretRef, @caFile, @timeoutMs, @at, @at)`,
    ),
    remove: db.prepare('DELETE FROM prometheus_sources WHERE name = ?'),
    rev: db.prepare(
      'SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), 0) AS t, COALESCE(SUM(id), 0) AS s FROM prometheus_sources',
    ),
    latches: db.prepare('SELECT * FROM gpu_xid_latches ORDER BY first_seen'),
    latch: db.prepare(
      `INSERT INTO gpu_xid_latches (host, uuid, code, source, first_seen) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (uuid, code) DO NOTHING`,
    ),
    ack: db.prepare(
      `UPDATE gpu_xid_latches SET acked_at = ?, acked_by = ?, note = ?
       WHERE uuid = ? AND acked_at IS NULL AND (? IS NULL OR code = ?)`,
    ),
    forget: db.prepare('DELETE FROM gpu_xid_latches WHERE uuid = ? AND code = ? AND acked_at IS NOT NULL'),
    kpis: db.prepare('SELECT * FROM model_kpis ORDER BY model, name'),
    kpisOf: db.prepare('SELECT * FROM model_kpis WHERE model = ? ORDER BY name'),
    setKpi: db.prepare(
      `INSERT INTO model_kpis (model, name, source, query, direction, threshold, unit, created_at)
       VALUES (@model, @name, @source, @query, @direction, @threshold, @unit, @at)
       ON CONFLICT (model, name) DO UPDATE SET source = excluded.source, query = excluded.query,
         direction = excluded.direction, threshold = excluded.threshold, unit = excluded.unit`,
    ),
    removeKpi: db.prepare('DELETE FROM model_kpis WHERE model = ? AND name = ?'),
  }
  type RawLatch = {
    host: string
    uuid: string
    code: number
    source: string
    first_seen: number
    acked_at: number | null
    acked_by: string | null
    note: string | null
  }
  type RawKpi = {
    model: string
    name: string
    source: string
    query: string
    direction: KpiRow['direction']
    threshold: number | null
    unit: string
  }
  const toKpi = (r: RawKpi): KpiRow => ({
    model: r.model,
    name: r.name,
    source: r.source,
    query: r.query,
    direction: r.direction,
    threshold: r.threshold,
    unit: r.unit,
  })
  return {
    sources: () => (q.list.all() as RawSource[]).map(toSource),
    source: (name) => {
      const r = q.get.get(name) as RawSource | undefined
      return r ? toSource(r) : null
    },
    addSource(s) {
      if (q.get.get(s.name)) {
        throw new GantryError('prometheus/duplicate-source', `a Prometheus source named "${s.name}" exists already`)
      }
      q.add.run({ ...s, headers: JSON.stringify(s.headers), at: now() })
      return toSource(q.get.get(s.name) as RawSource)
    },
    removeSource(name) {
      const r = q.get.get(name) as RawSource | undefined
      if (!r) throw new GantryError('prometheus/unknown-source', `no Prometheus source named "${name}"`)
      q.remove.run(name)
      return toSource(r)
    },
    revision() {
      const r = q.rev.get() as { n: number; t: number; s: number }
      return `${r.n}:${r.t}:${r.s}`
    },
    latches: () =>
      (q.latches.all() as RawLatch[]).map((r) => ({
        host: r.host,
        uuid: r.uuid,
        code: r.code,
        source: r.source,
        firstSeen: r.first_seen,
        ackedAt: r.acked_at,
        ackedBy: r.acked_by,
        note: r.note,
      })),
    latch: (x) => q.latch.run(x.host, x.uuid, x.code, x.source, x.at).changes > 0,
    ack: (uuid, by, note, at, code) => q.ack.run(at, by, note, uuid, code ?? null, code ?? null).changes,
    forget: (uuid, code) => void q.forget.run(uuid, code),
    kpis: (model) => ((model ? q.kpisOf.all(model) : q.kpis.all()) as RawKpi[]).map(toKpi),
    setKpi: (k, at) => void q.setKpi.run({ ...k, at }),
    removeKpi: (model, name) => q.removeKpi.run(model, name).changes > 0,
  }
}
