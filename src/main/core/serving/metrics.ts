// Serving metrics per runtime, from one or two /metrics scrapes: request and error counts and
// rates, latency percentiles from histogram bucket deltas (vLLM, TGI), average latency from
// cumulative duration counters where there is no histogram (Triton default, TorchServe), queue
// depth and KV-cache use (vLLM, under both of its metric names).
import type { ServingKind, ServingMetrics } from '../../../shared/serving'
import { counterDelta, histogramDelta, histogramQuantile, histograms, type Family, type Histogram } from './prometheus'

export interface Scrape {
  at: number
  families: Map<string, Family>
}

const sum = (s: Scrape | null, name: string, where?: (l: Record<string, string>) => boolean): number | null => {
  const f = s?.families.get(name)
  if (!f) return null
  const xs = f.samples.filter((x) => x.name === name && (!where || where(x.labels)))
  return xs.length ? xs.reduce((a, x) => a + x.value, 0) : null
}
const first = (s: Scrape | null, names: string[]): number | null => {
  for (const n of names) {
    const v = sum(s, n)
    if (v !== null) return v
  }
  return null
}

/** All series of a histogram family merged (one endpoint, any model): bucket counts summed by bound. */
function mergedHistogram(s: Scrape | null, name: string): Histogram | null {
  const f = s?.families.get(name)
  if (!f || f.type !== 'histogram') return null
  const all = histograms(f)
  if (all.length === 0) return null
  const byBound = new Map<number, number>()
  for (const h of all) for (const [le, c] of h.buckets) byBound.set(le, (byBound.get(le) ?? 0) + c)
  const total = (k: 'sum' | 'count'): number | null =>
    all.every((h) => h[k] !== null) ? all.reduce((a, h) => a + (h[k] as number), 0) : null
  return {
    labels: {},
    buckets: [...byBound.entries()].sort((a, b) => a[0] - b[0]),
    sum: total('sum'),
    count: total('count'),
  }
}

interface Recipe {
  requests: (s: Scrape | null) => number | null
  errors: (s: Scrape | null) => number | null
  /** A latency histogram and the factor from its unit to milliseconds. */
  histogram?: { name: string; toMs: number }
  /** Cumulative duration and count counters, and the factor from the duration unit to ms. */
  durationCounters?: { duration: string; count: string; toMs: number }
  queue: (s: Scrape | null) => number | null
  kvCachePct?: (s: Scrape | null) => number | null
  /** LLM servers: the time-to-first-token histogram (seconds), and the generated-tokens counter. */
  ttftHistogram?: string
  generatedTokens?: (s: Scrape | null) => number | null
}

const RECIPES: Partial<Record<ServingKind, Recipe>> = {
  vllm: {
    requests: (s) => sum(s, 'vllm:request_success_total'),
    // vLLM has no error counter; aborted requests are the closest signal.
    errors: (s) =>
      sum(s, 'vllm:request_success_total', (l) => l.finished_reason === 'abort') ??
      (sum(s, 'vllm:request_success_total') === null ? null : 0),
    histogram: { name: 'vllm:e2e_request_latency_seconds', toMs: 1000 },
    queue: (s) => sum(s, 'vllm:num_requests_waiting'),
    // Renamed from gpu_cache_usage_perc (v0) to kv_cache_usage_perc (V1); both are 0–1.
    kvCachePct: (s) => {
      const v = first(s, ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'])
      return v === null ? null : v * 100
    },
    ttftHistogram: 'vllm:time_to_first_token_seconds',
    generatedTokens: (s) => sum(s, 'vllm:generation_tokens_total'),
  },
  tgi: {
    requests: (s) => sum(s, 'tgi_request_count'),
    errors: (s) => sum(s, 'tgi_request_failure') ?? (sum(s, 'tgi_request_count') === null ? null : 0),
    histogram: { name: 'tgi_request_duration', toMs: 1000 },
    queue: (s) => sum(s, 'tgi_queue_size'),
  },
  triton: {
    requests: (s) => {
      const ok = sum(s, 'nv_inference_request_success')
      const bad = sum(s, 'nv_inference_request_failure')
      return ok === null ? null : ok + (bad ?? 0)
    },
    errors: (s) => sum(s, 'nv_inference_request_failure'),
    durationCounters: {
      duration: 'nv_inference_request_duration_us',
      count: 'nv_inference_request_success',
      toMs: 0.001,
    },
    queue: (s) => sum(s, 'nv_inference_pending_request_count'),
  },
  torchserve: {
    // TorchServe counts HTTP outcomes per host only: the error rate is the 5XX share of its answers.
    requests: (s) => {
      const parts = ['Requests2XX', 'Requests4XX', 'Requests5XX'].map((n) => sum(s, n))
      return parts.every((p) => p === null) ? null : parts.reduce<number>((a, p) => a + (p ?? 0), 0)
    },
    errors: (s) => sum(s, 'Requests5XX'),
    durationCounters: {
      duration: 'ts_inference_latency_microseconds',
      count: 'ts_inference_requests_total',
      toMs: 0.001,
    },
    queue: () => null,
  },
}
RECIPES.oip = RECIPES.triton

export function hasMetrics(kind: ServingKind): boolean {
  return RECIPES[kind] !== undefined
}

export function servingMetrics(kind: ServingKind, prev: Scrape | null, cur: Scrape): ServingMetrics | null {
  const r = RECIPES[kind]
  if (!r) return null
  const windowMs = prev ? cur.at - prev.at : null
  const reqNow = r.requests(cur)
  const errNow = r.errors(cur)
  const requests = reqNow === null ? null : prev ? counterDelta(r.requests(prev), reqNow) : reqNow
  const errors = errNow === null ? null : prev ? counterDelta(r.errors(prev), errNow) : errNow
  const requestRate = requests !== null && windowMs ? requests / (windowMs / 1000) : null
  const errorRate = requests !== null && errors !== null && requests > 0 ? Math.min(1, errors / requests) : null

  let p50Ms: number | null = null
  let p95Ms: number | null = null
  let p99Ms: number | null = null
  let avgLatencyMs: number | null = null
  let latencySource: ServingMetrics['latencySource'] = null
  if (r.histogram) {
    const h = mergedHistogram(cur, r.histogram.name)
    if (h) {
      const d = histogramDelta(mergedHistogram(prev, r.histogram.name), h)
      const q = (p: number): number | null => {
        const v = histogramQuantile(p, d.buckets)
        return v === null ? null : v * (r.histogram as { toMs: number }).toMs
      }
      p50Ms = q(0.5)
      p95Ms = q(0.95)
      p99Ms = q(0.99)
      if (d.sum !== null && d.count) avgLatencyMs = (d.sum / d.count) * r.histogram.toMs
      latencySource = 'histogram'
    }
  }
  if (!latencySource && r.durationCounters) {
    const c = r.durationCounters
    const durNow = sum(cur, c.duration)
    const cntNow = sum(cur, c.count)
    if (durNow !== null && cntNow !== null) {
      const dur = prev ? counterDelta(sum(prev, c.duration), durNow) : durNow
      const cnt = prev ? counterDelta(sum(prev, c.count), cntNow) : cntNow
      avgLatencyMs = cnt > 0 ? (dur / cnt) * c.toMs : null
      latencySource = 'counters'
    }
  }
  // LLM servers: time to first token (p95 over the window, or the lifetime) and tokens per second.
  let ttftP95Ms: number | null = null
  if (r.ttftHistogram) {
    const h = mergedHistogram(cur, r.ttftHistogram)
    if (h) {
      const v = histogramQuantile(0.95, histogramDelta(mergedHistogram(prev, r.ttftHistogram), h).buckets)
      ttftP95Ms = v === null ? null : v * 1000
    }
  }
  const tokNow = r.generatedTokens?.(cur) ?? null
  const tokensPerSec =
    tokNow !== null && prev && windowMs
      ? counterDelta(r.generatedTokens?.(prev) ?? null, tokNow) / (windowMs / 1000)
      : null
  return {
    windowMs,
    requests,
    errors,
    ttftP95Ms,
    tokensPerSec,
    requestRate,
    errorRate,
    p50Ms,
    p95Ms,
    p99Ms,
    avgLatencyMs,
    latencySource,
    queueDepth: r.queue(cur),
    kvCachePct: r.kvCachePct ? r.kvCachePct(cur) : null,
  }
}

/** Where a runtime publishes /metrics, relative to the probed URL (Triton :8002, TorchServe :8082). */
export function metricsUrl(kind: ServingKind, base: string): string | null {
  if (!hasMetrics(kind)) return null
  const u = new URL(base)
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80))
  if ((kind === 'triton' || kind === 'oip') && port === 8000) u.port = '8002'
  if (kind === 'torchserve' && (port === 8080 || port === 8081)) u.port = '8082'
  return new URL('metrics', u).toString()
}
