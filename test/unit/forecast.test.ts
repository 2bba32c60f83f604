// Time-to-full forecasts: exact on a clean trend, honest when history is short.
import { describe, expect, it } from 'vitest'
import { MIN_BASIS_MS, forecastFull } from '../../src/main/core/telemetry/forecast'

const GiB = 1024 ** 3
const MIN = 60_000
const T0 = 1_790_000_000_000

function line(n: number, stepMs: number, start: number, perMs: number): [number, number][] {
  return Array.from({ length: n }, (_, i) => [T0 + i * stepMs, start + perMs * i * stepMs])
}

describe('forecastFull', () => {
  it('projects the exact time a steadily filling filesystem runs out', () => {
    // 1 GiB per hour, 60 one-minute points, 10 GiB left after the last point.
    const pts = line(61, MIN, 50 * GiB, GiB / 3600_000)
    const now = pts[60][0]
    const f = forecastFull(pts, 10 * GiB, now)
    expect(f.state).toBe('filling')
    expect(f.bytesPerDay).toBeCloseTo(24 * GiB, -3)
    expect(f.fullAt).toBeCloseTo(now + 10 * 3600_000, -2)
    expect(f.r2).toBeCloseTo(1, 6)
  })

  it('says insufficient-history below 30 minutes of basis, and projects at 30', () => {
    const perMs = GiB / 3600_000
    const short = line(30, MIN, 0, perMs) // spans 29 min
    expect(forecastFull(short, GiB, T0).state).toBe('insufficient-history')
    const enough = line(31, MIN, 0, perMs) // spans 30 min
    expect(enough[30][0] - enough[0][0]).toBe(MIN_BASIS_MS)
    expect(forecastFull(enough, GiB, T0).state).toBe('filling')
  })

  it('needs at least 6 points however long the span', () => {
    const pts: [number, number][] = [
      [T0, 0],
      [T0 + 3600_000, GiB],
      [T0 + 7200_000, 2 * GiB],
    ]
    expect(forecastFull(pts, GiB, T0).state).toBe('insufficient-history')
  })

  it('calls a flat or tiny trend stable and a falling one shrinking', () => {
    expect(forecastFull(line(61, MIN, 50 * GiB, 0), 50 * GiB, T0).state).toBe('stable')
    // 1 KiB/day on 100 GiB: noise, not a trend
    expect(forecastFull(line(61, MIN, 50 * GiB, 1024 / 86_400_000), 50 * GiB, T0).state).toBe('stable')
    const down = forecastFull(line(61, MIN, 50 * GiB, -GiB / 3600_000), 50 * GiB, T0)
    expect(down.state).toBe('shrinking')
    expect(down.fullAt).toBeNull()
    expect(down.bytesPerDay).toBeLessThan(0)
  })
})
