// Parsing `nvidia-smi --query-gpu` CSV into the normalized Gpu model: the stream's
// noheader/nounits lines (columns known from the field plan) and recorded files with a header
// and units (`memory.used [MiB]`, values like `575 MiB`), as customers send them.
// nvidia-smi's CSV is not RFC 4180 (no quoting; ", " separates), so it is split by hand and the
// column count is checked: a row of the wrong width is garbage, not a shifted reading.
import type { Gpu } from '../../../../shared/gpu'
import { FieldReader } from './values'
import { LOGICAL_FIELDS, clockReasonsFromMask, type LogicalField } from './fields'

export type Row = Partial<Record<LogicalField, string>>

export function splitCsvLine(line: string): string[] {
  return line.split(/,\s?/).map((s) => s.trim())
}

/** One noheader line against the plan's columns; throws when the width is wrong. */
export function rowFromLine(line: string, columns: readonly LogicalField[]): Row {
  const cells = splitCsvLine(line)
  if (cells.length !== columns.length) {
    throw new Error(`expected ${columns.length} columns, got ${cells.length}: "${line.slice(0, 80)}"`)
  }
  const row: Row = {}
  columns.forEach((c, i) => (row[c] = cells[i]))
  return row
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
  const r = new FieldReader()
  const num = (f: LogicalField): number | null => r.num(f, row[f])
  const flag = (f: LogicalField): boolean | null => r.flag(f, row[f])
  const mask = num('clock_reasons.active')
  const index = num('index')
  return {
    index: index ?? position,
    uuid: r.text('uuid', row.uuid) ?? `unknown-${position}`,
    name: r.text('name', row.name) ?? 'unknown GPU',
    busId: r.text('pci.bus_id', row['pci.bus_id']),
    driverVersion: r.text('driver_version', row.driver_version),
    pstate: r.text('pstate', row.pstate),
    utilization: { gpuPct: num('utilization.gpu'), memoryPct: num('utilization.memory') },
    memory: { totalMiB: num('memory.total'), usedMiB: num('memory.used'), freeMiB: num('memory.free') },
    temperature: { gpuC: num('temperature.gpu'), memoryC: num('temperature.memory'), slowdownC: null, shutdownC: null },
    power: { drawW: num('power.draw'), limitW: num('power.limit') },
    clocks: { smMHz: num('clocks.sm'), memoryMHz: num('clocks.mem'), maxSmMHz: num('clocks.max.sm') },
    clockEventReasons: mask === null ? null : clockReasonsFromMask(mask),
    fanPct: num('fan.speed'),
    ecc: {
      mode: r.text('ecc.mode.current', row['ecc.mode.current']),
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
    mig: { mode: r.text('mig.mode.current', row['mig.mode.current']), devices: [] },
    unavailable: r.unavailable,
  }
}
