// The exposition-format reader against the recorded /metrics bodies, and the quantile arithmetic
// checked against hand computations on the recorded histograms.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  counterDelta,
  histogramDelta,
  histogramQuantile,
  histograms,
  parsePrometheusText,
} from '../../src/main/core/serving/prometheus'

const fx = (p: string): string => readFileSync(join(__dirname, '..', 'fixtures', 'serving', p), 'utf8')

describe('reading /metrics', () => {
  it('reads every recorded body without a single unreadable line', () => {
    for (const f of ['triton/metrics_8002.txt', 'vllm/metrics.txt', 'tgi/metrics.txt', 'torchserve/metrics_8082.txt']) {
      const r = parsePrometheusText(fx(f))
      expect(r.errors, f).toEqual([])
      expect(r.families.size, f).toBeGreaterThan(10)
    }
  })

  it('keeps the labels, _sum and _count of a labelled vLLM histogram', () => {
    const f = parsePrometheusText(fx('vllm/metrics.txt')).families.get('vllm:e2e_request_latency_seconds')
    expect(f?.type).toBe('histogram')
    const [h] = histograms(f!)
    expect(h.labels).toEqual({ model_name: 'facebook/opt-125m' })
    expect(h.buckets[0]).toEqual([1, 1])
    expect(h.buckets.at(-1)).toEqual([Infinity, 1])
    expect(h.count).toBe(1)
    expect(h.sum).toBe(0.5034303665161133)
  })

  it('reads TorchServe’s trailing comma in labels', () => {
    const f = parsePrometheusText(fx('torchserve/metrics_8082.txt')).families.get('ts_inference_requests_total')
    expect(f?.type).toBe('counter')
    expect(f?.samples[0]).toEqual({
      name: 'ts_inference_requests_total',
      labels: { model_name: 'linear_regression_1_1', model_version: 'default', hostname: '21c5890122fc' },
      value: 11,
    })
  })

  it('reports garbage lines and keeps the rest', () => {
    const r = parsePrometheusText('ok_metric 1\n{{{ garbage\nbad{x="1"} notanumber\nunterminated{x="1} 2\nfine 2\n')
    expect([...r.families.keys()]).toEqual(['ok_metric', 'fine'])
    expect(r.errors).toEqual([
      'line 2: no metric name',
      'line 3: bad value "notanumber"',
      'line 4: unterminated value of label x',
    ])
  })
})

describe('latency percentiles from histogram deltas', () => {
  const tgi = () => histograms(parsePrometheusText(fx('tgi/metrics.txt')).families.get('tgi_request_duration')!)[0]

  it('matches hand computation on the recorded TGI request-duration histogram (109 requests)', () => {
    const h = tgi()
    expect(h.count).toBe(109)
    // p50: rank 54.5 falls in (3.787675244106352, 5.681512866159528], cumulative 51 → 77.
    const p50 = 3.787675244106352 + (5.681512866159528 - 3.787675244106352) * ((54.5 - 51) / (77 - 51))
    // p95: rank 103.55 falls in (5.681512866159528, 8.52226929923929], cumulative 77 → 104.
    const p95 = 5.681512866159528 + (8.52226929923929 - 5.681512866159528) * ((103.55 - 77) / (104 - 77))
    // p99: rank 107.91 falls in (12.783403948858936, 19.175105923288406], cumulative 104 → 108.
    const p99 = 12.783403948858936 + (19.175105923288406 - 12.783403948858936) * ((107.91 - 104) / (108 - 104))
    expect(histogramQuantile(0.5, h.buckets)).toBeCloseTo(p50, 12)
    expect(histogramQuantile(0.95, h.buckets)).toBeCloseTo(p95, 12)
    expect(histogramQuantile(0.99, h.buckets)).toBeCloseTo(p99, 12)
    expect(p50).toBeCloseTo(4.0426, 4)
  })

  it('uses only the observations between two scrapes', () => {
    const prev = tgi()
    // A later scrape: 10 more requests, all between 1.122 and 1.683 s.
    const cur = {
      ...prev,
      buckets: prev.buckets.map(([le, c]) => [le, le >= 1.683411219602823 ? c + 10 : c] as [number, number]),
      count: 119,
    }
    const d = histogramDelta(prev, cur)
    expect(d.count).toBe(10)
    // All 10 in (1.122274146401882, 1.683411219602823]: p50 is that bucket's midpoint.
    expect(histogramQuantile(0.5, d.buckets)).toBeCloseTo((1.122274146401882 + 1.683411219602823) / 2, 12)
  })

  it('restarts from the current scrape after a counter reset or a bucket change, and has no answer without traffic', () => {
    const prev = tgi()
    const reset = {
      ...prev,
      buckets: prev.buckets.map(([le]) => [le, le === Infinity ? 1 : 0] as [number, number]),
      count: 1,
    }
    expect(histogramDelta(prev, reset)).toBe(reset)
    const rebucketed = { ...prev, buckets: prev.buckets.slice(1) }
    expect(histogramDelta(prev, rebucketed)).toBe(rebucketed)
    expect(histogramQuantile(0.95, histogramDelta(prev, prev).buckets)).toBeNull()
  })

  it('answers the highest finite bound when the rank lands in +Inf, as Prometheus does', () => {
    expect(
      histogramQuantile(0.99, [
        [1, 0],
        [2, 1],
        [Infinity, 100],
      ]),
    ).toBe(2)
    expect(histogramQuantile(0.5, [[Infinity, 3]])).toBeNull()
  })

  it('counts a counter reset from zero', () => {
    expect(counterDelta(10, 15)).toBe(5)
    expect(counterDelta(10, 3)).toBe(3)
    expect(counterDelta(null, 7)).toBe(7)
  })
})
