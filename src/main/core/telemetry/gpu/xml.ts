// Parsing `nvidia-smi -q -x` (the `--from-xml` path and node-nvidia-smi readings) into the normalized
// GPU model, tolerating the element drift across drivers (notes/gpu.md "XML (-q -x) schema drift").
import { NO_PROC_FACTS } from './processes'
import { parseStringPromise } from 'xml2js'
import type { GpuDetail, Gpu, GpuProcess, MigDevice } from '../../../../shared/gpu'
import { FieldReader, cleanText, readFlag, readNumber } from './values'

export type XmlSchema = 'v11' | 'v12' | 'v13' | 'none'

type Obj = Record<string, unknown>

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x)
// Own keys only: xml2js stores element names such as `__proto__` or `constructor` as own properties.
const own = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)

/** xml2js with explicitArray:false gives one child as an object, several as an array, none as '' or 'None'. */
function asArray(x: unknown): Obj[] {
  return (Array.isArray(x) ? x : [x]).filter(isObj)
}

/** The node at a dotted path. A placeholder met on the way (`<remapped_rows>N/A</remapped_rows>`)
 *  stands for every child, so those fields get it as their reason. */
function node(x: unknown, path: string): unknown {
  let cur = x
  for (const k of path.split('.')) {
    if (typeof cur === 'string') return cleanText(cur).value === null ? cur : undefined
    if (Array.isArray(cur)) cur = cur[0]
    if (!isObj(cur) || !own(cur, k)) return undefined
    cur = cur[k]
  }
  return cur
}

/** The text at a path; an element with attributes keeps its text under `_`, and an element with
 *  children where text belongs reads as a bracketed placeholder so it is null with a reason. */
function get(x: unknown, path: string): unknown {
  let v = node(x, path)
  if (Array.isArray(v)) v = v[0]
  if (isObj(v)) return typeof v._ === 'string' ? v._ : '[unexpected child elements]'
  return v
}

/** The first candidate that reads as a value; otherwise the first present one, for its reason. */
function first(x: unknown, paths: string[], read: (raw: unknown) => { value: unknown }): unknown {
  const raws = paths.map((p) => get(x, p)).filter((r) => r !== undefined)
  return raws.find((r) => read(r).value !== null) ?? raws[0]
}

/** From the DOCTYPE line `<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_vNN.dtd">`; 'none' when absent (old drivers). */
export function xmlSchemaOf(text: string): XmlSchema {
  const m = /<!DOCTYPE\s+nvidia_smi_log\s[^>]*nvsmi_device_v(\d+)\.dtd/i.exec(text.slice(0, 2000))
  const v = m ? `v${m[1]}` : 'none'
  return v === 'v11' || v === 'v12' || v === 'v13' ? v : 'none'
}

/** Parses the text with xml2js using exactly node-nvidia-smi's options, so both paths see one shape. */
export async function parseNvidiaSmiXml(text: string, at: number): Promise<GpuDetail> {
  let parsed: unknown
  try {
    parsed = await parseStringPromise(text, { explicitArray: false, trim: true })
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim()
    throw new Error(`not nvidia-smi XML: ${msg}`)
  }
  return normalizeNvidiaSmiLog(parsed, xmlSchemaOf(text), at)
}

/** Only unambiguous markers count: v11 and 525's v12 print the same elements, so those stay 'none'. */
function inferSchema(gpus: Obj[]): XmlSchema {
  const has = (path: string): boolean => gpus.some((g) => node(g, path) !== undefined)
  if (has('clocks_event_reasons_counters') || has('ecc_errors.volatile.sram_uncorrectable_parity')) return 'v13'
  if (has('clocks_event_reasons') || has('gpu_power_readings')) return 'v12'
  return 'none'
}

/** Normalizes the object xml2js (and node-nvidia-smi's callback) gives: `{ nvidia_smi_log: {...} }`.
 *  Every known layout is tried instead of switching on `schema`: the DTD line is missing on old
 *  drivers, and it does not say which power or ECC block a given GPU and driver print. */
export function normalizeNvidiaSmiLog(parsed: unknown, schema: XmlSchema, at: number): GpuDetail {
  const log = isObj(parsed) && own(parsed, 'nvidia_smi_log') ? parsed.nvidia_smi_log : undefined
  if (log === undefined) throw new Error('not nvidia-smi XML: no <nvidia_smi_log> element')
  const driverVersion = cleanText(get(log, 'driver_version')).value
  const gpuNodes = isObj(log) && own(log, 'gpu') ? asArray(log.gpu) : []
  const gpus = gpuNodes.map((g, i) => gpuFromXml(g, i, driverVersion))
  const processes = gpuNodes.flatMap((g, i) => processesFromXml(g, gpus[i].uuid))
  return {
    at,
    schema: schema === 'none' ? inferSchema(gpuNodes) : schema,
    driverVersion,
    cudaVersion: cleanText(get(log, 'cuda_version')).value,
    gpus,
    processes,
  }
}

/** Corrected or uncorrected count of one `ecc_errors` block (volatile or aggregate) in any layout. */
function eccCount(r: FieldReader, field: string, block: unknown, kind: 'corr' | 'unc'): number | null {
  if (!isObj(block)) return r.num(field, block)
  if (own(block, 'single_bit') || own(block, 'double_bit')) {
    return r.num(field, get(block, kind === 'corr' ? 'single_bit.total' : 'double_bit.total'))
  }
  // sram_/dram_ (510+) and v13's sram_uncorrectable_parity/_secded split: sum the numeric parts.
  const want = kind === 'corr' ? /^(sram|dram)_correctable$/ : /^(sram|dram)_uncorrectable(_[a-z]+)?$/
  const parts = Object.keys(block).filter((k) => want.test(k))
  const nums = parts.map((k) => readNumber(get(block, k)).value).filter((v): v is number => v !== null)
  if (nums.length > 0) return nums.reduce((a, b) => a + b, 0)
  return r.num(field, parts.length > 0 ? get(block, parts[0]) : undefined)
}

/** Names of the active reasons from `clocks_event_reasons` (535+) or `clocks_throttle_reasons`. */
function clockReasons(r: FieldReader, g: Obj): string[] | null {
  for (const [block, prefix] of [
    ['clocks_event_reasons', 'clocks_event_reason_'],
    ['clocks_throttle_reasons', 'clocks_throttle_reason_'],
  ]) {
    const b = node(g, block)
    if (b === undefined) continue
    if (!isObj(b)) {
      r.text('clock_reasons.active', b)
      return null
    }
    return Object.keys(b)
      .filter((k) => k.startsWith(prefix) && readFlag(get(b, k)).value === true)
      .map((k) => k.slice(prefix.length))
  }
  return null
}

/** Ada and later GPUs may print thresholds only as offsets from T.Limit ("-2 C"), which are not degrees. */
function threshold(r: FieldReader, g: Obj, field: 'slowdown' | 'shutdown', name: 'slow' | 'max'): number | null {
  const v = r.num(`temperature.${field}`, get(g, `temperature.gpu_temp_${name}_threshold`))
  if (v === null && get(g, `temperature.gpu_temp_${name}_tlimit_threshold`) !== undefined) {
    r.unavailable[`temperature.${field}`] ??= 'only relative to T.Limit'
  }
  return v
}

function migDevices(g: Obj): MigDevice[] {
  return asArray(node(g, 'mig_devices.mig_device')).map((d) => {
    const int = (path: string): number | null => {
      const v = readNumber(get(d, path)).value
      return v !== null && Number.isInteger(v) ? v : null
    }
    return {
      index: int('index'),
      gpuInstanceId: int('gpu_instance_id'),
      computeInstanceId: int('compute_instance_id'),
      // neither is printed by the drivers recorded so far (510, 590); read if a later one adds them
      profile: cleanText(get(d, 'profile')).value,
      uuid: cleanText(get(d, 'uuid')).value,
      memoryTotalMiB: readNumber(get(d, 'fb_memory_usage.total')).value,
      memoryUsedMiB: readNumber(get(d, 'fb_memory_usage.used')).value,
      smCount: readNumber(get(d, 'device_attributes.shared.multiprocessor_count')).value,
    }
  })
}

function gpuFromXml(g: Obj, position: number, driverVersion: string | null): Gpu {
  const r = new FieldReader()
  const num = (field: string, path: string): number | null => r.num(field, get(g, path))
  const flag = (field: string, path: string): boolean | null => r.flag(field, get(g, path))
  const minor = readNumber(get(g, 'minor_number')).value
  const power = (names: string[]): string[] =>
    ['power_readings', 'gpu_power_readings'].flatMap((b) => names.map((n) => `${b}.${n}`))
  return {
    // minor_number is N/A on Windows (WDDM)
    index: minor !== null && Number.isInteger(minor) ? minor : position,
    uuid: r.text('uuid', get(g, 'uuid')) ?? `unknown-${position}`,
    name: r.text('name', get(g, 'product_name')) ?? 'unknown GPU',
    busId: r.text('pci.bus_id', first(g, ['pci.pci_bus_id', '$.id'], cleanText)),
    driverVersion,
    pstate: r.text('pstate', get(g, 'performance_state')),
    utilization: {
      gpuPct: num('utilization.gpu', 'utilization.gpu_util'),
      memoryPct: num('utilization.memory', 'utilization.memory_util'),
    },
    memory: {
      totalMiB: num('memory.total', 'fb_memory_usage.total'),
      usedMiB: num('memory.used', 'fb_memory_usage.used'),
      freeMiB: num('memory.free', 'fb_memory_usage.free'),
    },
    temperature: {
      gpuC: num('temperature.gpu', 'temperature.gpu_temp'),
      memoryC: num('temperature.memory', 'temperature.memory_temp'),
      slowdownC: threshold(r, g, 'slowdown', 'slow'),
      shutdownC: threshold(r, g, 'shutdown', 'max'),
    },
    power: {
      // 570+ dropped <power_draw>; a 580 excerpt prints it as N/A next to a numeric average
      drawW: r.num(
        'power.draw',
        first(g, power(['power_draw', 'average_power_draw', 'instant_power_draw']), readNumber),
      ),
      limitW: r.num(
        'power.limit',
        first(g, power(['power_limit', 'current_power_limit', 'enforced_power_limit']), readNumber),
      ),
    },
    clocks: {
      smMHz: num('clocks.sm', 'clocks.sm_clock'),
      memoryMHz: num('clocks.mem', 'clocks.mem_clock'),
      maxSmMHz: num('clocks.max.sm', 'max_clocks.sm_clock'),
    },
    clockEventReasons: clockReasons(r, g),
    fanPct: num('fan.speed', 'fan_speed'),
    ecc: {
      mode: r.text('ecc.mode.current', get(g, 'ecc_mode.current_ecc')),
      correctedVolatile: eccCount(r, 'ecc.errors.corrected.volatile.total', node(g, 'ecc_errors.volatile'), 'corr'),
      uncorrectedVolatile: eccCount(r, 'ecc.errors.uncorrected.volatile.total', node(g, 'ecc_errors.volatile'), 'unc'),
      uncorrectedAggregate: eccCount(
        r,
        'ecc.errors.uncorrected.aggregate.total',
        node(g, 'ecc_errors.aggregate'),
        'unc',
      ),
    },
    retiredPages: {
      singleBit: num(
        'retired_pages.single_bit_ecc.count',
        'retired_pages.multiple_single_bit_retirement.retired_count',
      ),
      doubleBit: num('retired_pages.double_bit.count', 'retired_pages.double_bit_retirement.retired_count'),
      pending: r.flag(
        'retired_pages.pending',
        first(g, ['retired_pages.pending_retirement', 'retired_pages.pending_blacklist'], readFlag),
      ),
    },
    remappedRows: {
      correctable: num('remapped_rows.correctable', 'remapped_rows.remapped_row_corr'),
      uncorrectable: num('remapped_rows.uncorrectable', 'remapped_rows.remapped_row_unc'),
      pending: flag('remapped_rows.pending', 'remapped_rows.remapped_row_pending'),
      failure: flag('remapped_rows.failure', 'remapped_rows.remapped_row_failure'),
    },
    pcie: {
      genCurrent: num('pcie.link.gen.current', 'pci.pci_gpu_link_info.pcie_gen.current_link_gen'),
      genMax: num('pcie.link.gen.max', 'pci.pci_gpu_link_info.pcie_gen.max_link_gen'),
      widthCurrent: num('pcie.link.width.current', 'pci.pci_gpu_link_info.link_widths.current_link_width'),
      widthMax: num('pcie.link.width.max', 'pci.pci_gpu_link_info.link_widths.max_link_width'),
    },
    mig: { mode: r.text('mig.mode.current', get(g, 'mig_mode.current_mig')), devices: migDevices(g) },
    unavailable: r.unavailable,
  }
}

function processesFromXml(g: Obj, gpuUuid: string): GpuProcess[] {
  const out: GpuProcess[] = []
  for (const p of asArray(node(g, 'processes.process_info'))) {
    const pid = readNumber(get(p, 'pid')).value
    // without a pid the row cannot be told apart from others or acted on
    if (pid === null || !Number.isInteger(pid)) continue
    const name = get(p, 'process_name')
    out.push({
      gpuUuid,
      pid,
      // kept as printed (Windows paths, command lines), not whitespace-folded; Windows prints some as ''
      name: typeof name === 'string' && cleanText(name).value !== null ? name.trim() : '(unnamed)',
      type: cleanText(get(p, 'type')).value,
      usedMemoryMiB: readNumber(get(p, 'used_memory')).value,
      user: null,
      container: null,
      ...NO_PROC_FACTS,
    })
  }
  return out
}
