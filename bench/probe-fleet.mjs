// bench/probe-fleet: 200 model-server endpoints on loopback, 40 of which hang. One poll round
// probes them all at once, as the endpoint service does (one poller each). Reports the round's
// duration and the healthy endpoints' probe latency with the hung ones present, against a
// baseline round of the 160 healthy ones alone, in the same run. Target: ratio ≤ 1.1.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { root } from '../scripts/console-process.mjs'

const require = createRequire(import.meta.url)
const fx = (p) => readFileSync(join(root, 'test/fixtures/serving', p), 'utf8')
const HEALTHY = 160
const HUNG = 40
const TIMEOUT_MS = 2000

function listen(handler) {
  const server = createServer(handler)
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

async function fleet() {
  const routes = {
    '/health': '',
    '/version': fx('vllm/version.json'),
    '/v1/models': fx('vllm/v1_models_served_model_name.json'),
    '/metrics': fx('vllm/metrics.txt'),
  }
  const healthy = await Promise.all(
    Array.from({ length: HEALTHY }, () =>
      listen((req, res) => {
        const body = routes[req.url]
        if (body === undefined) res.writeHead(404).end()
        else res.end(body)
      }),
    ),
  )
  const held = []
  const hung = await Promise.all(Array.from({ length: HUNG }, () => listen((_req, res) => held.push(res))))
  const url = (s) => `http://127.0.0.1:${s.address().port}/`
  return {
    healthy: healthy.map(url),
    hung: hung.map(url),
    close() {
      for (const r of held) r.destroy()
      for (const s of [...healthy, ...hung]) {
        s.closeAllConnections()
        s.close()
      }
    },
  }
}

async function round(probeEndpoint, healthyUrls, hungUrls) {
  const started = performance.now()
  const latencies = []
  await Promise.all([
    ...healthyUrls.map(async (u) => {
      const t = performance.now()
      const r = await probeEndpoint(u, { kind: 'vllm', limits: { timeoutMs: TIMEOUT_MS } })
      if (!r.live) throw new Error(`healthy endpoint ${u} failed: ${r.problems.join('; ')}`)
      latencies.push(performance.now() - t)
    }),
    ...hungUrls.map((u) => probeEndpoint(u, { kind: 'vllm', limits: { timeoutMs: TIMEOUT_MS } })),
  ])
  latencies.sort((a, b) => a - b)
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]
  return { roundMs: performance.now() - started, p50: q(0.5), p95: q(0.95) }
}

export async function benchProbeFleet() {
  const { probeEndpoint } = require(join(root, 'out/main/bench.js'))
  const f = await fleet()
  try {
    await round(probeEndpoint, f.healthy, []) // warm-up
    const base = await round(probeEndpoint, f.healthy, [])
    const mixed = await round(probeEndpoint, f.healthy, f.hung)
    const ratio = mixed.p95 / base.p95
    return (
      `probe-fleet: ${HEALTHY + HUNG} endpoints (${HUNG} hang, deadline ${TIMEOUT_MS} ms): round ${mixed.roundMs.toFixed(0)} ms; ` +
      `healthy probe latency p50 ${mixed.p50.toFixed(1)} ms, p95 ${mixed.p95.toFixed(1)} ms; ` +
      `baseline (healthy alone) round ${base.roundMs.toFixed(0)} ms, p50 ${base.p50.toFixed(1)} ms, p95 ${base.p95.toFixed(1)} ms; ` +
      `ratio p95 ${ratio.toFixed(2)}x (target ≤ 1.1)`
    )
  } finally {
    f.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchProbeFleet())
