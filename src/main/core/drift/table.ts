// Reading a dataset column by column, streamed: CSV through papaparse (arrays, no row objects),
// JSONL line by line, Parquet row group by row group (parquet.ts). Each column keeps only what the
// drift methods need — its numbers in a growable Float64Array, the category counts (capped), the
// missing count — so memory is bounded by the columns (and a table's numbers by a budget), never
// by a million row objects. Types are inferred and can be overridden. Files are opened through the
// file access (regular files in the allowed folders, read up to their size at open) and reading
// stops when the caller's signal aborts. Data it can describe never fails the read: a CSV row with
// fewer fields than the header has missing values (as pandas), one with more is skipped and
// counted, NaN and ±Infinity (also as Python's json writes them) are missing values (as Evidently).
import Papa from 'papaparse'
import { createInterface } from 'node:readline'
import { GantryError } from '../errors'
import type { FileAccess } from '../files/local-files'
import { maxDatasetBytes } from '../files/limits'
import { eachParquetRow, parquetColumns, parquetValue } from './parquet'
import { decimalNumber } from '../util/number'

export { decimalNumber }

export type ColumnType = 'numeric' | 'categorical' | 'boolean' | 'datetime' | 'identifier' | 'text'

/** Past this many distinct values a column stops counting categories (it is an id or free text). */
const MAX_CATEGORIES = 2000
const MISSING = new Set(['', 'na', 'nan', 'null', 'none', 'n/a', '#n/a'])
/** Texts of ±Infinity (pandas reads them as floats; Evidently treats infinities as missing). */
const INFINITE = new Set(['inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity'])

/** Numbers all the columns of one table may hold together (8 bytes each): 256M values, 2 GiB. */
export const MAX_TABLE_VALUES = 256 * 1024 * 1024

/** Shared by a table's columns: how many numbers they have room for, against the cap. */
export class ValueBudget {
  used = 0
  constructor(
    readonly what: string,
    readonly limit = MAX_TABLE_VALUES,
  ) {}
  take(n: number): void {
    this.used += n
    if (this.used > this.limit) {
      throw new GantryError(
        'files/too-large',
        `${this.what} holds more than ${this.limit} numeric values: too large for one report — sample it first`,
      )
    }
  }
}

/** Trims only when there is something to trim (most fields have no spaces). */
function trimmed(s: string): string {
  if (s.length === 0) return s
  const a = s.charCodeAt(0)
  const b = s.charCodeAt(s.length - 1)
  return a <= 32 || b <= 32 ? s.trim() : s
}

/** Could be a decimal number: a digit, sign or point first (Number() alone would also take hex,
 *  binary and octal literals, "Infinity" and spaces). */
function startsNumeric(s: string): boolean {
  const c = s.charCodeAt(0)
  if (!((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46)) return false
  if (s.length > 2 && c === 48) {
    const d = s.charCodeAt(1) | 32
    if (d === 120 || d === 98 || d === 111) return false // 0x 0b 0o
  }
  return true
}

const DATE = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/

export class Column {
  readonly name: string
  rows = 0
  missing = 0
  private nums = new Float64Array(1024)
  numCount = 0
  nonNumeric = 0
  categories: Map<string, number> | null = new Map()
  totalTextLength = 0
  dateLike = 0
  private prev = -Infinity
  increasing = true
  integers = true

  constructor(
    name: string,
    private readonly budget: ValueBudget | null = null,
  ) {
    this.name = name
    budget?.take(this.nums.length)
  }

  add(raw: unknown): void {
    this.rows++
    if (raw === null || raw === undefined) {
      this.missing++
      return
    }
    let s: string
    let v = NaN
    if (typeof raw === 'number') {
      if (Number.isNaN(raw)) {
        this.missing++
        return
      }
      v = raw
      s = String(raw)
    } else if (typeof raw === 'string') {
      s = trimmed(raw)
      if (s.length === 0) {
        this.missing++
        return
      }
      if (startsNumeric(s)) v = decimalNumber(s) // parsed once; NaN when it only started like a number
      if (Number.isNaN(v) && s.length <= 9) {
        const lower = s.toLowerCase()
        if (MISSING.has(lower) || INFINITE.has(lower)) {
          this.missing++
          return
        }
      }
    } else s = typeof raw === 'object' ? JSON.stringify(raw) : String(raw)
    if (!Number.isNaN(v)) {
      if (!Number.isFinite(v)) {
        this.missing++ // ±inf, as Evidently: treated as missing
        return
      }
      if (this.numCount === this.nums.length) this.reserve(this.nums.length * 2)
      this.nums[this.numCount++] = v
      if (v <= this.prev) this.increasing = false
      this.prev = v
      if (this.integers && !Number.isInteger(v)) this.integers = false
    } else {
      this.nonNumeric++
      this.totalTextLength += s.length
      if (typeof raw === 'string' && DATE.test(s)) this.dateLike++
    }
    const cats = this.categories
    if (cats) {
      cats.set(s, (cats.get(s) ?? 0) + 1)
      if (cats.size > MAX_CATEGORIES) this.categories = null
    }
  }

  /** Replaces the numeric values (a stored profile's, already sorted). */
  setNumbers(values: Float64Array<ArrayBuffer>): void {
    this.nums = values
    this.numCount = values.length
  }

  /** The numeric values read so far (a view, no copy). */
  numbers(): Float64Array {
    return this.nums.subarray(0, this.numCount)
  }

  /**
   * Room for `n` numbers in one allocation. Readers that can estimate the row count call it up
   * front: growing by doubling keeps the old and the new array of every column alive at once
   * until the collector runs, which is what set the peak memory of large reads.
   */
  reserve(n: number): void {
    if (n <= this.nums.length) return
    this.budget?.take(n - this.nums.length)
    const bigger = new Float64Array(n)
    bigger.set(this.nums.subarray(0, this.numCount))
    this.nums = bigger
  }

  get present(): number {
    return this.rows - this.missing
  }

  /** The type this column looks like. */
  inferType(): ColumnType {
    const present = this.present
    if (present === 0) return 'categorical'
    const distinct = this.categories?.size ?? Infinity
    if (/^(id|uuid|.*[_-]id|.*Id)$/.test(this.name)) return 'identifier'
    if (this.nonNumeric === 0) {
      // Every value unique and rising, whole numbers: a row id, not a feature.
      if (this.integers && this.increasing && distinct === present && present > 20) return 'identifier'
      return 'numeric'
    }
    const cats = this.categories ? [...this.categories.keys()].map((k) => k.toLowerCase()) : []
    if (this.categories && cats.every((c) => ['true', 'false', '0', '1', 'yes', 'no'].includes(c))) return 'boolean'
    if (this.dateLike >= 0.95 * this.nonNumeric && this.nonNumeric >= 0.95 * present) return 'datetime'
    if (distinct === Infinity || (distinct === present && present > 50)) {
      return this.totalTextLength / Math.max(1, this.nonNumeric) > 30 ? 'text' : 'identifier'
    }
    return 'categorical'
  }
}

/** Rows arriving a few at a time (JSON objects, or CSV fields under a header) into columns. */
export class TableBuilder {
  readonly columns = new Map<string, Column>()
  readonly warnings: string[] = []
  rows = 0
  private readonly budget: ValueBudget
  constructor(readonly path: string) {
    this.budget = new ValueBudget(path)
  }

  addObject(obj: Record<string, unknown>): void {
    for (const k of Object.keys(obj)) {
      if (!this.columns.has(k)) {
        const c = new Column(k, this.budget)
        for (let i = 0; i < this.rows; i++) c.add(null) // absent in earlier rows = missing there
        this.columns.set(k, c)
      }
    }
    for (const [k, c] of this.columns) c.add(obj[k] ?? null)
    this.rows++
  }

  addFields(header: readonly string[], fields: readonly string[]): void {
    const obj: Record<string, unknown> = {}
    header.forEach((h, i) => (obj[h] = i < fields.length ? fields[i] : null))
    this.addObject(obj)
  }

  table(): Table {
    return { path: this.path, rows: this.rows, columns: this.columns, warnings: this.warnings }
  }
}

/** `NaN`, `Infinity` and `-Infinity` outside strings (Python's json.dumps writes them) as null. */
export function nullNonFinite(line: string): string {
  let out = ''
  let inString = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (inString) {
      out += c
      if (c === '\\') out += line[++i] ?? ''
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    const rest = line.startsWith('-Infinity', i)
      ? 9
      : line.startsWith('Infinity', i)
        ? 8
        : line.startsWith('NaN', i)
          ? 3
          : 0
    if (rest) {
      out += 'null'
      i += rest - 1
      continue
    }
    out += c
  }
  return out
}

/** Parses one JSONL line into an object, or says why not. */
export function jsonLine(line: string): Record<string, unknown> | string {
  let obj: unknown
  try {
    obj = JSON.parse(line)
  } catch {
    try {
      obj = JSON.parse(nullNonFinite(line)) // only when plain JSON failed: no cost on the usual path
    } catch {
      return 'not JSON'
    }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return 'not a JSON object'
  return obj as Record<string, unknown>
}

export interface Table {
  path: string
  rows: number
  columns: Map<string, Column>
  /** What was read around (rows skipped and why), for the report to say. */
  warnings: string[]
}

export interface ReadOptions {
  /** Stops the read (the caller went away, the budget ran out). */
  signal?: AbortSignal
  /** Told what was read around (rows skipped and why), where the caller keeps no Table. */
  onWarning?: (warning: string) => void
}

function bad(path: string, what: string): GantryError {
  return new GantryError('drift/invalid-data', `${path}: ${what}`)
}

export async function readTable(files: FileAccess, path: string, o: ReadOptions = {}): Promise<Table> {
  const lower = path.toLowerCase()
  if (lower.endsWith('.parquet')) return readParquet(files, path, o)
  if (/\.(jsonl|ndjson)$/.test(lower)) return readJsonl(files, path, o)
  return readCsv(files, path, o)
}

/** Opens a dataset through the file access; a missing file is drift/invalid-data as before. */
async function openData(files: FileAccess, path: string) {
  try {
    return await files.open(path, { what: 'dataset', maxBytes: maxDatasetBytes() })
  } catch (err) {
    const e = err as GantryError
    if (e.code === 'files/missing') throw new GantryError('drift/invalid-data', `${path} does not exist`)
    throw err
  }
}

/** Rows skipped for having more fields than the header: a line number or two, and the count. */
class Skipped {
  count = 0
  first: number[] = []
  add(line: number): void {
    this.count++
    if (this.first.length < 3) this.first.push(line)
  }
  warning(path: string, header: number): string | null {
    if (!this.count) return null
    return (
      `${path}: ${this.count} row(s) with more fields than the ${header} of the header were skipped ` +
      `(record ${this.first.join(', ')}${this.count > this.first.length ? ', …' : ''})`
    )
  }
}

/**
 * Streams a CSV file through papaparse: `onHeader` gets the header's names once (BOM stripped,
 * blanks named column_N, duplicates refused), then `onRecord` every data record's fields. A record
 * with more fields than the header is skipped and counted.
 */
async function csvRecords(
  files: FileAccess,
  path: string,
  onHeader: (names: string[], fileSize: number) => void,
  onRecord: (fields: string[]) => void,
  o: ReadOptions,
): Promise<{ skipped: Skipped; header: number }> {
  let header = -1
  let record = 0
  const skipped = new Skipped()
  let failure: GantryError | null = null
  const file = await openData(files, path)
  try {
    const source = file.stream({ signal: o.signal })
    await new Promise<void>((resolve, reject) => {
      source.once('error', (err) => {
        if (o.signal?.aborted) reject(o.signal.reason)
        else reject(bad(path, `cannot be read: ${(err as Error).message}`))
      })
      Papa.parse<string[]>(source, {
        skipEmptyLines: true,
        chunk: (results, parser) => {
          for (const fields of results.data) {
            if (header < 0) {
              const names = fields.map((h, i) => h.replace(/^\uFEFF/, '').trim() || `column_${i + 1}`)
              if (new Set(names).size !== names.length) {
                failure = bad(path, `duplicate column names in the header: ${names.join(', ')}`)
                parser.abort()
                return
              }
              header = names.length
              onHeader(names, file.size)
              continue
            }
            record++
            if (fields.length > header) {
              skipped.add(record)
              continue
            }
            onRecord(fields)
          }
        },
        complete: () => resolve(),
        error: (err: Error) => reject(bad(path, `not readable as CSV: ${err.message}`)),
      })
    })
  } finally {
    await file.close()
  }
  if (failure) throw failure
  if (header < 0) throw bad(path, 'empty file (no header)')
  return { skipped, header }
}

/** Rows sampled before the numeric columns are sized from the file's size. */
const SIZE_SAMPLE = 1000

async function readCsv(files: FileAccess, path: string, o: ReadOptions): Promise<Table> {
  const columns = new Map<string, Column>()
  const budget = new ValueBudget(path)
  let header: Column[] = []
  let rows = 0
  let sampled = 0
  let size = 0
  const { skipped } = await csvRecords(
    files,
    path,
    (names, fileSize) => {
      size = fileSize
      header = names.map((n) => new Column(n, budget))
      for (const c of header) columns.set(c.name, c)
    },
    (record) => {
      rows++
      for (let i = 0; i < header.length; i++) header[i].add(i < record.length ? record[i] : null)
      if (rows <= SIZE_SAMPLE) {
        for (const f of record) sampled += f.length + 1 // the field and its separator
        if (rows === SIZE_SAMPLE && size > 0) {
          // Rows to expect from the bytes per row so far (+2 %), never more than the file could
          // hold (a row takes at least one byte per column): numeric columns sized once.
          const expected = Math.min(Math.ceil((size / (sampled / rows)) * 1.02), Math.ceil(size / header.length))
          for (const c of header) if (c.numCount > rows / 2) c.reserve(expected)
        }
      }
    },
    o,
  )
  const warning = skipped.warning(path, header.length)
  return { path, rows, columns, warnings: warning ? [warning] : [] }
}

async function readParquet(files: FileAccess, path: string, o: ReadOptions): Promise<Table> {
  const columns = new Map<string, Column>()
  const budget = new ValueBudget(path)
  const rows = await parquetColumns(
    files,
    path,
    (names) => {
      for (const n of names) columns.set(n, new Column(n, budget))
    },
    (name, values, dateOnly) => {
      o.signal?.throwIfAborted()
      const c = columns.get(name)!
      for (let i = 0; i < values.length; i++) c.add(parquetValue(values[i], dateOnly))
    },
  )
  return { path, rows, columns, warnings: [] }
}

/** Every non-blank line of a JSONL file as an object; lines that are not JSON objects are skipped and counted. */
async function jsonlObjects(
  files: FileAccess,
  path: string,
  onObject: (obj: Record<string, unknown>) => void,
  o: ReadOptions,
): Promise<string | null> {
  const file = await openData(files, path)
  let lineNo = 0
  let bad = 0
  let firstBad = 0
  let why = ''
  try {
    for await (const line of createInterface({ input: file.stream({ signal: o.signal }), crlfDelay: Infinity })) {
      lineNo++
      if (!line.trim()) continue
      const obj = jsonLine(line)
      if (typeof obj === 'string') {
        if (!bad++) {
          firstBad = lineNo
          why = obj
        }
        continue
      }
      onObject(obj)
    }
  } catch (err) {
    if (o.signal?.aborted) throw o.signal.reason
    throw new GantryError('drift/invalid-data', `${path} cannot be read: ${(err as Error).message}`)
  } finally {
    await file.close()
  }
  return bad ? `${path}: ${bad} line(s) skipped (line ${firstBad} is ${why})` : null
}

async function readJsonl(files: FileAccess, path: string, o: ReadOptions): Promise<Table> {
  const builder = new TableBuilder(path)
  const warning = await jsonlObjects(files, path, (obj) => builder.addObject(obj), o)
  if (warning) builder.warnings.push(warning)
  return builder.table()
}

/** Calls `onRow` for every data row of a CSV, JSONL or Parquet file, as an object (streamed, nothing kept). */
export async function eachRow(
  files: FileAccess,
  path: string,
  onRow: (row: Record<string, unknown>) => void,
  o: ReadOptions = {},
): Promise<number> {
  let n = 0
  if (/\.parquet$/i.test(path)) return eachParquetRow(files, path, onRow)
  if (/\.(jsonl|ndjson)$/i.test(path)) {
    const warning = await jsonlObjects(
      files,
      path,
      (obj) => {
        onRow(obj)
        n++
      },
      o,
    )
    if (warning) o.onWarning?.(warning)
    return n
  }
  let header: string[] = []
  const { skipped } = await csvRecords(
    files,
    path,
    (names) => (header = names),
    (rec) => {
      const obj: Record<string, unknown> = {}
      for (let i = 0; i < header.length; i++) obj[header[i]] = rec[i]
      onRow(obj)
      n++
    },
    o,
  )
  const warning = skipped.warning(path, header.length)
  if (warning) o.onWarning?.(warning)
  return n
}
