// Parsing `nvidia-smi --query-gpu` CSV into the normalized Gpu model: the stream's
// noheader/nounits lines (columns known from the field plan) and recorded files with a header
// and units (`memory.used [MiB]`, values like `575 MiB`), as customers send them.
// nvidia-smi's CSV is not RFC 4180 (no quoting; ", " separates), so it is split by hand and the
// column count is checked: a row of the wrong width is garbage, not a shifted reading.
import type { Gpu } from '../../../../shared/gpu'
import { decimalAt } from '../../util/number'
import { FieldReader, cleanText, readFlag, readNumber, type Read } from './values'
import { LOGICAL_FIELDS, clockReasonsFromMask, type LogicalField } from './fields'

export type Row = Partial<Record<LogicalField, string>>

export function splitCsvLine(line: string): string[] {
  return line.split(/,\s?/).map((s) => s.trim())
}

/** The cells of one noheader line; throws when the width is not `width`. */
export function cellsFromLine(line: string, width: number): string[] {
  // nvidia-smi separates with ", "; split on that first (no regex) and fall back to the tolerant
  // split only when the width does not come out right.
  let cells = line.split(', ')
  if (cells.length !== width) cells = splitCsvLine(line)
  else for (let i = 0; i < width; i++) cells[i] = cells[i].trim()
  if (cells.length !== width) {
    throw new Error(`expected ${width} columns, got ${cells.length}: "${line.slice(0, 80)}"`)
  }
  return cells
}

/** One noheader line against the plan's columns; throws when the width is wrong. */
export function rowFromLine(line: string, columns: readonly LogicalField[]): Row {
  const cells = cellsFromLine(line, columns.length)
  const row: Row = {}
  for (let i = 0; i < columns.length; i++) row[columns[i]] = cells[i]
  return row
}

/** A plan's columns by logical field, so the stream reads cells by position (no row object). */
export type ColumnIndex = ReadonlyMap<LogicalField, number>
export function indexColumns(columns: readonly LogicalField[]): ColumnIndex {
  return new Map(columns.map((c, i) => [c, i]))
}

const BY_NAME = new Map<string, LogicalField>()
for (const [key, names] of LOGICAL_FIELDS) for (const n of names) if (!BY_NAME.has(n)) BY_NAME.set(n, key)

/** A recorded CSV with a header row (units allowed in names and values). */
export function rowsFromCsvText(text: string): Row[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  if (lines.length === 0) throw new Error('empty CSV')
  const header = splitCsvLine(lines[0]).map((h) => h.replace(/\s*\[[^\]]*\]$/, ''))
  const mapped = header.map((h) => BY_NAME.get(h) ?? null)
  if (!mapped.includes('uuid') || !mapped.includes('name')) {
    throw new Error('not a --query-gpu CSV with a header: the first line must name the fields (uuid and name at least)')
  }
  return lines.slice(1).map((line, i) => {
    const cells = splitCsvLine(line)
    if (cells.length !== header.length) {
      throw new Error(`line ${i + 2}: expected ${header.length} columns, got ${cells.length}`)
    }
    const row: Row = {}
    mapped.forEach((key, j) => {
      // The first name for a logical field wins (e.g. power.draw over power.draw.average).
      if (key && row[key] === undefined) row[key] = cells[j]
    })
    return row
  })
}

export function gpuFromRow(row: Row, position = 0): Gpu {
  return gpuFrom((f) => row[f], position)
}

/** The stream's path: cells of one line (cellsFromLine) read through the plan's column index. */
export function gpuFromCells(cells: readonly string[], columns: ColumnIndex, position = 0): Gpu {
  return gpuFrom((f) => {
    const i = columns.get(f)
    return i === undefined ? undefined : cells[i]
  }, position)
}

/** The stream's reader for one field plan. A line is split into cell boundaries in a scratch
 *  array (no substring per cell), plain decimals are parsed where they stand, and the text cells
 *  that repeat tick after tick for the same GPU (uuid, name, bus id, driver, "Enabled") are
 *  compared in place with the previous tick's instead of being cut out and looked up again.
 *  Measured on the 2-core VM: the per-line closures, Int32Array and substrings of the previous
 *  path cost ~25 µs per line between two wake-ups, several times their cost in a tight loop. */
export interface LineReader {
  /** Splits `line` on nvidia-smi's ", "; false when it does not have the plan's width. */
  split(line: string): boolean
  /** Whether the last split line's `field` cell is exactly `text`. */
  cellIs(field: LogicalField, text: string): boolean
  /** The last split line's `field` cell as text (undefined when the plan lacks it). */
  cell(field: LogicalField): string | undefined
  /** The last split line's `field` cell as a plain decimal; NaN when it is not one. */
  number(field: LogicalField): number
  /** The last split line as a GPU; `position` is its place in the tick (index when unreadable). */
  gpu(position: number): Gpu
}

/** Beyond this many GPUs per tick the text of further positions is not remembered. */
const MEMO_POSITIONS = 1024

export function createLineReader(columns: readonly LogicalField[]): LineReader {
  const width = columns.length
  const index = indexColumns(columns)
  const at = new Int32Array(width * 2)
  let line = ''
  // Per (position, column): the text last read there and its reading.
  const memoText: (string | undefined)[] = []
  const memoRead: Read<unknown>[] = []
  let position = 0
  // The current GPU's reader: it keeps the reasons of its null fields.
  let fr = new FieldReader()
  const note = <T>(field: LogicalField, r: Read<T>): T | null => fr.note(field, r)
  function read<T>(field: LogicalField, how: (raw: string) => Read<T>): T | null {
    const i = index.get(field)
    if (i === undefined) return null // the driver cannot report it: null, no reason to show
    const s = at[2 * i]
    const e = at[2 * i + 1]
    if (position >= MEMO_POSITIONS) return note(field, how(line.slice(s, e)))
    const slot = position * width + i
    const prev = memoText[slot]
    if (prev !== undefined && prev.length === e - s && line.startsWith(prev, s)) {
      return note(field, memoRead[slot] as Read<T>)
    }
    const raw = line.slice(s, e)
    const r = how(raw)
    memoText[slot] = raw
    memoRead[slot] = r
    return note(field, r)
  }
  const cells: Cells = {
    num(field) {
      const i = index.get(field)
      if (i === undefined) return null
      const v = decimalAt(line, at[2 * i], at[2 * i + 1])
      // Not a plain decimal ("[N/A]", a hex mask): read and remembered like text.
      return Number.isNaN(v) ? read(field, readNumber) : v
    },
    text: (field) => read(field, cleanText),
    flag: (field) => read(field, readFlag),
    unavailable: () => fr.unavailable,
  }
  return {
    split(l) {
      let start = 0
      for (let i = 0; i < width; i++) {
        const sep = l.indexOf(', ', start)
        const last = i === width - 1
        if (last ? sep >= 0 : sep < 0) {
          // Not this plan's width: nothing of the half-split line is left to read.
          at.fill(0)
          line = ''
          return false
        }
        let s = start
        let e = last ? l.length : sep
        while (s < e && l.charCodeAt(s) <= 32) s++
        while (e > s && l.charCodeAt(e - 1) <= 32) e--
        at[2 * i] = s
        at[2 * i + 1] = e
        start = sep + 2
      }
      line = l
      return true
    },
    cellIs(field, text) {
      const i = index.get(field)
      if (i === undefined) return false
      return at[2 * i + 1] - at[2 * i] === text.length && line.startsWith(text, at[2 * i])
    },
    cell(field) {
      const i = index.get(field)
      return i === undefined ? undefined : line.slice(at[2 * i], at[2 * i + 1])
    },
    number(field) {
      const i = index.get(field)
      return i === undefined ? Number.NaN : decimalAt(line, at[2 * i], at[2 * i + 1])
    },
    gpu(p) {
      position = p
      fr = new FieldReader()
      return buildGpu(cells, p)
    },
  }
}

/** Where buildGpu reads a GPU's values from: a row of cells, or a stream line in place. */
interface Cells {
  num(f: LogicalField): number | null
  text(f: LogicalField): string | null
  flag(f: LogicalField): boolean | null
  /** The reasons of the null fields read so far for this GPU. */
  unavailable(): Record<string, string>
}

function gpuFrom(get: (f: LogicalField) => string | undefined, position: number): Gpu {
  const r = new FieldReader()
  return buildGpu(
    {
      num: (f) => r.num(f, get(f)),
      text: (f) => r.text(f, get(f)),
      flag: (f) => r.flag(f, get(f)),
      unavailable: () => r.unavailable,
    },
    position,
  )
}

function buildGpu(c: Cells, position: number): Gpu {
  const mask = c.num('clock_reasons.active')
  const index = c.num('index')
  return {
    index: index ?? position,
    uuid: c.text('uuid') ?? `unknown-${position}`,
    name: c.text('name') ?? 'unknown GPU',
    busId: c.text('pci.bus_id'),
    driverVersion: c.text('driver_version'),
    pstate: c.text('pstate'),
    utilization: { gpuPct: c.num('utilization.gpu'), memoryPct: c.num('utilization.memory') },
    memory: { totalMiB: c.num('memory.total'), usedMiB: c.num('memory.used'), freeMiB: c.num('memory.free') },
    temperature: {
      gpuC: c.num('temperature.gpu'),
      memoryC: c.num('temperature.memory'),
      slowdownC: null,
      shutdownC: null,
    },
    power: { drawW: c.num('power.draw'), limitW: c.num('power.limit') },
    clocks: { smMHz: c.num('clocks.sm'), memoryMHz: c.num('clocks.mem'), maxSmMHz: c.num('clocks.max.sm') },
    clockEventReasons: mask === null ? null : clockReasonsFromMask(mask),
    fanPct: c.num('fan.speed'),
    ecc: {
      mode: c.text('ecc.mode.current'),
      correctedVolatile: c.num('ecc.errors.corrected.volatile.total'),
      uncorrectedVolatile: c.num('ecc.errors.uncorrected.volatile.total'),
      uncorrectedAggregate: c.num('ecc.errors.uncorrected.aggregate.total'),
    },
    retiredPages: {
      singleBit: c.num('retired_pages.single_bit_ecc.count'),
      doubleBit: c.num('retired_pages.double_bit.count'),
      pending: c.flag('retired_pages.pending'),
    },
    remappedRows: {
      correctable: c.num('remapped_rows.correctable'),
      uncorrectable: c.num('remapped_rows.uncorrectable'),
      pending: c.flag('remapped_rows.pending'),
      failure: c.flag('remapped_rows.failure'),
    },
    pcie: {
      genCurrent: c.num('pcie.link.gen.current'),
      genMax: c.num('pcie.link.gen.max'),
      widthCurrent: c.num('pcie.link.width.current'),
      widthMax: c.num('pcie.link.width.max'),
    },
    mig: { mode: c.text('mig.mode.current'), devices: [] },
    unavailable: c.unavailable(),
  }
}
