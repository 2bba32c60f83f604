// bench/registry: a registry of 10,000 versions across 500 models, built through the api as a
// training pipeline would (one transaction and fsync per registration), then:
//   - list / search / one-model latency at that size (median and p95 of repeated calls), against
//     the bare SQL read of the same rows in the same run;
//   - verifying the whole audit chain;
//   - sha256 throughput of Gantry's streaming hash on a 2 GB artifact against `sha256sum` on the
//     same file in the same run (page cache warmed for both): ratio = Gantry time / sha256sum time.
// BENCH_REGISTRY_VERSIONS and BENCH_HASH_MB shrink it for a quick look.
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { built, quietCore } from './core.mjs'

const VERSIONS = Number(process.env.BENCH_REGISTRY_VERSIONS ?? 10_000)
const MODELS = Math.max(1, Math.round(VERSIONS / 20))
const HASH_MB = Number(process.env.BENCH_HASH_MB ?? 2048)

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))] }
}
async function timeIt(n, f) {
  const out = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await f(i)
    out.push(performance.now() - t)
  }
  return stats(out)
}
const ms = (x) => `${x.toFixed(2)} ms`

export async function benchRegistry() {
  const { hashArtifact, createLocalFiles, ANY_PATH } = built()
  const files = createLocalFiles(ANY_PATH)
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-registry-'))
  const art = join(dir, 'artifacts')
  try {
    spawnSync('mkdir', ['-p', art])
    const { g, call } = quietCore(join(dir, 'data'))
    const teams = ['risk', 'growth', 'vision', 'search', 'ads', 'speech', 'fraud', 'ops']
    for (let m = 0; m < MODELS; m++) {
      await call('registry.createModel', {
        name: `model-${String(m).padStart(4, '0')}`,
        description: `benchmark model ${m} for ${teams[m % teams.length]}`,
        ...(m % 10 === 0 ? {} : { ownerTeam: teams[m % teams.length] }),
      })
    }
    const t0 = performance.now()
    for (let i = 0; i < VERSIONS; i++) {
      const f = join(art, `a${i}.onnx`)
      writeFileSync(f, `weights ${i}`)
      const model = `model-${String(i % MODELS).padStart(4, '0')}`
      await call('registry.register', { model, artifact: f, params: { seed: String(i) }, metrics: { auc: 0.9 } })
      if (i % 20 === 7)
        await call('registry.transition', { name: model, version: Math.floor(i / MODELS) + 1, stage: 'staging' })
    }
    const perRegister = (performance.now() - t0) / VERSIONS

    const list = await timeIt(30, () => call('registry.listModels', {}))
    const search = await timeIt(30, (i) => call('registry.listModels', { query: `model-0${i % 50}` }))
    const byOwner = await timeIt(30, () => call('registry.listModels', { owner: 'vision', stage: 'staging' }))
    const one = await timeIt(30, (i) =>
      call('registry.getModel', { name: `model-${String((i * 7) % MODELS).padStart(4, '0')}` }),
    )
    const verifyT = performance.now()
    const verdict = await call('audit.verify', {})
    const verifyMs = performance.now() - verifyT
    await g.stop()
    const raw = new Database(join(dir, 'data', 'gantry.db'), { readonly: true })
    const bare = await timeIt(30, () =>
      raw.prepare('SELECT m.*, v.stage, v.version FROM reg_models m JOIN reg_versions v ON v.model_id = m.id').all(),
    )
    raw.close()

    // sha256 on a 2 GB file: Gantry's streaming hash against sha256sum, same file, same run.
    const big = join(dir, 'big.bin')
    const fd = openSync(big, 'w')
    const chunk = Buffer.alloc(1 << 20)
    for (let i = 0; i < HASH_MB; i++) {
      chunk.writeUInt32LE(i, 0)
      chunk.fill(i & 0xff, 4)
      writeSync(fd, chunk)
    }
    closeSync(fd)
    spawnSync('sha256sum', [big]) // warm the page cache
    let sumMs = Infinity
    let sumHex = ''
    for (let k = 0; k < 2; k++) {
      const t = performance.now()
      const r = spawnSync('sha256sum', [big], { encoding: 'utf8' })
      sumMs = Math.min(sumMs, performance.now() - t)
      sumHex = r.stdout.split(' ')[0]
    }
    let gantryMs = Infinity
    let gantryHex = ''
    for (let k = 0; k < 2; k++) {
      const t = performance.now()
      const h = await hashArtifact(files, big)
      gantryMs = Math.min(gantryMs, performance.now() - t)
      gantryHex = h.sha256
    }
    if (gantryHex !== sumHex) throw new Error(`hash differs from sha256sum: ${gantryHex} vs ${sumHex}`)
    const mb = HASH_MB
    const ratio = gantryMs / sumMs
    return (
      `registry: ${VERSIONS} versions / ${MODELS} models (${perRegister.toFixed(1)} ms per registration, fsync each) — ` +
      `list all median ${ms(list.median)} p95 ${ms(list.p95)} (bare SQL read of the same rows ${ms(bare.median)}, ratio ${(list.median / bare.median).toFixed(1)}×), ` +
      `search median ${ms(search.median)} p95 ${ms(search.p95)}, owner+stage filter median ${ms(byOwner.median)}, one model median ${ms(one.median)} p95 ${ms(one.p95)}; ` +
      `audit verify ${verdict.rows} rows ${verifyMs.toFixed(0)} ms; ` +
      `sha256 of ${mb} MiB: Gantry ${((mb / gantryMs) * 1000).toFixed(0)} MiB/s vs sha256sum ${((mb / sumMs) * 1000).toFixed(0)} MiB/s, ratio ${ratio.toFixed(2)}× (time, lower is better)`
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchRegistry())
