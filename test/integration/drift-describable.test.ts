// Data a drift report can describe never fails it (issue #13): a category unseen in a small
// reference (χ² infinite, as scipy says), ragged CSV rows, NaN and ±Infinity (also as Python's json
// writes them), empty columns. Each gives a defined statistic — equal to scipy's on the same values —
// or a clear per-column "not tested: why", through the API's own output validation.
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import type { DriftColumn, DriftReport } from '../../src/shared/drift'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const PY = process.env.SCIPY_PYTHON ?? '/usr/bin/python3'
const running: Gantry[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()))
  cleanupTmp()
})

function core(): Gantry {
  const g = createGantry({
    dataDir: tmpDir(),
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    log: () => {},
  })
  running.push(g)
  return g
}

type Want = Record<string, { ks?: [number, number]; chisquare?: [number | string, number | string] }>
function scipy(reference: string, current: string, columns: Record<string, 'numeric' | 'categorical'>): Want {
  if (!existsSync(PY)) throw new Error(`${PY} not found: install python3-scipy, or set SCIPY_PYTHON`)
  const spec = join(tmpDir(), 'spec.json')
  writeFileSync(spec, JSON.stringify({ reference, current, columns }))
  const r = spawnSync(PY, [join(__dirname, '..', 'helpers', 'scipy_drift.py'), spec], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`scipy reference run failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as Want
}

/** The report through the API (its output schema is what turned ∞ into an internal error). */
async function report(g: Gantry, reference: string, current: string, extra: object = {}): Promise<DriftReport> {
  const r = await g.api.call('drift.report', { reference, current, ...extra })
  if (!r.ok) throw new Error(`drift.report: ${r.error.code} ${r.error.message}`)
  return r.data as DriftReport
}
const col = (r: DriftReport, name: string): DriftColumn => r.columns.find((c) => c.name === name) as DriftColumn

let seed = 11
const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647
const normal = (): number => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd())

describe('data a drift report can describe', () => {
  it('a category unseen in a reference of ≤ 1,000 rows: χ² is infinite and p = 0, as scipy says — a verdict, not an error', async () => {
    const d = tmpDir()
    const ref = ['plan', ...Array.from({ length: 300 }, (_, i) => ['basic', 'pro', 'pro'][i % 3])].join('\n')
    const cur = ['plan', ...Array.from({ length: 300 }, (_, i) => ['basic', 'pro', 'enterprise'][i % 3])].join('\n')
    writeFileSync(join(d, 'ref.csv'), ref)
    writeFileSync(join(d, 'cur.csv'), cur)
    const want = scipy(join(d, 'ref.csv'), join(d, 'cur.csv'), { plan: 'categorical' })
    expect(want.plan.chisquare).toEqual(['inf', 0])
    const r = await report(core(), join(d, 'ref.csv'), join(d, 'cur.csv'))
    const plan = col(r, 'plan')
    expect(plan.method).toBe('chisquare')
    expect(plan.statistic).toBeNull() // JSON has no ∞: said in the note instead
    expect(plan.pvalue).toBe(0)
    expect(plan.drifted).toBe(true)
    expect(plan.note).toMatch(/χ² is infinite: 1 current category never seen in the reference \("enterprise"\)/)
    expect(plan.unseenShare).toBeCloseTo(1 / 3, 12)
    expect(r.dataset.drifted).toBe(true)
  })

  it('ragged CSV rows: a short row has missing values, a long one is skipped and said; KS equals scipy on the same rows', async () => {
    const d = tmpDir()
    const lines = (n: number, shift: number) =>
      Array.from({ length: n }, () => `${(normal() + shift).toFixed(5)},${(normal() * 2).toFixed(5)}`)
    writeFileSync(join(d, 'ref.csv'), ['x,y', ...lines(500, 0)].join('\n'))
    const cur = ['x,y', ...lines(200, 0.4)]
    cur.splice(20, 0, '0.5') // short: y missing
    cur.splice(40, 0, '1.0,2.0,3.0,4.0') // long: skipped (an unquoted comma shifts every field)
    cur.splice(60, 0, '-0.5,1.5,extra')
    writeFileSync(join(d, 'cur.csv'), cur.join('\n'))
    const want = scipy(join(d, 'ref.csv'), join(d, 'cur.csv'), { x: 'numeric', y: 'numeric' })
    const r = await report(core(), join(d, 'ref.csv'), join(d, 'cur.csv'), { methods: { x: 'ks', y: 'ks' } })
    expect(r.current.rows).toBe(201) // 200 + the short row; the two long ones skipped
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /cur\.csv: 2 row\(s\) with more fields than the 2 of the header were skipped \(record 40, 60\)/,
      ),
    ])
    expect(col(r, 'y').missingShare.current).toBeCloseTo(1 / 201, 12)
    for (const name of ['x', 'y']) {
      expect(Math.abs((col(r, name).statistic as number) - want[name].ks![0])).toBeLessThanOrEqual(1e-9)
      expect(Math.abs((col(r, name).pvalue as number) - want[name].ks![1])).toBeLessThanOrEqual(1e-9)
    }
  })

  it('NaN and ±Infinity are missing values (as Evidently drops them); a column of only those is not tested, and says why', async () => {
    const d = tmpDir()
    const ref = ['x,bad,empty', ...Array.from({ length: 400 }, () => `${normal().toFixed(5)},${normal().toFixed(5)},`)]
    const odd = ['inf', '-inf', 'NaN', 'Infinity', '+inf', '', 'nan', '-Infinity']
    const cur = [
      'x,bad,empty',
      ...Array.from(
        { length: 400 },
        (_, i) => `${i % 10 === 0 ? odd[i % odd.length] : (normal() + 0.2).toFixed(5)},${odd[i % odd.length]},`,
      ),
    ]
    writeFileSync(join(d, 'ref.csv'), ref.join('\n'))
    writeFileSync(join(d, 'cur.csv'), cur.join('\n'))
    const want = scipy(join(d, 'ref.csv'), join(d, 'cur.csv'), { x: 'numeric' })
    const r = await report(core(), join(d, 'ref.csv'), join(d, 'cur.csv'), { methods: { x: 'ks' } })
    const x = col(r, 'x')
    expect(x.nCurrent).toBe(360)
    expect(x.missingShare.current).toBeCloseTo(0.1, 12)
    expect(Math.abs((x.statistic as number) - want.x.ks![0])).toBeLessThanOrEqual(1e-9)
    expect(Math.abs((x.pvalue as number) - want.x.ks![1])).toBeLessThanOrEqual(1e-9)
    expect(col(r, 'bad')).toMatchObject({ method: null, drifted: null, reason: 'no values on the current side' })
    expect(col(r, 'bad').missingShare.current).toBe(1)
    expect(col(r, 'empty')).toMatchObject({ method: null, drifted: null, reason: 'no values on the reference side' })
  })

  it('JSONL written by Python (NaN and Infinity tokens) is read, those values missing; KS equals scipy', async () => {
    const d = tmpDir()
    const ref = Array.from({ length: 300 }, () => JSON.stringify({ score: Number(normal().toFixed(5)), tag: 'a' }))
    const cur = Array.from({ length: 300 }, (_, i) =>
      i % 15 === 0
        ? `{"score": ${['NaN', 'Infinity', '-Infinity'][i % 3]}, "tag": "NaN is a fine tag"}`
        : JSON.stringify({ score: Number((normal() + 0.3).toFixed(5)), tag: 'a' }),
    )
    writeFileSync(join(d, 'ref.jsonl'), `${ref.join('\n')}\n`)
    writeFileSync(join(d, 'cur.jsonl'), `${cur.join('\n')}\n`)
    const want = scipy(join(d, 'ref.jsonl'), join(d, 'cur.jsonl'), { score: 'numeric' })
    const r = await report(core(), join(d, 'ref.jsonl'), join(d, 'cur.jsonl'), { methods: { score: 'ks' } })
    expect(r.warnings).toEqual([])
    const s = col(r, 'score')
    expect(s.nCurrent).toBe(280)
    expect(Math.abs((s.statistic as number) - want.score.ks![0])).toBeLessThanOrEqual(1e-9)
    expect(Math.abs((s.pvalue as number) - want.score.ks![1])).toBeLessThanOrEqual(1e-9)
    // A string that says NaN stays a string: only bare tokens outside strings are read as missing.
    expect(col(r, 'tag').distribution?.labels).toContain('NaN is a fine tag')
  })
})
