// The time-series store: raw samples for a short window plus 1-minute and 1-hour rollups for long
// history. Every query is downsampled in SQL, so a chart never receives more than `maxPoints`
// points per series whatever the range.
import type { Series } from '../../../shared/contract'
import { GantryError } from '../errors'
import type { Db } from '../db/database'

export const RAW_RETENTION_MS = 3 * 3600_000
export const ROLLUPS = [
  { res: 60_000, retentionMs: 8 * 24 * 3600_000, source: 'rollup-1m' },
  { res: 3_600_000, retentionMs: 400 * 24 * 3600_000, source: 'rollup-1h' },
] as const
export const DEFAULT_MAX_POINTS = 1000

export type Point = readonly [key: string, value: number | null, unit?: string]

export interface TimeSeriesStore {
  /** Writes one sample time for many series in one transaction; null values are skipped (a gap). */
  write(t: number, points: readonly Point[]): void
  query(opts: { key: string; rangeMs: number; to?: number; maxPoints?: number }): Series
  listSeries(prefix?: string): { key: string; unit: string | null; lastAt: number | null }[]
  /** Deletes raw rows and rollups past their retention; returns rows removed. */
  prune(now: number): number
}

export function createTimeSeriesStore(db: Db, now: () => number = Date.now): TimeSeriesStore {
  const ids = new Map<string, number>()
  const findSeries = db.prepare('SELECT id, unit FROM ts_series WHERE key = ?')
  const insertSeries = db.prepare('INSERT INTO ts_series (key, unit) VALUES (?, ?)')
  const touchSeries = db.prepare('UPDATE ts_series SET last_at = ? WHERE id = ?')
  const insertRaw = db.prepare('INSERT OR REPLACE INTO ts_raw (series_id, t, v) VALUES (?, ?, ?)')
  const upsertRollup = db.prepare(`
    INSERT INTO ts_rollup (series_id, res, t, n, sum, min, max) VALUES (@id, @res, @t, 1, @v, @v, @v)
    ON CONFLICT (series_id, res, t) DO UPDATE SET
      n = n + 1, sum = sum + excluded.sum,
      min = min(min, excluded.min), max = max(max, excluded.max)`)
  // better-sqlite3 binds JS numbers as REAL: cast so the bucket division is an integer one.
  const rawQuery = db.prepare(`
    SELECT (t / CAST(@step AS INTEGER)) * CAST(@step AS INTEGER) AS b, avg(v) AS v, min(v) AS lo, max(v) AS hi
    FROM ts_raw WHERE series_id = @id AND t >= @from AND t < @to GROUP BY b ORDER BY b`)
  const rollupQuery = db.prepare(`
    SELECT (t / CAST(@step AS INTEGER)) * CAST(@step AS INTEGER) AS b, sum(sum) / sum(n) AS v, min(min) AS lo, max(max) AS hi
    FROM ts_rollup WHERE series_id = @id AND res = @res AND t >= @from AND t < @to
    GROUP BY b ORDER BY b`)
  const list = db.prepare(
    "SELECT key, unit, last_at AS lastAt FROM ts_series WHERE key LIKE ? ESCAPE '\\' ORDER BY key",
  )
  const pruneRaw = db.prepare('DELETE FROM ts_raw WHERE t < ?')
  const pruneRollup = db.prepare('DELETE FROM ts_rollup WHERE res = ? AND t < ?')

  function idFor(key: string, unit: string | undefined): number {
    const cached = ids.get(key)
    if (cached !== undefined) return cached
    const row = findSeries.get(key) as { id: number } | undefined
    const id = row ? row.id : Number(insertSeries.run(key, unit ?? null).lastInsertRowid)
    ids.set(key, id)
    return id
  }

  const writeTx = db.transaction((t: number, points: readonly Point[]) => {
    for (const [key, v, unit] of points) {
      if (v === null || !Number.isFinite(v)) continue
      const id = idFor(key, unit)
      insertRaw.run(id, t, v)
      for (const r of ROLLUPS) upsertRollup.run({ id, res: r.res, t: t - (t % r.res), v })
      touchSeries.run(t, id)
    }
  })

  return {
    write(t, points) {
      writeTx(t, points)
    },

    query({ key, rangeMs, to, maxPoints = DEFAULT_MAX_POINTS }) {
      const row = findSeries.get(key) as { id: number; unit: string | null } | undefined
      if (!row) throw new GantryError('telemetry/unknown-series', `no series named "${key}"`)
      const end = to ?? now()
      const from = end - rangeMs
      // The finest store that still covers the range: raw for recent windows, then rollups.
      const age = now() - from
      const level = age <= RAW_RETENTION_MS ? null : (ROLLUPS.find((r) => age <= r.retentionMs) ?? ROLLUPS[1])
      const res = level ? level.res : 1
      // Buckets aligned to multiples of step: at most floor(range/step)+1 of them, so pick
      // step >= range/(maxPoints-1) to stay within maxPoints.
      let step = Math.max(res, Math.ceil(rangeMs / (maxPoints - 1)))
      step = Math.ceil(step / res) * res
      const rows = (
        level
          ? rollupQuery.all({ id: row.id, res: level.res, from, to: end, step })
          : rawQuery.all({ id: row.id, from, to: end, step })
      ) as { b: number; v: number; lo: number; hi: number }[]
      return {
        key,
        unit: row.unit,
        from,
        to: end,
        stepMs: step,
        source: level ? level.source : 'raw',
        points: rows.map((r) => [r.b, r.v, r.lo, r.hi] as [number, number, number, number]),
      }
    },

    listSeries(prefix = '') {
      const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`)
      return list.all(`${escaped}%`) as { key: string; unit: string | null; lastAt: number | null }[]
    },

    prune(at) {
      return db.transaction(() => {
        let n = pruneRaw.run(at - RAW_RETENTION_MS).changes
        for (const r of ROLLUPS) n += pruneRollup.run(r.res, at - r.retentionMs).changes
        return n
      })()
    },
  }
}
