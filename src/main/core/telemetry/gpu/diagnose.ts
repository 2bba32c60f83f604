// Per-GPU diagnosis an operator can act on: each verdict with its reason, worst first.
import type { Health } from '../../../../shared/contract'
import type { Gpu } from '../../../../shared/gpu'
import { HealthBuilder } from '../health'
import { XID_MEANINGS, normalizeBusId, type XidEvent } from './xid'

/** Used when the driver does not tell us the slowdown threshold (the CSV stream does not). */
export const DEFAULT_WARN_TEMP_C = 85

const REASON_TEXT: Record<string, { level: 'warning' | 'critical'; text: string }> = {
  hw_thermal_slowdown: { level: 'critical', text: 'hardware thermal slowdown active (clocks cut: the GPU is too hot)' },
  sw_thermal_slowdown: { level: 'warning', text: 'software thermal slowdown active' },
  hw_power_brake_slowdown: { level: 'critical', text: 'hardware power brake active (external power signal)' },
  hw_slowdown: { level: 'warning', text: 'hardware slowdown active (thermal or power brake)' },
  sw_power_cap: { level: 'warning', text: 'power capping active' },
}

export function diagnoseGpu(gpu: Gpu, xids: readonly XidEvent[] = [], slowdownC: number | null = null): Health {
  const h = new HealthBuilder()
  const t = gpu.temperature.gpuC
  const slow = gpu.temperature.slowdownC ?? slowdownC
  if (t !== null) {
    if (slow !== null) {
      if (t >= slow) h.add('critical', `temperature ${t} °C at or above the slowdown threshold (${slow} °C)`)
      else if (t >= slow - 5) h.add('warning', `temperature ${t} °C within 5 °C of the slowdown threshold (${slow} °C)`)
    } else if (t >= DEFAULT_WARN_TEMP_C) {
      h.add('warning', `temperature ${t} °C (slowdown threshold unknown; warning from ${DEFAULT_WARN_TEMP_C} °C)`)
    }
  }
  for (const r of gpu.clockEventReasons ?? []) {
    const known = REASON_TEXT[r]
    if (!known) continue
    const power =
      r === 'sw_power_cap' && gpu.power.drawW !== null && gpu.power.limitW !== null
        ? ` (drawing ${gpu.power.drawW.toFixed(0)} of ${gpu.power.limitW.toFixed(0)} W)`
        : ''
    h.add(known.level, `${known.text}${power}`)
  }
  const unc = gpu.ecc.uncorrectedVolatile
  if (unc !== null && unc > 0)
    h.add('critical', `${unc} uncorrected ECC error${unc === 1 ? '' : 's'} since the last driver load`)
  if (gpu.remappedRows.failure) h.add('critical', 'row remapping failed: the GPU needs service')
  if (gpu.remappedRows.pending) h.add('warning', 'row remap pending: reset the GPU to apply it')
  if (gpu.retiredPages.pending) h.add('warning', 'page retirement pending: reset the GPU to apply it')
  const { widthCurrent, widthMax, genCurrent, genMax } = gpu.pcie
  if (widthCurrent !== null && widthMax !== null && widthCurrent < widthMax) {
    h.add('warning', `PCIe link running x${widthCurrent} of x${widthMax} (reseat or check the slot)`)
  }
  // The link generation drops when idle to save power; it only matters under load.
  const busy = (gpu.utilization.gpuPct ?? 0) >= 50
  if (busy && genCurrent !== null && genMax !== null && genCurrent < genMax) {
    h.add('warning', `PCIe Gen${genCurrent} under load, capable of Gen${genMax}`)
  }
  const bus = gpu.busId ? normalizeBusId(gpu.busId) : null
  for (const x of xids) {
    if (!bus || x.busId !== bus) continue
    const sev = XID_MEANINGS[x.code]?.severity ?? 'warning'
    h.add(sev, `XID ${x.code}: ${x.meaning}`)
  }
  return h.build()
}
