// The database file as an attacker or an accident leaves it: created owner-only, never adopting a
// file that is not Gantry's (empty, another application's, a FIFO), and a full or read-only disk as
// a clear error naming the path — while the commands that only read keep working.
import Database from 'better-sqlite3'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DB_FILE, GANTRY_APPLICATION_ID, openDatabase } from '../../src/main/core/db/database'
import { GantryError } from '../../src/main/core/errors'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const bin = join(__dirname, '..', '..', 'bin', 'gantry.js')
const mounts: string[] = []
afterEach(() => {
  while (mounts.length) spawnSync('umount', ['-l', mounts.pop() as string])
  cleanupTmp()
})

function codeOf(f: () => unknown): { code: string; message: string } {
  try {
    f()
  } catch (err) {
    if (err instanceof GantryError) return { code: err.code, message: err.message }
    throw err
  }
  throw new Error('expected a GantryError')
}
const mode = (p: string): number => statSync(p).mode & 0o777

function gantry(dataDir: string, args: string[]) {
  return spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GANTRY_ACTOR: 'alice' },
    timeout: 30_000,
  })
}

/** A small tmpfs of its own (root only: mounting needs CAP_SYS_ADMIN, as CI has). */
function smallDisk(): string | null {
  if (process.getuid?.() !== 0) return null
  const dir = tmpDir('gantry-disk-')
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir])
  if (r.status !== 0) return null
  mounts.push(dir)
  return dir
}

describe('the database file', () => {
  it('is created owner-only (0600), and so are its WAL and SHM', () => {
    const dir = tmpDir()
    const o = openDatabase(dir)
    o.db.prepare("insert into meta (key, value) values ('k', 'v')").run()
    const path = join(dir, DB_FILE)
    expect(mode(path)).toBe(0o600)
    expect(mode(`${path}-wal`)).toBe(0o600)
    expect(mode(`${path}-shm`)).toBe(0o600)
    expect(mode(dir)).toBe(0o700)
    expect(o.db.pragma('application_id', { simple: true })).toBe(GANTRY_APPLICATION_ID)
    o.db.close()
  })

  it('tightens a database someone made world-readable', () => {
    const dir = tmpDir()
    openDatabase(dir).db.close()
    chmodSync(join(dir, DB_FILE), 0o644)
    openDatabase(dir).db.close()
    expect(mode(join(dir, DB_FILE))).toBe(0o600)
  })

  it('refuses a 0-byte gantry.db instead of silently starting empty, and leaves it as it was', () => {
    const dir = tmpDir()
    writeFileSync(join(dir, DB_FILE), '')
    const e = codeOf(() => openDatabase(dir))
    expect(e.code).toBe('db/not-gantry')
    expect(e.message).toContain(join(dir, DB_FILE))
    expect(e.message).toMatch(/empty \(0 bytes\)/)
    expect(statSync(join(dir, DB_FILE)).size).toBe(0)
  })

  it("refuses another application's SQLite file, naming its tables, and never migrates it", () => {
    const dir = tmpDir()
    const other = new Database(join(dir, DB_FILE))
    other.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO customers VALUES (1, 'a@b')")
    other.close()
    const before = readFileSync(join(dir, DB_FILE))
    const e = codeOf(() => openDatabase(dir))
    expect(e.code).toBe('db/not-gantry')
    expect(e.message).toMatch(/another application's SQLite database/)
    expect(e.message).toContain('customers')
    expect(readFileSync(join(dir, DB_FILE)).equals(before)).toBe(true)
    expect(existsSync(join(dir, `${DB_FILE}-wal`))).toBe(false)
  })

  it('adopts a database from a Gantry build before the application id (its first migration says so)', () => {
    const dir = tmpDir()
    const o = openDatabase(dir)
    o.db.prepare("insert into meta (key, value) values ('kept', 'yes')").run()
    o.db.pragma('application_id = 0')
    o.db.close()
    const again = openDatabase(dir)
    expect(again.db.pragma('application_id', { simple: true })).toBe(GANTRY_APPLICATION_ID)
    expect(again.db.prepare("select value from meta where key = 'kept'").get()).toEqual({ value: 'yes' })
    again.db.close()
  })

  it('refuses a FIFO where gantry.db should be, at once (opening it would block)', () => {
    const dir = tmpDir()
    execFileSync('mkfifo', [join(dir, DB_FILE)])
    const e = codeOf(() => openDatabase(dir))
    expect(e.code).toBe('db/corrupt')
    expect(e.message).toMatch(/not a regular file/)
  })
})

describe('a full or read-only disk', () => {
  it('on a full disk: show, models and audit verify still work; a write is db/disk-full naming the path, without a stack trace', (ctx) => {
    const disk = smallDisk()
    if (!disk) return ctx.skip('needs root to mount a small tmpfs')
    const data = join(disk, 'data')
    expect(gantry(data, ['model', 'create', 'churn', '--owner', 'risk']).status).toBe(0)
    // Fill the disk to the last byte.
    spawnSync('dd', ['if=/dev/zero', `of=${join(disk, 'fill')}`, 'bs=64k'])
    expect(statSync(join(disk, 'fill')).size).toBeGreaterThan(0)

    const show = gantry(data, ['show', 'churn', '--json'])
    expect(show.status, show.stderr).toBe(0)
    expect(JSON.parse(show.stdout).model.ownerTeam).toBe('risk')
    const models = gantry(data, ['models', '--json'])
    expect(models.status, models.stderr).toBe(0)
    expect(JSON.parse(models.stdout).map((m: { name: string }) => m.name)).toEqual(['churn'])
    const verify = gantry(data, ['audit', 'verify'])
    expect(verify.status, verify.stderr).toBe(0)
    expect(verify.stdout).toMatch(/audit chain ok: 1 rows/)

    const write = gantry(data, ['model', 'create', 'fraud'])
    expect(write.status).toBe(1)
    expect(write.stderr).toContain('[db/disk-full]')
    expect(write.stderr).toContain(data)
    expect(write.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('on a read-only mount: show works; a write is db/read-only naming the path', (ctx) => {
    const disk = smallDisk()
    if (!disk) return ctx.skip('needs root to mount a small tmpfs')
    const data = join(disk, 'data')
    mkdirSync(data)
    expect(gantry(data, ['model', 'create', 'churn']).status).toBe(0)
    expect(spawnSync('mount', ['-o', 'remount,ro', disk]).status).toBe(0)
    const show = gantry(data, ['show', 'churn', '--json'])
    expect(show.status, show.stderr).toBe(0)
    expect(JSON.parse(show.stdout).model.name).toBe('churn')
    const write = gantry(data, ['model', 'create', 'fraud'])
    expect(write.status).toBe(1)
    expect(write.stderr).toMatch(/\[(db\/read-only|config\/data-dir)\]/)
    expect(write.stderr).toContain(data)
    expect(write.stderr).not.toMatch(/\n\s+at /)
  })
})
