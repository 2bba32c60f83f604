// The time-series store, sized for a fleet: a few hosts or fifty, thousands of points a second.
// A write costs no SQL: samples are buffered per series in memory, with their 1-minute and 1-hour
// rollups aggregated as they come; flush() writes everything buffered in ONE transaction — per
// series one compact chunk of raw samples (delta-of-delta times, changes in hundredths where exact) and
// one additive upsert per open rollup bucket. The flusher runs every few seconds, and stop() flushes
// last, so no acknowledged sample is lost on a clean stop. Queries read the database and what is
// still buffered, and are downsampled so a chart never receives more than `maxPoints` points: raw
// samples for recent ranges, then the 1-minute and 1-hour rollups. A series belongs to a host.
import type { Series } from '../../../shared/contract'
import type { SamplePoint } from '../../../shared/series'
import { GantryError } from '../errors'
import type { Db } from '../db/database'

export const RAW_RETENTION_MS = 3 * 3600_000
export const ROLLUPS = [
  { res: 60_000, retentionMs: 8 * 24 * 3600_000, source: 'rollup-1m' },
  { res: 3_600_000, retentionMs: 400 * 24 * 3600_000, source: 'rollup-1h' },
] as const
export const DEFAULT_MAX_POINTS = 1000
/** The local machine's host id (its row always exists). */
export const LOCAL_HOST_ID = 1

export type Point = SamplePoint | readonly [key: string, value: number | null]

export interface TimeSeriesStore {
  /** Buffers one sample time for many series of a host (default this machine); null and
   *  non-finite values are skipped (a gap). Writes nothing to the database by itself. */
  write(t: number, points: readonly Point[], hostId?: number): void
  /** Writes everything buffered in one transaction; returns the samples written. */
  flush(): number
  query(opts: { key: string; rangeMs: number; to?: number; maxPoints?: number; hostId?: number }): Series
  listSeries(prefix?: string, hostId?: number): { key: string; unit: string | null; lastAt: number | null }[]
  /** Deletes raw chunks and rollups past their retention; returns rows removed. */
  prune(now: number): number
  /** Forgets every series of a host (the host was removed). */
  dropHost(hostId: number): void
  /** Samples buffered, not yet flushed; series known. */
  stats(): { buffered: number; series: number }
}

interface Bucket {
  t: number
  n: number
  sum: number
  min: number
  max: number
}

interface SeriesState {
  hostId: number
  key: string
  unit: string | null
  /** The database id, once the series row exists. */
  id: number | null
  lastAt: number | null
  lastAtWritten: number | null
  /** Raw samples since the last flush. */
  times: number[]
  values: number[]
  /** Per rollup resolution: the part of each bucket not yet flushed (closed buckets first). */
  pending: Bucket[][]
  /** The chunk the last flush wrote, still open: the next flushes extend it (one row for a few
   *  minutes of samples instead of one per flush) until it holds OPEN_CHUNK_MAX samples. */
  open: { t0: number; times: number[]; values: number[] } | null
}

/** Samples in one chunk row at most (3 minutes at 1 Hz), and the time it may span (so that
 *  pruning by a chunk's last sample keeps nothing much past its retention). */
export const OPEN_CHUNK_MAX = 180
export const OPEN_CHUNK_SPAN_MS = 5 * 60_000

// --- the chunk encoding ----------------------------------------------------------------------
// Version 2 (written now): per sample one varint header = zigzag(delta-of-delta of the time) × 4 +
// a tag — 0: the same value as before; 1: a float64 follows; 2 / 3: a zigzag varint follows, the
// change in whole units / in hundredths (used only where value × 100 is an integer and decoding
// gives back exactly the same double). A steady 1 Hz series costs 1 byte a sample; a utilization or
// temperature that moves a little, 2; watts with two decimals, about 3. Version 1 (chunks written before):
// per sample a zigzag varint time delta and a tag (0 same, 1 float64). Both are read.

function putVarint(out: number[], v: number): void {
  // zigzag over the safe-integer range without 32-bit bit operations
  let z = v >= 0 ? v * 2 : -v * 2 - 1
  while (z >= 128) {
    out.push((z % 128) | 128)
    z = Math.floor(z / 128)
  }
  out.push(z)
}

/** An unsigned varint (the header: already non-negative). */
function putUvarint(out: number[], z: number): void {
  while (z >= 128) {
    out.push((z % 128) | 128)
    z = Math.floor(z / 128)
  }
  out.push(z)
}

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1)
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2)
/** Hundredths past this are written as float64 (their sums could leave the exact-integer range). */
const CENTI_MAX = 2 ** 45

export function encodeChunk(t0: number, times: readonly number[], values: readonly number[]): Buffer {
  const bytes: number[] = [2]
  const f = Buffer.allocUnsafe(8)
  let prevT = t0
  let prevDelta = 0
  let prevV = NaN
  /** The previous value in hundredths, where it was one exactly (the base of a tag-2 change). */
  let prevK = 0
  let prevCenti = true
  for (let i = 0; i < times.length; i++) {
    const delta = times[i] - prevT
    const dod = zigzag(delta - prevDelta)
    prevT = times[i]
    prevDelta = delta
    const v = values[i]
    if (Object.is(v, prevV)) {
      putUvarint(bytes, dod * 4)
      continue
    }
    const k = Math.round(v * 100)
    if (prevCenti && Math.abs(k) < CENTI_MAX && Object.is(k / 100, v) && !Object.is(k, -0)) {
      const d = k - prevK
      if (d % 100 === 0) {
        putUvarint(bytes, dod * 4 + 2)
        putVarint(bytes, d / 100)
      } else {
        putUvarint(bytes, dod * 4 + 3)
        putVarint(bytes, d)
      }
      prevK = k
      prevCenti = true
    } else {
      putUvarint(bytes, dod * 4 + 1)
      f.writeDoubleLE(v, 0)
      for (let b = 0; b < 8; b++) bytes.push(f[b])
      if (Math.abs(k) < CENTI_MAX && Object.is(k / 100, v) && !Object.is(k, -0)) {
        prevK = k
        prevCenti = true
      } else prevCenti = false
    }
    prevV = v
  }
  return Buffer.from(bytes)
}

/** Calls `each` for every sample of a chunk (binary, or the JSON of chunks migrated from ts_raw). */
export function decodeChunk(t0: number, data: Buffer | string, each: (t: number, v: number) => void): void {
  if (typeof data === 'string') {
    for (const [t, v] of JSON.parse(data) as [number, number][]) each(t, v)
    return
  }
  const version = data[0]
  if (version !== 1 && version !== 2) throw new Error(`unknown chunk version ${version}`)
  let i = 1
  const uvarint = (): number => {
    let z = 0
    let mul = 1
    for (;;) {
      if (i >= data.length) throw new Error('chunk ends inside a number')
      const b = data[i++]
      z += (b & 127) * mul
      if (b < 128) return z
      mul *= 128
    }
  }
  let t = t0
  let v = NaN
  if (version === 1) {
    while (i < data.length) {
      t += unzigzag(uvarint())
      if (data[i++] === 1) {
        v = data.readDoubleLE(i)
        i += 8
      }
      each(t, v)
    }
    return
  }
  let delta = 0
  let k = 0
  while (i < data.length) {
    const h = uvarint()
    const tag = h % 4
    delta += unzigzag((h - tag) / 4)
    t += delta
    if (tag === 1) {
      v = data.readDoubleLE(i)
      i += 8
      const kk = Math.round(v * 100)
      if (Math.abs(kk) < CENTI_MAX && Object.is(kk / 100, v) && !Object.is(kk, -0)) k = kk
    } else if (tag === 2) {
      k += unzigzag(uvarint()) * 100
      v = k / 100
    } else if (tag === 3) {
      k += unzigzag(uvarint())
      v = k / 100
    }
    each(t, v)
  }
}

export function createTimeSeriesStore(db: Db, now: () => number = Date.now): TimeSeriesStore {
  const states = new Map<string, SeriesState>()
  const sk = (hostId: number, key: string): string => `${hostId}\u0000${key}`

  const findSeries = db.prepare('SELECT id, unit, last_at FROM ts_series WHERE host_id = ? AND key = ?')
  const insertSeries = db.prepare('INSERT INTO ts_series (host_id, key, unit) VALUES (?, ?, ?)')
  const touchSeries = db.prepare('UPDATE ts_series SET last_at = ? WHERE id = ?')
  const insertChunk = db.prepare(
    'INSERT INTO ts_chunk (series_id, t0, t1, n, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  )
  const chunkAt = db.prepare('SELECT t1, n, data FROM ts_chunk WHERE series_id = ? AND t0 = ?')
  const replaceChunk = db.prepare('UPDATE ts_chunk SET t1 = ?, n = ?, data = ? WHERE series_id = ? AND t0 = ?')
  const upsertRollup = db.prepare(`
    INSERT INTO ts_rollup (series_id, res, t, n, sum, min, max) VALUES (@id, @res, @t, @n, @sum, @min, @max)
    ON CONFLICT (series_id, res, t) DO UPDATE SET
      n = n + excluded.n, sum = sum + excluded.sum,
      min = min(min, excluded.min), max = max(max, excluded.max)`)
  const chunksIn = db.prepare('SELECT t0, data FROM ts_chunk WHERE series_id = ? AND t0 < ? AND t1 >= ? ORDER BY t0')
  // better-sqlite3 binds JS numbers as REAL: cast so the bucket division is an integer one.
  const rollupQuery = db.prepare(`
    SELECT (t / CAST(@step AS INTEGER)) * CAST(@step AS INTEGER) AS b, sum(sum) AS s, sum(n) AS c, min(min) AS lo, max(max) AS hi
    FROM ts_rollup WHERE series_id = @id AND res = @res AND t >= @from AND t < @to
    GROUP BY b ORDER BY b`)
  const list = db.prepare(
    "SELECT key, unit, last_at AS lastAt FROM ts_series WHERE host_id = ? AND key LIKE ? ESCAPE '\\' ORDER BY key",
  )
  const pruneChunks = db.prepare('DELETE FROM ts_chunk WHERE t1 < ?')
  const pruneRollup = db.prepare('DELETE FROM ts_rollup WHERE res = ? AND t < ?')

  /** The state of a series, loaded from its row where it has one. */
  function stateOf(hostId: number, key: string, unit: string | null): SeriesState {
    const k = sk(hostId, key)
    let s = states.get(k)
    if (!s) {
      const row = findSeries.get(hostId, key) as { id: number; unit: string | null; last_at: number | null } | undefined
      s = {
        hostId,
        key,
        unit: row?.unit ?? unit,
        id: row?.id ?? null,
        lastAt: row?.last_at ?? null,
        lastAtWritten: row?.last_at ?? null,
        times: [],
        values: [],
        pending: ROLLUPS.map(() => []),
        open: null,
      }
      states.set(k, s)
    }
    return s
  }

  function add(s: SeriesState, t: number, v: number): void {
    s.times.push(t)
    s.values.push(v)
    if (s.lastAt === null || t > s.lastAt) s.lastAt = t
    for (let r = 0; r < ROLLUPS.length; r++) {
      const res = ROLLUPS[r].res
      const b = t - (t % res)
      const list = s.pending[r]
      let bucket = list[list.length - 1]
      if (!bucket || bucket.t !== b) {
        bucket = list.find((x) => x.t === b) ?? { t: b, n: 0, sum: 0, min: v, max: v }
        if (!list.includes(bucket)) list.push(bucket)
      }
      bucket.n++
      bucket.sum += v
      if (v < bucket.min) bucket.min = v
      if (v > bucket.max) bucket.max = v
    }
  }

  /** Merges samples into a chunk row that already starts at t0 (a rare repeat of a sample time). */
  function mergeChunk(id: number, t0: number, times: number[], values: number[]): void {
    const row = chunkAt.get(id, t0) as { t1: number; n: number; data: Buffer | string }
    const all: [number, number][] = []
    decodeChunk(t0, row.data, (t, v) => all.push([t, v]))
    for (let i = 0; i < times.length; i++) all.push([times[i], values[i]])
    // The later write of a sample time wins, as INSERT OR REPLACE did.
    const byTime = new Map<number, number>()
    for (const [t, v] of all) byTime.set(t, v)
    const sorted = [...byTime.entries()].sort((a, b) => a[0] - b[0])
    const ts = sorted.map((x) => x[0])
    replaceChunk.run(
      ts[ts.length - 1],
      ts.length,
      encodeChunk(
        t0,
        ts,
        sorted.map((x) => x[1]),
      ),
      id,
      t0,
    )
  }

  const flushTx = db.transaction((): number => {
    let written = 0
    for (const s of states.values()) {
      if (s.times.length === 0 && s.pending.every((p) => p.length === 0)) continue
      if (s.id === null) s.id = Number(insertSeries.run(s.hostId, s.key, s.unit).lastInsertRowid)
      if (s.times.length) {
        // Samples come in time order; a chunk starts at its earliest.
        let ordered = true
        for (let i = 1; i < s.times.length; i++) if (s.times[i] < s.times[i - 1]) ordered = false
        let times = s.times
        let values = s.values
        if (!ordered) {
          const idx = times.map((_, i) => i).sort((a, b) => times[a] - times[b])
          times = idx.map((i) => s.times[i])
          values = idx.map((i) => s.values[i])
        }
        const t0 = times[0]
        const t1 = times[times.length - 1]
        const open = s.open
        if (
          open &&
          t0 > open.times[open.times.length - 1] &&
          t1 - open.t0 <= OPEN_CHUNK_SPAN_MS &&
          open.times.length + times.length <= OPEN_CHUNK_MAX
        ) {
          for (let i = 0; i < times.length; i++) {
            open.times.push(times[i])
            open.values.push(values[i])
          }
          replaceChunk.run(t1, open.times.length, encodeChunk(open.t0, open.times, open.values), s.id, open.t0)
        } else if (insertChunk.run(s.id, t0, t1, times.length, encodeChunk(t0, times, values)).changes === 0) {
          mergeChunk(s.id, t0, times, values)
          s.open = null
        } else {
          s.open = { t0, times: times.slice(), values: values.slice() }
        }
        if (s.open && s.open.times.length >= OPEN_CHUNK_MAX) s.open = null
        written += times.length
        s.times = []
        s.values = []
      }
      for (let r = 0; r < ROLLUPS.length; r++) {
        for (const b of s.pending[r]) {
          if (b.n > 0)
            upsertRollup.run({ id: s.id, res: ROLLUPS[r].res, t: b.t, n: b.n, sum: b.sum, min: b.min, max: b.max })
        }
        s.pending[r] = []
      }
      if (s.lastAt !== null && s.lastAt !== s.lastAtWritten) {
        touchSeries.run(s.lastAt, s.id)
        s.lastAtWritten = s.lastAt
      }
    }
    return written
  })

  function known(hostId: number, key: string): SeriesState | null {
    const s = states.get(sk(hostId, key))
    if (s) return s
    const row = findSeries.get(hostId, key) as { id: number } | undefined
    return row ? stateOf(hostId, key, null) : null
  }

  return {
    write(t, points, hostId = LOCAL_HOST_ID) {
      for (const p of points) {
        const v = p[1]
        if (v === null || !Number.isFinite(v)) continue
        add(stateOf(hostId, p[0], (p as SamplePoint)[2] ?? null), t, v)
      }
    },

    flush: () => flushTx(),

    query({ key, rangeMs, to, maxPoints = DEFAULT_MAX_POINTS, hostId = LOCAL_HOST_ID }) {
      const s = known(hostId, key)
      if (!s) throw new GantryError('telemetry/unknown-series', `no series named "${key}"`)
      const end = to ?? now()
      const from = end - rangeMs
      // The finest store that still covers the range: raw for recent windows, then rollups.
      const age = now() - from
      const idx = ROLLUPS.findIndex((x) => age <= x.retentionMs)
      const level = age <= RAW_RETENTION_MS ? null : ROLLUPS[idx === -1 ? ROLLUPS.length - 1 : idx]
      const res = level ? level.res : 1
      // Buckets aligned to multiples of step: at most floor(range/step)+1 of them, so pick
      // step >= range/(maxPoints-1) to stay within maxPoints.
      let step = Math.max(res, Math.ceil(rangeMs / (maxPoints - 1)))
      step = Math.ceil(step / res) * res
      // Bucket start → [sum, count, min, max], from the database and from what is still buffered.
      const buckets = new Map<number, [number, number, number, number]>()
      const take = (b: number, sum: number, n: number, lo: number, hi: number): void => {
        const x = buckets.get(b)
        if (!x) buckets.set(b, [sum, n, lo, hi])
        else {
          x[0] += sum
          x[1] += n
          if (lo < x[2]) x[2] = lo
          if (hi > x[3]) x[3] = hi
        }
      }
      const sample = (t: number, v: number): void => {
        if (t >= from && t < end) take(Math.floor(t / step) * step, v, 1, v, v)
      }
      if (level) {
        if (s.id !== null) {
          const rows = rollupQuery.all({ id: s.id, res: level.res, from, to: end, step }) as {
            b: number
            s: number
            c: number
            lo: number
            hi: number
          }[]
          for (const row of rows) take(row.b, row.s, row.c, row.lo, row.hi)
        }
        for (const b of s.pending[ROLLUPS.indexOf(level)]) {
          if (b.n > 0 && b.t >= from && b.t < end) take(Math.floor(b.t / step) * step, b.sum, b.n, b.min, b.max)
        }
      } else {
        if (s.id !== null) {
          for (const c of chunksIn.all(s.id, end, from) as { t0: number; data: Buffer | string }[]) {
            decodeChunk(c.t0, c.data, sample)
          }
        }
        for (let i = 0; i < s.times.length; i++) sample(s.times[i], s.values[i])
      }
      const points = [...buckets.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([b, [sum, n, lo, hi]]) => [b, sum / n, lo, hi] as [number, number, number, number])
      return {
        key,
        unit: s.unit,
        from,
        to: end,
        stepMs: step,
        source: level ? level.source : 'raw',
        points,
      }
    },

    listSeries(prefix = '', hostId = LOCAL_HOST_ID) {
      const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`)
      const rows = list.all(hostId, `${escaped}%`) as { key: string; unit: string | null; lastAt: number | null }[]
      // Series only buffered so far, and the buffered last sample times of known ones.
      const byKey = new Map(rows.map((r) => [r.key, r]))
      for (const s of states.values()) {
        if (s.hostId !== hostId || !s.key.startsWith(prefix)) continue
        const r = byKey.get(s.key)
        if (r) r.lastAt = s.lastAt
        else if (s.lastAt !== null) byKey.set(s.key, { key: s.key, unit: s.unit, lastAt: s.lastAt })
      }
      return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    },

    prune(at) {
      return db.transaction(() => {
        let n = pruneChunks.run(at - RAW_RETENTION_MS).changes
        for (const r of ROLLUPS) n += pruneRollup.run(r.res, at - r.retentionMs).changes
        return n
      })()
    },

    dropHost(hostId) {
      db.transaction(() => {
        const ids = (db.prepare('SELECT id FROM ts_series WHERE host_id = ?').all(hostId) as { id: number }[]).map(
          (r) => r.id,
        )
        const delChunks = db.prepare('DELETE FROM ts_chunk WHERE series_id = ?')
        const delRollups = db.prepare('DELETE FROM ts_rollup WHERE series_id = ?')
        for (const id of ids) {
          delChunks.run(id)
          delRollups.run(id)
        }
        db.prepare('DELETE FROM ts_series WHERE host_id = ?').run(hostId)
      })()
      for (const [k, s] of states) if (s.hostId === hostId) states.delete(k)
    },

    stats() {
      let buffered = 0
      for (const s of states.values()) buffered += s.times.length
      return { buffered, series: states.size }
    },
  }
}
