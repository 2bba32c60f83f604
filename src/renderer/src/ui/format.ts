// Display formatting: the core speaks bytes, epoch ms and 0–100 percentages; only here do they
// become text.
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let i = 0
  let v = Math.abs(n)
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${n < 0 ? '−' : ''}${v.toFixed(i === 0 ? 0 : v < 10 ? 2 : 1)} ${units[i]}`
}

export function rate(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : `${bytes(n)}/s`
}

export function pct(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(digits)} %`
}

export function ago(t: number | null | undefined, now: number): string {
  if (!t) return 'never'
  const s = Math.max(0, Math.round((now - t) / 1000))
  if (s < 2) return 'just now'
  if (s < 90) return `${s} s ago`
  const m = Math.round(s / 60)
  if (m < 90) return `${m} min ago`
  return `${Math.round(m / 60)} h ago`
}

export function duration(sec: number): string {
  const d = Math.floor(sec / 86400)
  const h = Math.floor((sec % 86400) / 3600)
  const m = Math.floor((sec % 3600) / 60)
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : `${m} min`
}

export function until(t: number, now: number): string {
  const ms = t - now
  if (ms <= 0) return 'now'
  const h = ms / 3600_000
  if (h < 1) return `${Math.max(1, Math.round(ms / 60_000))} min`
  if (h < 48) return `${h.toFixed(1)} h`
  const d = h / 24
  return d < 365 ? `${d.toFixed(d < 10 ? 1 : 0)} days` : 'over a year'
}

// One time format for the whole console: 24-hour local time, with the date where it is not today.
const p2 = (n: number): string => String(n).padStart(2, '0')
const dateOf = (d: Date): string => `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`

/** 14:05:09 */
export function clock(t: number): string {
  const d = new Date(t)
  return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`
}

/** 14:05:09 today; 2026-11-30 14:05 another day. */
export function when(t: number | null | undefined, now = Date.now()): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return '—'
  const d = new Date(t)
  return dateOf(d) === dateOf(new Date(now)) ? clock(t) : `${dateOf(d)} ${p2(d.getHours())}:${p2(d.getMinutes())}`
}

/** 2026-11-30 14:05:09: always with the date (audit rows, hover titles). */
export function stamp(t: number): string {
  return `${dateOf(new Date(t))} ${clock(t)}`
}

/** yes / no / unknown (null: Gantry could not tell). */
export function yn(b: boolean | null | undefined): string {
  return b === null || b === undefined ? 'unknown' : b ? 'yes' : 'no'
}
