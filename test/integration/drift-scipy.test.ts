// Gantry's drift statistics against scipy itself (Debian's python3-scipy, run during the test),
// to 1e-9, on the NannyML California Housing recordings and on generated data that reaches the
// other code paths (equal sample sizes, ties, categories, a category unseen in the reference).
// And the verdicts a statistician would expect on California: Latitude and Longitude drifted,
// `id` an identifier that is never tested.
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { anyFiles } from '../helpers/files'
import { driftReport } from '../../src/main/core/drift/report'
import { jensenShannon, ks2samp, sorted, wasserstein, std, chiSquare } from '../../src/main/core/drift/stats'
import { readTable } from '../../src/main/core/drift/table'
import { kolmogorovFiniteSf } from '../../src/main/core/drift/kolmogorov'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

afterAll(cleanupTmp)
const PY = process.env.SCIPY_PYTHON ?? '/usr/bin/python3'
const FIX = join(__dirname, '..', 'fixtures', 'drift')
const REF = join(FIX, 'california_housing_reference.csv')
const CUR = join(FIX, 'california_housing_analysis.csv')

type Expected = Record<
  string,
  {
    ks?: [number, number]
    wasserstein_norm?: number
    jensenshannon?: number
    chisquare?: [number | string, number | string]
  }
>
function scipy(reference: string, current: string, columns: Record<string, 'numeric' | 'categorical'>): Expected {
  if (!existsSync(PY))
    throw new Error(`${PY} not found: install python3-scipy (apt-get install python3-scipy), or set SCIPY_PYTHON`)
  const spec = join(tmpDir(), 'spec.json')
  writeFileSync(spec, JSON.stringify({ reference, current, columns }))
  const r = spawnSync(PY, [join(__dirname, '..', 'helpers', 'scipy_drift.py'), spec], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  })
  if (r.status !== 0) throw new Error(`scipy reference run failed (is python3-scipy installed for ${PY}?): ${r.stderr}`)
  return JSON.parse(r.stdout) as Expected
}
const num = (v: number | string): number => (v === 'inf' ? Infinity : v === 'nan' ? NaN : (v as number))
const close = (a: number, b: number, what: string) => {
  if (!Number.isFinite(b)) return expect(a, what).toBe(b)
  expect(Math.abs(a - b), `${what}: gantry ${a} vs scipy ${b}`).toBeLessThanOrEqual(1e-9)
}

describe('against scipy on California Housing (5,832 reference vs 8,232 analysis rows)', () => {
  const NUMERIC = [
    'MedInc',
    'HouseAge',
    'AveRooms',
    'AveBedrms',
    'Population',
    'AveOccup',
    'Latitude',
    'Longitude',
    'y_pred_proba',
    'y_pred',
  ]
  it('KS statistic and exact p-value, normed Wasserstein, Jensen–Shannon and χ² on low-cardinality columns equal scipy to 1e-9', async () => {
    const want = scipy(REF, CUR, Object.fromEntries(NUMERIC.map((n) => [n, 'numeric'])))
    const [ref, cur] = await Promise.all([readTable(anyFiles, REF), readTable(anyFiles, CUR)])
    for (const name of NUMERIC) {
      const a = sorted(ref.columns.get(name)!.numbers())
      const b = sorted(cur.columns.get(name)!.numbers())
      const ks = ks2samp(a, b)
      expect(ks.method).toBe('exact')
      close(ks.statistic, want[name].ks![0], `${name} KS D`)
      close(ks.pvalue, want[name].ks![1], `${name} KS p`)
      close(wasserstein(a, b) / Math.max(std(a), 0.001), want[name].wasserstein_norm!, `${name} Wasserstein/σ`)
    }
    // y_pred is 0/1: its value counts go through JS and χ² too.
    const yr = ref.columns.get('y_pred')!.categories!
    const yc = cur.columns.get('y_pred')!.categories!
    const keys = [...new Set([...yr.keys(), ...yc.keys()])].sort()
    close(
      jensenShannon(
        keys.map((k) => yr.get(k) ?? 0),
        keys.map((k) => yc.get(k) ?? 0),
      ),
      want.y_pred.jensenshannon!,
      'y_pred JS',
    )
    const chi = chiSquare(
      keys.map((k) => yc.get(k) ?? 0),
      keys.map((k) => yr.get(k) ?? 0),
    )
    close(chi.statistic, num(want.y_pred.chisquare![0]), 'y_pred χ²')
    close(chi.pvalue, num(want.y_pred.chisquare![1]), 'y_pred χ² p')
  })

  it('flags Latitude and Longitude as drifted, treats id as an identifier and timestamp as a datetime', async () => {
    const r = await driftReport(anyFiles, REF, CUR)
    const col = (n: string) => r.columns.find((c) => c.name === n)!
    expect(col('Latitude')).toMatchObject({ method: 'wasserstein', drifted: true, threshold: 0.1 })
    expect(col('Longitude')).toMatchObject({ method: 'wasserstein', drifted: true })
    expect(col('id')).toMatchObject({
      type: 'identifier',
      role: 'identifier',
      drifted: null,
      reason: 'identifier: never tested',
    })
    expect(col('timestamp')).toMatchObject({ type: 'datetime', drifted: null })
    // The overlay: reference shares on its own deciles are ~10 % each; the current ones move.
    const lat = col('Latitude').distribution!
    expect(lat.labels).toHaveLength(10)
    for (const share of lat.reference) expect(share).toBeCloseTo(0.1, 1)
    expect(lat.current.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
    expect(Math.max(...lat.current)).toBeGreaterThan(0.2)
    expect(r.skew.missingInCurrent).toEqual(['clf_target'])
    expect(
      r.columns
        .slice(0, 2)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['Latitude', 'Longitude'])
    // With KS forced on every feature (as a ≤1,000-row reference would get), the same two stand out most.
    const ks = await driftReport(anyFiles, REF, CUR, {
      methods: Object.fromEntries(NUMERIC.map((n) => [n, 'ks' as const])),
    })
    const byD = ks.columns.filter((c) => c.method === 'ks').sort((a, b) => (b.statistic ?? 0) - (a.statistic ?? 0))
    expect(
      byD
        .slice(0, 2)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['Latitude', 'Longitude'])
    expect(byD[0].statistic).toBeGreaterThan(0.5)
  })
})

describe('against scipy on generated data (other code paths)', () => {
  // A small deterministic generator, so failures reproduce.
  let seed = 7
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647
  const normal = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd())

  it('equal sample sizes with ties (the exact "square" path), categories with an unseen value, and small p-values', async () => {
    const d = tmpDir()
    const rows = (n: number, shift: number, cats: string[]) =>
      [
        'x,ties,cat',
        ...Array.from(
          { length: n },
          (_, i) => `${(normal() + shift).toFixed(6)},${Math.floor(rnd() * 7 + shift)},${cats[i % cats.length]}`,
        ),
      ].join('\n')
    writeFileSync(join(d, 'ref.csv'), rows(400, 0, ['a', 'b', 'b', 'c']))
    writeFileSync(join(d, 'cur.csv'), rows(400, 0.3, ['a', 'b', 'c', 'c', 'd']))
    writeFileSync(join(d, 'cur2.csv'), rows(933, 0.05, ['a', 'b', 'b', 'c']))
    for (const cur of ['cur.csv', 'cur2.csv']) {
      const want = scipy(join(d, 'ref.csv'), join(d, cur), { x: 'numeric', ties: 'numeric', cat: 'categorical' })
      const [ref, cu] = await Promise.all([readTable(anyFiles, join(d, 'ref.csv')), readTable(anyFiles, join(d, cur))])
      {
        for (const name of ['x', 'ties']) {
          const ks = ks2samp(sorted(ref.columns.get(name)!.numbers()), sorted(cu.columns.get(name)!.numbers()))
          close(ks.statistic, want[name].ks![0], `${cur} ${name} D`)
          close(ks.pvalue, want[name].ks![1], `${cur} ${name} p`)
        }
        const rc = ref.columns.get('cat')!.categories!
        const cc = cu.columns.get('cat')!.categories!
        const keys = [...new Set([...rc.keys(), ...cc.keys()])].sort()
        close(
          jensenShannon(
            keys.map((k) => rc.get(k) ?? 0),
            keys.map((k) => cc.get(k) ?? 0),
          ),
          want.cat.jensenshannon!,
          `${cur} cat JS`,
        )
        const chi = chiSquare(
          keys.map((k) => cc.get(k) ?? 0),
          keys.map((k) => rc.get(k) ?? 0),
        )
        close(chi.statistic, num(want.cat.chisquare![0]), `${cur} cat χ²`)
        close(chi.pvalue, num(want.cat.chisquare![1]), `${cur} cat χ² p`)
      }
    }
  })

  it('above 10,000 values the KS statistic and the p-value (scipy’s kstwo path) equal scipy', async () => {
    const d = tmpDir()
    // Three shifts: no drift (Pelz–Good or Durbin region), a small one, a clear one (Smirnov tail).
    for (const [shift, scale] of [
      [0, 1],
      [0.02, 1.02],
      [0.08, 1],
    ]) {
      writeFileSync(join(d, 'ref.csv'), ['x', ...Array.from({ length: 12_000 }, () => normal().toFixed(6))].join('\n'))
      writeFileSync(
        join(d, 'cur.csv'),
        ['x', ...Array.from({ length: 15_000 }, () => (normal() * scale + shift).toFixed(6))].join('\n'),
      )
      const want = scipy(join(d, 'ref.csv'), join(d, 'cur.csv'), { x: 'numeric' })
      const [ref, cur] = await Promise.all([
        readTable(anyFiles, join(d, 'ref.csv')),
        readTable(anyFiles, join(d, 'cur.csv')),
      ])
      const ks = ks2samp(sorted(ref.columns.get('x')!.numbers()), sorted(cur.columns.get('x')!.numbers()))
      expect(ks.method).toBe('asymptotic')
      close(ks.statistic, want.x.ks![0], `D (shift ${shift})`)
      close(ks.pvalue, want.x.ks![1], `p (shift ${shift})`)
    }
  })

  it('the finite-n Kolmogorov distribution equals scipy.stats.kstwo.sf in every region it switches between', () => {
    // n ≤ 140 (Durbin, Smirnov), n > 140 with n·x² below 2.2 (Durbin / Pelz–Good), above (Smirnov),
    // the Ruben–Gambino ends, x ≥ 0.5, and the n·x² ≥ 370 cut-off.
    const grid: [number, number][] = []
    for (const n of [1, 2, 5, 20, 60, 140, 141, 500, 3000, 20_000, 90_909, 100_001, 400_000]) {
      for (const x of [
        0.0001,
        0.6 / n,
        0.9 / n,
        1.5 / n,
        0.5 / Math.sqrt(n),
        0.8 / Math.sqrt(n),
        1.2 / Math.sqrt(n),
        1.6 / Math.sqrt(n),
        2.5 / Math.sqrt(n),
        5 / Math.sqrt(n),
        0.3,
        0.5,
        0.7,
        1 - 1.5 / n,
        0.999,
      ]) {
        if (x > 0 && x < 1) grid.push([n, x])
      }
    }
    const r = spawnSync(
      PY,
      [
        '-c',
        'import json,sys\nfrom scipy.stats import kstwo\nprint(json.dumps([float(kstwo.sf(x, n)) for n, x in json.load(sys.stdin)]))',
      ],
      { input: JSON.stringify(grid), encoding: 'utf8', maxBuffer: 16 << 20 },
    )
    if (r.status !== 0) throw new Error(r.stderr)
    const want = JSON.parse(r.stdout) as number[]
    grid.forEach(([n, x], i) => close(kolmogorovFiniteSf(n, x), want[i], `kstwo.sf(${x}, ${n})`))
  })
})

describe('realized performance from delayed ground truth', () => {
  // NannyML's published 0.874 / 0.822 are means over monthly chunks; over the whole periods the
  // realized AUC is what scipy's Mann–Whitney U gives, computed here during the run.
  const scipyAuc = (data: string, truth: string): number => {
    const r = spawnSync(
      PY,
      [join(__dirname, '..', 'helpers', 'scipy_auc.py'), data, truth, 'id', 'clf_target', 'y_pred_proba'],
      { encoding: 'utf8' },
    )
    if (r.status !== 0) throw new Error(r.stderr)
    return Number(r.stdout.trim())
  }
  it('equals scipy’s Mann–Whitney AUC on California over the whole reference and analysis periods, joined by id', async () => {
    const { driftReport: report } = await import('../../src/main/core/drift/report')
    const r = await report(anyFiles, REF, CUR, {
      idColumn: 'id',
      groundTruth: {
        path: join(FIX, 'california_housing_analysis_gt.csv'),
        idColumn: 'id',
        targetColumn: 'clf_target',
        predictionColumn: 'y_pred',
        scoreColumn: 'y_pred_proba',
        task: 'classification',
      },
    })
    expect(r.performance?.current).toMatchObject({ rows: 8232, matched: 8232 })
    expect(r.performance?.reference).toMatchObject({ rows: 5832, matched: 5832 })
    close(r.performance?.reference?.classification?.rocAuc ?? NaN, scipyAuc(REF, '-'), 'reference AUC')
    close(
      r.performance?.current?.classification?.rocAuc ?? NaN,
      scipyAuc(CUR, join(FIX, 'california_housing_analysis_gt.csv')),
      'analysis AUC',
    )
    // Performance dropped from reference to analysis, as NannyML's monthly figures also show.
    expect(r.performance!.current!.classification!.rocAuc!).toBeLessThan(
      r.performance!.reference!.classification!.rocAuc!,
    )
  })

  it('computes the confusion-matrix metrics and a tied-score AUC by hand', async () => {
    const { classification, rocAuc } = await import('../../src/main/core/drift/performance')
    // truth 1 1 0 0 1, predicted 1 0 0 1 1: TP 2, FN 1, TN 1, FP 1
    const m = classification(Uint8Array.from([1, 1, 0, 0, 1]), Uint8Array.from([1, 0, 0, 1, 1]), null)
    expect(m).toEqual({ accuracy: 3 / 5, precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, rocAuc: null })
    // positives score 0.8, 0.5; negatives 0.5, 0.2: pairs (0.8>0.5, 0.8>0.2, 0.5=0.5 → ½, 0.5>0.2) = 3.5/4
    expect(rocAuc(Float64Array.from([0.8, 0.5, 0.5, 0.2]), Uint8Array.from([1, 1, 0, 0]))).toBe(0.875)
  })
})
