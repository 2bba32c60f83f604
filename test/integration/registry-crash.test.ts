// Crash safety of the registry: a child process registers versions, moves aliases and promotes in
// a loop and is SIGKILLed at random points, many times, on the same database. After every kill:
// PRAGMA integrity_check is ok, every change the child had been told succeeded is there, the
// audit chain verifies, and the one-production-version rule holds.
import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { verifyAudit } from '../../src/main/core/registry/audit'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

afterAll(cleanupTmp)
const CHILD = join(__dirname, '..', 'helpers', 'registry-crash-child.cjs')
const KILLS = 15

interface Ack {
  op: 'register' | 'alias' | 'stage'
  model: string
  version: number
  sha256?: string
  alias?: string
  stage?: string
}

/** Runs the child until it has acknowledged something, waits a random while, then SIGKILLs it. */
function runAndKill(dataDir: string, artifacts: string, seed: number, rnd: () => number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, artifacts, String(seed)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    let armed = false
    child.stderr.on('data', (d) => (err += d))
    child.stdout.on('data', (d) => {
      out += d
      if (!armed && out.includes('ACK ')) {
        armed = true
        setTimeout(() => child.kill('SIGKILL'), Math.floor(rnd() * 400))
      }
    })
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited ${code} before the kill: ${err}`))
      // Only whole lines were acknowledged; a torn last line was not.
      const lines = out.split('\n').slice(0, -1)
      resolve(lines.filter((l) => l.startsWith('ACK ')).map((l) => JSON.parse(l.slice(4)) as Ack))
    })
  })
}

describe('registry under SIGKILL', () => {
  it(`loses no acknowledged change and keeps the database and audit chain intact across ${KILLS} kills`, async () => {
    const dataDir = tmpDir()
    const artifacts = tmpDir()
    // Mixed sizes, so some kills land while hashing and some inside transactions.
    for (let i = 0; i < 8; i++)
      writeFileSync(join(artifacts, `a${i}`), Buffer.alloc(i % 3 === 0 ? 4_000_000 : 2000 + i, i))
    let s = 12345
    const rnd = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const acked: Ack[] = []
    for (let k = 0; k < KILLS; k++) {
      acked.push(...(await runAndKill(dataDir, artifacts, k * 7, rnd)))
      const db = new Database(join(dataDir, 'gantry.db'))
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
        for (const a of acked.filter((x) => x.op === 'register')) {
          const row = db
            .prepare(
              'SELECT v.sha256 FROM reg_versions v JOIN reg_models m ON m.id = v.model_id WHERE m.name = ? AND v.version = ?',
            )
            .get(a.model, a.version) as { sha256: string } | undefined
          expect(row, `acknowledged ${a.model} v${a.version} is missing after kill ${k}`).toBeDefined()
          expect(row?.sha256).toBe(a.sha256)
        }
        for (const a of acked.filter((x) => x.op !== 'register')) {
          const action = a.op === 'alias' ? 'alias.set' : 'version.stage'
          const found = db
            .prepare('SELECT COUNT(*) n FROM audit_log WHERE model = ? AND version = ? AND action = ?')
            .get(a.model, a.version, action) as { n: number }
          expect(found.n, `acknowledged ${a.op} of ${a.model} v${a.version} left no audit row`).toBeGreaterThan(0)
        }
        // Nothing half-written: every version has its register row, every alias its latest move.
        const unaudited = db
          .prepare(
            `SELECT m.name, v.version FROM reg_versions v JOIN reg_models m ON m.id = v.model_id
             WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.model = m.name AND l.version = v.version AND l.action = 'version.register')`,
          )
          .all()
        expect(unaudited).toEqual([])
        const aliases = db
          .prepare('SELECT m.name, a.alias, a.version FROM reg_aliases a JOIN reg_models m ON m.id = a.model_id')
          .all() as { name: string; alias: string; version: number }[]
        for (const a of aliases) {
          const last = db
            .prepare(
              "SELECT after_json FROM audit_log WHERE model = ? AND action = 'alias.set' AND json_extract(after_json, '$.alias') = ? ORDER BY seq DESC LIMIT 1",
            )
            .get(a.name, a.alias) as { after_json: string } | undefined
          expect(last && JSON.parse(last.after_json).version, `${a.name}@${a.alias}`).toBe(a.version)
        }
        const verdict = verifyAudit(db)
        expect(verdict.firstBad).toBeNull()
        expect(verdict.ok).toBe(true)
        const prod = db
          .prepare(
            "SELECT model_id, COUNT(*) n FROM reg_versions WHERE stage = 'production' GROUP BY model_id HAVING n > 1",
          )
          .all()
        expect(prod).toEqual([])
        // The production alias always names the production version.
        const drift = db
          .prepare(
            `SELECT a.model_id FROM reg_aliases a LEFT JOIN reg_versions v ON v.model_id = a.model_id AND v.version = a.version
             WHERE a.alias = 'production' AND (v.stage IS NULL OR v.stage != 'production')`,
          )
          .all()
        expect(drift).toEqual([])
      } finally {
        db.close()
      }
    }
    expect(acked.filter((a) => a.op === 'register').length).toBeGreaterThan(KILLS)
  }, 120_000)
})
