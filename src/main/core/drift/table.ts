// Reading a dataset column by column, streamed: CSV through papaparse (arrays, no row objects),
// JSONL line by line, Parquet row group by row group (parquet.ts). Each column keeps only what the drift methods need — its numbers in a
// growable Float64Array, the category counts (capped), the missing count — so memory is bounded
// by the columns, never by a million row objects. Types are inferred and can be overridden.
import Papa from 'papaparse'
import { createReadStream, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { GantryError, errorMessage } from '../errors'
import { eachParquetRow, parquetColumns, parquetValue } from './parquet'
import { decimalNumber } from '../util/number'

export { decimalNumber }

export type ColumnType = 'numeric' | 'categorical' | 'boolean' | 'datetime' | 'identifier' | 'text'

/** Past this many distinct values a column stops counting categories (it is an id or free text). */
const MAX_CATEGORIES = 2000
const MISSING = new Set(['', 'na', 'nan', 'null', 'none', 'n/a', '#n/a'])

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

  constructor(name: string) {
    this.name = name
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
      if (Number.isNaN(v) && s.length <= 4 && MISSING.has(s.toLowerCase())) {
        this.missing++
        return
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
  rows = 0
  constructor(readonly path: string) {}

  addObject(obj: Record<string, unknown>): void {
    for (const k of Object.keys(obj)) {
      if (!this.columns.has(k)) {
        const c = new Column(k)
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
    return { path: this.path, rows: this.rows, columns: this.columns }
  }
}

/** Parses one JSONL line into an object, or says why not. */
export function jsonLine(line: string): Record<string, unknown> | string {
  let obj: unknown
  try {
    obj = JSON.parse(line)
  } catch {
    return 'not JSON'
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return 'not a JSON object'
  return obj as Record<string, unknown>
}

export interface Table {
  path: string
  rows: number
  columns: Map<string, Column>
}

function bad(path: string, what: string): GantryError {
  return new GantryError('drift/invalid-data', `${path}: ${what}`)
}

export async function readTable(path: string): Promise<Table> {
  const lower = path.toLowerCase()
  if (lower.endsWith('.parquet')) return readParquet(path)
  if (/\.(jsonl|ndjson)$/.test(lower)) return readJsonl(path)
  return readCsv(path)
}

/**
 * Streams a CSV file through papaparse: `onHeader` gets the header's names once (BOM stripped,
 * blanks named column_N, duplicates refused), then `onRecord` every data record's fields.
 */
async function csvRecords(
  path: string,
  onHeader: (names: string[]) => void,
  onRecord: (fields: string[]) => void,
): Promise<void> {
  let seenHeader = false
  let failure: GantryError | null = null
  const source = createReadStream(path)
  await new Promise<void>((resolve, reject) => {
    source.once('error', (err) => {
      const code = (err as { code?: string }).code
      reject(
        new GantryError(
          'drift/invalid-data',
          code === 'ENOENT' ? `${path} does not exist` : `${path}: ${errorMessage(err)}`,
        ),
      )
    })
    Papa.parse<string[]>(source, {
      skipEmptyLines: true,
      chunk: (results, parser) => {
        for (const record of results.data) {
          if (!seenHeader) {
            seenHeader = true
            const names = record.map((h, i) => h.replace(/^\uFEFF/, '').trim() || `column_${i + 1}`)
            if (new Set(names).size !== names.length) {
              failure = bad(path, `duplicate column names in the header: ${names.join(', ')}`)
              parser.abort()
              return
            }
            onHeader(names)
            continue
          }
          onRecord(record)
        }
      },
      complete: () => resolve(),
      error: (err: Error) => reject(bad(path, `not readable as CSV: ${err.message}`)),
    })
  })
  if (failure) throw failure
  if (!seenHeader) throw bad(path, 'empty file (no header)')
}

/** Rows sampled before the numeric columns are sized from the file's size. */
const SIZE_SAMPLE = 1000

async function readCsv(path: string): Promise<Table> {
  const columns = new Map<string, Column>()
  let header: Column[] = []
  let rows = 0
  let sampled = 0
  let size = 0
  try {
    size = statSync(path).size
  } catch {
    // csvRecords reports the missing file
  }
  await csvRecords(
    path,
    (names) => {
      header = names.map((n) => new Column(n))
      for (const c of header) columns.set(c.name, c)
    },
    (record) => {
      rows++
      for (let i = 0; i < header.length; i++) header[i].add(i < record.length ? record[i] : null)
      if (rows <= SIZE_SAMPLE) {
        for (const f of record) sampled += f.length + 1 // the field and its separator
        if (rows === SIZE_SAMPLE) {
          // Rows to expect from the bytes per row so far (+2 %), never more than the file could
          // hold (a row takes at least one byte per column): numeric columns sized once.
          const expected = Math.min(Math.ceil((size / (sampled / rows)) * 1.02), Math.ceil(size / header.length))
          for (const c of header) if (c.numCount > rows / 2) c.reserve(expected)
        }
      }
    },
  )
  return { path, rows, columns }
}

async function readParquet(path: string): Promise<Table> {
  const columns = new Map<string, Column>()
  const rows = await parquetColumns(
    path,
    (names) => {
      for (const n of names) columns.set(n, new Column(n))
    },
    (name, values, dateOnly) => {
      const c = columns.get(name)!
      for (let i = 0; i < values.length; i++) c.add(parquetValue(values[i], dateOnly))
    },
  )
  return { path, rows, columns }
}

async function readJsonl(path: string): Promise<Table> {
  let lineNo = 0
  const stream = createReadStream(path)
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve())
    stream.once('error', reject)
  })
  try {
    await opened
  } catch (err) {
    throw new GantryError('drift/invalid-data', `${path}: ${errorMessage(err)}`)
  }
  const builder = new TableBuilder(path)
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    lineNo++
    if (!line.trim()) continue
    const obj = jsonLine(line)
    if (typeof obj === 'string') throw bad(path, `line ${lineNo} is ${obj}`)
    builder.addObject(obj)
  }
  return builder.table()
}

/** Calls `onRow` for every data row of a CSV, JSONL or Parquet file, as an object (streamed, nothing kept). */
export async function eachRow(path: string, onRow: (row: Record<string, unknown>) => void): Promise<number> {
  let n = 0
  if (/\.parquet$/i.test(path)) return eachParquetRow(path, onRow)
  if (/\.(jsonl|ndjson)$/i.test(path)) {
    const stream = createReadStream(path)
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve())
      stream.once('error', (err) => reject(new GantryError('drift/invalid-data', `${path}: ${errorMessage(err)}`)))
    })
    let lineNo = 0
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      lineNo++
      if (!line.trim()) continue
      const obj = jsonLine(line)
      if (typeof obj === 'string') throw bad(path, `line ${lineNo} is ${obj}`)
      onRow(obj)
      n++
    }
    return n
  }
  let header: string[] = []
  await csvRecords(
    path,
    (names) => (header = names),
    (rec) => {
      const obj: Record<string, unknown> = {}
      for (let i = 0; i < header.length; i++) obj[header[i]] = rec[i]
      onRow(obj)
      n++
    },
  )
  return n
}
