// The tamper-evident history: every registry change appends one row in the same transaction as
// the change. Rows are numbered without gaps and hash-chained — each row's hash covers its own
// content and the previous row's hash — so an edited, deleted or reordered row breaks the chain
// at that row. (Whoever can rewrite the whole database can rewrite the whole chain: record the
// head hash `gantry audit verify` prints somewhere else to detect that too.)
import { createHash } from 'node:crypto'
import type { Db } from '../db/database'
import type { AuditRow, AuditVerdict } from '../../../shared/registry'

export const GENESIS = '0'.repeat(64)

export interface AuditEntry {
  actor: string
  action: string
  model: string | null
  version: number | null
  before: unknown
  after: unknown
}

interface Stored {
  seq: number
  at: number
  actor: string
  action: string
  model: string | null
  version: number | null
  before_json: string
  after_json: string
  prev_hash: string
  hash: string
}

/** JSON with object keys sorted at every level, so the same content always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === undefined) return 'null'
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  const o = v as Record<string, unknown>
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`
}

export function rowHash(
  prev: string,
  r: { seq: number; at: number; actor: string; action: string; model: string | null; version: number | null },
  beforeJson: string,
  afterJson: string,
): string {
  const body = canonicalJson({
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    model: r.model,
    version: r.version,
  })
  return createHash('sha256').update(`${prev}\n${body}\n${beforeJson}\n${afterJson}`).digest('hex')
}

/** Appends a row. Must run inside the caller's (immediate) transaction. */
export function appendAudit(db: Db, at: number, e: AuditEntry): number {
  const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as
    { seq: number; hash: string } | undefined
  const seq = (last?.seq ?? 0) + 1
  const prev = last?.hash ?? GENESIS
  const beforeJson = canonicalJson(e.before ?? null)
  const afterJson = canonicalJson(e.after ?? null)
  const hash = rowHash(
    prev,
    { seq, at, actor: e.actor, action: e.action, model: e.model, version: e.version },
    beforeJson,
    afterJson,
  )
  db.prepare(
    `INSERT INTO audit_log (seq, at, actor, action, model, version, before_json, after_json, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(seq, at, e.actor, e.action, e.model, e.version, beforeJson, afterJson, prev, hash)
  return seq
}

export function verifyAudit(db: Db): AuditVerdict {
  let prev = GENESIS
  let expected = 1
  let rows = 0
  const it = db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<Stored>
  for (const r of it) {
    rows++
    const bad = (reason: string): AuditVerdict => ({ ok: false, rows, firstBad: { seq: r.seq, reason }, head: null })
    if (r.seq !== expected) {
      return {
        ok: false,
        rows,
        firstBad: { seq: expected, reason: `row ${expected} is missing (the next row is ${r.seq}): deleted` },
        head: null,
      }
    }
    if (r.prev_hash !== prev) return bad(`row ${r.seq} does not follow row ${r.seq - 1}: its previous-hash differs`)
    const h = rowHash(prev, r, r.before_json, r.after_json)
    if (h !== r.hash)
      return bad(`row ${r.seq} was changed after it was written: its content no longer matches its hash`)
    prev = r.hash
    expected++
  }
  return { ok: true, rows, firstBad: null, head: rows ? prev : null }
}

export function toAuditRow(r: Stored): AuditRow {
  const parse = (s: string): unknown => {
    try {
      return JSON.parse(s)
    } catch {
      return s
    }
  }
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    model: r.model,
    // An older import could write a version no integer type holds (1e20): shown as none, never
    // fatal to the history (the chain still verifies on the stored value).
    version: r.version !== null && Number.isSafeInteger(r.version) ? r.version : null,
    before: parse(r.before_json),
    after: parse(r.after_json),
    hash: r.hash,
  }
}

export function listAudit(db: Db, o: { model?: string; limit?: number; before?: number }): AuditRow[] {
  const where: string[] = []
  const args: (string | number)[] = []
  if (o.model) {
    where.push('model = ?')
    args.push(o.model)
  }
  if (o.before) {
    where.push('seq < ?')
    args.push(o.before)
  }
  const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`
  return (db.prepare(sql).all(...args, o.limit ?? 200) as Stored[]).map(toAuditRow)
}
