// The series one endpoint poll writes: up, request rate, error %, p95 (or the average), and for
// LLM servers time to first token, tokens per second and KV cache use.
import type { ProbeResult, ServingEndpoint } from '../../../shared/serving'
import { SERVING_SERIES, point, type SamplePoint } from '../../../shared/series'

export function servingPoints(endpoint: ServingEndpoint, result: ProbeResult): SamplePoint[] {
  const m = result.metrics
  const S = SERVING_SERIES
  return [
    point(S.up, result.live === null ? 0 : result.live ? 1 : 0, endpoint.id),
    point(S.rps, m?.requestRate ?? null, endpoint.id),
    point(S.errPct, m?.errorRate === null || m?.errorRate === undefined ? null : m.errorRate * 100, endpoint.id),
    point(S.p95Ms, m?.p95Ms ?? m?.avgLatencyMs ?? null, endpoint.id),
    // LLM servers only (null elsewhere: no series is started for them).
    ...(m?.ttftP95Ms != null ? [point(S.ttftMs, m.ttftP95Ms, endpoint.id)] : []),
    ...(m?.tokensPerSec != null ? [point(S.tokensPerSec, m.tokensPerSec, endpoint.id)] : []),
    ...(m?.kvCachePct != null ? [point(S.kvCachePct, m.kvCachePct, endpoint.id)] : []),
  ]
}
