// The drift report: training–serving skew first (columns missing, new, or of another type), then
// per column the method Evidently would choose by default (reference ≤ 1,000 rows: KS / χ² /
// Z-test on p-values; above: Wasserstein normed by the reference σ / Jensen–Shannon on
// distances), its statistic, p-value where it has one, threshold and verdict, plus the missing
// share, the out-of-range or unseen-category share and PSI on ten reference-quantile bins as
// metrics of their own. Identifiers, datetimes and free text are never tested.
import { setImmediate as nextTurn } from 'node:timers/promises'
import { GantryError } from '../errors'
import type { FileAccess } from '../files/local-files'
import type { DriftColumn, DriftMethod, DriftReport } from '../../../shared/drift'
import {
  binCounts,
  chiSquare,
  gammaQ,
  jensenShannon,
  ks2samp,
  psi,
  quantileEdges,
  sortFloat64,
  type SortScratch,
  std,
  wasserstein,
} from './stats'
import { readTable, type Column, type ColumnType, type Table } from './table'
import { realizedPerformance } from './performance'
import type { GroundTruth } from '../../../shared/drift'

export interface DriftOptions {
  idColumn?: string
  predictionColumns?: string[]
  /** Per column: method and/or threshold instead of the default. */
  methods?: Record<string, DriftMethod>
  thresholds?: Record<string, number>
  types?: Record<string, ColumnType>
  /** The reference's own types (a stored profile's): the current side is still inferred, so a
   *  type change shows as skew. */
  referenceTypes?: Record<string, ColumnType>
  /** Share of drifted features that makes the dataset drifted. */
  driftShare?: number
  /** Realized performance: the truth joined by id (current), and the reference's own labels. */
  groundTruth?: GroundTruth
  /** Stops the report between reads and between columns (the caller went away, the budget ran out). */
  signal?: AbortSignal
}

const DEFAULT_THRESHOLD: Record<DriftMethod, number> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
}
const P_VALUE_METHODS: DriftMethod[] = ['ks', 'chisquare', 'z']

/** Two-sided two-proportion Z-test (Evidently's z_stat_test): p = 2·(1 − Φ(|z|)). */
function zTest(refShare: number, nRef: number, curShare: number, nCur: number): { z: number; p: number } {
  const P = (refShare * nRef + curShare * nCur) / (nRef + nCur)
  const se = Math.sqrt(P * (1 - P) * (1 / nRef + 1 / nCur))
  if (se === 0) return { z: 0, p: 1 }
  const z = (refShare - curShare) / se
  // 2·(1 − Φ(|z|)) = erfc(|z|/√2) = Q(½, z²/2)
  return { z, p: gammaQ(0.5, (z * z) / 2) }
}

function defaultMethod(type: 'numeric' | 'categorical' | 'boolean', refRows: number, nUnique: number): DriftMethod {
  if (refRows <= 1000) {
    if (type === 'numeric') return nUnique <= 2 ? 'z' : nUnique <= 5 ? 'chisquare' : 'ks'
    return nUnique > 2 ? 'chisquare' : 'z'
  }
  if (type === 'numeric') return nUnique <= 5 ? 'jensenshannon' : 'wasserstein'
  return 'jensenshannon'
}

/** Counts of each value (as text) over the union of both sides, in a stable order. */
function valueCounts(ref: Column, cur: Column): { keys: string[]; ref: number[]; cur: number[] } | null {
  if (!ref.categories || !cur.categories) return null
  const keys = [...new Set([...ref.categories.keys(), ...cur.categories.keys()])].sort()
  return {
    keys,
    ref: keys.map((k) => ref.categories?.get(k) ?? 0),
    cur: keys.map((k) => cur.categories?.get(k) ?? 0),
  }
}

function testColumn(
  name: string,
  type: ColumnType,
  ref: Column,
  cur: Column,
  o: DriftOptions,
  role: DriftColumn['role'],
  scratch: SortScratch,
): DriftColumn {
  const base = {
    name,
    type,
    role,
    nReference: ref.present,
    nCurrent: cur.present,
    missingShare: {
      reference: ref.rows ? ref.missing / ref.rows : 0,
      current: cur.rows ? cur.missing / cur.rows : 0,
    },
  }
  const notTested = (reason: string): DriftColumn => ({
    ...base,
    method: null,
    statistic: null,
    pvalue: null,
    threshold: null,
    drifted: null,
    logBase: null,
    outOfRangeShare: null,
    unseenShare: null,
    psi: null,
    distribution: null,
    reason,
    note: null,
  })
  if (type === 'identifier') return notTested('identifier: never tested')
  if (type === 'datetime') return notTested('datetime: not tested')
  if (type === 'text') return notTested('free text: not tested')
  if (ref.present === 0 || cur.present === 0)
    return notTested(`no values on the ${ref.present === 0 ? 'reference' : 'current'} side`)

  const numeric = type === 'numeric'
  // Sorted in place: a report consumes its tables, and a copy per column would double the memory.
  const refNums = numeric ? sortFloat64(ref.numbers(), scratch) : null
  const curNums = numeric ? sortFloat64(cur.numbers(), scratch) : null
  const counts = valueCounts(ref, cur)
  const nUnique = counts?.keys.length ?? Infinity
  const method =
    o.methods?.[name] ??
    defaultMethod(type === 'boolean' ? 'boolean' : numeric ? 'numeric' : 'categorical', ref.present, nUnique)
  const threshold = o.thresholds?.[name] ?? DEFAULT_THRESHOLD[method]

  // Metrics of their own, whatever the method.
  let outOfRangeShare: number | null = null
  let unseenShare: number | null = null
  let psiValue: number | null = null
  let distribution: DriftColumn['distribution'] = null
  const shares = (c: number[]): number[] => {
    const t = c.reduce((a, b) => a + b, 0)
    return c.map((x) => (t ? x / t : 0))
  }
  if (refNums && curNums) {
    const lo = refNums[0]
    const hi = refNums[refNums.length - 1]
    let out = 0
    for (let k = 0; k < curNums.length; k++) if (curNums[k] < lo || curNums[k] > hi) out++
    outOfRangeShare = out / curNums.length
    const edges = quantileEdges(refNums, 10)
    const rc = binCounts(refNums, edges)
    const cc = binCounts(curNums, edges)
    psiValue = psi(rc, cc)
    const f = (x: number): string =>
      Math.abs(x) >= 1000 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(1) : String(Number(x.toPrecision(3)))
    distribution = {
      labels: rc.map((_, i) =>
        i === 0
          ? `≤ ${f(edges[0])}`
          : i === edges.length
            ? `> ${f(edges[i - 1])}`
            : `${f(edges[i - 1])}–${f(edges[i])}`,
      ),
      reference: shares(rc),
      current: shares(cc),
    }
  } else if (counts) {
    let unseen = 0
    counts.keys.forEach((k, i) => {
      if (counts.ref[i] === 0) unseen += counts.cur[i]
    })
    unseenShare = unseen / cur.present
    psiValue = psi(counts.ref, counts.cur)
    const top = counts.keys
      .map((k, i) => ({ k, n: counts.ref[i] + counts.cur[i], r: counts.ref[i], c: counts.cur[i] }))
      .sort((a, b) => b.n - a.n)
      .slice(0, 20)
    const rs = shares(counts.ref)
    const cs = shares(counts.cur)
    distribution = {
      labels: top.map((t) => t.k),
      reference: top.map((t) => rs[counts.keys.indexOf(t.k)]),
      current: top.map((t) => cs[counts.keys.indexOf(t.k)]),
    }
  }

  let statistic: number
  let pvalue: number | null = null
  let logBase: 'e' | null = null
  switch (method) {
    case 'ks': {
      if (!refNums || !curNums) throw new GantryError('contract/invalid-input', `${name}: KS needs a numeric column`)
      const r = ks2samp(refNums, curNums)
      statistic = r.statistic
      pvalue = r.pvalue
      break
    }
    case 'wasserstein': {
      if (!refNums || !curNums)
        throw new GantryError('contract/invalid-input', `${name}: Wasserstein needs a numeric column`)
      statistic = wasserstein(refNums, curNums) / Math.max(std(refNums), 0.001)
      break
    }
    case 'jensenshannon': {
      if (!counts)
        throw new GantryError(
          'contract/invalid-input',
          `${name}: too many distinct values for Jensen–Shannon on categories`,
        )
      statistic = jensenShannon(counts.ref, counts.cur)
      logBase = 'e'
      break
    }
    case 'chisquare': {
      if (!counts) throw new GantryError('contract/invalid-input', `${name}: too many distinct values for χ²`)
      const r = chiSquare(counts.cur, counts.ref)
      statistic = r.statistic
      pvalue = r.pvalue
      break
    }
    case 'z': {
      if (!counts || counts.keys.length > 2)
        throw new GantryError('contract/invalid-input', `${name}: the Z-test needs at most two values`)
      if (counts.keys.length < 2) {
        statistic = 0
        pvalue = 1
        break
      }
      const r = zTest(counts.ref[0] / ref.present, ref.present, counts.cur[0] / cur.present, cur.present)
      statistic = r.z
      pvalue = r.p
      break
    }
    case 'psi': {
      statistic = psiValue ?? NaN
      break
    }
  }
  // A statistic that is not a finite number is said, never passed on as one (JSON has no ∞).
  let note: string | null = null
  if (method === 'chisquare' && statistic === Infinity && counts) {
    const unseen = counts.keys.filter((_, i) => counts.ref[i] === 0)
    note =
      `χ² is infinite: ${unseen.length} current categor${unseen.length === 1 ? 'y' : 'ies'} never seen in the reference ` +
      `(${unseen
        .slice(0, 3)
        .map((k) => JSON.stringify(k))
        .join(', ')}${unseen.length > 3 ? ', …' : ''}), ` +
      'so p = 0, as scipy.stats.chisquare gives with an expected count of 0'
  } else if (!Number.isFinite(statistic)) {
    note = `the ${method} statistic is not a finite number here (${statistic})`
  }
  const finite = (x: number | null): number | null => (x === null || Number.isFinite(x) ? x : null)
  if (pvalue !== null && Number.isNaN(pvalue)) {
    note = `${note ? `${note}; ` : ''}its p-value is undefined`
    pvalue = null
  }
  const drifted =
    P_VALUE_METHODS.includes(method) && pvalue === null
      ? null
      : P_VALUE_METHODS.includes(method)
        ? method === 'ks'
          ? (pvalue as number) <= threshold
          : (pvalue as number) < threshold
        : Number.isNaN(statistic)
          ? null
          : statistic >= threshold
  return {
    ...base,
    method,
    statistic: finite(statistic),
    pvalue,
    threshold,
    drifted,
    logBase,
    outOfRangeShare,
    unseenShare,
    psi: finite(psiValue),
    distribution,
    reason: drifted === null ? (note ?? 'no verdict') : null,
    note,
  }
}

/** How far past its threshold a column is (1 = at the threshold), so mixed methods sort together. */
export function severity(c: DriftColumn): number {
  if (c.method === null || c.statistic === null || c.threshold === null) return -1
  if (c.pvalue !== null) return -Math.log10(Math.max(c.pvalue, 1e-300)) / -Math.log10(c.threshold)
  return c.threshold > 0 ? c.statistic / c.threshold : c.statistic
}

export async function compareTables(ref: Table, cur: Table, o: DriftOptions = {}): Promise<DriftReport> {
  const refNames = [...ref.columns.keys()]
  const curNames = [...cur.columns.keys()]
  const missingInCurrent = refNames.filter((n) => !cur.columns.has(n))
  const newInCurrent = curNames.filter((n) => !ref.columns.has(n))
  const typeChanges: DriftReport['skew']['typeChanges'] = []
  const predictions = new Set(o.predictionColumns ?? [])
  for (const p of predictions) {
    if (!ref.columns.has(p))
      throw new GantryError('drift/invalid-data', `prediction column ${p} is not in the reference`)
  }
  if (o.idColumn && !ref.columns.has(o.idColumn))
    throw new GantryError('drift/invalid-data', `id column ${o.idColumn} is not in the reference`)
  const columns: DriftColumn[] = []
  const scratch: SortScratch = { buf: null } // the sorts' buffers, shared by all columns
  for (const name of refNames) {
    const r = ref.columns.get(name) as Column
    const c = cur.columns.get(name)
    if (!c) continue
    const refType =
      o.types?.[name] ?? (name === o.idColumn ? 'identifier' : (o.referenceTypes?.[name] ?? r.inferType()))
    const curType = o.types?.[name] ?? (name === o.idColumn ? 'identifier' : c.inferType())
    if (refType !== curType && !(refType === 'identifier' || curType === 'identifier')) {
      typeChanges.push({ column: name, reference: refType, current: curType })
    }
    const role: DriftColumn['role'] =
      refType === 'identifier' ? 'identifier' : predictions.has(name) ? 'prediction' : 'feature'
    columns.push(testColumn(name, refType, r, c, o, role, scratch))
    // One column at a time, then the event loop's turn: a wide report never holds the server.
    await nextTurn()
    o.signal?.throwIfAborted()
  }
  const features = columns.filter((c) => c.role === 'feature' && c.drifted !== null)
  const driftedCount = features.filter((c) => c.drifted).length
  const share = features.length ? driftedCount / features.length : 0
  const threshold = o.driftShare ?? 0.5
  columns.sort((a, b) => severity(b) - severity(a) || a.name.localeCompare(b.name))
  return {
    reference: { path: ref.path, rows: ref.rows },
    current: { path: cur.path, rows: cur.rows },
    skew: { missingInCurrent, newInCurrent, typeChanges },
    columns,
    dataset: {
      drifted: features.length > 0 && share >= threshold,
      share,
      driftedCount,
      testedCount: features.length,
      threshold,
    },
    performance: null,
    warnings: [...ref.warnings, ...cur.warnings],
  }
}

export async function driftReport(
  files: FileAccess,
  referencePath: string,
  currentPath: string,
  o: DriftOptions = {},
): Promise<DriftReport> {
  const warnings: string[] = []
  const read = { signal: o.signal, onWarning: (w: string) => warnings.push(w) }
  const [ref, cur] = await Promise.all([readTable(files, referencePath, read), readTable(files, currentPath, read)])
  if (ref.rows === 0) throw new GantryError('drift/invalid-data', `${referencePath} has no data rows`)
  if (cur.rows === 0) throw new GantryError('drift/invalid-data', `${currentPath} has no data rows`)
  const report = await compareTables(ref, cur, o)
  const gt = o.groundTruth
  if (gt) {
    const opts = { ...gt, task: gt.task ?? 'classification' }
    const labelled = ref.columns.has(gt.targetColumn) && ref.columns.has(gt.predictionColumn)
    report.performance = {
      reference: labelled ? await realizedPerformance(files, referencePath, null, opts, read) : null,
      current: await realizedPerformance(files, currentPath, gt.path ?? null, opts, read),
    }
  }
  report.warnings.push(...warnings.filter((w) => !report.warnings.includes(w)))
  return report
}
