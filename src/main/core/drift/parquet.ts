// Reading Parquet reference and current datasets through hyparquet (pure JS, no native build, reads
// every Parquet encoding; hyparquet-compressors adds gzip, zstd, brotli and LZ4 to its snappy).
// One row group at a time, so memory is bounded by the largest row group, never by the file. Values
// are handed to the drift columns in the shapes the CSV reader produces: INT64 as a number where it
// is exact (else its decimal string), dates and timestamps as ISO text, binary as base64.
import type { AsyncBuffer, FileMetaData } from 'hyparquet'
import { GantryError, errorMessage } from '../errors'
import type { FileAccess, OpenFile } from '../files/local-files'
import { maxDatasetBytes } from '../files/limits'

type Hyparquet = typeof import('hyparquet')
let loaded: Promise<[Hyparquet, Record<string, unknown>]> | null = null
/** hyparquet ships as an ES module: loaded on first use, once. */
function lib(): Promise<[Hyparquet, Record<string, unknown>]> {
  loaded ??= Promise.all([import('hyparquet'), import('hyparquet-compressors')]).then(([h, c]) => [
    h,
    c.compressors as Record<string, unknown>,
  ])
  return loaded
}

function bad(path: string, what: string): GantryError {
  return new GantryError('drift/invalid-data', `${path}: ${what}`)
}

/** A value as the drift columns take it (see the header comment). */
export function parquetValue(v: unknown, dateOnly: boolean): unknown {
  if (v === null || v === undefined) return null
  switch (typeof v) {
    case 'number':
    case 'string':
    case 'boolean':
      return v
    case 'bigint':
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString()
  }
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return null
    const iso = v.toISOString()
    return dateOnly ? iso.slice(0, 10) : iso
  }
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  return v // lists and structs: the column reader stores them as JSON text
}

interface Opened {
  file: AsyncBuffer
  metadata: FileMetaData
  names: string[]
  dateOnly: Set<string>
  close: () => Promise<void>
}

/** Opens the file as hyparquet's AsyncBuffer over positional reads (nothing read up front). */
async function openParquet(files: FileAccess, path: string): Promise<Opened> {
  const [h] = await lib()
  let fd: OpenFile
  try {
    fd = await files.open(path, { what: 'Parquet file', maxBytes: maxDatasetBytes() })
  } catch (err) {
    const e = err as GantryError
    throw new GantryError(
      e.code === 'files/missing' ? 'drift/invalid-data' : (e.code ?? 'drift/invalid-data'),
      e.message,
    )
  }
  try {
    const size = fd.size
    const file: AsyncBuffer = {
      byteLength: size,
      async slice(start: number, end = size): Promise<ArrayBuffer> {
        const length = Math.max(0, Math.min(end, size) - start)
        const buf = Buffer.allocUnsafe(length)
        let done = 0
        while (done < length) {
          const bytesRead = await fd.read(buf, done, length - done, start + done)
          if (bytesRead === 0) break
          done += bytesRead
        }
        return buf.buffer.slice(buf.byteOffset, buf.byteOffset + done) as ArrayBuffer
      },
    }
    let metadata: FileMetaData
    try {
      metadata = await h.parquetMetadataAsync(file)
    } catch (err) {
      throw bad(path, `not a readable Parquet file (${errorMessage(err)})`)
    }
    const top = h.parquetSchema(metadata).children
    const names = top.map((c) => c.element.name)
    if (new Set(names).size !== names.length) throw bad(path, `duplicate column names: ${names.join(', ')}`)
    const dateOnly = new Set(
      top
        .filter((c) => c.element.logical_type?.type === 'DATE' || c.element.converted_type === 'DATE')
        .map((c) => c.element.name),
    )
    return { file, metadata, names, dateOnly, close: () => fd.close() }
  } catch (err) {
    await fd.close()
    throw err
  }
}

interface Group {
  rowStart: number
  rows: number
  columns: Map<string, ArrayLike<unknown>>
}

/** The file's row groups in order, each with all its columns' values (one group in memory at a time). */
async function* rowGroups(path: string, p: Opened): AsyncGenerator<Group> {
  const [h, compressors] = await lib()
  let rowStart = 0
  for (const group of p.metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows)
    const chunks = new Map<string, ArrayLike<unknown>>()
    try {
      await h.parquetRead({
        file: p.file,
        metadata: p.metadata,
        compressors: compressors as never,
        rowStart,
        rowEnd,
        onChunk: (c) => {
          if (c.rowStart === rowStart && c.rowEnd === rowEnd) {
            chunks.set(c.columnName, c.columnData)
            return
          }
          // A part of the group (or more than it): placed by its row offsets.
          let into = chunks.get(c.columnName) as unknown[] | undefined
          if (!Array.isArray(into)) {
            into = new Array<unknown>(rowEnd - rowStart)
            chunks.set(c.columnName, into)
          }
          for (let r = Math.max(c.rowStart, rowStart); r < Math.min(c.rowEnd, rowEnd); r++) {
            into[r - rowStart] = c.columnData[r - c.rowStart]
          }
        },
      })
    } catch (err) {
      throw bad(path, `row group at row ${rowStart} is unreadable (${errorMessage(err)})`)
    }
    for (const name of p.names) {
      const values = chunks.get(name)
      if (!values || values.length !== rowEnd - rowStart) {
        throw bad(
          path,
          `column ${name} has ${values?.length ?? 0} values in the row group at row ${rowStart}, expected ${rowEnd - rowStart}`,
        )
      }
    }
    yield { rowStart, rows: rowEnd - rowStart, columns: chunks }
    rowStart = rowEnd
  }
}

/**
 * Reads a Parquet file row group by row group: `onHeader` gets the column names once, then
 * `onColumn` each column's values for one row group, in row order; columns of one row group all
 * arrive before the next group starts. Returns the row count.
 */
export async function parquetColumns(
  files: FileAccess,
  path: string,
  onHeader: (names: string[]) => void,
  onColumn: (name: string, values: ArrayLike<unknown>, dateOnly: boolean) => void,
): Promise<number> {
  const p = await openParquet(files, path)
  let rows = 0
  try {
    onHeader(p.names)
    for await (const g of rowGroups(path, p)) {
      for (const name of p.names) onColumn(name, g.columns.get(name)!, p.dateOnly.has(name))
      rows += g.rows
    }
    return rows
  } finally {
    await p.close()
  }
}

/** The rows of a Parquet file as objects, one row group's worth at a time, starting at row `from`. */
export async function* parquetRowBatches(
  files: FileAccess,
  path: string,
  from = 0,
): AsyncGenerator<Record<string, unknown>[]> {
  const p = await openParquet(files, path)
  try {
    for await (const g of rowGroups(path, p)) {
      if (g.rowStart + g.rows <= from) continue
      const cols = p.names.map((n) => g.columns.get(n)!)
      const dates = p.names.map((n) => p.dateOnly.has(n))
      const batch: Record<string, unknown>[] = []
      for (let r = Math.max(0, from - g.rowStart); r < g.rows; r++) {
        const row: Record<string, unknown> = {}
        for (let i = 0; i < p.names.length; i++) row[p.names[i]] = parquetValue(cols[i][r], dates[i])
        batch.push(row)
      }
      yield batch
    }
  } finally {
    await p.close()
  }
}

/** Every row of a Parquet file as an object (values as `parquetValue` gives them), streamed by row group. */
export async function eachParquetRow(
  files: FileAccess,
  path: string,
  onRow: (row: Record<string, unknown>) => void,
): Promise<number> {
  let n = 0
  for await (const batch of parquetRowBatches(files, path)) {
    for (const row of batch) onRow(row)
    n += batch.length
  }
  return n
}

/** The number of rows a Parquet file's footer declares (throws drift/invalid-data when unreadable). */
export async function parquetRowCount(files: FileAccess, path: string): Promise<number> {
  const p = await openParquet(files, path)
  await p.close()
  return Number(p.metadata.num_rows)
}
