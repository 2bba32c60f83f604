// A reference profile: what the drift methods need from a version's reference dataset, kept in
// SQLite so windows are compared without re-reading (or re-trusting) the file: per column its type,
// row and missing counts, the category counts, and the numeric values sorted — exact up to
// MAX_EXACT, beyond that that many evenly spaced order statistics (a sorted sample: KS, Wasserstein
// and the quantile bins stay accurate to about 1/MAX_EXACT).
import type { Db } from '../db/database'
import { sortFloat64 } from './stats'
import { Column, type ColumnType, type Table } from './table'

export const MAX_EXACT = 200_000

interface ColumnProfile {
  name: string
  type: ColumnType
  rows: number
  missing: number
  nonNumeric: number
  /** Numeric values, sorted, as little-endian float64 in base64. */
  values: string | null
  /** How many values the reference really had (values may be a sample of them). */
  valueCount: number
  categories: [string, number][] | null
}

export interface Profile {
  rows: number
  columns: ColumnProfile[]
}

export function profileOf(t: Table): Profile {
  const columns: ColumnProfile[] = []
  for (const c of t.columns.values()) {
    const nums = sortFloat64(Float64Array.from(c.numbers()))
    let kept = nums
    if (nums.length > MAX_EXACT) {
      kept = new Float64Array(MAX_EXACT)
      for (let i = 0; i < MAX_EXACT; i++) kept[i] = nums[Math.round((i * (nums.length - 1)) / (MAX_EXACT - 1))]
    }
    columns.push({
      name: c.name,
      type: c.inferType(),
      rows: c.rows,
      missing: c.missing,
      nonNumeric: c.nonNumeric,
      values: nums.length ? Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).toString('base64') : null,
      valueCount: nums.length,
      categories: c.categories ? [...c.categories.entries()] : null,
    })
  }
  return { rows: t.rows, columns }
}

/** A table the report can compare against, rebuilt from a profile (types as profiled). */
export function tableOfProfile(p: Profile, path: string): { table: Table; types: Record<string, ColumnType> } {
  const columns = new Map<string, Column>()
  const types: Record<string, ColumnType> = {}
  for (const cp of p.columns) {
    const c = new Column(cp.name)
    c.rows = cp.rows
    c.missing = cp.missing
    c.nonNumeric = cp.nonNumeric
    c.categories = cp.categories ? new Map(cp.categories) : null
    if (cp.values) {
      const buf = Buffer.from(cp.values, 'base64')
      c.setNumbers(new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)))
    } else c.setNumbers(new Float64Array(0))
    columns.set(cp.name, c)
    types[cp.name] = cp.type
  }
  return { table: { path, rows: p.rows, columns, warnings: [] }, types }
}

export function storedProfile(db: Db, model: string, version: number, sha256: string | null): Profile | null {
  const r = db
    .prepare('SELECT sha256, profile_json FROM drift_profiles WHERE model = ? AND version = ?')
    .get(model, version) as { sha256: string | null; profile_json: string } | undefined
  if (!r || r.sha256 !== sha256) return null
  return JSON.parse(r.profile_json) as Profile
}

export function storeProfile(
  db: Db,
  model: string,
  version: number,
  sha256: string | null,
  p: Profile,
  at: number,
): void {
  db.prepare(
    `INSERT INTO drift_profiles (model, version, sha256, profile_json, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(model, version) DO UPDATE SET sha256 = excluded.sha256, profile_json = excluded.profile_json, created_at = excluded.created_at`,
  ).run(model, version, sha256, JSON.stringify(p), at)
}
