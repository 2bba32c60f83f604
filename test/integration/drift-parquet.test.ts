// Parquet datasets for drift, read through hyparquet, against files written by DuckDB (an
// independent writer: scripts/make-parquet-fixtures.mjs; see test/fixtures/drift/SOURCES.md).
// The California Housing reference as Parquet must read to exactly the same columns as its CSV,
// and give the same drift report; the mixed-type file covers INT32/INT64/DOUBLE/FLOAT/DECIMAL,
// dictionary-encoded strings, booleans, dates, timestamps and nulls, in gzip. Broken files give a
// clear drift/invalid-data error.
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { anyFiles } from '../helpers/files'
import { GantryError } from '../../src/main/core/errors'
import { parquetValue } from '../../src/main/core/drift/parquet'
import { driftReport } from '../../src/main/core/drift/report'
import { eachRow, readTable } from '../../src/main/core/drift/table'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

afterAll(cleanupTmp)
const FIX = join(__dirname, '..', 'fixtures', 'drift')
const CSV = join(FIX, 'california_housing_reference.csv')
const SNAPPY = join(FIX, 'california_housing_reference.parquet')
const ZSTD = join(FIX, 'california_housing_reference.zstd.parquet')
const MIXED = join(FIX, 'mixed_types.parquet')
const CUR = join(FIX, 'california_housing_analysis.csv')

describe('Parquet reference datasets', () => {
  it.each([
    ['snappy, one row group', SNAPPY],
    ['zstd, several row groups', ZSTD],
  ])('California Housing as Parquet (%s) reads to the same columns as its CSV', async (_what, path) => {
    const [csv, pq] = await Promise.all([readTable(anyFiles, CSV), readTable(anyFiles, path)])
    expect(pq.rows).toBe(5832)
    expect(pq.rows).toBe(csv.rows)
    expect([...pq.columns.keys()]).toEqual([...csv.columns.keys()])
    for (const [name, c] of csv.columns) {
      const p = pq.columns.get(name)!
      expect(p.inferType(), name).toBe(c.inferType())
      expect(p.missing, name).toBe(c.missing)
      if (c.inferType() === 'numeric') expect(Array.from(p.numbers()), name).toEqual(Array.from(c.numbers()))
    }
    expect(pq.columns.get('id')!.inferType()).toBe('identifier')
    expect(pq.columns.get('timestamp')!.inferType()).toBe('datetime')
  })

  it('gives the same drift report as the CSV reference (Latitude and Longitude drifted)', async () => {
    const [fromCsv, fromParquet] = await Promise.all([
      driftReport(anyFiles, CSV, CUR),
      driftReport(anyFiles, ZSTD, CUR),
    ])
    const key = (r: typeof fromCsv) =>
      r.columns.map((c) => [c.name, c.type, c.method, c.statistic, c.pvalue, c.drifted, c.psi, c.outOfRangeShare])
    expect(key(fromParquet)).toEqual(key(fromCsv))
    expect(fromParquet.columns.filter((c) => c.statistic !== null).length).toBeGreaterThan(8)
    const drifted = fromParquet.columns.filter((c) => c.drifted).map((c) => c.name)
    expect(drifted).toEqual(expect.arrayContaining(['Latitude', 'Longitude']))
    expect(fromParquet.skew).toEqual(fromCsv.skew)
  })

  it('reads every type in the mixed file with nulls as missing', async () => {
    const t = await readTable(anyFiles, MIXED)
    expect(t.rows).toBe(200)
    const type = (n: string) => t.columns.get(n)!.inferType()
    expect(type('n_double')).toBe('numeric')
    expect(type('n_float')).toBe('numeric')
    expect(type('price')).toBe('numeric')
    expect(type('color')).toBe('categorical')
    expect(type('flag')).toBe('boolean')
    expect(type('day')).toBe('datetime')
    expect(type('at')).toBe('datetime')
    // 0..199 rising by one: a row counter, as for CSV
    expect(type('n_int')).toBe('identifier')
    expect(type('n_big')).toBe('identifier')
    // i % 10 = 3 → NULL (20 rows); i % 7 = 0 → NULL (29 rows)
    expect(t.columns.get('n_double')!.missing).toBe(20)
    expect(t.columns.get('flag')!.missing).toBe(29)
    expect(Object.fromEntries(t.columns.get('color')!.categories!)).toEqual({ red: 67, green: 67, blue: 66 })
    const price = t.columns.get('price')!.numbers()
    expect(price[1]).toBe(0.01)
    expect(price[199]).toBe(1.99)
    expect(t.columns.get('n_float')!.numbers()[3]).toBe(0.375)
  })

  it('streams rows as objects for the ground-truth join (eachRow)', async () => {
    const rows: Record<string, unknown>[] = []
    const n = await eachRow(anyFiles, MIXED, (r) => rows.push(r))
    expect(n).toBe(200)
    expect(rows[1]).toEqual({
      n_int: 1,
      n_big: 1_000_000_000_000,
      n_double: 0.25,
      n_float: 0.125,
      color: 'green',
      flag: false,
      day: '2024-01-02',
      at: '2024-01-01T01:00:00.000Z',
      price: 0.01,
    })
    expect(rows[3].n_double).toBeNull()
    let count = 0
    let lastId = -1
    await eachRow(anyFiles, ZSTD, (r) => {
      count++
      expect(r.id).toBe(lastId + 1) // row order kept across the three row groups
      lastId = r.id as number
    })
    expect(count).toBe(5832)
  })

  it('keeps INT64 exact: a number when safe, its decimal text beyond 2^53', () => {
    expect(parquetValue(42n, false)).toBe(42)
    expect(parquetValue(2n ** 60n, false)).toBe('1152921504606846976')
    expect(parquetValue(new Date('2024-03-05T10:00:00Z'), true)).toBe('2024-03-05')
    expect(parquetValue(new Uint8Array([1, 2, 255]), false)).toBe('AQL/')
    expect(parquetValue(new Date(NaN), false)).toBeNull()
  })

  it('refuses broken files with a clear error and no crash', async () => {
    const dir = tmpDir()
    const truncated = join(dir, 'truncated.parquet')
    copyFileSync(ZSTD, truncated)
    truncateSync(truncated, 100_000) // footer gone
    const csvNamedParquet = join(dir, 'table.parquet')
    writeFileSync(csvNamedParquet, readFileSync(CSV))
    const damaged = join(dir, 'damaged.parquet')
    const bytes = readFileSync(ZSTD)
    bytes.fill(0x5a, 4000, 60_000) // data pages overwritten, footer intact
    writeFileSync(damaged, bytes)
    for (const [path, message] of [
      [truncated, /not a readable Parquet file/],
      [csvNamedParquet, /not a readable Parquet file/],
      [join(dir, 'missing.parquet'), /does not exist/],
      [damaged, /unreadable|has \d+ values/],
    ] as const) {
      const err = await readTable(anyFiles, path).then(
        () => null,
        (e: unknown) => e,
      )
      expect(err, path).toBeInstanceOf(GantryError)
      expect((err as GantryError).code).toBe('drift/invalid-data')
      expect((err as Error).message).toMatch(message)
      expect((err as Error).message).toContain(path)
    }
  })
})
