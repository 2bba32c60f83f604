// Reading a dataset column by column, streamed: CSV through csv-parse (arrays, no row objects),
// JSONL line by line. Each column keeps only what the drift methods need — its numbers in a
// growable Float64Array, the category counts (capped), the missing count — so memory is bounded
// by the columns, never by a million row objects. Types are inferred and can be overridden.
import { parse } from 'csv-parse'
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { GantryError, errorMessage } from '../errors'

export type ColumnType = 'numeric' | 'categorical' | 'boolean' | 'datetime' | 'identifier' | 'text'

/** Past this many distinct values a column stops counting categories (it is an id or free text). */
const MAX_CATEGORIES = 2000
const MISSING = new Set(['', 'na', 'nan', 'null', 'none', 'n/a', '#n/a'])
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

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
    if (raw === null || raw === undefined || (typeof raw === 'number' && Number.isNaN(raw))) {
      this.missing++
      return
    }
    const s = typeof raw === 'string' ? raw.trim() : typeof raw === 'object' ? JSON.stringify(raw) : String(raw)
    if (typeof raw === 'string' && MISSING.has(s.toLowerCase())) {
      this.missing++
      return
    }
    if (typeof raw === 'number' || (typeof raw === 'string' && NUMBER.test(s))) {
      const v = typeof raw === 'number' ? raw : Number(s)
      if (!Number.isFinite(v)) {
        this.missing++ // ±inf, as Evidently: treated as missing
        return
      }
      if (this.numCount === this.nums.length) {
        const bigger = new Float64Array(this.nums.length * 2)
        bigger.set(this.nums)
        this.nums = bigger
      }
      this.nums[this.numCount++] = v
      if (v <= this.prev) this.increasing = false
      this.prev = v
      if (!Number.isInteger(v)) this.integers = false
    } else {
      this.nonNumeric++
      this.totalTextLength += s.length
      if (
        typeof raw === 'string' &&
        /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)
      )
        this.dateLike++
    }
    if (this.categories) {
      this.categories.set(s, (this.categories.get(s) ?? 0) + 1)
      if (this.categories.size > MAX_CATEGORIES) this.categories = null
    }
  }

  /** The numeric values read so far (a view, no copy). */
  numbers(): Float64Array {
    return this.nums.subarray(0, this.numCount)
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
  if (lower.endsWith('.parquet')) {
    throw bad(path, 'Parquet is not read yet: export it as CSV or JSONL')
  }
  if (/\.(jsonl|ndjson)$/.test(lower)) return readJsonl(path)
  return readCsv(path)
}

async function readCsv(path: string): Promise<Table> {
  const columns = new Map<string, Column>()
  let header: Column[] | null = null
  let rows = 0
  const source = createReadStream(path)
  const parser = source.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: false }))
  // pipe() does not pass a read error on: hand it to the parser, whose iteration then throws it.
  source.once('error', (err) => parser.destroy(err))
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        const names = record.map((h, i) => h.trim() || `column_${i + 1}`)
        if (new Set(names).size !== names.length)
          throw bad(path, `duplicate column names in the header: ${names.join(', ')}`)
        header = names.map((n) => new Column(n))
        for (const c of header) columns.set(c.name, c)
        continue
      }
      rows++
      for (let i = 0; i < header.length; i++) header[i].add(i < record.length ? record[i] : null)
    }
  } catch (err) {
    if (err instanceof GantryError) throw err
    const code = (err as { code?: string }).code
    if (code === 'ENOENT') throw new GantryError('drift/invalid-data', `${path} does not exist`)
    throw bad(path, `not readable as CSV: ${errorMessage(err)}`)
  }
  if (!header) throw bad(path, 'empty file (no header)')
  return { path, rows, columns }
}

async function readJsonl(path: string): Promise<Table> {
  const columns = new Map<string, Column>()
  let rows = 0
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
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    lineNo++
    if (!line.trim()) continue
    let obj: unknown
    try {
      obj = JSON.parse(line)
    } catch {
      throw bad(path, `line ${lineNo} is not JSON`)
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw bad(path, `line ${lineNo} is not a JSON object`)
    for (const k of Object.keys(obj)) {
      if (!columns.has(k)) {
        const c = new Column(k)
        for (let i = 0; i < rows; i++) c.add(null) // absent in earlier rows = missing there
        columns.set(k, c)
      }
    }
    for (const [k, c] of columns) c.add((obj as Record<string, unknown>)[k] ?? null)
    rows++
  }
  return { path, rows, columns }
}
