// Which --query-gpu fields to ask for. Drivers differ (clocks_event_reasons.* since 535,
// clocks_throttle_reasons.* before; power.draw.average/instant on new drivers; remapped_rows.*
// only on Ampere+ drivers), and asking for a field the driver does not know fails the whole
// query — so the field list is chosen from the driver's own `--help-query-gpu`.

/** A logical field and the nvidia-smi names that can supply it, preferred first. */
export const LOGICAL_FIELDS = [
  ['timestamp', ['timestamp']],
  ['count', ['count']],
  ['index', ['index']],
  ['uuid', ['uuid', 'gpu_uuid']],
  ['name', ['name', 'gpu_name']],
  ['pci.bus_id', ['pci.bus_id', 'gpu_bus_id']],
  ['driver_version', ['driver_version']],
  ['pstate', ['pstate']],
  ['utilization.gpu', ['utilization.gpu']],
  ['utilization.memory', ['utilization.memory']],
  ['memory.total', ['memory.total']],
  ['memory.used', ['memory.used']],
  ['memory.free', ['memory.free']],
  ['temperature.gpu', ['temperature.gpu']],
  ['temperature.memory', ['temperature.memory']],
  ['power.draw', ['power.draw', 'power.draw.average', 'power.draw.instant']],
  ['power.limit', ['power.limit', 'enforced.power.limit']],
  ['clocks.sm', ['clocks.sm', 'clocks.current.sm']],
  ['clocks.mem', ['clocks.mem', 'clocks.current.memory']],
  ['clocks.max.sm', ['clocks.max.sm', 'clocks.max.sm_clock']],
  ['clock_reasons.active', ['clocks_event_reasons.active', 'clocks_throttle_reasons.active']],
  ['fan.speed', ['fan.speed']],
  ['ecc.mode.current', ['ecc.mode.current']],
  ['ecc.errors.corrected.volatile.total', ['ecc.errors.corrected.volatile.total']],
  ['ecc.errors.uncorrected.volatile.total', ['ecc.errors.uncorrected.volatile.total']],
  ['ecc.errors.uncorrected.aggregate.total', ['ecc.errors.uncorrected.aggregate.total']],
  ['retired_pages.single_bit_ecc.count', ['retired_pages.single_bit_ecc.count', 'retired_pages.sbe']],
  ['retired_pages.double_bit.count', ['retired_pages.double_bit.count', 'retired_pages.dbe']],
  ['retired_pages.pending', ['retired_pages.pending']],
  ['remapped_rows.correctable', ['remapped_rows.correctable']],
  ['remapped_rows.uncorrectable', ['remapped_rows.uncorrectable']],
  ['remapped_rows.pending', ['remapped_rows.pending']],
  ['remapped_rows.failure', ['remapped_rows.failure']],
  ['pcie.link.gen.current', ['pcie.link.gen.current', 'pcie.link.gen.gpucurrent']],
  ['pcie.link.gen.max', ['pcie.link.gen.max', 'pcie.link.gen.gpumax']],
  ['pcie.link.width.current', ['pcie.link.width.current']],
  ['pcie.link.width.max', ['pcie.link.width.max']],
  ['mig.mode.current', ['mig.mode.current']],
] as const satisfies readonly (readonly [string, readonly string[]])[]

export type LogicalField = (typeof LOGICAL_FIELDS)[number][0]

/** Without these a row cannot be attributed to a GPU. */
const REQUIRED: LogicalField[] = ['timestamp', 'count', 'index', 'uuid', 'name']

/** The quoted names of `--help-query-gpu` ("name" or "gpu_name" lines). */
export function parseHelpQueryGpu(help: string): Set<string> {
  const names = new Set<string>()
  for (const line of help.split('\n')) {
    if (!line.startsWith('"')) continue
    for (const m of line.matchAll(/"([A-Za-z0-9_.]+)"/g)) names.add(m[1])
  }
  return names
}

export interface FieldPlan {
  /** The nvidia-smi names to put in --query-gpu, in order. */
  query: string[]
  /** The logical field each query column fills. */
  logical: LogicalField[]
  /** Logical fields this driver cannot supply. */
  missing: LogicalField[]
}

export function planFields(valid: Set<string>): FieldPlan {
  const query: string[] = []
  const logical: LogicalField[] = []
  const missing: LogicalField[] = []
  for (const [key, names] of LOGICAL_FIELDS) {
    const name = names.find((n) => valid.has(n))
    if (name) {
      query.push(name)
      logical.push(key)
    } else missing.push(key)
  }
  const lacking = REQUIRED.filter((r) => missing.includes(r))
  if (lacking.length) throw new Error(`this nvidia-smi cannot report ${lacking.join(', ')}`)
  return { query, logical, missing }
}

/** NVML clock event reason bits (nvmlClocksEventReason*), as in `clocks_event_reasons.active`. */
export const CLOCK_REASON_BITS: readonly [number, string][] = [
  [0x1, 'gpu_idle'],
  [0x2, 'applications_clocks_setting'],
  [0x4, 'sw_power_cap'],
  [0x8, 'hw_slowdown'],
  [0x10, 'sync_boost'],
  [0x20, 'sw_thermal_slowdown'],
  [0x40, 'hw_thermal_slowdown'],
  [0x80, 'hw_power_brake_slowdown'],
  [0x100, 'display_clocks_setting'],
]

export function clockReasonsFromMask(mask: number): string[] {
  return CLOCK_REASON_BITS.filter(([bit]) => (mask & bit) !== 0).map(([, name]) => name)
}
