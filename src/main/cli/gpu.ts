// `gantry gpu`: the normalized GPU model as JSON or text, from the live stream or from a recorded
// nvidia-smi output a customer sent (field engineers run this on captures).
import { readFileSync } from 'node:fs'
import type { Gpu, GpuProcess, GpuSnapshot } from '../../shared/gpu'
import type { Gantry } from '../core'
import { GantryError } from '../core/errors'
import { gpuFromRow, rowsFromCsvText } from '../core/telemetry/gpu/csv'
import { diagnoseGpu } from '../core/telemetry/gpu/diagnose'
import { parseNvidiaSmiXml } from '../core/telemetry/gpu/xml'

export interface GpuReport {
  source: string
  state: string
  reason: string | null
  gpus: (Gpu & { health: ReturnType<typeof diagnoseGpu>; processes: GpuProcess[] })[]
}

function attach(gpus: Gpu[], processes: GpuProcess[], health: (g: Gpu) => ReturnType<typeof diagnoseGpu>) {
  return gpus.map((g) => ({ ...g, health: health(g), processes: processes.filter((p) => p.gpuUuid === g.uuid) }))
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw new GantryError('contract/invalid-input', `cannot read ${file}: ${(err as Error).message}`)
  }
}

export async function gpuReportFromXmlFile(file: string): Promise<GpuReport> {
  let d
  try {
    d = await parseNvidiaSmiXml(readText(file), Date.now())
  } catch (err) {
    if (err instanceof GantryError) throw err
    throw new GantryError('gpu/parse', `${file}: ${(err as Error).message}`)
  }
  return {
    source: `${file} (nvidia-smi -q -x, schema ${d.schema})`,
    state: 'ok',
    reason: null,
    gpus: attach(d.gpus, d.processes, (g) => diagnoseGpu(g)),
  }
}

export function gpuReportFromCsvFile(file: string): GpuReport {
  let gpus: Gpu[]
  try {
    gpus = rowsFromCsvText(readText(file)).map((r, i) => gpuFromRow(r, i))
  } catch (err) {
    if (err instanceof GantryError) throw err
    throw new GantryError('gpu/parse', `${file}: ${(err as Error).message}`)
  }
  return {
    source: `${file} (nvidia-smi --query-gpu CSV)`,
    state: 'ok',
    reason: null,
    gpus: attach(gpus, [], (g) => diagnoseGpu(g)),
  }
}

export function gpuReportFromSnapshot(s: GpuSnapshot, source = 'live nvidia-smi stream'): GpuReport {
  const health = new Map(s.health.map((h) => [h.uuid, h.health]))
  return {
    source,
    state: s.state,
    reason: s.reason,
    gpus: attach(s.gpus, s.processes, (g) => health.get(g.uuid) ?? diagnoseGpu(g)),
  }
}

/** Resolves with the first snapshot that has GPUs and processes, or a definite failure state. */
export function waitForGpus(g: Gantry, waitMs: number, host = 'local'): Promise<GpuSnapshot> {
  return new Promise((resolve) => {
    let last: GpuSnapshot | null = null
    const done = (s: GpuSnapshot): void => {
      off()
      clearTimeout(timer)
      resolve(s)
    }
    const off = g.events.on('gpu.sample', (s) => {
      if (s.host !== host) return
      last = s
      if (s.state === 'no-driver' || s.state === 'error') done(s)
      else if (s.state === 'ok' && s.processesAt !== null) done(s)
    })
    const timer = setTimeout(async () => {
      const r = await g.client['gpu.snapshot']({ host })
      const s = r.ok ? r.data : last
      if (s)
        done(
          s.state === 'ok' || s.state === 'starting'
            ? {
                ...s,
                state: s.gpus.length ? s.state : 'not-responding',
                reason: s.reason ?? `no sample within ${waitMs} ms`,
              }
            : s,
        )
    }, waitMs)
  })
}

const mib = (n: number | null): string => (n === null ? '—' : n >= 1024 ? `${(n / 1024).toFixed(1)} GiB` : `${n} MiB`)
const v = (n: number | null, unit: string): string => (n === null ? '—' : `${n}${unit}`)

export function formatGpuReport(r: GpuReport): string {
  const lines = [`source: ${r.source}`]
  if (r.state !== 'ok') lines.push(`state: ${r.state}${r.reason ? ` — ${r.reason}` : ''}`)
  for (const g of r.gpus) {
    lines.push(`GPU ${g.index}: ${g.name} (${g.uuid}) — ${g.health.level.toUpperCase()}`)
    for (const reason of g.health.reasons) lines.push(`  ! ${reason}`)
    lines.push(
      `  util ${v(g.utilization.gpuPct, ' %')}  memory ${mib(g.memory.usedMiB)} / ${mib(g.memory.totalMiB)}  temp ${v(g.temperature.gpuC, ' °C')}  power ${v(g.power.drawW, ' W')} / ${v(g.power.limitW, ' W')}`,
    )
    if (g.mig.devices.length)
      lines.push(`  MIG: ${g.mig.devices.map((d) => `${d.profile ?? 'instance'} ${mib(d.memoryTotalMiB)}`).join(', ')}`)
    for (const p of g.processes)
      lines.push(
        `  pid ${p.pid} ${p.user ?? ''} ${p.name} ${mib(p.usedMemoryMiB)}${p.container ? ` [container ${p.container}]` : ''}`,
      )
  }
  if (r.gpus.length === 0) lines.push('no GPUs')
  return `${lines.join('\n')}\n`
}
