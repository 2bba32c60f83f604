// Time-to-full forecast: an ordinary least-squares line through used-bytes samples. Says
// "insufficient-history" rather than guessing from a few minutes of data.
import type { Forecast } from '../../../shared/contract'

/** Need at least this much history and this many points before projecting. */
export const MIN_BASIS_MS = 30 * 60_000
export const MIN_POINTS = 6
/** Trends smaller than this share of the usable capacity per day count as stable. */
const STABLE_FRACTION_PER_DAY = 0.0005
const DAY = 24 * 3600_000

export function forecastFull(
  points: readonly (readonly [t: number, used: number])[],
  available: number,
  now: number,
): Forecast {
  const n = points.length
  const basisMs = n > 1 ? points[n - 1][0] - points[0][0] : 0
  if (n < MIN_POINTS || basisMs < MIN_BASIS_MS) {
    return { state: 'insufficient-history', fullAt: null, bytesPerDay: null, basisMs, points: n, r2: null }
  }
  // Centre times for numerical stability (epoch ms squared overflows float precision).
  const t0 = points[0][0]
  let sx = 0
  let sy = 0
  for (const [t, y] of points) {
    sx += t - t0
    sy += y
  }
  const mx = sx / n
  const my = sy / n
  let sxx = 0
  let sxy = 0
  let syy = 0
  for (const [t, y] of points) {
    const dx = t - t0 - mx
    const dy = y - my
    sxx += dx * dx
    sxy += dx * dy
    syy += dy * dy
  }
  const slope = sxx === 0 ? 0 : sxy / sxx // bytes per ms
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy)
  const bytesPerDay = slope * DAY
  const capacity = Math.max(1, points[n - 1][1] + available)
  if (Math.abs(bytesPerDay) < capacity * STABLE_FRACTION_PER_DAY) {
    return { state: 'stable', fullAt: null, bytesPerDay, basisMs, points: n, r2 }
  }
  if (bytesPerDay < 0) return { state: 'shrinking', fullAt: null, bytesPerDay, basisMs, points: n, r2 }
  return { state: 'filling', fullAt: now + Math.max(0, available) / slope, bytesPerDay, basisMs, points: n, r2 }
}
