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

  it('extends the last chunk across flushes (one row for minutes of samples), never past its size or span', () => {
    const s = store()
    const db = opened!.db
    const rows = (): { t0: number; n: number }[] =>
      db.prepare('SELECT t0, n FROM ts_chunk ORDER BY t0').all() as { t0: number; n: number }[]
    const t0 = NOW - 20 * MIN
    for (let i = 0; i < 400; i++) {
      s.write(t0 + i * 1000, [['z', i % 7]])
      if (i % 10 === 9) s.flush()
    }
    // 400 samples flushed 40 times: rows of OPEN_CHUNK_MAX (180), 180, then the 40 left.
    expect(rows().map((r) => r.n)).toEqual([180, 180, 40])
    const q = s.query({ key: 'z', rangeMs: 30 * MIN, maxPoints: 5000 })
    expect(q.points.map((p) => p[1])).toEqual(Array.from({ length: 400 }, (_, i) => i % 7))
    // A gap longer than a chunk may span starts a new row; a sample older than the open chunk's
    // last one (a clock step back) too, and both are read back.
    s.write(t0 + 400_000 + 6 * MIN, [['z', 9]])
    s.flush()
    s.write(t0 + 1000, [['z', 8]])
    s.flush()
    expect(rows().map((r) => r.n)).toEqual([180, 1, 180, 40, 1])
    const all = s.query({ key: 'z', rangeMs: 30 * MIN, maxPoints: 5000 })
    expect(all.points[all.points.length - 1][1]).toBe(9)
    expect(all.points.find((p) => p[0] <= t0 + 1000 && p[0] + all.stepMs > t0 + 1000)?.[1]).toBe((1 + 8) / 2)
    // A new store on the same database (a restart) starts a new row rather than guessing.
    const again = createTimeSeriesStore(db, () => NOW)
    again.write(NOW - 1000, [['z', 3]])
    again.flush()
    expect(rows().length).toBe(6)
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

  it('stores a steady 1 Hz series in 1 byte a sample and small changes in 2, and reads back every double exactly', async () => {
    const { encodeChunk, decodeChunk } = await import('../../src/main/core/telemetry/timeseries')
    const decode = (t0: number, buf: Buffer): [number, number][] => {
      const out: [number, number][] = []
      decodeChunk(t0, buf, (t, v) => out.push([t, v]))
      return out
    }
    const times = Array.from({ length: 600 }, (_, i) => NOW + i * 1000)
    // Steady: the version byte; the first sample's header and its value as a change in whole units
    // (42: 1 byte); the second's header carries the 1000 ms step (2 bytes); then 1 byte each.
    const steady = encodeChunk(
      times[0],
      times,
      times.map(() => 42),
    )
    expect(steady.length).toBe(1 + (1 + 1) + 2 + 598)
    expect(decode(times[0], steady)).toEqual(times.map((t) => [t, 42]))
    // A utilization moving by a few points every second: 2 bytes a sample after the first two.
    const util = times.map((_, i) => 50 + ((i * 7) % 5) - 2)
    const u = encodeChunk(times[0], times, util)
    expect(u.length).toBeLessThanOrEqual(1 + 3 + 4 + 598 * 2)
    expect(decode(times[0], u)).toEqual(times.map((t, i) => [t, util[i]]))
    // Watts with two decimals, thirds (never hundredths: float64), and a mix.
    const watts = times.map((_, i) => Math.round((68 + Math.sin(i) * 20) * 100) / 100)
    expect(decode(times[0], encodeChunk(times[0], times, watts))).toEqual(times.map((t, i) => [t, watts[i]]))
    expect(encodeChunk(times[0], times, watts).length).toBeLessThan(600 * 4)
    const thirds = times.map((_, i) => i / 3)
    const th = encodeChunk(times[0], times, thirds)
    expect(decode(times[0], th)).toEqual(times.map((t, i) => [t, thirds[i]]))
    const mixed = [0.1, 0.2, 0.30000000000000004, 1 / 3, 5, 5.01, -0, 0, -0.001, 2 ** 60, 7.5, 7.5, 1e-7, -42.42]
    const mt = mixed.map((_, i) => NOW + i * 1000)
    const back = decode(NOW, encodeChunk(NOW, mt, mixed))
    expect(back.length).toBe(mixed.length)
    back.forEach(([t, v], i) => {
      expect(t).toBe(mt[i])
      expect(Object.is(v, mixed[i])).toBe(true)
    })
    // Out-of-order and negative deltas, irregular steps, huge values, negative zero.
    const odd = [NOW, NOW - 5, NOW + 2 ** 40, NOW + 2 ** 40 + 3, NOW + 2 ** 40 + 1003]
    const oddV = [-0, 1e300, -123.25, -123.25, 17]
    expect(decode(NOW, encodeChunk(NOW, odd, oddV))).toEqual(odd.map((t, i) => [t, oddV[i]]))
    // Chunks written by the previous encoding (version 1) still read: 2 samples, same value.
    const v1 = Buffer.from([1, 0, 1, 0, 0, 0, 0, 0, 0, 0x45, 0x40, 0xd0, 0x0f, 0])
    expect(decode(NOW, v1)).toEqual([
      [NOW, 42],
      [NOW + 1000, 42],
    ])
    expect(() => decode(NOW, Buffer.from([3, 0]))).toThrow(/unknown chunk version 3/)
    expect(() => decode(NOW, Buffer.from([2, 0x81]))).toThrow(/ends inside a number/)
  })
})
