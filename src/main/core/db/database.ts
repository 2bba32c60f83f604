// Opens Gantry's one SQLite database: checks the data directory is usable, refuses files that are
// not Gantry's (empty, another application's, corrupt, from a newer Gantry) without touching them,
// creates a new one 0600 (SQLite gives its WAL and SHM the same mode), applies pending migrations
// (hashed, one transaction each, after copying the database aside), and sets WAL with
// synchronous=FULL (registry data must survive power loss; see notes/ecosystem.md §3). A read-only
// or full disk is a clear error naming the path; `readOnly` opens for commands that only read.
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
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
  /** Opened read-only (a full or read-only disk): nothing can be written through it. */
  readOnly: boolean
}

export interface OpenOptions {
  /** Open without writing anything (no write probe, no migrations, no pragmas that write). */
  readOnly?: boolean
}

export const DB_FILE = 'gantry.db'
/** Written into the database header (PRAGMA application_id) so a Gantry database says it is one. */
export const GANTRY_APPLICATION_ID = 0x47414e54 // "GANT"

export function migrationHash(m: Migration): string {
  return createHash('sha256').update(m.sql).digest('hex')
}

/** A storage failure (disk full, read-only) as a clear error naming the path, or null if it is another kind. */
export function storageError(err: unknown, path: string): GantryError | null {
  if (err instanceof GantryError) return null
  const code = String((err as { code?: string }).code ?? '')
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new GantryError(
      'db/disk-full',
      `the disk holding ${path} is full: nothing more can be written. Free space there; ` +
        'read-only commands (gantry show, gantry models, gantry audit verify) still work.',
      { cause: err },
    )
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') {
    return new GantryError(
      'db/read-only',
      `${path} cannot be written (a read-only file, mount or disk): ${errorMessage(err)}. ` +
        'Make it writable for this user; read-only commands (gantry show, gantry models, gantry audit verify) still work.',
      { cause: err },
    )
  }
  return null
}

/** Makes sure `dir` exists, is a directory and can be written, or throws config/data-dir naming it. */
export function ensureDataDir(dir: string, opts: { probeWrite?: boolean } = {}): void {
  const probe = join(dir, `.gantry-write-test-${process.pid}`)
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      throw new Error('it exists but is not a directory')
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    if (opts.probeWrite === false) return
    accessSync(dir, constants.R_OK | constants.W_OK)
    // access() says yes to root even on a read-only mount: write a file to be sure.
    writeFileSync(probe, 'ok')
    unlinkSync(probe)
  } catch (err) {
    try {
      unlinkSync(probe) // a full disk can create the file and then fail to write it
    } catch {
      // not there
    }
    const full = storageError(err, dir)
    if (full) throw full
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

/** Owner-only modes on the database and its WAL and SHM, whoever loosened them. */
function tighten(path: string): void {
  for (const p of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(p).mode & 0o077) !== 0) chmodSync(p, 0o600)
    } catch {
      // absent (no WAL yet), or not ours to change: the open below says what matters
    }
  }
}

/** Refuses a file that is not a Gantry database before anything is written to it. */
function checkIdentity(db: Db, path: string, migrations: readonly Migration[]): void {
  const appId = db.pragma('application_id', { simple: true }) as number
  if (appId === GANTRY_APPLICATION_ID) return
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
  ).map((t) => t.name)
  if (appId === 0) {
    if (tables.length === 0) return // a new, empty database: nothing of anyone's to lose
    // Databases from Gantry builds before the application id: their first migration says so.
    if (tables.includes('schema_migrations')) {
      const first = db.prepare('SELECT hash FROM schema_migrations WHERE id = 1').get() as { hash: string } | undefined
      if (first && migrations[0] && first.hash === migrationHash(migrations[0])) return
    }
  }
  const shown = tables.slice(0, 6).join(', ') + (tables.length > 6 ? ', …' : '')
  throw new GantryError(
    'db/not-gantry',
    `${path} is another application's SQLite database, not Gantry's ` +
      `(application id 0x${appId.toString(16).padStart(8, '0')}; tables: ${shown || 'none'}). ` +
      'Gantry left it untouched: point --data-dir or GANTRY_HOME at a folder of its own.',
  )
}

export function openDatabase(
  dataDir: string,
  migrations: readonly Migration[] = MIGRATIONS,
  opts: OpenOptions = {},
): OpenedDatabase {
  const path = join(dataDir, DB_FILE)
  let st = null
  try {
    st = statSync(path)
  } catch {
    // not there yet
  }
  // Read-only applies to a database that exists; a missing one is created as usual.
  const readOnly = opts.readOnly === true && st !== null
  ensureDataDir(dataDir, { probeWrite: !readOnly })
  if (st && !st.isFile()) {
    throw new GantryError('db/corrupt', `${path} is not a regular file: Gantry will not open it as its database.`)
  }
  if (st && st.size === 0) {
    // SQLite would take a 0-byte file for a new database and start empty, hiding what happened.
    throw new GantryError(
      'db/not-gantry',
      `${path} is empty (0 bytes), which a Gantry database never is: a copy or restore that did not ` +
        'finish, or a disk that filled? Gantry left it untouched: restore a backup, or move it aside to start empty.',
    )
  }
  if (!st) {
    try {
      closeSync(openSync(path, 'wx', 0o600))
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') {
        throw (
          storageError(err, path) ?? new GantryError('config/data-dir', `cannot create ${path}: ${errorMessage(err)}`)
        )
      }
    }
  }
  if (!readOnly) tighten(path)
  let db: Db
  try {
    db = readOnly ? openReadOnly(path) : new Database(path, { fileMustExist: true })
  } catch (err) {
    if (err instanceof GantryError) throw err
    throw (
      storageError(err, path) ??
      new GantryError('db/corrupt', `cannot open database ${path}: ${errorMessage(err)}`, { cause: err })
    )
  }
  try {
    checkIdentity(db, path, migrations)
    if (!readOnly) {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
    }
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw Object.assign(new Error(String(check)), { code: 'SQLITE_CORRUPT' })
    let schemaVersion: number
    let backupPath: string | null = null
    if (readOnly) {
      schemaVersion = checkReadable(db, path, migrations)
    } else {
      ;({ schemaVersion, backupPath } = migrate(db, path, migrations))
      if ((db.pragma('application_id', { simple: true }) as number) !== GANTRY_APPLICATION_ID) {
        db.pragma(`application_id = ${GANTRY_APPLICATION_ID}`)
      }
      tighten(path) // the WAL and SHM the pragmas above created
    }
    const sqliteVersion = (db.prepare('select sqlite_version() as v').get() as { v: string }).v
    return { db, path, schemaVersion, sqliteVersion, backupPath, readOnly }
  } catch (err) {
    db.close()
    if (err instanceof GantryError) throw err
    const storage = storageError(err, path)
    if (storage) throw storage
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

/** Past this size a read-only command does not copy the database into memory. */
const MAX_SNAPSHOT_BYTES = 2 * 1024 ** 3

/**
 * A read-only connection. A WAL database needs its -shm index, which SQLite creates (and writes)
 * on first open; on a full or read-only disk that fails. Then, if no -wal holds changes not yet in
 * the main file (no console is running), the file is read into memory and opened from there, its
 * header marked as a rollback-journal database so the copy needs no -shm either.
 */
function openReadOnly(path: string): Db {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true })
    try {
      db.pragma('application_id', { simple: true }) // the first read is what needs the -shm
      return db
    } catch (err) {
      db.close()
      throw err
    }
  } catch (err) {
    const code = String((err as { code?: string }).code ?? '')
    if (!/^SQLITE_(IOERR|CANTOPEN|READONLY)/.test(code)) throw err
    let walBytes = 0
    try {
      walBytes = statSync(`${path}-wal`).size
    } catch {
      // no WAL: the main file is the whole database
    }
    if (walBytes > 0) {
      throw new GantryError(
        'db/disk-full',
        `${path} cannot be opened even to read: its disk is full or read-only and its write-ahead log ` +
          `(${walBytes} bytes) holds changes a running Gantry has not written back. Free space, or stop that Gantry.`,
        { cause: err },
      )
    }
    const size = statSync(path).size
    if (size > MAX_SNAPSHOT_BYTES) {
      throw new GantryError(
        'db/disk-full',
        `${path} cannot be opened to read on a full or read-only disk, and at ${size} bytes it is too large to read into memory instead: free space first.`,
        { cause: err },
      )
    }
    const copy = readFileSync(path)
    if (copy.length >= 20) copy[18] = copy[19] = 1 // "legacy" read/write versions: no WAL for the copy
    return new Database(copy, { readonly: true })
  }
}

/** For a read-only open: the schema must be this build's (an upgrade would need to write). */
function checkReadable(db: Db, path: string, migrations: readonly Migration[]): number {
  const applied = db.prepare('SELECT id, name, hash FROM schema_migrations ORDER BY id').all() as AppliedRow[]
  checkApplied(applied, path, migrations, db.pragma('user_version', { simple: true }) as number)
  if (applied.length < migrations.length) {
    throw new GantryError(
      'db/read-only',
      `${path} needs a schema upgrade (${applied.length} → ${migrations.length}), which cannot be written now ` +
        '(read-only or full disk): free space or make it writable, then run any gantry command once.',
    )
  }
  return migrations.length
}

interface AppliedRow {
  id: number
  name: string
  hash: string
}

function checkApplied(
  applied: AppliedRow[],
  path: string,
  migrations: readonly Migration[],
  userVersion: number,
): void {
  const latest = migrations.length
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
  checkApplied(applied, path, migrations, userVersion)
  const pending = migrations.slice(applied.length)
  let backupPath: string | null = null
  if (pending.length > 0 && applied.length > 0) {
    backupPath = `${path}.before-schema-${latest}-${Date.now()}.bak`
    // Created empty and owner-only first (VACUUM INTO fills an empty file): a copy of the
    // registry is as private as the registry.
    closeSync(openSync(backupPath, 'wx', 0o600))
    db.prepare('VACUUM INTO ?').run(backupPath)
  }
  const record = db.prepare('INSERT INTO schema_migrations (id, name, hash, applied_at) VALUES (?, ?, ?, ?)')
  // A migration that rebuilds a table (new constraints) drops the old one: with foreign keys on,
  // that would cascade into its children. Off while migrating (it only takes effect outside a
  // transaction), and each migration checks the keys itself before it commits.
  const fk = db.pragma('foreign_keys', { simple: true }) as number
  if (pending.length) db.pragma('foreign_keys = OFF')
  try {
    for (const m of pending) {
      db.transaction(() => {
        db.exec(m.sql)
        const broken = db.pragma('foreign_key_check') as unknown[]
        if (broken.length) throw new Error(`migration ${m.id} (${m.name}) leaves ${broken.length} broken foreign keys`)
        record.run(m.id, m.name, migrationHash(m), Date.now())
        db.pragma(`user_version = ${m.id}`)
      })()
    }
  } finally {
    if (pending.length && fk) db.pragma('foreign_keys = ON')
  }
  return { schemaVersion: latest, backupPath }
}
