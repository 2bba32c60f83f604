// Serving metrics per runtime from the recorded /metrics bodies, each figure worked out by hand
// from the numbers in the file.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { metricsUrl, servingMetrics, type Scrape } from '../../src/main/core/serving/metrics'
import { parsePrometheusText, type Family } from '../../src/main/core/serving/prometheus'
import { ServingMetrics } from '../../src/shared/serving'

const T = 1_790_000_000_000
const scrape = (p: string, at = T): Scrape => ({
  at,
  families: parsePrometheusText(readFileSync(join(__dirname, '..', 'fixtures', 'serving', p), 'utf8')).families,
})

/** A later scrape: the recorded one with some counters advanced (the recording itself is untouched). */
function advance(s: Scrape, at: number, bump: (name: string, labels: Record<string, string>) => number): Scrape {
  const families = new Map<string, Family>()
  for (const [k, f] of s.families) {
    families.set(k, { ...f, samples: f.samples.map((x) => ({ ...x, value: x.value + bump(x.name, x.labels) })) })
  }
  return { at, families }
}

describe('serving metrics from one scrape (server lifetime)', () => {
  it('TGI: 111 requests, 2 failures, percentiles from tgi_request_duration', () => {
    const m = ServingMetrics.parse(servingMetrics('tgi', null, scrape('tgi/metrics.txt')))
    expect(m).toMatchObject({
      windowMs: null,
      requests: 111,
      errors: 2,
      requestRate: null,
      queueDepth: 0,
      latencySource: 'histogram',
    })
    expect(m.errorRate).toBeCloseTo(2 / 111, 12)
    // rank 54.5 in (3.787675244106352, 5.681512866159528], cumulative 51 → 77 (seconds → ms)
    expect(m.p50Ms).toBeCloseTo((3.787675244106352 + (5.681512866159528 - 3.787675244106352) * (3.5 / 26)) * 1000, 9)
    expect(m.avgLatencyMs).toBeCloseTo((541.2140316159999 / 109) * 1000, 9)
  })

  it('vLLM: one request of 0.503 s, in the first bucket (≤ 1 s); KV cache under either name', () => {
    const m = servingMetrics('vllm', null, scrape('vllm/metrics.txt'))
    expect(m).toMatchObject({ requests: 1, errors: 0, errorRate: 0, queueDepth: 0, kvCachePct: 0 })
    // One observation in (0, 1]: rank 0.5 interpolates to 0.5 s.
    expect(m?.p50Ms).toBe(500)
    expect(m?.avgLatencyMs).toBeCloseTo(503.4303665161133, 9)
    // Time to first token: one observation in (0.25, 0.5] s → p95 interpolates to 0.4875 s.
    expect(m?.ttftP95Ms).toBeCloseTo((0.25 + 0.25 * 0.95) * 1000, 9)
    expect(m?.tokensPerSec).toBeNull() // a rate needs two scrapes
  })

  it('Triton: average latency from the duration counter (1,327,965 µs over 3 requests)', () => {
    const m = servingMetrics('triton', null, scrape('triton/metrics_8002.txt'))
    expect(m).toMatchObject({ requests: 3, errors: 0, latencySource: 'counters', p95Ms: null, queueDepth: 0 })
    expect(m?.avgLatencyMs).toBeCloseTo(1327965 / 3 / 1000, 9)
  })

  it('TorchServe: 5XX share of its answers, average from ts_inference_latency_microseconds', () => {
    const m = servingMetrics('torchserve', null, scrape('torchserve/metrics_8082.txt'))
    expect(m).toMatchObject({ requests: 58 + 59 + 60, errors: 60, latencySource: 'counters' })
    const latencyUs = 9136028.087 + 86784.501 + 683356.875 + 92203.917 + 102805.04
    expect(m?.avgLatencyMs).toBeCloseTo(latencyUs / 55 / 1000, 6)
  })

  it('has nothing to compute for Ollama (no metrics endpoint)', () => {
    expect(servingMetrics('ollama', null, scrape('tgi/metrics.txt'))).toBeNull()
  })
})

describe('serving metrics over a window (two scrapes)', () => {
  it('TGI: 20 more requests in 10 s, 1 failure, all between 1.12 and 1.68 s', () => {
    const prev = scrape('tgi/metrics.txt', T)
    const cur = advance(prev, T + 10_000, (name, labels) => {
      if (name === 'tgi_request_count') return 20
      if (name === 'tgi_request_failure') return 1
      if (name === 'tgi_request_duration_bucket')
        return (labels.le === '+Inf' ? Infinity : Number(labels.le)) >= 1.683411219602823 ? 20 : 0
      if (name === 'tgi_request_duration_count') return 20
      if (name === 'tgi_request_duration_sum') return 28
      return 0
    })
    const m = servingMetrics('tgi', prev, cur)
    expect(m).toMatchObject({ windowMs: 10_000, requests: 20, errors: 1, requestRate: 2, errorRate: 0.05 })
    expect(m?.p50Ms).toBeCloseTo(((1.122274146401882 + 1.683411219602823) / 2) * 1000, 9)
    expect(m?.avgLatencyMs).toBeCloseTo(1400, 9)
  })

  it('a restarted server (counters went down) is measured from zero, not as negative traffic', () => {
    const prev = advance(scrape('tgi/metrics.txt', T), T, (name) => (name === 'tgi_request_count' ? 1000 : 0))
    const cur = scrape('tgi/metrics.txt', T + 5000)
    expect(servingMetrics('tgi', prev, cur)?.requests).toBe(111)
  })
})

describe('metrics endpoints', () => {
  it('follows each runtime’s convention', () => {
    expect(metricsUrl('triton', 'http://gpu1:8000/')).toBe('http://gpu1:8002/metrics')
    expect(metricsUrl('torchserve', 'http://gpu1:8080/')).toBe('http://gpu1:8082/metrics')
    expect(metricsUrl('vllm', 'http://gpu1:8000/')).toBe('http://gpu1:8000/metrics')
    expect(metricsUrl('vllm', 'https://gw/llm/')).toBe('https://gw/llm/metrics')
    expect(metricsUrl('ollama', 'http://gpu1:11434/')).toBeNull()
  })
})
