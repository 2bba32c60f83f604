// A client of the Prometheus HTTP API (and of Thanos, Mimir and VictoriaMetrics, which answer the
// same): instant and range queries and buildinfo, on the bounded HTTP of the serving probes (one
// deadline over the whole exchange, a size cap, no credentials across origins). Queries go as
// form-encoded POSTs (long PromQL does not fit in a URL). Values are read as the API sends them
// (strings: "NaN", "+Inf" and "-Inf" included); the error envelope, warnings and HTTP statuses
// become a PromError with the API's own words.
import { boundedFetch, type HttpAnswer } from '../serving/http'

export interface PromClientOptions {
  url: string
  headers: Record<string, string>
  /** Authorization header value (Bearer …, Basic …), from the secrets service. */
  authorization: string | null
  ca: string | null
  timeoutMs: number
  /** The largest response read (default 8 MiB): a larger one is an error, not a memory spike. */
  maxBytes?: number
}

export interface VectorSample {
  metric: Record<string, string>
  /** Seconds since the epoch, as the API sends it. */
  t: number
  value: number
}

export interface MatrixSeries {
  metric: Record<string, string>
  points: [t: number, value: number][]
}

export interface Answer<T> {
  data: T
  warnings: string[]
  ms: number
}

export class PromError extends Error {
  constructor(
    message: string,
    /** bad_data, execution, timeout, canceled, unavailable (the API's errorType), or ours. */
    readonly type: string,
    readonly status: number | null,
  ) {
    super(message)
  }
}

export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024
/** More series than this in one answer: a query that is not aggregated enough (refused). */
export const MAX_SERIES = 100_000

/** A sample value as the API writes it. */
export function promValue(s: unknown): number {
  if (typeof s === 'number') return s
  if (typeof s !== 'string') return NaN
  if (s === '+Inf' || s === 'Inf') return Infinity
  if (s === '-Inf') return -Infinity
  if (s === 'NaN') return NaN
  const v = Number(s)
  return s.trim() === '' ? NaN : v
}

interface Envelope {
  status?: unknown
  data?: unknown
  errorType?: unknown
  error?: unknown
  warnings?: unknown
  infos?: unknown
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v)
}

/** The envelope of one answer, or the reason there is none. */
export function readEnvelope(a: HttpAnswer, what: string): { data: unknown; warnings: string[] } {
  if (a.check.error && a.status !== null && a.status >= 300 && a.status < 400) {
    throw new PromError(
      `${what}: the API answered with a redirect (HTTP ${a.status}): give the URL it redirects to`,
      'redirect',
      a.status,
    )
  }
  if (a.check.error) {
    const tls = /CERT|SIGNATURE|SELF_SIGNED|ERR_TLS|EPROTO/.test(a.check.error)
      ? " (the server's certificate is not signed by a CA Gantry trusts: give the site's CA bundle, --ca FILE)"
      : ''
    throw new PromError(
      `${what}: ${a.check.error}${tls}`,
      /within \d+ ms/.test(a.check.error) ? 'timeout' : tls ? 'tls' : 'transport',
      a.status,
    )
  }
  let env: Envelope | null = null
  try {
    env = JSON.parse(a.text ?? '') as Envelope
  } catch {
    env = null
  }
  if (!env || typeof env !== 'object') {
    const start = (a.text ?? '').slice(0, 120).replace(/\s+/g, ' ')
    throw new PromError(
      `${what}: HTTP ${a.status}, not the Prometheus API (answer begins "${start}")`,
      'not-prometheus',
      a.status,
    )
  }
  const warnings = [
    ...(Array.isArray(env.warnings) ? env.warnings.map(text) : []),
    ...(Array.isArray(env.infos) ? env.infos.map(text) : []),
  ]
  if (env.status === 'error' || (a.status !== null && a.status >= 400)) {
    const type = typeof env.errorType === 'string' ? env.errorType : 'http'
    throw new PromError(
      `${what}: ${type}: ${typeof env.error === 'string' ? env.error : `HTTP ${a.status}`}`,
      type,
      a.status,
    )
  }
  if (env.status !== 'success')
    throw new PromError(`${what}: the answer has no status "success"`, 'not-prometheus', a.status)
  return { data: env.data, warnings }
}

function labels(m: unknown): Record<string, string> {
  if (!m || typeof m !== 'object') return {}
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) if (typeof v === 'string') out[k] = v
  return out
}

export interface PromClient {
  readonly url: string
  /** An instant query; a scalar comes back as one sample without labels. */
  query(q: string, time?: number): Promise<Answer<VectorSample[]>>
  /** A range query: [start, end] in seconds, step in seconds. */
  queryRange(q: string, start: number, end: number, step: number): Promise<Answer<MatrixSeries[]>>
  buildinfo(): Promise<{ version: string | null; ms: number }>
}

export function createPromClient(o: PromClientOptions): PromClient {
  const base = o.url.endsWith('/') ? o.url : `${o.url}/`
  const call = (path: string, form?: Record<string, string>): Promise<HttpAnswer> =>
    boundedFetch(base, path, {
      method: form ? 'POST' : 'GET',
      form,
      headers: { ...o.headers, ...(o.authorization ? { authorization: o.authorization } : {}) },
      ca: o.ca ?? undefined,
      timeoutMs: o.timeoutMs,
      maxBytes: o.maxBytes ?? DEFAULT_MAX_BYTES,
      // An API answering with a redirect is refused: its headers (a tenant, a key) and the query
      // would follow it to wherever it points.
      maxRedirects: 0,
    })
  const tooMany = (n: number, q: string): PromError =>
    new PromError(
      `query returned ${n} series, more than the ${MAX_SERIES} Gantry reads: aggregate it (sum by, topk) — ${q.slice(0, 80)}`,
      'series-limit',
      null,
    )
  return {
    url: o.url,
    async query(q, time) {
      const started = Date.now()
      const a = await call('api/v1/query', { query: q, ...(time !== undefined ? { time: String(time) } : {}) })
      const { data, warnings } = readEnvelope(a, 'query')
      const d = data as { resultType?: string; result?: unknown }
      const out: VectorSample[] = []
      if (d?.resultType === 'scalar' && Array.isArray(d.result)) {
        out.push({ metric: {}, t: Number(d.result[0]), value: promValue(d.result[1]) })
      } else if (d?.resultType === 'vector' && Array.isArray(d.result)) {
        if (d.result.length > MAX_SERIES) throw tooMany(d.result.length, q)
        for (const r of d.result as { metric?: unknown; value?: unknown }[]) {
          if (!Array.isArray(r?.value)) continue
          out.push({ metric: labels(r.metric), t: Number(r.value[0]), value: promValue(r.value[1]) })
        }
      } else {
        throw new PromError(
          `query: a ${String(d?.resultType)} result where a vector was expected`,
          'bad-result',
          a.status,
        )
      }
      return { data: out, warnings, ms: Date.now() - started }
    },
    async queryRange(q, start, end, step) {
      const started = Date.now()
      const a = await call('api/v1/query_range', {
        query: q,
        start: String(start),
        end: String(end),
        step: String(step),
      })
      const { data, warnings } = readEnvelope(a, 'query_range')
      const d = data as { resultType?: string; result?: unknown }
      if (d?.resultType !== 'matrix' || !Array.isArray(d.result)) {
        throw new PromError(
          `query_range: a ${String(d?.resultType)} result where a matrix was expected`,
          'bad-result',
          a.status,
        )
      }
      if (d.result.length > MAX_SERIES) throw tooMany(d.result.length, q)
      const out: MatrixSeries[] = (d.result as { metric?: unknown; values?: unknown }[]).map((r) => ({
        metric: labels(r?.metric),
        points: Array.isArray(r?.values)
          ? (r.values as unknown[][]).map((v) => [Number(v[0]), promValue(v[1])] as [number, number])
          : [],
      }))
      return { data: out, warnings, ms: Date.now() - started }
    },
    async buildinfo() {
      const started = Date.now()
      const a = await call('api/v1/status/buildinfo')
      // Thanos and some proxies do not serve buildinfo: a 404 there is not a broken source.
      if (a.status === 404) {
        const probe = readEnvelope(await call('api/v1/query', { query: '1' }), 'query')
        void probe
        return { version: null, ms: Date.now() - started }
      }
      const { data } = readEnvelope(a, 'buildinfo')
      const v = (data as { version?: unknown })?.version
      return { version: typeof v === 'string' ? v : null, ms: Date.now() - started }
    },
  }
}
