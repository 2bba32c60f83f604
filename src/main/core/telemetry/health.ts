// Health rules for the host and its filesystems: each verdict comes with its reasons, worst first.
// Thresholds are the ones an operator would page on, not a dashboard's colour scale.
import type { Filesystem, Forecast, Health, HealthLevel, HostSnapshot } from '../../../shared/contract'

const RANK: Record<HealthLevel, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 }

export function worst(levels: HealthLevel[]): HealthLevel {
  return levels.reduce<HealthLevel>((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok')
}

export class HealthBuilder {
  private items: { level: HealthLevel; reason: string }[] = []
  add(level: HealthLevel, reason: string): this {
    this.items.push({ level, reason })
    return this
  }
  build(): Health {
    const sorted = [...this.items].sort((a, b) => RANK[b.level] - RANK[a.level])
    return { level: worst(sorted.map((i) => i.level)), reasons: sorted.map((i) => i.reason) }
  }
}

const DAY = 24 * 3600_000

export function hostHealth(s: Pick<HostSnapshot, 'problems' | 'memory' | 'load' | 'cpu'>): Health {
  const h = new HealthBuilder()
  for (const p of s.problems) h.add('unknown', p)
  if (s.memory) {
    const availPct = (s.memory.available / s.memory.total) * 100
    if (availPct < 5) h.add('critical', `memory: only ${availPct.toFixed(1)} % available`)
    else if (availPct < 10) h.add('warning', `memory: ${availPct.toFixed(1)} % available`)
    if (s.memory.swapTotal > 0 && s.memory.swapUsed / s.memory.swapTotal > 0.8)
      h.add('warning', `swap ${((s.memory.swapUsed / s.memory.swapTotal) * 100).toFixed(0)} % used`)
  }
  if (s.load && s.cpu && s.cpu.cores > 0) {
    const perCore = s.load.five / s.cpu.cores
    if (perCore > 4) h.add('critical', `load ${s.load.five.toFixed(2)} over 5 min on ${s.cpu.cores} cores`)
    else if (perCore > 2) h.add('warning', `load ${s.load.five.toFixed(2)} over 5 min on ${s.cpu.cores} cores`)
  }
  if (s.cpu && s.cpu.iowaitPct !== null && s.cpu.iowaitPct > 30)
    h.add('warning', `CPU waiting on IO ${s.cpu.iowaitPct.toFixed(0)} % of the time`)
  return h.build()
}

export function filesystemHealth(
  fs: Pick<Filesystem, 'mount' | 'usedPct' | 'readOnly'>,
  forecast: Forecast,
  now: number,
): Health {
  const h = new HealthBuilder()
  if (fs.usedPct >= 95) h.add('critical', `${fs.mount} is ${fs.usedPct.toFixed(1)} % full`)
  else if (fs.usedPct >= 90) h.add('warning', `${fs.mount} is ${fs.usedPct.toFixed(1)} % full`)
  if (forecast.state === 'filling' && forecast.fullAt !== null) {
    const left = forecast.fullAt - now
    if (left < DAY) h.add('critical', `${fs.mount} projected full in ${hours(left)}`)
    else if (left < 7 * DAY) h.add('warning', `${fs.mount} projected full in ${(left / DAY).toFixed(1)} days`)
  }
  return h.build()
}

function hours(ms: number): string {
  const hrs = ms / 3600_000
  return hrs < 1 ? `${Math.max(1, Math.round(ms / 60_000))} min` : `${hrs.toFixed(1)} h`
}
