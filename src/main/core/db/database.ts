// Opens Gantry's one SQLite database: checks the data directory is usable, refuses corrupt files
// and databases from a newer Gantry, applies pending migrations (hashed, one transaction each,
// after copying the database aside), and sets WAL with synchronous=FULL (registry data must
// survive power loss; see notes/ecosystem.md §3).
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { accessSync, constants, existsSync, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GantryError, errorMessage } from '../errors'
import { MIGRATIONS, type Migration } from './migrations'

export type Db = Database.Database

export interface OpenedDatabase {
  db: Db
  path: string
  schemaVersion: number
  sqliteVersion: string
  /** Where the pre-upgrade copy went, if migrations ran on an existing database. */
  backupPath: string | null
}

export const DB_FILE = 'gantry.db'

export function migrationHash(m: Migration): string {
  return createHash('sha256').update(m.sql).digest('hex')
}

/** Makes sure `dir` exists, is a directory and can be written, or throws config/data-dir naming it. */
export function ensureDataDir(dir: string): void {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      throw new Error('it exists but is not a directory')
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    accessSync(dir, constants.R_OK | constants.W_OK)
    // access() says yes to root even on a read-only mount: write a file to be sure.
    const probe = join(dir, `.gantry-write-test-${process.pid}`)
    writeFileSync(probe, 'ok')
    unlinkSync(probe)
  } catch (err) {
    throw new GantryError(
      'config/data-dir',
      `data directory ${dir} is not usable: ${errorMessage(err)}. Choose another with --data-dir or GANTRY_HOME.`,
      { cause: err },
    )
  }
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? ''
  return code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')
}

export function openDatabase(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): OpenedDatabase {
  ensureDataDir(dataDir)
  const path = join(dataDir, DB_FILE)
  let db: Db
  try {
    db = new Database(path)
  } catch (err) {
    throw new GantryError('db/corrupt', `cannot open database ${path}: ${errorMessage(err)}`, {
      cause: err,
    })
  }
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw Object.assign(new Error(String(check)), { code: 'SQLITE_CORRUPT' })
    const { schemaVersion, backupPath } = migrate(db, path, migrations)
    const sqliteVersion = (db.prepare('select sqlite_version() as v').get() as { v: string }).v
    return { db, path, schemaVersion, sqliteVersion, backupPath }
  } catch (err) {
    db.close()
    if (err instanceof GantryError) throw err
    if (isCorruption(err)) {
      throw new GantryError(
        'db/corrupt',
        `database ${path} is corrupt or not a Gantry database (${errorMessage(err)}). ` +
          'Gantry left it untouched: move it aside to start empty, or restore a backup.',
        { cause: err },
      )
    }
    throw new GantryError('core/internal', `opening database ${path} failed: ${errorMessage(err)}`, {
      cause: err,
    })
  }
}

interface AppliedRow {
  id: number
  name: string
  hash: string
}

/** Applies pending migrations; refuses newer schemas and edited migrations. */
export function migrate(
  db: Db,
  path: string,
  migrations: readonly Migration[],
): { schemaVersion: number; backupPath: string | null } {
  migrations.forEach((m, i) => {
    if (m.id !== i + 1) throw new Error(`migration list is not numbered 1..N at ${m.id}`)
  })
  const latest = migrations.length
  const userVersion = db.pragma('user_version', { simple: true }) as number
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
  const applied = db.prepare('SELECT id, name, hash FROM schema_migrations ORDER BY id').all() as AppliedRow[]
  const newest = Math.max(userVersion, applied.at(-1)?.id ?? 0)
  if (newest > latest) {
    throw new GantryError(
      'db/newer-schema',
      `database ${path} was written by a newer Gantry (schema ${newest}; this build knows up to ${latest}). ` +
        'Refusing to open it: upgrade Gantry, or point --data-dir elsewhere.',
    )
  }
  for (const row of applied) {
    const m = migrations[row.id - 1]
    if (!m || migrationHash(m) !== row.hash) {
      throw new GantryError(
        'db/migration-edited',
        `migration ${row.id} (${row.name}) applied to ${path} differs from this build's copy ` +
          '(hash mismatch): an applied migration was edited. Refusing to continue.',
      )
    }
  }
  const pending = migrations.slice(applied.length)
  let backupPath: string | null = null
  if (pending.length > 0 && applied.length > 0) {
    backupPath = `${path}.before-schema-${latest}-${Date.now()}.bak`
    db.prepare('VACUUM INTO ?').run(backupPath)
  }
  const record = db.prepare('INSERT INTO schema_migrations (id, name, hash, applied_at) VALUES (?, ?, ?, ?)')
  for (const m of pending) {
    db.transaction(() => {
      db.exec(m.sql)
      record.run(m.id, m.name, migrationHash(m), Date.now())
      db.pragma(`user_version = ${m.id}`)
    })()
  }
  return { schemaVersion: latest, backupPath }
}
