// bench/release: a real nginx (Debian's, on 127.0.0.1) in front of two model-server processes,
// Gantry's release service driving it (out/main/bench.js: the product's core, its console runner
// ticking every 100 ms), and wrk holding a steady load of about 1,000 requests/s on loopback
// (10 connections, each waiting 9 ms between requests).
//   1. The champion's p99 without a shadow (the baseline, same run) and with a 100 % shadow.
//   2. 20 weight changes (a 20-step canary, 5 → 100 %, each held 1 s, then promoted) under load:
//      failed requests (target 0), and Gantry's CPU and RSS meanwhile.
//   3. One abort: a 50 % canary whose challenger starts answering 500 at a known moment; the time
//      from then until the challenger serves nothing more (target: one gate interval + 2 s).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { built } from './core.mjs'

const require = createRequire(import.meta.url)
const { nginxUnavailable, startNginx, startModelServer } = require('../scripts/nginx.cjs')
const { freePort } = require('../scripts/sshd.cjs')

const SECONDS = Number(process.env.BENCH_RELEASE_SECONDS ?? 20)
const GATE_MS = 2000

function wrk(url, seconds, dir, headers = []) {
  const script = join(dir, 'pace.lua')
  writeFileSync(script, 'function delay() return 9 end\n')
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', [
      '-t2',
      '-c10',
      `-d${seconds}s`,
      '--latency',
      '-s',
      script,
      ...headers.flatMap((h) => ['-H', h]),
      url,
    ])
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('exit', () => {
      const num = (re) => Number(re.exec(out)?.[1] ?? 0)
      const unit = (v, u) => Number(v) * (u === 'us' ? 0.001 : u === 's' ? 1000 : 1)
      const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out)
      const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
      resolve({
        rate: num(/Requests\/sec:\s+([\d.]+)/),
        requests: num(/(\d+) requests in/),
        p99ms: p99 ? unit(p99[1], p99[2]) : NaN,
        non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
        socketErrors: errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
        raw: out,
      })
    })
  })
}

async function until(what, f, ms = 60_000) {
  const end = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > end) throw new Error(`bench/release: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export async function benchRelease() {
  const why = nginxUnavailable()
  if (why) return `release: skipped (${why})`
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-release-'))
  const nginx = startNginx(join(dir, 'nginx'))
  const champ = await startModelServer('champion', join(dir, 'champion.jsonl'))
  const chall = await startModelServer('challenger', join(dir, 'challenger.jsonl'))
  const g = built().createGantry({
    dataDir: join(dir, 'data'),
    door: 'server',
    actor: 'bench',
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    driftIntervalMs: 0,
    alertIntervalMs: 0,
    releaseTickMs: 100,
    log: () => {},
  })
  g.start()
  const call = async (m, input) => {
    const r = await g.api.call(m, input)
    if (!r.ok) throw new Error(`${m}: ${r.error.message}`)
    return r.data
  }
  const status = async () => (await call('release.status', { model: 'm' })).release
  try {
    for (const v of [1, 2]) {
      writeFileSync(join(dir, `v${v}`), `weights of v${v}`)
      await call('registry.register', { model: 'm', artifact: join(dir, `v${v}`) })
      await call('registry.transition', { name: 'm', version: v, stage: 'staging' })
    }
    await call('registry.transition', { name: 'm', version: 1, stage: 'production' })
    const port = await freePort()
    await call('front.add', {
      model: 'm',
      nginxDir: nginx.confd,
      listen: `127.0.0.1:${port}`,
      champion: champ.url,
      reloadCommand: nginx.reloadCommand,
    })
    const url = `http://127.0.0.1:${port}/v1/predict?x=1`

    // 1. p99 without and with a 100 % shadow.
    await wrk(url, 3, dir) // warm-up
    const plain = await wrk(url, SECONDS, dir)
    // The same machine with the challenger as busy as a 100 % mirror makes it, but fed by a second
    // wrk directly: what of the difference is this 2-core VM sharing its cores, not nginx's mirror.
    const [busy] = await Promise.all([wrk(url, SECONDS, dir), wrk(`${chall.url}/v1/predict?x=1`, SECONDS, dir)])
    await call('release.start', {
      model: 'm',
      mode: 'shadow',
      version: 2,
      challenger: chall.url,
      share: 100,
      holdMs: 3600_000,
      gateIntervalMs: GATE_MS,
    })
    await until('the shadow', async () => (await status()).state === 'running')
    await new Promise((r) => setTimeout(r, 500))
    const shadowed = await wrk(url, SECONDS, dir)
    const mirrored = (await status()).evidence.at(-1)?.challenger.requests ?? 0
    await call('release.abort', { model: 'm', reason: 'bench: shadow measured' })

    // 2. 20 weight changes under load (gates that always pass: the reloads are what is measured),
    //    with keep-alive clients (wrk's default), then with clients that close after each request.
    const steps = Array.from({ length: 20 }, (_, i) => (i + 1) * 5)
    const ramp20 = async (headers) => {
      const load = wrk(url, 60, dir, headers)
      await new Promise((r) => setTimeout(r, 1000))
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      let rss = process.memoryUsage().rss
      const production = (await call('registry.getModel', { name: 'm' })).versions.find((v) => v.stage === 'production')
      const next = production.version === 1 ? 2 : 1
      const from = (await call('release.status', { model: 'm' })).front.champion
      await call('release.start', {
        model: 'm',
        mode: 'canary',
        version: next,
        challenger: from === champ.url ? chall.url : champ.url,
        steps,
        holdMs: 1000,
        gateIntervalMs: 500,
        warmupRequests: 1,
        gates: { maxErrorRise: 1, maxSlowRise: 1, minRequests: 1 },
      })
      const ramp = await until(
        'the ramp',
        async () => {
          rss = Math.max(rss, process.memoryUsage().rss)
          const r = await status()
          return ['promoted', 'aborted', 'paused'].includes(r.state) ? r : null
        },
        120_000,
      )
      const rampMs = performance.now() - t0
      const cpu = process.cpuUsage(cpu0)
      const loaded = await load
      if (process.env.BENCH_RELEASE_DEBUG) console.error(loaded.raw)
      // The previous production version goes back to staging for the next release.
      for (const v of (await call('registry.getModel', { name: 'm' })).versions)
        if (v.stage !== 'production' && v.stage !== 'staging')
          await call('registry.transition', { name: 'm', version: v.version, stage: 'staging' })
      return {
        ramp,
        rampMs,
        cpuPct: ((cpu.user + cpu.system) / 1000 / rampMs) * 100,
        rss,
        changes: ramp.events.filter((e) => e.kind === 'step').length,
        loaded,
        failed: loaded.non2xx + loaded.socketErrors,
      }
    }
    const kept = await ramp20([])
    const closing = await ramp20(['Connection: close'])

    // 3. One abort: a new canary whose challenger starts failing at a known moment.
    const front = (await call('release.status', { model: 'm' })).front
    const other = front.champion === champ.url ? chall : champ
    const production = (await call('registry.getModel', { name: 'm' })).versions.find((v) => v.stage === 'production')
    await call('release.start', {
      model: 'm',
      mode: 'canary',
      version: production.version === 1 ? 2 : 1,
      challenger: other.url,
      steps: [50, 100],
      holdMs: 3600_000,
      gateIntervalMs: GATE_MS,
      gates: { minRequests: 20 },
    })
    const abortLoad = wrk(url, 30, dir)
    await until('the 50 % step', async () => (await status()).weight === 50)
    await new Promise((r) => setTimeout(r, 3000))
    const failAt = performance.now()
    await other.control({ errorRate: 1 })
    let served = (await other.control({})).served
    let lastChange = performance.now()
    for (;;) {
      await new Promise((r) => setTimeout(r, 50))
      const s = (await other.control({})).served
      const now = performance.now()
      if (s !== served) {
        served = s
        lastChange = now
      } else if (now - lastChange > 3000) break
      if (now - failAt > 60_000) break
    }
    const toZeroMs = lastChange - failAt
    const aborted = await status()
    await abortLoad
    const bound = GATE_MS + 2000
    const p99Ratio = shadowed.p99ms / plain.p99ms
    return (
      `release: nginx + 2 model servers under wrk at ~${Math.round(plain.rate)} req/s — champion p99 ${plain.p99ms.toFixed(2)} ms without a shadow (baseline), ` +
      `${shadowed.p99ms.toFixed(2)} ms with a 100 % shadow (${mirrored} mirrored in the window judged): ratio ${p99Ratio.toFixed(2)}× (target ≤ 1.05: ${p99Ratio <= 1.05 ? 'met' : 'NOT met'}); ` +
      `without a shadow but the challenger as busy (a second wrk on it) ${busy.p99ms.toFixed(2)} ms: the mirror itself ${(shadowed.p99ms / busy.p99ms).toFixed(2)}×; ` +
      `${kept.changes} weight changes (nginx reloads) in ${(kept.rampMs / 1000).toFixed(1)} s under load (${kept.ramp.state}): keep-alive clients ${kept.failed} failed of ${kept.loaded.requests} ` +
      `(${kept.loaded.socketErrors} socket errors: idle keep-alive connections the old workers close at each reload; ${kept.loaded.non2xx} non-2xx), ` +
      `clients closing after each request ${closing.failed} failed of ${closing.loaded.requests} (${closing.changes} changes) (target 0: ${kept.failed === 0 && closing.failed === 0 ? 'met' : closing.failed === 0 ? 'met without keep-alive only' : 'NOT met'}), ` +
      `Gantry CPU ${kept.cpuPct.toFixed(1)} % of one core while ramping, RSS ${(kept.rss / 1048576).toFixed(0)} MiB; ` +
      `abort: challenger failing → its share 0 in ${(toZeroMs / 1000).toFixed(2)} s (${aborted.state}; gate interval ${GATE_MS / 1000} s, target ≤ ${bound / 1000} s: ${toZeroMs <= bound && aborted.state === 'aborted' ? 'met' : 'NOT met'})`
    )
  } finally {
    await g.stop()
    nginx.stop()
    champ.stop()
    chall.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchRelease())
