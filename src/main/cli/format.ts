// Plain-text rendering of a host snapshot for terminals (the --json form is the contract's).
import type { HealthRollup } from '../../shared/health'
import type { HostSnapshot, StorageSnapshot } from '../../shared/contract'

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let i = 0
  let v = n
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

export function formatHostReport(h: HostSnapshot, s: StorageSnapshot): string {
  const lines: string[] = []
  lines.push(`${h.hostname} (${h.platform}, kernel ${h.kernel}) — health: ${h.health.level.toUpperCase()}`)
  for (const r of h.health.reasons) lines.push(`  ! ${r}`)
  lines.push(`  CPU      ${h.cpu ? `${h.cpu.loadPct.toFixed(1)} % of ${h.cpu.cores} cores` : 'unknown'}`)
  lines.push(
    `  memory   ${h.memory ? `${bytes(h.memory.used)} / ${bytes(h.memory.total)} (${h.memory.usedPct.toFixed(1)} %)` : 'unknown'}`,
  )
  lines.push(`  load     ${h.load ? `${h.load.one} ${h.load.five} ${h.load.fifteen}` : 'unknown'}`)
  lines.push(`  uptime   ${(h.uptimeSec / 3600).toFixed(1)} h`)
  lines.push('')
  lines.push(`storage — health: ${s.health.level.toUpperCase()}`)
  for (const p of s.problems) lines.push(`  ! ${p}`)
  const w = Math.max(5, ...s.filesystems.map((f) => f.mount.length))
  lines.push(
    `  ${'MOUNT'.padEnd(w)}  ${'SIZE'.padStart(10)}  ${'USED'.padStart(10)}  ${'AVAIL'.padStart(10)}  USE%   FORECAST`,
  )
  for (const f of s.filesystems) {
    const fc =
      f.forecast.state === 'filling' && f.forecast.fullAt
        ? `full ${new Date(f.forecast.fullAt).toISOString()}`
        : f.forecast.state
    lines.push(
      `  ${f.mount.padEnd(w)}  ${bytes(f.size).padStart(10)}  ${bytes(f.used).padStart(10)}  ${bytes(f.available).padStart(10)}  ${f.usedPct.toFixed(1).padStart(5)}  ${fc}`,
    )
  }
  return `${lines.join('\n')}\n`
}

/** The health roll-up as text: the verdict, then each reason with its subjects' raw values. */
export function formatHealth(r: HealthRollup, note: string | null): string {
  const lines = [`${r.host === 'local' ? 'this machine' : r.host}: ${r.level.toUpperCase()}`]
  if (note) lines.push(`  (${note})`)
  if (r.reasons.length === 0) lines.push('  nothing needs anyone')
  for (const x of r.reasons) {
    lines.push(`  [${x.level}] ${x.area}: ${x.text}`)
    for (const s of x.subjects.slice(0, 20)) lines.push(`      ${s.name}: ${s.detail.split('\n').join('; ')}`)
    if (x.subjects.length > 20) lines.push(`      … and ${x.subjects.length - 20} more`)
  }
  return `${lines.join('\n')}\n`
}
