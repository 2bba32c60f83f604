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
    s.flush() // three hours apart: two flushes, two chunks
    s.write(NOW - 1000, [['z', 2]])
    s.flush()
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

  it('answers from what is buffered and from what was flushed alike, and a flush loses nothing', () => {
    const s = store()
    for (let i = 0; i < 30; i++) s.write(NOW - 30_000 + i * 1000, [['b', i % 7, '']])
    const before = s.query({ key: 'b', rangeMs: 60_000 })
    expect(s.stats().buffered).toBe(30)
    expect(s.flush()).toBe(30)
    expect(s.stats().buffered).toBe(0)
    expect(s.query({ key: 'b', rangeMs: 60_000 })).toEqual(before)
    // A rollup bucket flushed half-way and completed later adds up, not overwrites.
    const old = NOW - 5 * HOUR
    s.write(old, [['c', 10]])
    s.flush()
    s.write(old + 1000, [['c', 30]])
    expect(s.query({ key: 'c', rangeMs: 6 * HOUR, maxPoints: 5000 }).points).toEqual([[old, 20, 10, 30]])
    s.flush()
    expect(s.query({ key: 'c', rangeMs: 6 * HOUR, maxPoints: 5000 }).points).toEqual([[old, 20, 10, 30]])
  })

  it('keeps a series per host: the same key on two hosts are two series', () => {
    const s = store()
    opened!.db
      .prepare("INSERT INTO hosts (id, name, kind, created_at, updated_at) VALUES (2, 'gpu-1', 'ssh', 0, 0)")
      .run()
    s.write(NOW - 1000, [['host.cpu.load', 10, '%']])
    s.write(NOW - 1000, [['host.cpu.load', 90, '%']], 2)
    s.flush()
    expect(s.query({ key: 'host.cpu.load', rangeMs: 60_000 }).points[0][1]).toBe(10)
    expect(s.query({ key: 'host.cpu.load', rangeMs: 60_000, hostId: 2 }).points[0][1]).toBe(90)
    expect(s.listSeries('host.', 2).map((x) => x.key)).toEqual(['host.cpu.load'])
    s.dropHost(2)
    expect(() => s.query({ key: 'host.cpu.load', rangeMs: 60_000, hostId: 2 })).toThrowError(GantryError)
  })

  it('stores a steady 1 Hz series in about 3 bytes a sample, exactly', async () => {
    const { encodeChunk, decodeChunk } = await import('../../src/main/core/telemetry/timeseries')
    const times = Array.from({ length: 600 }, (_, i) => NOW + i * 1000)
    const values = times.map((_, i) => (i % 60 === 0 ? i / 7 : Math.floor(i / 60) / 7))
    const buf = encodeChunk(times[0], times, values)
    // The version byte; deltas (0 first: 1 byte, then 1000 ms: 2 bytes each); a tag per sample;
    // 8 bytes for each of the 19 changes of value (the first, then two per minute for nine minutes).
    expect(buf.length).toBe(1 + (1 + 599 * 2) + 600 + 19 * 8)
    const back: [number, number][] = []
    decodeChunk(times[0], buf, (t, v) => back.push([t, v]))
    expect(back).toEqual(times.map((t, i) => [t, values[i]]))
    // Out-of-order and negative deltas, huge values, negative zero.
    const odd = [NOW, NOW - 5, NOW + 2 ** 40]
    const oddV = [-0, 1e300, -123.25]
    const back2: [number, number][] = []
    decodeChunk(NOW, encodeChunk(NOW, odd, oddV), (t, v) => back2.push([t, v]))
    expect(back2).toEqual(odd.map((t, i) => [t, oddV[i]]))
  })
})
