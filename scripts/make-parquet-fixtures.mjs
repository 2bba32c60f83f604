// Writes test/fixtures/drift/*.parquet with DuckDB — an implementation independent of the reader
// Gantry uses (hyparquet), so the tests check the reader against another writer's bytes.
// DuckDB is not a dependency of Gantry: install it somewhere else and point NODE_PATH at it:
//   (cd /tmp/pq && npm install @duckdb/node-api) && NODE_PATH=/tmp/pq/node_modules node scripts/make-parquet-fixtures.mjs
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(join(process.env.NODE_PATH ?? '.', 'x.js'))
const { DuckDBInstance } = require('@duckdb/node-api')
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'drift')
const db = await DuckDBInstance.create(':memory:')
const c = await db.connect()
const ref = join(dir, 'california_housing_reference.csv')
// The California Housing reference, as DuckDB reads the CSV (doubles, bigint id, timestamp),
// written with DuckDB's defaults (snappy, row groups of 122,880 rows) and again zstd-compressed
// in small row groups (several groups, another codec).
await c.run(`CREATE TABLE cal AS SELECT * FROM read_csv_auto('${ref}')`)
await c.run(`COPY cal TO '${join(dir, 'california_housing_reference.parquet')}' (FORMAT parquet)`)
await c.run(
  `COPY cal TO '${join(dir, 'california_housing_reference.zstd.parquet')}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000)`,
)
// A small table of every column type drift reads, with nulls, in gzip: int32, int64, double,
// float, varchar (categorical, dictionary-encoded), boolean, date, timestamp, decimal.
await c.run(`CREATE TABLE mixed AS SELECT
  i::INTEGER AS n_int,
  (i * 1000000000000)::BIGINT AS n_big,
  CASE WHEN i % 10 = 3 THEN NULL ELSE i / 4.0 END::DOUBLE AS n_double,
  (i / 8.0)::FLOAT AS n_float,
  ['red', 'green', 'blue'][(i % 3) + 1] AS color,
  CASE WHEN i % 7 = 0 THEN NULL ELSE i % 2 = 0 END AS flag,
  DATE '2024-01-01' + i::INTEGER AS day,
  TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) HOUR AS at,
  (i / 100.0)::DECIMAL(10, 2) AS price
  FROM range(0, 200) t(i)`)
await c.run(`COPY mixed TO '${join(dir, 'mixed_types.parquet')}' (FORMAT parquet, COMPRESSION gzip, ROW_GROUP_SIZE 64)`)
const info = await c.runAndReadAll(`SELECT version()`)
console.log('written with DuckDB', info.getRows()[0][0])
