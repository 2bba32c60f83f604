// Per-GPU diagnosis an operator can act on: each verdict with its reason, worst first.
import type { Health } from '../../../../shared/contract'
import { CLOCK_EVENT_REASONS, type Gpu } from '../../../../shared/gpu'
import { HealthBuilder } from '../health'
import { XID_MEANINGS, normalizeBusId, type XidEvent } from './xid'

/** Used when the driver does not tell us the slowdown threshold (the CSV stream does not). */
export const DEFAULT_WARN_TEMP_C = 85

export function diagnoseGpu(gpu: Gpu, xids: readonly XidEvent[] = [], slowdownC: number | null = null): Health {
  const h = new HealthBuilder()
  const t = gpu.temperature.gpuC
  const slow = gpu.temperature.slowdownC ?? slowdownC
  const hot = { kind: 'gpu-temperature', title: 'close to its slowdown temperature' }
  if (t !== null) {
    if (slow !== null) {
      if (t >= slow) h.add('critical', `temperature ${t} °C at or above the slowdown threshold (${slow} °C)`, hot)
      else if (t >= slow - 5)
        h.add('warning', `temperature ${t} °C within 5 °C of the slowdown threshold (${slow} °C)`, hot)
    } else if (t >= DEFAULT_WARN_TEMP_C) {
      h.add('warning', `temperature ${t} °C (slowdown threshold unknown; warning from ${DEFAULT_WARN_TEMP_C} °C)`, hot)
    }
  }
  for (const r of gpu.clockEventReasons ?? []) {
    const known = CLOCK_EVENT_REASONS[r]
    if (!known) continue
    // A cap active while the sampled draw is far below the limit is not a contradiction: the
    // driver caps on short peaks the sampled draw averages away, or on a lower enforced limit.
    const power =
      r === 'sw_power_cap' && gpu.power.drawW !== null && gpu.power.limitW !== null
        ? gpu.power.drawW < gpu.power.limitW * 0.9
          ? ` (sampled draw ${gpu.power.drawW.toFixed(0)} of ${gpu.power.limitW.toFixed(0)} W: the cap acts on short peaks the sample averages away, or on a lower enforced limit)`
          : ` (drawing ${gpu.power.drawW.toFixed(0)} of ${gpu.power.limitW.toFixed(0)} W)`
        : ''
    h.add(known.level, `${known.text}${power}`, { kind: `gpu-${r}`, title: known.title })
  }
  const unc = gpu.ecc.uncorrectedVolatile
  if (unc !== null && unc > 0)
    h.add('critical', `${unc} uncorrected ECC error${unc === 1 ? '' : 's'} since the last driver load`, {
      kind: 'gpu-ecc',
      title: 'uncorrected memory (ECC) errors',
    })
  if (gpu.remappedRows.failure)
    h.add('critical', 'row remapping failed: the GPU needs service', {
      kind: 'gpu-remap-failed',
      title: 'memory row remapping failed: needs service',
    })
  if (gpu.remappedRows.pending)
    h.add('warning', 'row remap pending: reset the GPU to apply it', {
      kind: 'gpu-remap-pending',
      title: 'needs a reset (row remap pending)',
    })
  if (gpu.retiredPages.pending)
    h.add('warning', 'page retirement pending: reset the GPU to apply it', {
      kind: 'gpu-retire-pending',
      title: 'needs a reset (page retirement pending)',
    })
  const { widthCurrent, widthMax, genCurrent, genMax } = gpu.pcie
  if (widthCurrent !== null && widthMax !== null && widthCurrent < widthMax) {
    h.add('warning', `PCIe link running x${widthCurrent} of x${widthMax} (reseat or check the slot)`, {
      kind: 'gpu-pcie-width',
      title: 'PCIe link narrower than the slot',
    })
  }
  // The link generation drops when idle to save power; it only matters under load.
  const busy = (gpu.utilization.gpuPct ?? 0) >= 50
  if (busy && genCurrent !== null && genMax !== null && genCurrent < genMax) {
    h.add('warning', `PCIe Gen${genCurrent} under load, capable of Gen${genMax}`, {
      kind: 'gpu-pcie-gen',
      title: 'PCIe link slower than it can be under load',
    })
  }
  const bus = gpu.busId ? normalizeBusId(gpu.busId) : null
  for (const x of xids) {
    if (!bus || x.busId !== bus) continue
    const sev = XID_MEANINGS[x.code]?.severity ?? 'warning'
    h.add(sev, `XID ${x.code}: ${x.meaning}`, { kind: `gpu-xid-${x.code}`, title: `XID ${x.code}: ${x.meaning}` })
  }
  return h.build()
}
