// The model registry: Gantry's source of truth for what should run, who answers for it, and
// everything that happened to it. Every change runs in one IMMEDIATE transaction together with
// its audit row, so a crash leaves either the whole change or none of it, and two processes
// editing at once queue on SQLite's write lock (busy_timeout) instead of losing an update.
// Slow work (hashing a tens-of-GB artifact, copying it) happens before the transaction opens.
import { randomUUID } from 'node:crypto'
import { cp, mkdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import type { Db } from '../db/database'
import { GantryError } from '../errors'
import {
  FLAG_TEXT,
  Policy,
  STAGES,
  TRANSITIONS,
  type Approval,
  type ArtifactCheck,
  type AuditRow,
  type AuditVerdict,
  type Dataset,
  type HashProgress,
  type Model,
  type ModelDetail,
  type ModelFlag,
  type ModelSummary,
  type Stage,
  type Version,
} from '../../../shared/registry'
import { actorOr, callerSignal, personOf } from '../caller'
import type { FileAccess } from '../files/local-files'
import { appendAudit, listAudit, verifyAudit } from './audit'
import { fingerprintDataset, hashArtifact, type HashedArtifact } from './hash'
import type { ImportReport } from '../../../shared/registry'

export { FLAG_TEXT }

const DAY = 24 * 3600 * 1000

export interface RegistryOptions {
  db: Db
  dataDir: string
  /** Who is acting: the OS user, or the configured display name. */
  actor: string
  now: () => number
  /** A candidate (alias `candidate`, or a version in staging) older than this is flagged. */
  staleCandidateDays: number
  /** An owner who has not reviewed the model for this long is flagged. */
  reviewDays: number
  onProgress?: (p: HashProgress) => void
  onChanged?: (model: string) => void
  /** How artifacts and datasets are read (regular files in the allowed folders). */
  files: FileAccess
}

export interface ModelInput {
  name: string
  description?: string
  ownerTeam?: string | null
  ownerContact?: string | null
  oncall?: string | null
  tags?: Record<string, string>
  card?: string
  policy?: Policy
}

export interface RegisterInput {
  model: string
  artifact: string
  version?: number
  format?: string
  datasets?: { role: Dataset['role']; path: string }[]
  commit?: string
  params?: Record<string, string>
  metrics?: Record<string, number>
  parent?: number
  description?: string
  /** Refuse unless the artifact hashes to this. */
  expectSha256?: string
  /** Copy the artifact into the managed store under the data dir instead of referencing it. */
  copy?: boolean
  /** Owner team for a model created by this registration. */
  ownerTeam?: string
  jobId?: string
}

interface ModelRow {
  id: number
  name: string
  description: string
  owner_team: string | null
  owner_contact: string | null
  oncall: string | null
  tags_json: string
  card: string
  policy_json: string
  created_at: number
  created_by: string
  updated_at: number
  revision: number
  reviewed_at: number | null
  reviewed_by: string | null
}

interface VersionRow {
  id: number
  model_id: number
  version: number
  stage: Stage
  stage_at: number
  artifact: string
  artifact_kind: 'file' | 'dir' | 'uri'
  sha256: string | null
  size_bytes: number | null
  file_count: number | null
  managed: number
  format: string | null
  created_at: number
  created_by: string
  source_commit: string | null
  parent: number | null
  params_json: string
  metrics_json: string
  datasets_json: string
  description: string
}

function json<T>(s: string, fallback: T): T {
  try {
    return JSON.parse(s) as T
  } catch {
    return fallback
  }
}

export function toModel(r: ModelRow): Model {
  return {
    name: r.name,
    description: r.description,
    ownerTeam: r.owner_team,
    ownerContact: r.owner_contact,
    oncall: r.oncall,
    tags: json(r.tags_json, {}),
    card: r.card,
    policy: { productionNeedsApproval: false, ...json(r.policy_json, {}) },
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
    revision: r.revision,
    reviewedAt: r.reviewed_at,
    reviewedBy: r.reviewed_by,
  }
}

function toVersion(model: string, r: VersionRow, aliases: string[]): Version {
  return {
    model,
    version: r.version,
    stage: r.stage,
    artifact: {
      location: r.artifact,
      kind: r.artifact_kind,
      sha256: r.sha256,
      sizeBytes: r.size_bytes,
      files: r.file_count,
      managed: r.managed === 1,
    },
    format: r.format,
    createdAt: r.created_at,
    createdBy: r.created_by,
    sourceCommit: r.source_commit,
    parent: r.parent,
    params: json(r.params_json, {}),
    metrics: json(r.metrics_json, {}),
    datasets: json(r.datasets_json, []),
    description: r.description,
    aliases,
  }
}

/** Guesses a format from an artifact's name (the user can say otherwise). */
export function guessFormat(path: string): string | null {
  const p = path.toLowerCase()
  const rules: [RegExp, string][] = [
    [/\.onnx$/, 'onnx'],
    [/\.(pt|pth)$/, 'pytorch'],
    [/\.safetensors$/, 'safetensors'],
    [/\.gguf$/, 'gguf'],
    [/\.plan$|\.engine$/, 'tensorrt'],
    [/\.mar$/, 'torchserve-mar'],
    [/\.(pkl|joblib)$/, 'pickle'],
    [/\.(h5|keras)$/, 'keras'],
    [/saved_model\.pb$/, 'tensorflow-savedmodel'],
  ]
  return rules.find(([re]) => re.test(p))?.[1] ?? null
}

export interface NewVersion {
  stage: Stage
  location: string
  /** null: a URI Gantry cannot read (recorded, never hashed). */
  hashed: HashedArtifact | null
  managed: boolean
  format: string | null
  createdAt: number
  createdBy: string
  commit: string | null
  parent: number | null
  params: Record<string, string>
  metrics: Record<string, number>
  datasets: Dataset[]
  description: string
}

export type Registry = ReturnType<typeof createRegistry>

/** What an import (a Triton scan, an MLflow export) brings, decided before any write; the
 *  registry applies it in one transaction (registry.applyImport). */
export interface ImportPlan {
  /** Models created where missing, with these fields. */
  models: ModelInput[]
  versions: {
    model: string
    version: number
    stage: Stage
    location: string
    /** null: a URI Gantry cannot read (recorded, never hashed). */
    hashed: HashedArtifact | null
    format: string | null
    createdAt: number
    /** null: the caller. */
    createdBy: string | null
    params: Record<string, string>
    description: string
    /** A version already registered is skipped: 'compare-hash' says whether its content is the same. */
    whenExists: 'compare-hash' | 'skip'
    audit: { action: string; after: Record<string, unknown> }
    /** Reported beside the registration (a stage changed on the way in). */
    note?: string
  }[]
  aliases: { model: string; alias: string; version: number }[]
}

/** Rows whose version is a number Gantry can hold (an import before issue #13 could write 1e20, 0
 *  or -5): the others are left out of every listing and reported, never fatal to it. */
const VALID_VERSION = 'version = CAST(version AS INTEGER) AND version BETWEEN 1 AND 1000000000'

export function createRegistry(o: RegistryOptions) {
  const { db } = o
  const tx = <T>(fn: () => T): T => db.transaction(fn).immediate()
  const audit = (action: string, model: string | null, version: number | null, before: unknown, after: unknown) =>
    appendAudit(db, o.now(), { actor: actorOr(o.actor), action, model, version, before, after })
  const changed = (m: string) => o.onChanged?.(m)

  const modelRow = (name: string): ModelRow | undefined =>
    db.prepare('SELECT * FROM reg_models WHERE name = ?').get(name) as ModelRow | undefined
  function mustModel(name: string): ModelRow {
    const r = modelRow(name)
    if (!r) throw new GantryError('registry/unknown-model', `no model named "${name}" in the registry`)
    return r
  }
  const versionRow = (modelId: number, v: number): VersionRow | undefined =>
    db.prepare('SELECT * FROM reg_versions WHERE model_id = ? AND version = ?').get(modelId, v) as
      VersionRow | undefined
  function mustVersion(m: ModelRow, v: number): VersionRow {
    const r = versionRow(m.id, v)
    if (!r) throw new GantryError('registry/unknown-version', `model "${m.name}" has no version ${v}`)
    return r
  }
  const aliasesOf = (modelId: number): { alias: string; version: number; updated_at: number; updated_by: string }[] =>
    db
      .prepare(
        `SELECT alias, version, updated_at, updated_by FROM reg_aliases WHERE model_id = ? AND ${VALID_VERSION} ORDER BY alias`,
      )
      .all(modelId) as {
      alias: string
      version: number
      updated_at: number
      updated_by: string
    }[]

  /** What of a model's rows cannot be shown, in words. */
  function problemsOf(modelId: number): string[] {
    const bad = db
      .prepare(`SELECT version FROM reg_versions WHERE model_id = ? AND NOT (${VALID_VERSION})`)
      .all(modelId) as { version: unknown }[]
    return bad.map(
      (b) =>
        `a version row numbered ${String(b.version)} is not a valid version number (an older import wrote it): it is left out`,
    )
  }

  function versionsOf(m: ModelRow): Version[] {
    const aliases = aliasesOf(m.id)
    const rows = db
      .prepare(`SELECT * FROM reg_versions WHERE model_id = ? AND ${VALID_VERSION} ORDER BY version DESC`)
      .all(m.id) as VersionRow[]
    return rows.map((r) =>
      toVersion(
        m.name,
        r,
        aliases.filter((a) => a.version === r.version).map((a) => a.alias),
      ),
    )
  }

  function flagsOf(m: ModelRow, now: number): ModelFlag[] {
    const flags: ModelFlag[] = []
    if (!m.owner_team?.trim()) flags.push('unowned')
    const prod = db
      .prepare("SELECT datasets_json FROM reg_versions WHERE model_id = ? AND stage = 'production'")
      .get(m.id) as { datasets_json: string } | undefined
    if (prod && !json<Dataset[]>(prod.datasets_json, []).some((d) => d.role === 'reference')) {
      flags.push('production-without-reference')
    }
    const staleBefore = now - o.staleCandidateDays * DAY
    const stale = db
      .prepare(
        `SELECT 1 FROM reg_versions v WHERE v.model_id = ? AND (
           (v.stage = 'staging' AND v.stage_at < ?) OR
           EXISTS (SELECT 1 FROM reg_aliases a WHERE a.model_id = v.model_id AND a.alias = 'candidate'
                   AND a.version = v.version AND a.updated_at < ? AND v.stage NOT IN ('production')))
         LIMIT 1`,
      )
      .get(m.id, staleBefore, staleBefore)
    if (stale) flags.push('stale-candidate')
    if ((m.reviewed_at ?? m.created_at) < now - o.reviewDays * DAY) flags.push('review-overdue')
    return flags
  }

  /** Moves or creates an alias (audited); caller holds the transaction. */
  function putAlias(m: ModelRow, alias: string, version: number): void {
    const before = db.prepare('SELECT version FROM reg_aliases WHERE model_id = ? AND alias = ?').get(m.id, alias) as
      { version: number } | undefined
    if (before?.version === version) return
    db.prepare(
      `INSERT INTO reg_aliases (model_id, alias, version, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(model_id, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    ).run(m.id, alias, version, o.now(), actorOr(o.actor))
    audit('alias.set', m.name, version, before ? { alias, version: before.version } : null, { alias, version })
  }

  function dropAlias(m: ModelRow, alias: string): boolean {
    const before = db.prepare('SELECT version FROM reg_aliases WHERE model_id = ? AND alias = ?').get(m.id, alias) as
      { version: number } | undefined
    if (!before) return false
    db.prepare('DELETE FROM reg_aliases WHERE model_id = ? AND alias = ?').run(m.id, alias)
    audit('alias.delete', m.name, before.version, { alias, version: before.version }, null)
    return true
  }

  function setStage(m: ModelRow, v: VersionRow, stage: Stage, why: string | null): void {
    db.prepare('UPDATE reg_versions SET stage = ?, stage_at = ? WHERE id = ?').run(stage, o.now(), v.id)
    audit('version.stage', m.name, v.version, { stage: v.stage }, { stage, ...(why ? { why } : {}) })
  }

  function touch(m: ModelRow): void {
    db.prepare('UPDATE reg_models SET updated_at = ?, revision = revision + 1 WHERE id = ?').run(o.now(), m.id)
  }

  /** The whole move of a version to a stage, with its side effects; caller holds the transaction. */
  function transitionIn(
    m: ModelRow,
    version: number,
    stage: Stage,
    comment: string | null,
    opts: { skipApproval?: boolean } = {},
  ): void {
    const v = mustVersion(m, version)
    if (v.stage === stage) return
    if (!TRANSITIONS[v.stage].includes(stage)) {
      const allowed = TRANSITIONS[v.stage]
      throw new GantryError(
        'registry/forbidden-transition',
        `${m.name} v${version} is ${v.stage}; it cannot go to ${stage} ` +
          `(from ${v.stage} it may go to ${allowed.length ? allowed.join(', ') : 'nothing: retired is final'})`,
      )
    }
    if (stage === 'production') {
      const policy = toModel(m).policy
      if (policy.productionNeedsApproval && !opts.skipApproval) {
        const a = db
          .prepare(
            "SELECT id FROM reg_approvals WHERE model_id = ? AND version = ? AND status = 'approved' ORDER BY id DESC LIMIT 1",
          )
          .get(m.id, version) as { id: number } | undefined
        if (!a) {
          throw new GantryError(
            'registry/approval-required',
            `${m.name} needs an approval before a version goes to production: request one for v${version} and have someone else approve it`,
          )
        }
        db.prepare("UPDATE reg_approvals SET status = 'applied' WHERE id = ?").run(a.id)
        audit(
          'approval.applied',
          m.name,
          version,
          { approval: a.id, status: 'approved' },
          { approval: a.id, status: 'applied' },
        )
      }
      if (!v.sha256) {
        throw new GantryError(
          'registry/hash-mismatch',
          `${m.name} v${version} has no verified artifact hash (${v.artifact}); register it from a readable copy before it can serve production`,
        )
      }
      const current = db.prepare("SELECT * FROM reg_versions WHERE model_id = ? AND stage = 'production'").get(m.id) as
        VersionRow | undefined
      if (current) setStage(m, current, 'archived', `replaced by v${version}`)
      setStage(m, v, 'production', comment)
      putAlias(m, 'production', version)
    } else {
      setStage(m, v, stage, comment)
      if (v.stage === 'production') dropAlias(m, 'production')
      if (stage === 'archived' || stage === 'retired') {
        for (const a of aliasesOf(m.id)) if (a.version === version) dropAlias(m, a.alias)
      }
    }
    touch(m)
  }

  function createModelIn(input: ModelInput): ModelRow {
    if (modelRow(input.name)) {
      throw new GantryError('registry/duplicate-model', `a model named "${input.name}" already exists`)
    }
    const t = o.now()
    db.prepare(
      `INSERT INTO reg_models (name, description, owner_team, owner_contact, oncall, tags_json, card, policy_json, created_at, created_by, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      input.name,
      input.description ?? '',
      input.ownerTeam?.trim() || null,
      input.ownerContact?.trim() || null,
      input.oncall?.trim() || null,
      JSON.stringify(input.tags ?? {}),
      input.card ?? '',
      JSON.stringify(input.policy ?? { productionNeedsApproval: false }),
      t,
      actorOr(o.actor),
      t,
    )
    const row = mustModel(input.name)
    audit('model.create', input.name, null, null, toModel(row))
    return row
  }

  /** Inserts a version row; caller holds the transaction and writes the audit row. */
  function insertVersionIn(m: ModelRow, n: number, nv: NewVersion): void {
    const h = nv.hashed
    db.prepare(
      `INSERT INTO reg_versions (model_id, version, stage, stage_at, artifact, artifact_kind, sha256, size_bytes, file_count,
         manifest_json, managed, format, created_at, created_by, source_commit, parent, params_json, metrics_json, datasets_json, description)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      m.id,
      n,
      nv.stage,
      o.now(),
      nv.location,
      h?.kind ?? 'uri',
      h?.sha256 ?? null,
      h?.sizeBytes ?? null,
      h ? (h.kind === 'dir' ? h.files.length : 1) : null,
      h?.kind === 'dir' ? JSON.stringify(h.files) : null,
      nv.managed ? 1 : 0,
      nv.format,
      nv.createdAt,
      nv.createdBy,
      nv.commit,
      nv.parent,
      JSON.stringify(nv.params),
      JSON.stringify(nv.metrics),
      JSON.stringify(nv.datasets),
      nv.description,
    )
  }

  async function datasetsFor(list: RegisterInput['datasets']): Promise<Dataset[]> {
    const out: Dataset[] = []
    for (const d of list ?? []) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(d.path)) {
        out.push({ role: d.role, uri: d.path, sha256: null, sizeBytes: null, rows: null })
        continue
      }
      const abs = resolve(d.path)
      try {
        const f = await fingerprintDataset(o.files, abs, callerSignal())
        out.push({ role: d.role, uri: abs, ...f })
      } catch (err) {
        const e = err as GantryError
        throw new GantryError(e.code ?? 'registry/artifact-unreadable', `${d.role} ${e.message}`, {
          cause: err,
        })
      }
    }
    return out
  }

  async function copyIntoStore(model: string, src: string, expected: HashedArtifact): Promise<string> {
    const safe = model.replace(/[^A-Za-z0-9._-]/g, '_')
    const base = join(o.dataDir, 'artifacts')
    const incoming = join(base, '.incoming', randomUUID())
    const final = join(base, safe, `${expected.sha256.slice(0, 16)}-${randomUUID().slice(0, 8)}`)
    // A file keeps its name inside its own folder; a folder is copied as it is.
    const inner = expected.kind === 'file' ? basename(src) : null
    await mkdir(inner ? incoming : join(base, '.incoming'), { recursive: true })
    try {
      await cp(src, inner ? join(incoming, inner) : incoming, {
        recursive: true,
        dereference: true,
        errorOnExist: true,
        force: false,
      })
      const copied = await hashArtifact(o.files, inner ? join(incoming, inner) : incoming, undefined, callerSignal())
      if (copied.sha256 !== expected.sha256) {
        throw new GantryError(
          'registry/hash-mismatch',
          `the copy of ${src} hashes differently from the original: the source changed while copying`,
        )
      }
      await mkdir(join(base, safe), { recursive: true })
      await rename(incoming, final)
      return inner ? join(final, inner) : final
    } catch (err) {
      await rm(incoming, { recursive: true, force: true })
      throw err
    }
  }

  const self = {
    /** Who is acting now: the current caller, else Gantry's own user. */
    get actor(): string {
      return actorOr(o.actor)
    },

    /** Every approval waiting for a decision, oldest first. */
    pendingApprovals(): { model: string; version: number; requestedBy: string; requestedAt: number }[] {
      return (
        db
          .prepare(
            `SELECT m.name, a.version, a.requested_by, a.requested_at FROM reg_approvals a
              JOIN reg_models m ON m.id = a.model_id WHERE a.status = 'pending' AND a.${VALID_VERSION} ORDER BY a.id`,
          )
          .all() as { name: string; version: number; requested_by: string; requested_at: number }[]
      ).map((r) => ({ model: r.name, version: r.version, requestedBy: r.requested_by, requestedAt: r.requested_at }))
    },

    listModels(q: { query?: string; owner?: string; stage?: Stage } = {}): ModelSummary[] {
      const where: string[] = []
      const args: string[] = []
      if (q.query) {
        where.push('(m.name LIKE ? OR m.description LIKE ? OR m.owner_team LIKE ? OR m.tags_json LIKE ?)')
        const like = `%${q.query.replace(/[%_\\]/g, (c) => `\\${c}`)}%`
        for (let i = 0; i < 4; i++) args.push(like)
      }
      if (q.owner) {
        where.push(q.owner === '(none)' ? "(m.owner_team IS NULL OR m.owner_team = '')" : 'm.owner_team = ?')
        if (q.owner !== '(none)') args.push(q.owner)
      }
      if (q.stage) {
        where.push('EXISTS (SELECT 1 FROM reg_versions s WHERE s.model_id = m.id AND s.stage = ?)')
        args.push(q.stage)
      }
      const sql = `SELECT m.* FROM reg_models m ${where.length ? `WHERE ${where.join(' AND ')}`.replace(/LIKE \?/g, "LIKE ? ESCAPE '\\'") : ''} ORDER BY m.name`
      const models = db.prepare(sql).all(...args) as ModelRow[]
      const counts = db.prepare(
        `SELECT stage, COUNT(*) n, MAX(version) latest FROM reg_versions WHERE model_id = ? AND ${VALID_VERSION} GROUP BY stage`,
      )
      const prodQ = db.prepare(
        `SELECT version FROM reg_versions WHERE model_id = ? AND stage = 'production' AND ${VALID_VERSION}`,
      )
      const driftQ = db.prepare(
        'SELECT drifted, share, created_at FROM drift_windows WHERE model = ? ORDER BY id DESC LIMIT 1',
      )
      const monitorQ = db.prepare('SELECT last_error FROM drift_monitors WHERE model = ?')
      const pendingQ = db.prepare(
        `SELECT COUNT(*) n FROM reg_approvals WHERE model_id = ? AND status = 'pending' AND ${VALID_VERSION}`,
      )
      const now = o.now()
      return models.map((m) => {
        const rows = counts.all(m.id) as { stage: Stage; n: number; latest: number }[]
        const stages = Object.fromEntries(STAGES.map((st) => [st, 0])) as Record<Stage, number>
        for (const r of rows) stages[r.stage] = r.n
        return {
          name: m.name,
          description: m.description,
          ownerTeam: m.owner_team,
          tags: json(m.tags_json, {}),
          versions: rows.reduce((a, r) => a + r.n, 0),
          latest: rows.length ? Math.max(...rows.map((r) => r.latest)) : null,
          production: (prodQ.get(m.id) as { version: number } | undefined)?.version ?? null,
          stages,
          flags: flagsOf(m, now),
          updatedAt: m.updated_at,
          drift: (() => {
            const d = driftQ.get(m.name) as { drifted: number; share: number; created_at: number } | undefined
            return d ? { drifted: d.drifted === 1, share: d.share, at: d.created_at } : null
          })(),
          problems: problemsOf(m.id),
          pendingApprovals: (pendingQ.get(m.id) as { n: number }).n,
          ...(() => {
            const mon = monitorQ.get(m.name) as { last_error: string | null } | undefined
            return { monitorError: mon?.last_error ?? null, monitored: mon !== undefined }
          })(),
        }
      })
    },

    getModel(name: string): ModelDetail {
      const m = mustModel(name)
      const approvals = db
        .prepare(`SELECT * FROM reg_approvals WHERE model_id = ? AND ${VALID_VERSION} ORDER BY id DESC`)
        .all(m.id) as {
        id: number
        version: number
        status: Approval['status']
        requested_by: string
        requested_at: number
        decided_by: string | null
        decided_at: number | null
      }[]
      const comments = db.prepare('SELECT actor, at, text FROM reg_comments WHERE approval_id = ? ORDER BY id')
      return {
        model: toModel(m),
        versions: versionsOf(m),
        aliases: aliasesOf(m.id).map((a) => ({
          alias: a.alias,
          version: a.version,
          at: a.updated_at,
          by: a.updated_by,
        })),
        approvals: approvals.map((a) => ({
          id: a.id,
          model: m.name,
          version: a.version,
          status: a.status,
          requestedBy: a.requested_by,
          requestedAt: a.requested_at,
          decidedBy: a.decided_by,
          decidedAt: a.decided_at,
          comments: comments.all(a.id) as Approval['comments'],
        })),
        history: listAudit(db, { model: m.name, limit: 500 }),
        flags: flagsOf(m, o.now()),
        problems: problemsOf(m.id),
      }
    },

    getVersion(name: string, version: number): { version: Version; parent: Version | null } {
      const m = mustModel(name)
      const all = versionsOf(m)
      const v = all.find((x) => x.version === version)
      if (!v) throw new GantryError('registry/unknown-version', `model "${name}" has no version ${version}`)
      return { version: v, parent: v.parent === null ? null : (all.find((x) => x.version === v.parent) ?? null) }
    },

    createModel(input: ModelInput): Model {
      const row = tx(() => createModelIn(input))
      changed(input.name)
      return toModel(row)
    },

    /** Applies a patch made against `expectedRevision`; refuses if someone changed the model since. */
    updateModel(name: string, expectedRevision: number, patch: Omit<ModelInput, 'name'>): Model {
      const out = tx(() => {
        const m = mustModel(name)
        if (m.revision !== expectedRevision) {
          throw new GantryError(
            'registry/conflict',
            `${name} was changed by someone else (revision ${m.revision}, your edit was based on ${expectedRevision}): reload and apply your change again`,
          )
        }
        const before = toModel(m)
        const next: Model = {
          ...before,
          description: patch.description ?? before.description,
          ownerTeam: patch.ownerTeam === undefined ? before.ownerTeam : patch.ownerTeam?.trim() || null,
          ownerContact: patch.ownerContact === undefined ? before.ownerContact : patch.ownerContact?.trim() || null,
          oncall: patch.oncall === undefined ? before.oncall : patch.oncall?.trim() || null,
          tags: patch.tags ?? before.tags,
          card: patch.card ?? before.card,
          policy: patch.policy ?? before.policy,
        }
        db.prepare(
          `UPDATE reg_models SET description = ?, owner_team = ?, owner_contact = ?, oncall = ?, tags_json = ?, card = ?,
             policy_json = ?, updated_at = ?, revision = revision + 1 WHERE id = ?`,
        ).run(
          next.description,
          next.ownerTeam,
          next.ownerContact,
          next.oncall,
          JSON.stringify(next.tags),
          next.card,
          JSON.stringify(next.policy),
          o.now(),
          m.id,
        )
        const diffBefore: Record<string, unknown> = {}
        const diffAfter: Record<string, unknown> = {}
        for (const k of ['description', 'ownerTeam', 'ownerContact', 'oncall', 'tags', 'card', 'policy'] as const) {
          if (JSON.stringify(before[k]) !== JSON.stringify(next[k])) {
            diffBefore[k] = before[k]
            diffAfter[k] = next[k]
          }
        }
        audit('model.update', name, null, diffBefore, diffAfter)
        return toModel(mustModel(name))
      })
      changed(name)
      return out
    },

    /** The owner says they looked at the model (resets the review-overdue flag). */
    reviewModel(name: string, note?: string): Model {
      const out = tx(() => {
        const m = mustModel(name)
        db.prepare('UPDATE reg_models SET reviewed_at = ?, reviewed_by = ?, revision = revision + 1 WHERE id = ?').run(
          o.now(),
          actorOr(o.actor),
          m.id,
        )
        audit(
          'model.review',
          name,
          null,
          { reviewedAt: m.reviewed_at },
          { reviewedAt: o.now(), ...(note ? { note } : {}) },
        )
        return toModel(mustModel(name))
      })
      changed(name)
      return out
    },

    async register(input: RegisterInput): Promise<Version> {
      const existing = modelRow(input.model)
      if (existing && input.version !== undefined && versionRow(existing.id, input.version)) {
        throw new GantryError('registry/duplicate-version', `${input.model} v${input.version} is already registered`)
      }
      if (existing && input.parent !== undefined && !versionRow(existing.id, input.parent)) {
        throw new GantryError('registry/unknown-version', `parent v${input.parent} of ${input.model} does not exist`)
      }
      if (!existing && input.parent !== undefined) {
        throw new GantryError(
          'registry/unknown-version',
          `parent v${input.parent}: model "${input.model}" has no versions yet`,
        )
      }
      const path = isAbsolute(input.artifact) ? input.artifact : resolve(input.artifact)
      const jobId = input.jobId ?? randomUUID()
      let lastEmit = 0
      const hashed = await hashArtifact(
        o.files,
        path,
        (done, total, file) => {
          const t = Date.now()
          if (t - lastEmit < 100 && done < total) return
          lastEmit = t
          o.onProgress?.({ jobId, bytesDone: done, bytesTotal: total, file })
        },
        callerSignal(),
      )
      if (input.expectSha256 && input.expectSha256.toLowerCase() !== hashed.sha256) {
        throw new GantryError(
          'registry/hash-mismatch',
          `${path} hashes to ${hashed.sha256}, not the expected ${input.expectSha256.toLowerCase()}: nothing was registered`,
        )
      }
      const datasets = await datasetsFor(input.datasets)
      const location = input.copy ? await copyIntoStore(input.model, path, hashed) : path
      try {
        const v = tx(() => {
          const m = modelRow(input.model) ?? createModelIn({ name: input.model, ownerTeam: input.ownerTeam ?? null })
          const n =
            input.version ??
            ((
              db.prepare('SELECT MAX(version) v FROM reg_versions WHERE model_id = ?').get(m.id) as { v: number | null }
            ).v ?? 0) + 1
          if (versionRow(m.id, n)) {
            throw new GantryError('registry/duplicate-version', `${input.model} v${n} is already registered`)
          }
          if (input.parent !== undefined && !versionRow(m.id, input.parent)) {
            throw new GantryError(
              'registry/unknown-version',
              `parent v${input.parent} of ${input.model} does not exist`,
            )
          }
          insertVersionIn(m, n, {
            stage: 'registered',
            location,
            hashed,
            managed: !!input.copy,
            format: input.format ?? guessFormat(path),
            createdAt: o.now(),
            createdBy: actorOr(o.actor),
            commit: input.commit ?? null,
            parent: input.parent ?? null,
            params: input.params ?? {},
            metrics: input.metrics ?? {},
            datasets,
            description: input.description ?? '',
          })
          touch(m)
          const out = toVersion(m.name, versionRow(m.id, n)!, [])
          audit('version.register', m.name, n, null, {
            artifact: out.artifact,
            format: out.format,
            parent: out.parent,
            sourceCommit: out.sourceCommit,
            datasets,
          })
          return out
        })
        changed(input.model)
        return v
      } catch (err) {
        if (input.copy)
          await rm(hashed.kind === 'file' ? dirname(location) : location, { recursive: true, force: true })
        throw err
      }
    },

    setAlias(name: string, alias: string, version: number): void {
      tx(() => {
        const m = mustModel(name)
        const v = mustVersion(m, version)
        if (alias === 'production') return transitionIn(m, version, 'production', 'alias production set')
        if (v.stage === 'archived' || v.stage === 'retired') {
          throw new GantryError(
            'registry/archived-version',
            `${name} v${version} is ${v.stage}: an alias cannot point at it (move it back to staging first)`,
          )
        }
        putAlias(m, alias, version)
        touch(m)
      })
      changed(name)
    },

    removeAlias(name: string, alias: string): void {
      tx(() => {
        const m = mustModel(name)
        if (alias === 'production') {
          throw new GantryError(
            'registry/forbidden-transition',
            'the production alias follows the production stage: move the production version to staging or archived instead',
          )
        }
        if (!dropAlias(m, alias)) throw new GantryError('registry/unknown-alias', `${name} has no alias "${alias}"`)
        touch(m)
      })
      changed(name)
    },

    transition(name: string, version: number, stage: Stage, comment?: string): Version {
      const out = tx(() => {
        const m = mustModel(name)
        transitionIn(m, version, stage, comment ?? null)
        return versionsOf(m).find((v) => v.version === version)!
      })
      changed(name)
      return out
    },

    requestApproval(name: string, version: number, comment?: string): Approval {
      const id = tx(() => {
        const m = mustModel(name)
        const v = mustVersion(m, version)
        if (v.stage === 'production')
          throw new GantryError('registry/forbidden-transition', `${name} v${version} is already in production`)
        if (!TRANSITIONS[v.stage].includes('production')) {
          throw new GantryError(
            'registry/forbidden-transition',
            `${name} v${version} is ${v.stage}; it must reach staging before it can be approved for production`,
          )
        }
        const open = db
          .prepare(
            "SELECT id FROM reg_approvals WHERE model_id = ? AND version = ? AND status IN ('pending','approved')",
          )
          .get(m.id, version) as { id: number } | undefined
        if (open)
          throw new GantryError(
            'registry/conflict',
            `${name} v${version} already has an open approval request (#${open.id})`,
          )
        const r = db
          .prepare(
            "INSERT INTO reg_approvals (model_id, version, status, requested_by, requested_at) VALUES (?, ?, 'pending', ?, ?)",
          )
          .run(m.id, version, actorOr(o.actor), o.now())
        const aid = Number(r.lastInsertRowid)
        if (comment)
          db.prepare('INSERT INTO reg_comments (approval_id, actor, at, text) VALUES (?, ?, ?, ?)').run(
            aid,
            actorOr(o.actor),
            o.now(),
            comment,
          )
        audit('approval.request', name, version, null, { approval: aid, comment: comment ?? null })
        return aid
      })
      changed(name)
      return self.getModel(name).approvals.find((a) => a.id === id)!
    },

    decideApproval(id: number, decision: 'approve' | 'reject' | 'withdraw', comment?: string): Approval {
      const model = tx(() => {
        const a = db
          .prepare('SELECT a.*, m.name FROM reg_approvals a JOIN reg_models m ON m.id = a.model_id WHERE a.id = ?')
          .get(id) as { id: number; status: string; requested_by: string; version: number; name: string } | undefined
        if (!a) throw new GantryError('registry/unknown-approval', `no approval request #${id}`)
        if (a.status !== 'pending')
          throw new GantryError('registry/conflict', `approval request #${id} is already ${a.status}`)
        const who = actorOr(o.actor)
        const same = personOf(a.requested_by) === personOf(who)
        // A caller whose OS account the door could not tell ("token holder via web") cannot be
        // told apart from the requester: it may comment or withdraw its own, not decide.
        if (decision !== 'withdraw' && personOf(who) === 'token holder')
          throw new GantryError(
            'registry/self-approval',
            `the console could not tell who you are (${who}): approve or reject from the command line as yourself (gantry approve)`,
          )
        if (decision === 'withdraw' && !same) {
          throw new GantryError(
            'registry/self-approval',
            `only ${a.requested_by}, who asked, can withdraw request #${id}`,
          )
        }
        if (decision !== 'withdraw' && same) {
          throw new GantryError(
            'registry/self-approval',
            `${actorOr(o.actor)} asked for this promotion and cannot ${decision} it: someone else must decide`,
          )
        }
        const status = decision === 'approve' ? 'approved' : decision === 'reject' ? 'rejected' : 'withdrawn'
        db.prepare('UPDATE reg_approvals SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?').run(
          status,
          actorOr(o.actor),
          o.now(),
          id,
        )
        if (comment)
          db.prepare('INSERT INTO reg_comments (approval_id, actor, at, text) VALUES (?, ?, ?, ?)').run(
            id,
            actorOr(o.actor),
            o.now(),
            comment,
          )
        audit(
          `approval.${decision}`,
          a.name,
          a.version,
          { approval: id, status: 'pending' },
          { approval: id, status, comment: comment ?? null },
        )
        return a.name
      })
      changed(model)
      return self.getModel(model).approvals.find((x) => x.id === id)!
    },

    commentApproval(id: number, text: string): Approval {
      const model = tx(() => {
        const a = db
          .prepare(
            'SELECT a.version, m.name FROM reg_approvals a JOIN reg_models m ON m.id = a.model_id WHERE a.id = ?',
          )
          .get(id) as { version: number; name: string } | undefined
        if (!a) throw new GantryError('registry/unknown-approval', `no approval request #${id}`)
        db.prepare('INSERT INTO reg_comments (approval_id, actor, at, text) VALUES (?, ?, ?, ?)').run(
          id,
          actorOr(o.actor),
          o.now(),
          text,
        )
        audit('approval.comment', a.name, a.version, null, { approval: id, text })
        return a.name
      })
      changed(model)
      return self.getModel(model).approvals.find((x) => x.id === id)!
    },

    /** Re-hashes a version's artifact and compares with the registered hash (before any deploy). */
    async verifyArtifact(name: string, version: number): Promise<ArtifactCheck> {
      const m = mustModel(name)
      const v = mustVersion(m, version)
      const base = { model: name, version, location: v.artifact, expected: v.sha256 }
      if (!v.sha256 || v.artifact_kind === 'uri') {
        return {
          ...base,
          actual: null,
          ok: false,
          problem: 'no registered hash: the artifact was recorded as a URI Gantry cannot read',
        }
      }
      try {
        const h = await hashArtifact(o.files, v.artifact, undefined, callerSignal())
        const ok = h.sha256 === v.sha256
        return {
          ...base,
          actual: h.sha256,
          ok,
          problem: ok ? null : 'the artifact changed since it was registered (hash differs)',
        }
      } catch (err) {
        return { ...base, actual: null, ok: false, problem: (err as Error).message }
      }
    },

    /** Throws what promoting `version` to production would throw, changing nothing (a dry run). */
    checkPromotion(name: string, version: number, opts: { skipApproval?: boolean } = {}): void {
      const DRY = Symbol('dry run')
      try {
        tx(() => {
          transitionIn(mustModel(name), version, 'production', null, opts)
          throw DRY
        })
      } catch (err) {
        if (err !== DRY) throw err
      }
    },

    /** Promotes inside the caller's transaction (a deploy's commit), with its audit rows. */
    promoteWithin(name: string, version: number, opts: { skipApproval?: boolean; why: string }): void {
      const m = mustModel(name)
      const v = mustVersion(m, version)
      if (v.stage === 'production') return
      // A rollback may bring back a version from any stage but retired.
      if (opts.skipApproval && !TRANSITIONS[v.stage].includes('production') && v.stage !== 'retired') {
        setStage(m, v, 'staging', `${opts.why}: on the way back to production`)
      }
      transitionIn(m, version, 'production', opts.why, opts)
    },

    /** A version's artifact and params, for deploys. */
    versionRef(name: string, version: number) {
      const m = mustModel(name)
      const v = mustVersion(m, version)
      return {
        model: name,
        version,
        location: v.artifact,
        sha256: v.sha256,
        kind: v.artifact_kind,
        stage: v.stage,
        params: json<Record<string, string>>(v.params_json, {}),
      }
    },

    productionVersion(name: string): number | null {
      const m = mustModel(name)
      const r = db.prepare("SELECT version FROM reg_versions WHERE model_id = ? AND stage = 'production'").get(m.id) as
        { version: number } | undefined
      return r?.version ?? null
    },

    /** What an alias of a model points at (intent for serving checks and deploys), or null. */
    expectedFor(name: string, alias: string): { version: number; location: string; sha256: string | null } | null {
      const r = db
        .prepare(
          `SELECT v.version, v.artifact, v.sha256 FROM reg_aliases a JOIN reg_models m ON m.id = a.model_id
           JOIN reg_versions v ON v.model_id = a.model_id AND v.version = a.version WHERE m.name = ? AND a.alias = ?`,
        )
        .get(name, alias) as { version: number; artifact: string; sha256: string | null } | undefined
      return r ? { version: r.version, location: r.artifact, sha256: r.sha256 } : null
    },

    audit: (q: { model?: string; limit?: number; before?: number } = {}): AuditRow[] => listAudit(db, q),
    hasModel: (name: string): boolean => modelRow(name) !== undefined,
    /** Who answers for a model (its alerts are routed there); null when there is no such model. */
    ownersOf(name: string): { team: string | null; contact: string | null; oncall: string | null } | null {
      const r = modelRow(name)
      return r ? { team: r.owner_team, contact: r.owner_contact, oncall: r.oncall } : null
    },

    /** Applies an import in one transaction: all of it lands, or none of it (issue #13). */
    applyImport(plan: ImportPlan, report: ImportReport): ImportReport {
      const touched = new Set<string>()
      tx(() => {
        for (const mi of plan.models) if (!modelRow(mi.name)) createModelIn(mi)
        for (const v of plan.versions) {
          const m = mustModel(v.model)
          if (!report.models.includes(v.model)) report.models.push(v.model)
          const existing = versionRow(m.id, v.version)
          if (existing) {
            report.skipped.push({
              model: v.model,
              version: v.version,
              reason:
                v.whenExists === 'skip'
                  ? 'already registered'
                  : existing.sha256 === v.hashed?.sha256
                    ? 'already registered with the same content'
                    : `already registered with different content (registered ${existing.sha256?.slice(0, 12) ?? 'unhashed'}…, folder now ${v.hashed?.sha256.slice(0, 12) ?? 'unhashed'}…)`,
            })
            continue
          }
          insertVersionIn(m, v.version, {
            stage: v.stage,
            location: v.location,
            hashed: v.hashed,
            managed: false,
            format: v.format,
            createdAt: v.createdAt,
            createdBy: v.createdBy ?? actorOr(o.actor),
            commit: null,
            parent: null,
            params: v.params,
            metrics: {},
            datasets: [],
            description: v.description,
          })
          audit(v.audit.action, v.model, v.version, null, v.audit.after)
          if (v.note) report.skipped.push({ model: v.model, version: v.version, reason: v.note })
          report.registered.push({ model: v.model, version: v.version })
          if (v.stage === 'production') putAlias(m, 'production', v.version)
          touched.add(v.model)
        }
        for (const a of plan.aliases) {
          const m = mustModel(a.model)
          const row = versionRow(m.id, a.version)
          if (!row) {
            report.skipped.push({
              model: a.model,
              version: a.version,
              reason: `alias ${a.alias}: version not in the export`,
            })
          } else if (a.alias === 'production' || row.stage === 'archived' || row.stage === 'retired') {
            report.skipped.push({
              model: a.model,
              version: a.version,
              reason: `alias ${a.alias} not imported: v${a.version} is ${row.stage}`,
            })
          } else {
            putAlias(m, a.alias, a.version)
            touched.add(a.model)
          }
        }
        for (const name of [...touched, ...plan.models.map((mi) => mi.name)]) {
          const m = modelRow(name)
          if (m) touch(m)
        }
      })
      for (const m of new Set([...report.models, ...plan.models.map((mi) => mi.name)])) changed(m)
      return report
    },
    /** An audit row of its own (a file read, a settings change), in its own transaction. */
    record(action: string, model: string | null, after: unknown, actor?: string): void {
      tx(() =>
        appendAudit(db, o.now(), {
          actor: actor ?? actorOr(o.actor),
          action,
          model,
          version: null,
          before: null,
          after,
        }),
      )
    },
    verifyAudit: (): AuditVerdict => verifyAudit(db),
  }
  return self
}
