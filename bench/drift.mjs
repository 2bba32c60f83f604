// bench/drift: 20 numeric features, reference 100,000 rows, current 1,000,000 rows, from CSV
// files written once for the run. (a) End to end, CSV → per-feature KS report: Gantry versus
// pandas.read_csv + scipy ks_2samp. (b) Statistics alone on in-memory columns: Gantry's ks2samp
// versus scipy's ks_2samp on numpy arrays. Wall time, peak RSS, both ratios (Gantry / baseline:
// below 1 means Gantry is faster). Each side runs in its own fresh process.
// Needs /usr/bin/python3 with python3-pandas and python3-scipy. BENCH_DRIFT_ROWS scales it down.
import { spawnSync } from 'node:child_process'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const COLS = 20
const CUR_ROWS = Number(process.env.BENCH_DRIFT_ROWS ?? 1_000_000)
const REF_ROWS = Math.round(CUR_ROWS / 10)
const PY = process.env.SCIPY_PYTHON ?? '/usr/bin/python3'

async function writeCsv(path, rows, shift) {
  let seed = shift ? 99 : 7
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647
  const out = createWriteStream(path)
  const write = (s) => (out.write(s) ? Promise.resolve() : new Promise((r) => out.once('drain', r)))
  await write(`${Array.from({ length: COLS }, (_, i) => `f${i}`).join(',')}\n`)
  let buf = ''
  for (let r = 0; r < rows; r++) {
    const vals = []
    for (let c = 0; c < COLS; c++) {
      const z = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd())
      vals.push((z * (1 + c / 10) + (shift && c % 4 === 0 ? 0.1 : 0)).toFixed(5))
    }
    buf += `${vals.join(',')}\n`
    if (buf.length > 1 << 20) {
      await write(buf)
      buf = ''
    }
  }
  await write(buf)
  await new Promise((r) => out.end(r))
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 })
  if (r.status !== 0) throw new Error(`${cmd} ${args[0]} failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

export async function benchDrift() {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-drift-'))
  try {
    const ref = join(dir, 'ref.csv')
    const cur = join(dir, 'cur.csv')
    await writeCsv(ref, REF_ROWS, false)
    await writeCsv(cur, CUR_ROWS, true)
    const child = join(here, 'drift-child.cjs')
    const py = join(here, 'drift_pandas.py')
    const g = run(process.execPath, [child, 'report', ref, cur, String(COLS)])
    const p = run(PY, [py, 'report', ref, cur, String(COLS)])
    const gs = run(process.execPath, [child, 'stats', ref, cur, String(COLS)])
    const ps = run(PY, [py, 'stats', ref, cur, String(COLS)])
    if (Math.abs(gs.check - ps.check) > 1e-9)
      throw new Error(`KS statistics differ from scipy: ${gs.check} vs ${ps.check}`)
    // The target is in MB (10^6 bytes); maxRSS comes in KiB.
    const mb = (mib) => (mib * 1048576) / 1e6
    const e2e = g.ms / p.ms
    const st = gs.ms / ps.ms
    return (
      `drift: ${COLS} numeric features, reference ${REF_ROWS.toLocaleString('en')} rows vs current ${CUR_ROWS.toLocaleString('en')} rows (CSV) — ` +
      `end to end Gantry ${(g.ms / 1000).toFixed(1)} s, peak RSS ${mb(g.rssMiB).toFixed(0)} MB vs pandas.read_csv + scipy ks_2samp ${(p.ms / 1000).toFixed(1)} s, peak RSS ${mb(p.rssMiB).toFixed(0)} MB: ratio ${e2e.toFixed(2)}× (${e2e <= 1 ? 'met' : 'NOT met'}: at least as fast); ` +
      `KS alone on in-memory columns Gantry ${gs.ms.toFixed(0)} ms vs scipy ${ps.ms.toFixed(0)} ms: ratio ${st.toFixed(2)}×; ` +
      `same ${g.drifted}/${COLS} features drifted both sides: ${g.drifted === p.drifted ? 'yes' : 'NO'}; peak RSS under 300 MB: ${mb(g.rssMiB) < 300 ? 'met' : 'NOT met'}`
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchDrift())
