// bench/rollback: 50 one-click rollbacks on a model-folder target served by a real process
// (test/fixtures/bin/model-server.cjs, reloaded by `kill -HUP`). Each rollback runs the whole
// state machine: preflight (sha256 re-verified), intent, link switch, reload, verify through the
// serving probe, commit. Reports the time from "rollback" to "verified and committed", and
// Gantry's own overhead = that time minus the reload step (the serving process's restart), as
// median and p95. Target: overhead under 200 ms median.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root } from '../scripts/console-process.mjs'
import { quietCore } from './core.mjs'

const N = Number(process.env.BENCH_ROLLBACKS ?? 50)
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]

export async function benchRollback() {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-rollback-'))
  const serve = join(dir, 'serve')
  mkdirSync(serve)
  const server = spawn(
    process.execPath,
    [join(root, 'test/fixtures/bin/model-server.cjs'), '--folder', serve, '--name', 'm'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  try {
    const [port, pid] = await new Promise((resolve) => {
      let out = ''
      server.stdout.on('data', (d) => {
        out += d
        const m = /listening (\d+) (\d+)/.exec(out)
        if (m) resolve([m[1], m[2]])
      })
    })
    const { g, call } = quietCore(join(dir, 'data'))
    for (const v of [1, 2]) {
      const d = join(dir, `v${v}`)
      mkdirSync(d)
      // A realistic small model folder: config plus 64 MiB of weights (hashed on every preflight).
      writeFileSync(join(d, 'config.json'), JSON.stringify({ v }))
      writeFileSync(join(d, 'weights.bin'), Buffer.alloc(64 * 1024 * 1024, v))
      await call('registry.register', { model: 'm', artifact: d })
      await call('registry.transition', { name: 'm', version: v, stage: 'staging' })
    }
    const ep = await call('serving.addEndpoint', { url: `http://127.0.0.1:${port}/`, kind: 'vllm' })
    const t = await call('deploy.addTarget', {
      model: 'm',
      name: 'bench',
      config: {
        kind: 'model-folder',
        folder: serve,
        reloadCommand: ['kill', '-HUP', String(pid)],
        endpointId: ep.id,
        readyTimeoutMs: 10_000,
      },
    })
    await call('deploy.run', { model: 'm', version: 1, targetId: t.id })
    await call('deploy.run', { model: 'm', version: 2, targetId: t.id })
    const total = []
    const overhead = []
    const hashing = []
    for (let i = 0; i < N; i++) {
      const t0 = performance.now()
      const d = await call('deploy.rollback', { model: 'm', targetId: t.id })
      const ms = performance.now() - t0
      if (d.state !== 'succeeded') throw new Error(`rollback ${i} ${d.state}: ${d.reason}`)
      const reload = d.steps.find((s) => s.name === 'reload')?.ms ?? 0
      total.push(ms)
      overhead.push(ms - reload)
      hashing.push(d.steps.find((s) => s.name === 'preflight')?.ms ?? 0)
    }
    await g.stop()
    const med = pct(overhead, 0.5)
    return (
      `rollback: ${N} rollbacks on a model-folder target (64 MiB artifact, real server reloaded by SIGHUP) — ` +
      `rollback → verified median ${pct(total, 0.5).toFixed(0)} ms, p95 ${pct(total, 0.95).toFixed(0)} ms; ` +
      `Gantry's overhead (minus the reload step) median ${med.toFixed(0)} ms, p95 ${pct(overhead, 0.95).toFixed(0)} ms ` +
      `(of which preflight incl. sha256 re-verify median ${pct(hashing, 0.5).toFixed(0)} ms); target < 200 ms median: ${med < 200 ? 'met' : 'NOT met'}`
    )
  } finally {
    server.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchRollback())
