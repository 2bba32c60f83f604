// Child of bench/drift.mjs: one measured Gantry run in a fresh process, so its peak RSS is its own.
// Mode "report": CSV files → per-feature KS report (end to end). Mode "stats": the same columns
// read first, then only the KS computations timed (each one sorting copies of its inputs with the
// product's sort, as scipy's ks_2samp sorts its own).
const { join } = require('node:path')
const { driftReport, ks2samp, sortFloat64, createLocalFiles, ANY_PATH } = require(
  join(__dirname, '..', 'out', 'main', 'bench.js'),
)
const files = createLocalFiles(ANY_PATH)

const [mode, ref, cur, ncols] = process.argv.slice(2)
const names = Array.from({ length: Number(ncols) }, (_, i) => `f${i}`)
;(async () => {
  if (mode === 'report') {
    const t = performance.now()
    const r = await driftReport(files, ref, cur, { methods: Object.fromEntries(names.map((n) => [n, 'ks'])) })
    const ms = performance.now() - t
    const drifted = r.columns.filter((c) => c.drifted).length
    process.stdout.write(JSON.stringify({ ms, rssMiB: process.resourceUsage().maxRSS / 1024, drifted }) + '\n')
  } else {
    // Read the columns (untimed), then time KS alone.
    const { readTable } = require(join(__dirname, '..', 'out', 'main', 'bench.js'))
    const [a, b] = await Promise.all([readTable(files, ref), readTable(files, cur)])
    const cols = names.map((n) => [
      Float64Array.from(a.columns.get(n).numbers()),
      Float64Array.from(b.columns.get(n).numbers()),
    ])
    const t = performance.now()
    let s = 0
    for (const [x, y] of cols)
      s += ks2samp(sortFloat64(Float64Array.from(x)), sortFloat64(Float64Array.from(y))).statistic
    process.stdout.write(JSON.stringify({ ms: performance.now() - t, check: s }) + '\n')
  }
})()
