// Probing model servers through the real boundary: loopback servers replaying the recorded bodies
// in test/fixtures/serving (copies of ../shared/fixtures/serving), and hostile servers that must
// not hang a probe or make it read a huge body.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { probeEndpoint } from '../../src/main/core/serving/probe'
import { ProbeResult } from '../../src/shared/serving'
import { replayServer } from '../helpers/replay-server'

const fx = (p: string): string => readFileSync(join(__dirname, '..', 'fixtures', 'serving', p), 'utf8')
const servers: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
async function serve(routes: Parameters<typeof replayServer>[0]) {
  const s = await replayServer(routes)
  servers.push(s)
  return s
}

describe('probing recorded runtimes', () => {
  it('recognises Triton and reads every model version from the repository index, even while server-wide ready is false', async () => {
    const s = await serve({
      'GET /v2': { body: fx('triton/v2_server_metadata.json') },
      'GET /v2/health/live': { body: '' },
      // Server-wide readiness is false while any model loads (explicit mode): per-model state rules.
      'GET /v2/health/ready': { status: 400, body: '' },
      'POST /v2/repository/index': { body: fx('triton/v2_repository_index_all_ready.json') },
      'GET /metrics': { body: fx('triton/metrics_8002.txt'), type: 'text/plain' },
    })
    const r = ProbeResult.parse(await probeEndpoint(s.url))
    expect(r.metricsUrl).toBe(`${s.url}metrics`)
    expect(r.metrics).toMatchObject({ requests: 3, errors: 0, latencySource: 'counters', windowMs: null })
    expect(r).toMatchObject({
      kind: 'triton',
      detectedBy: 'GET /v2 names triton',
      live: true,
      ready: false,
      runtimeVersion: '2.38.0',
    })
    expect(r.models.map((m) => [m.name, m.versions.map((v) => [v.version, v.state, v.ready])])).toEqual([
      ['ensemble_python_resnet50', [['1', 'READY', true]]],
      ['postprocessing', [['1', 'READY', true]]],
      ['preprocessing', [['1', 'READY', true]]],
      ['resnet50_trt', [['1', 'READY', true]]],
    ])
    expect(r.problems).toEqual([])
  })

  it('recognises vLLM and reports the served name with the weights path as its version', async () => {
    const s = await serve({
      'GET /metrics': { body: fx('vllm/metrics.txt'), type: 'text/plain' },
      'GET /v1/models': { body: fx('vllm/v1_models_served_model_name.json') },
      'GET /version': { body: fx('vllm/version.json') },
      'GET /health': { body: '' },
    })
    const r = await probeEndpoint(s.url, { metricsWindowMs: 50 })
    expect(r).toMatchObject({ kind: 'vllm', live: true, runtimeVersion: '0.4.3' })
    // Two scrapes of the same recording: a window with no traffic — a rate of 0, no percentile.
    expect(r.metrics).toMatchObject({ requests: 0, requestRate: 0, p50Ms: null, kvCachePct: 0 })
    expect(r.metrics?.windowMs).toBeGreaterThanOrEqual(50)
    expect(r.models).toEqual([
      {
        name: 'prompt_model',
        source: '/weights/Qwen3-1.7B',
        versions: [{ version: '/weights/Qwen3-1.7B', state: 'loaded', ready: true, reason: null }],
      },
    ])
  })

  it('reads Ollama’s loaded models with the digest as the version', async () => {
    const s = await serve({
      'GET /': { body: 'Ollama is running', type: 'text/plain' },
      'GET /api/ps': { body: fx('ollama/api_ps.json') },
    })
    const r = await probeEndpoint(s.url, { kind: 'ollama' })
    expect(r.live).toBe(true)
    expect(r.models).toEqual([
      {
        name: 'gemma3:latest',
        source: 'a2af6cc3eb7fa8be8504abaf9b04e88f17a119ec3f04a3addf55f92841195f5a',
        versions: [{ version: 'a2af6cc3eb7f', state: 'loaded', ready: true, reason: null }],
      },
    ])
    // No /api/tags recording: the probe says what it could not read instead of inventing it.
    expect(r.problems).toEqual(['local models: HTTP 404 (GET /api/tags)'])
  })

  it('recognises TorchServe and lists each version with its workers’ state', async () => {
    const s = await serve({
      'GET /ping': { body: fx('torchserve/ping_healthy.json') },
      'GET /models': { body: fx('torchserve/models_list.json') },
      'GET /models/linear_regression_1_2/all': { body: fx('torchserve/model_describe_all_versions.json') },
    })
    const r = await probeEndpoint(s.url)
    expect(r).toMatchObject({ kind: 'torchserve', live: true, ready: true })
    const m = r.models.find((x) => x.name === 'linear_regression_1_2')
    expect(m?.versions.map((v) => v.version)).toEqual(['1', '2', '3'])
    expect(m?.versions[0]).toMatchObject({
      state: 'unknown_value',
      ready: false,
      reason: 'linear_regression_1_2_v1.mar',
    })
    expect(r.models).toHaveLength(5)
  })

  it('keeps the last raw responses for debugging', async () => {
    const s = await serve({ 'GET /health': { body: 'ok', type: 'text/plain' } })
    const r = await probeEndpoint(`${s.url}health`, { kind: 'generic' })
    expect(r.live).toBe(true)
    expect(r.checks).toEqual([
      { method: 'GET', path: '', status: 200, ms: expect.any(Number), error: null, body: 'ok' },
    ])
  })
})

describe('hostile endpoints', () => {
  const limits = { timeoutMs: 400, maxBytes: 1024 * 1024, maxRedirects: 3 }

  it('a server that never answers is reported within the timeout, not waited on', async () => {
    const s = await serve({ 'GET /health': { hang: true } })
    const r = await probeEndpoint(`${s.url}health`, { kind: 'generic', limits })
    expect(r.live).toBeNull()
    expect(r.checks[0].error).toBe('no complete answer within 400 ms')
  })

  it('a server that drips one byte a second is cut off at the deadline', async () => {
    const s = await serve({ 'GET /v1/models': { drip: true }, 'GET /health': { body: '' } })
    const r = await probeEndpoint(s.url, { kind: 'vllm', limits })
    expect(r.problems).toContain('model list: no complete answer within 400 ms (GET /v1/models)')
    expect(r.live).toBe(true)
  })

  it('a 100 MB body is refused at the cap instead of read into memory', async () => {
    const s = await serve({ 'GET /health': { body: '' }, 'GET /v1/models': { huge: 100 * 1024 * 1024 } })
    const r = await probeEndpoint(s.url, { kind: 'vllm', limits })
    expect(r.problems[0]).toMatch(/^model list: response exceeds the 1048576-byte cap/)
  })

  it('invalid JSON and a redirect loop become problems, not crashes', async () => {
    const s = await serve({
      'GET /health': { body: '' },
      'GET /v1/models': { body: '{"data": [ this is not json' },
      'GET /version': { redirectLoop: true },
    })
    const r = await probeEndpoint(s.url, { kind: 'vllm', limits })
    expect(r.problems).toEqual(['model list: not JSON (GET /v1/models)', `metrics: HTTP 404 (GET ${s.url}metrics)`])
    expect(r.metrics).toBeNull()
    expect(r.checks.find((c) => c.path === '/version')?.error).toBe('more than 3 redirects')
    expect(r.runtimeVersion).toBeNull()
  })

  it('a dead port is "did not answer", and one hung endpoint does not delay another', async () => {
    const hung = await serve({ 'GET /health': { hang: true } })
    const fine = await serve({ 'GET /health': { body: 'ok', type: 'text/plain' } })
    const slow = probeEndpoint(`${hung.url}health`, { kind: 'generic', limits: { ...limits, timeoutMs: 3000 } })
    const quick = await probeEndpoint(`${fine.url}health`, { kind: 'generic', limits })
    expect(quick.live).toBe(true)
    expect(quick.durationMs).toBeLessThan(3000)
    expect((await slow).live).toBeNull()
    const dead = await probeEndpoint('http://127.0.0.1:9/', { kind: 'vllm', limits })
    expect(dead.live).toBeNull()
    expect(dead.problems[0]).toMatch(/^the server did not answer: .*(refused|ECONNREFUSED)/i)
  })

  it('garbage on /metrics is a named problem; the rest of the probe stands', async () => {
    const s = await serve({
      'GET /health': { body: '' },
      'GET /v1/models': { body: fx('vllm/v1_models_hf_id.json') },
      'GET /metrics': { body: '\u0000\u0001 <html>not metrics</html>\n{{{\n', type: 'text/plain' },
    })
    const r = await probeEndpoint(s.url, { kind: 'vllm', limits })
    expect(r.models).toHaveLength(1)
    expect(r.metrics).toBeNull()
    expect(r.problems).toContain(`metrics: no Prometheus metrics in the answer (GET ${s.url}metrics)`)
  })

  it('a server that does not answer its first request costs one deadline, not one per path', async () => {
    const s = await serve({ 'GET /health': { hang: true } })
    const r = await probeEndpoint(s.url, { kind: 'vllm', limits })
    expect(r.checks[0].error).toBe('no complete answer within 400 ms')
    expect(r.checks.length).toBeGreaterThan(1)
    expect(r.checks.slice(1).every((c) => c.error === 'skipped: the server did not answer')).toBe(true)
    // The headline says how long it waited.
    expect(r.problems[0]).toBe('the server did not answer: no complete answer within 400 ms')
  })
})
