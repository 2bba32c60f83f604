// Realized performance once ground truth arrives: predictions joined with the truth by an id
// column. Classifiers: accuracy, precision, recall, F1 (positive class 1) and ROC AUC from the
// score (Mann–Whitney, ties counted half — what sklearn's roc_auc_score gives); regressors: MAE
// and RMSE. Streamed: the truth is held as one id → value map, the predictions are read row by row.
import { basename, join } from 'node:path'
import { GantryError, errorMessage } from '../errors'
import type { Performance } from '../../../shared/drift'
import type { FileAccess } from '../files/local-files'
import { eachRow, type ReadOptions } from './table'

const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null
  const n = typeof v === 'number' ? v : Number(String(v).trim())
  return Number.isFinite(n) ? n : null
}
const key = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v).trim())

/** ROC AUC by ranks: the share of (positive, negative) pairs the score orders right, ties ½. */
export function rocAuc(scores: Float64Array, labels: Uint8Array): number | null {
  const n = scores.length
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b])
  let pos = 0
  let rankSum = 0
  for (let i = 0; i < n;) {
    let j = i
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++
    const avgRank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]] === 1) {
        pos++
        rankSum += avgRank
      }
    }
    i = j + 1
  }
  const neg = n - pos
  if (pos === 0 || neg === 0) return null
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg)
}

export function classification(
  truth: Uint8Array,
  pred: Uint8Array,
  score: Float64Array | null,
): Performance['classification'] {
  let tp = 0
  let fp = 0
  let tn = 0
  let fn = 0
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] === 1
    if (pred[i] === 1) {
      if (t) tp++
      else fp++
    } else if (t) fn++
    else tn++
  }
  const precision = tp + fp ? tp / (tp + fp) : null
  const recall = tp + fn ? tp / (tp + fn) : null
  return {
    accuracy: truth.length ? (tp + tn) / truth.length : null,
    precision,
    recall,
    f1:
      precision !== null && recall !== null && precision + recall > 0
        ? (2 * precision * recall) / (precision + recall)
        : null,
    rocAuc: score ? rocAuc(score, truth) : null,
  }
}

export interface PerformanceOptions {
  idColumn: string
  /** The truth's column (in the ground-truth file, or in the data itself for a labelled reference). */
  targetColumn: string
  predictionColumn: string
  /** The score for ROC AUC (a probability); classifiers only. */
  scoreColumn?: string
  task: 'classification' | 'regression'
}

/** Performance of `dataPath`'s predictions against the truth in `truthPath` (or in the data). */
export async function realizedPerformance(
  files: FileAccess,
  dataPath: string,
  truthPath: string | null,
  o: PerformanceOptions,
  read: ReadOptions = {},
): Promise<Performance> {
  const truth = new Map<string, number>()
  if (truthPath) {
    await eachRow(
      files,
      truthPath,
      (r) => {
        const id = key(r[o.idColumn])
        const t = num(r[o.targetColumn])
        if (id !== null && t !== null) truth.set(id, t)
      },
      read,
    )
    if (truth.size === 0)
      throw new GantryError('drift/invalid-data', `${truthPath}: no rows with both ${o.idColumn} and ${o.targetColumn}`)
  }
  const ys: number[] = []
  const ps: number[] = []
  const ss: number[] = []
  let rows = 0
  await eachRow(
    files,
    dataPath,
    (r) => {
      rows++
      const y = truthPath ? truth.get(key(r[o.idColumn]) ?? '\u0000') : num(r[o.targetColumn])
      const p = num(r[o.predictionColumn])
      const s = o.scoreColumn ? num(r[o.scoreColumn]) : 0
      if (y === undefined || y === null || p === null || s === null) return
      ys.push(y)
      ps.push(p)
      ss.push(s)
    },
    read,
  )
  return metricsOf(ys, ps, o.scoreColumn ? ss : null, rows, o.task)
}

/** The metrics of matched (truth, prediction, score) triples; `rows` counts the predictions read. */
export function metricsOf(
  ys: readonly number[],
  ps: readonly number[],
  ss: readonly number[] | null,
  rows: number,
  task: 'classification' | 'regression',
): Performance {
  const matched = ys.length
  if (task === 'regression') {
    let abs = 0
    let sq = 0
    for (let i = 0; i < matched; i++) {
      abs += Math.abs(ys[i] - ps[i])
      sq += (ys[i] - ps[i]) ** 2
    }
    return {
      rows,
      matched,
      classification: null,
      regression: matched ? { mae: abs / matched, rmse: Math.sqrt(sq / matched) } : null,
    }
  }
  return {
    rows,
    matched,
    classification: matched
      ? classification(
          Uint8Array.from(ys, (y) => (y === 1 ? 1 : 0)),
          Uint8Array.from(ps, (p) => (p === 1 ? 1 : 0)),
          ss ? Float64Array.from(ss) : null,
        )
      : null,
    regression: null,
  }
}

export const truthNumber = num
export const truthKey = key

/** The files a ground-truth source names: the file itself, or a folder's CSV / JSONL / Parquet files. */
export async function truthFiles(
  files: FileAccess,
  source: string,
): Promise<{ path: string; size: number; mtimeMs: number }[]> {
  const st = await files.stat(source)
  if (!st) {
    // Say why: missing, or refused (a FIFO, a folder outside the allowed roots).
    await files.resolve(source, { what: 'ground truth' }).catch((err: unknown) => {
      throw new GantryError('drift/invalid-data', errorMessage(err))
    })
    throw new GantryError('drift/invalid-data', `ground truth ${source} cannot be read`)
  }
  const paths = st.isDirectory()
    ? (await files.list(source, { what: 'ground-truth folder' }))
        .filter((e) => e.kind !== 'dir' && /\.(csv|jsonl|ndjson|parquet)$/i.test(e.name))
        .map((e) => join(source, e.name))
    : [source]
  const out: { path: string; size: number; mtimeMs: number }[] = []
  for (const path of paths) {
    const s = await files.stat(path)
    if (s?.isFile()) out.push({ path, size: s.size, mtimeMs: s.mtimeMs }) // gone meanwhile, or not a file: left out
  }
  return out
}

/** Truth values by id from a ground-truth source, keeping only the ids in `wanted`. */
export async function readTruth(
  files: FileAccess,
  source: string,
  idColumn: string,
  targetColumn: string,
  wanted: ReadonlySet<string>,
): Promise<{ truth: Map<string, number>; problems: string[] }> {
  const truth = new Map<string, number>()
  const problems: string[] = []
  for (const f of await truthFiles(files, source)) {
    try {
      const said = (w: string): number =>
        problems.push(`ground truth ${basename(f.path)}: ${w.replace(`${f.path}: `, '')}`)
      await eachRow(
        files,
        f.path,
        (r) => {
          const id = key(r[idColumn])
          if (id === null || !wanted.has(id)) return
          const t = num(r[targetColumn])
          if (t !== null) truth.set(id, t)
        },
        { onWarning: said },
      )
    } catch (err) {
      problems.push(`ground truth ${basename(f.path)}: ${errorMessage(err).replace(`${f.path}: `, '')}`)
    }
  }
  return { truth, problems }
}
