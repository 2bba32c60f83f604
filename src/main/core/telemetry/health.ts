// Health rules for the host and its filesystems: each verdict comes with its reasons, worst first.
// Thresholds are the ones an operator would page on, not a dashboard's colour scale.
import type { Filesystem, Forecast, Health, HealthLevel, HostSnapshot } from '../../../shared/contract'

const RANK: Record<HealthLevel, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 }

export function worst(levels: HealthLevel[]): HealthLevel {
  return levels.reduce<HealthLevel>((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok')
}

export class HealthBuilder {
  private items: { level: HealthLevel; reason: string; kind?: { kind: string; title: string } }[] = []
  /** A reason; with `kind`, the roll-up can group it with the same kind elsewhere under `title`. */
  add(level: HealthLevel, reason: string, kind?: { kind: string; title: string }): this {
    this.items.push({ level, reason, kind })
    return this
  }
  /** Every reason of another verdict, with its kinds (each at its own level where known). */
  merge(other: Health): this {
    if (other.items) for (const i of other.items) this.add(i.level, i.text, { kind: i.kind, title: i.title })
    else for (const r of other.reasons) this.add(other.level, r)
    return this
  }
  build(): Health {
    const sorted = [...this.items].sort((a, b) => RANK[b.level] - RANK[a.level])
    const out: Health = { level: worst(sorted.map((i) => i.level)), reasons: sorted.map((i) => i.reason) }
    if (sorted.some((i) => i.kind)) {
      out.items = sorted.map((i) => ({
        level: i.level,
        kind: i.kind?.kind ?? `other:${i.reason}`,
        title: i.kind?.title ?? i.reason,
        text: i.reason,
      }))
    }
    return out
  }
}

const K = (kind: string, title: string) => ({ kind, title })

const DAY = 24 * 3600_000

export function hostHealth(s: Pick<HostSnapshot, 'problems' | 'memory' | 'load' | 'cpu'>): Health {
  const h = new HealthBuilder()
  for (const p of s.problems) h.add('unknown', p, K('host-unreadable', 'host values not readable'))
  if (s.memory) {
    const availPct = (s.memory.available / s.memory.total) * 100
    const mem = K('memory-low', 'memory nearly exhausted')
    if (availPct < 5) h.add('critical', `memory: only ${availPct.toFixed(1)} % available`, mem)
    else if (availPct < 10) h.add('warning', `memory: ${availPct.toFixed(1)} % available`, mem)
    if (s.memory.swapTotal > 0 && s.memory.swapUsed / s.memory.swapTotal > 0.8)
      h.add(
        'warning',
        `swap ${((s.memory.swapUsed / s.memory.swapTotal) * 100).toFixed(0)} % used`,
        K('swap', 'swap nearly full'),
      )
  }
  if (s.load && s.cpu && s.cpu.cores > 0) {
    const perCore = s.load.five / s.cpu.cores
    const load = K('load', 'CPU overloaded (more runnable tasks than cores)')
    if (perCore > 4) h.add('critical', `load ${s.load.five.toFixed(2)} over 5 min on ${s.cpu.cores} cores`, load)
    else if (perCore > 2) h.add('warning', `load ${s.load.five.toFixed(2)} over 5 min on ${s.cpu.cores} cores`, load)
  }
  if (s.cpu && s.cpu.iowaitPct !== null && s.cpu.iowaitPct > 30)
    h.add(
      'warning',
      `CPU waiting on IO ${s.cpu.iowaitPct.toFixed(0)} % of the time`,
      K('iowait', 'CPU waiting on disks'),
    )
  return h.build()
}

export function filesystemHealth(
  fs: Pick<Filesystem, 'mount' | 'usedPct' | 'readOnly'>,
  forecast: Forecast,
  now: number,
): Health {
  const h = new HealthBuilder()
  const full = K('fs-full', 'filesystem nearly full')
  if (fs.usedPct >= 95) h.add('critical', `${fs.mount} is ${fs.usedPct.toFixed(1)} % full`, full)
  else if (fs.usedPct >= 90) h.add('warning', `${fs.mount} is ${fs.usedPct.toFixed(1)} % full`, full)
  if (forecast.state === 'filling' && forecast.fullAt !== null) {
    const left = forecast.fullAt - now
    const soon = K('fs-filling', 'filesystem filling up')
    if (left < DAY) h.add('critical', `${fs.mount} projected full in ${hours(left)}`, soon)
    else if (left < 7 * DAY) h.add('warning', `${fs.mount} projected full in ${(left / DAY).toFixed(1)} days`, soon)
  }
  return h.build()
}

function hours(ms: number): string {
  const hrs = ms / 3600_000
  return hrs < 1 ? `${Math.max(1, Math.round(ms / 60_000))} min` : `${hrs.toFixed(1)} h`
}
