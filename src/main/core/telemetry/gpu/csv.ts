// Parsing `nvidia-smi --query-gpu` CSV into the normalized Gpu model: the stream's
// noheader/nounits lines (columns known from the field plan) and recorded files with a header
// and units (`memory.used [MiB]`, values like `575 MiB`), as customers send them.
// nvidia-smi's CSV is not RFC 4180 (no quoting; ", " separates), so it is split by hand and the
// column count is checked: a row of the wrong width is garbage, not a shifted reading.
import type { Gpu } from '../../../../shared/gpu'
import { decimalAt } from '../../util/number'
import { FieldReader } from './values'
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

/** One stream line as cell boundaries: no substring is made for a number that parses in place. */
export interface LineSpans {
  line: string
  /** [start, end) of cell i at 2i, 2i + 1, surrounding spaces excluded. */
  at: Int32Array
}

/** The cells of one noheader line split on nvidia-smi's ", " without copying them; null when the
 *  width is not `width` (the caller falls back to cellsFromLine, which names the problem). */
export function spansOf(line: string, width: number): LineSpans | null {
  const at = new Int32Array(width * 2)
  let start = 0
  for (let i = 0; i < width; i++) {
    const sep = line.indexOf(', ', start)
    const last = i === width - 1
    if (last ? sep >= 0 : sep < 0) return null
    let s = start
    let e = last ? line.length : sep
    while (s < e && line.charCodeAt(s) <= 32) s++
    while (e > s && line.charCodeAt(e - 1) <= 32) e--
    at[2 * i] = s
    at[2 * i + 1] = e
    start = sep + 2
  }
  return { line, at }
}

/** The stream's fast path: a line's spans read through the plan's column index; plain decimals
 *  are parsed where they stand, everything else is cut out and read as gpuFromCells would. */
export function gpuFromSpans(spans: LineSpans, columns: ColumnIndex, position = 0): Gpu {
  const { line, at } = spans
  return gpuFrom(
    (f) => {
      const i = columns.get(f)
      return i === undefined ? undefined : line.slice(at[2 * i], at[2 * i + 1])
    },
    position,
    (f) => {
      const i = columns.get(f)
      if (i === undefined) return undefined
      const v = decimalAt(line, at[2 * i], at[2 * i + 1])
      return Number.isNaN(v) ? undefined : v
    },
  )
}

function gpuFrom(
  get: (f: LogicalField) => string | undefined,
  position: number,
  fastNum?: (f: LogicalField) => number | undefined,
): Gpu {
  const r = new FieldReader()
  const num = (f: LogicalField): number | null => {
    if (fastNum) {
      const v = fastNum(f)
      if (v !== undefined) return v
    }
    return r.num(f, get(f))
  }
  const flag = (f: LogicalField): boolean | null => r.flag(f, get(f))
  const text = (f: LogicalField): string | null => r.text(f, get(f))
  const mask = num('clock_reasons.active')
  const index = num('index')
  return {
    index: index ?? position,
    uuid: text('uuid') ?? `unknown-${position}`,
    name: text('name') ?? 'unknown GPU',
    busId: text('pci.bus_id'),
    driverVersion: text('driver_version'),
    pstate: text('pstate'),
    utilization: { gpuPct: num('utilization.gpu'), memoryPct: num('utilization.memory') },
    memory: { totalMiB: num('memory.total'), usedMiB: num('memory.used'), freeMiB: num('memory.free') },
    temperature: { gpuC: num('temperature.gpu'), memoryC: num('temperature.memory'), slowdownC: null, shutdownC: null },
    power: { drawW: num('power.draw'), limitW: num('power.limit') },
    clocks: { smMHz: num('clocks.sm'), memoryMHz: num('clocks.mem'), maxSmMHz: num('clocks.max.sm') },
    clockEventReasons: mask === null ? null : clockReasonsFromMask(mask),
    fanPct: num('fan.speed'),
    ecc: {
      mode: text('ecc.mode.current'),
      correctedVolatile: num('ecc.errors.corrected.volatile.total'),
      uncorrectedVolatile: num('ecc.errors.uncorrected.volatile.total'),
      uncorrectedAggregate: num('ecc.errors.uncorrected.aggregate.total'),
    },
    retiredPages: {
      singleBit: num('retired_pages.single_bit_ecc.count'),
      doubleBit: num('retired_pages.double_bit.count'),
      pending: flag('retired_pages.pending'),
    },
    remappedRows: {
      correctable: num('remapped_rows.correctable'),
      uncorrectable: num('remapped_rows.uncorrectable'),
      pending: flag('remapped_rows.pending'),
      failure: flag('remapped_rows.failure'),
    },
    pcie: {
      genCurrent: num('pcie.link.gen.current'),
      genMax: num('pcie.link.gen.max'),
      widthCurrent: num('pcie.link.width.current'),
      widthMax: num('pcie.link.width.max'),
    },
    mig: { mode: text('mig.mode.current'), devices: [] },
    unavailable: r.unavailable,
  }
}
