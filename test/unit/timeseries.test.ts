// The time-series store on a real SQLite database: rollups, retention, and downsampling that
// never hands a chart more than maxPoints points.
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase, type OpenedDatabase } from '../../src/main/core/db/database'
import { GantryError } from '../../src/main/core/errors'
import { RAW_RETENTION_MS, createTimeSeriesStore } from '../../src/main/core/telemetry/timeseries'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const MIN = 60_000
const HOUR = 3600_000
const DAY = 24 * HOUR
const NOW = 1_790_000_000_000 - (1_790_000_000_000 % HOUR) // aligned, for readable buckets

let opened: OpenedDatabase | null = null
afterEach(() => {
  opened?.db.close()
  opened = null
  cleanupTmp()
})

function store(now = NOW) {
  opened = openDatabase(tmpDir())
  return createTimeSeriesStore(opened.db, () => now)
}

describe('the time-series store', () => {
  it('returns raw samples for a recent range', () => {
    const s = store()
    for (let i = 0; i < 10; i++) s.write(NOW - 10_000 + i * 1000, [['host.cpu.load', i, '%']])
    const q = s.query({ key: 'host.cpu.load', rangeMs: 60_000 })
    expect(q.source).toBe('raw')
    expect(q.unit).toBe('%')
    expect(q.points.map((p) => p[1])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('skips null and non-finite values rather than storing zeros', () => {
    const s = store()
    s.write(NOW - 3000, [['a', 1]])
    s.write(NOW - 2000, [['a', null]])
    s.write(NOW - 1000, [['a', Number.NaN]])
    expect(s.query({ key: 'a', rangeMs: 10_000 }).points).toHaveLength(1)
  })

  it('keeps min, max and mean per bucket in the rollups (hand-computed)', () => {
    const s = store()
    // Four samples in one minute bucket three hours and a bit ago: 10, 20, 30, 100.
    const bucket = NOW - 4 * HOUR
    ;[10, 20, 30, 100].forEach((v, i) => s.write(bucket + i * 1000, [['x', v]]))
    const q = s.query({ key: 'x', rangeMs: 5 * HOUR, maxPoints: 5000 })
    expect(q.source).toBe('rollup-1m')
    expect(q.points).toEqual([[bucket, 40, 10, 100]])
  })

  it('downsamples a week of one-minute data to at most 1,000 points with the true extremes', () => {
    const s = store()
    const n = 7 * 24 * 60
    for (let i = 0; i < n; i++) s.write(NOW - 7 * DAY + i * MIN, [['fs.used_pct:/', i === 5000 ? 99 : 50]])
    const q = s.query({ key: 'fs.used_pct:/', rangeMs: 7 * DAY })
    expect(q.points.length).toBeLessThanOrEqual(1000)
    expect(q.points.length).toBeGreaterThan(900)
    expect(Math.max(...q.points.map((p) => p[3]))).toBe(99)
    expect(Math.min(...q.points.map((p) => p[2]))).toBe(50)
    for (const maxPoints of [2, 10, 333]) {
      expect(s.query({ key: 'fs.used_pct:/', rangeMs: 7 * DAY, maxPoints }).points.length).toBeLessThanOrEqual(
        maxPoints,
      )
    }
  })

  it('answers ranges beyond the 1-minute retention from the hourly rollup', () => {
    const s = store()
    s.write(NOW - 20 * DAY, [['y', 5]])
    s.write(NOW - 20 * DAY + MIN, [['y', 7]])
    const q = s.query({ key: 'y', rangeMs: 30 * DAY })
    expect(q.source).toBe('rollup-1h')
    expect(q.points).toEqual([[NOW - 20 * DAY, 6, 5, 7]])
  })

  it('prunes raw samples past their retention but keeps the rollups', () => {
    const s = store()
    s.write(NOW - RAW_RETENTION_MS - 1000, [['z', 1]])
    s.write(NOW - 1000, [['z', 2]])
    expect(s.prune(NOW)).toBe(1)
    expect(s.query({ key: 'z', rangeMs: HOUR }).points).toHaveLength(1)
    expect(s.query({ key: 'z', rangeMs: 6 * HOUR }).points.length).toBeGreaterThan(0)
  })

  it('says which series is unknown instead of returning an empty chart', () => {
    const s = store()
    expect(() => s.query({ key: 'nope', rangeMs: HOUR })).toThrowError(GantryError)
    try {
      s.query({ key: 'nope', rangeMs: HOUR })
    } catch (err) {
      expect((err as GantryError).code).toBe('telemetry/unknown-series')
    }
  })

  it('lists series by prefix, treating LIKE wildcards literally', () => {
    const s = store()
    s.write(NOW, [
      ['fs.used:/', 1],
      ['fs.used:/data_1', 1],
      ['fs.used_pct:/', 1],
      ['host.cpu.load', 1],
    ])
    expect(s.listSeries('fs.used:').map((x) => x.key)).toEqual(['fs.used:/', 'fs.used:/data_1'])
    expect(s.listSeries('fs.used_').map((x) => x.key)).toEqual(['fs.used_pct:/'])
    expect(s.listSeries().length).toBe(4)
  })
})
