// Numbered schema migrations. Append only: an applied migration is identified by its sha256, and
// a database whose recorded hash differs from this file's is refused (someone edited history).
// Each migration runs in its own transaction; the database is copied aside before any upgrade.

export interface Migration {
  id: number
  name: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'time-series store and app metadata',
    sql: `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- One row per series ("host.cpu.load", "fs.used:/var"); unit for display.
CREATE TABLE ts_series (
  id      INTEGER PRIMARY KEY,
  key     TEXT NOT NULL UNIQUE,
  unit    TEXT,
  last_at INTEGER
);
-- Raw samples, kept for a short window (see timeseries.ts RAW_RETENTION_MS).
CREATE TABLE ts_raw (
  series_id INTEGER NOT NULL,
  t         INTEGER NOT NULL,
  v         REAL NOT NULL,
  PRIMARY KEY (series_id, t)
) WITHOUT ROWID;
-- Rollups at fixed resolutions (res in ms): count, sum, min, max per bucket start t.
CREATE TABLE ts_rollup (
  series_id INTEGER NOT NULL,
  res       INTEGER NOT NULL,
  t         INTEGER NOT NULL,
  n         INTEGER NOT NULL,
  sum       REAL NOT NULL,
  min       REAL NOT NULL,
  max       REAL NOT NULL,
  PRIMARY KEY (series_id, res, t)
) WITHOUT ROWID;
`,
  },
  {
    id: 2,
    name: 'serving endpoints',
    sql: `
-- Model-server endpoints Gantry polls. kind NULL means "detect on each poll".
CREATE TABLE serving_endpoints (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  url        TEXT NOT NULL UNIQUE,
  kind       TEXT,
  created_at INTEGER NOT NULL
);
`,
  },
]
