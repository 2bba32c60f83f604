// One journaled state machine for every deploy and rollback:
//   preflight (artifact present and its sha256 equal to the registry's, target reachable, the
//   promotion allowed, no other deploy in flight on the target) → intent written → switch →
//   reload → verify (ready, the intended version served, the smoke request) → commit (alias and
//   stage moved, audit row, journal closed: one transaction) — or revert to the previous version
//   and record why. The journal row is written before each step, so after a crash the next start
//   knows where it stopped, asks the target what it points at, and finishes or reverts — and says
//   what it did. The lock is a partial unique index: one in-flight row per target.
import { posix } from 'node:path'
import type { Db } from '../db/database'
import { GantryError, errorMessage } from '../errors'
import {
  TERMINAL,
  TargetConfig,
  type DeployStep,
  type DeployTarget,
  type Deployment,
  type DeploymentState,
  type RollbackPlan,
  type TargetConfigInput,
} from '../../../shared/deploy'
import type { ProbeResult } from '../../../shared/serving'
import type { Registry } from '../registry/registry'
import { actorOr } from '../caller'
import { appendAudit } from '../registry/audit'
import type { HostAccess } from '../hosts/access'
import { hashOnHost } from '../registry/host-hash'
import { createAdapter, type TargetAdapter, type VersionRef } from './targets'

export interface DeployerOptions {
  db: Db
  registry: Registry
  /** A host's access (its files under its roots, its commands): where a model-folder target is. */
  accessOf(host: string | undefined): HostAccess
  actor: string
  now: () => number
  probe(endpointId: number): Promise<ProbeResult>
  publish(d: Deployment): void
  log(line: string): void
  /** Called after each journaled step (failure injection in the crash tests). */
  afterStep?(step: string, d: Deployment): void
}

interface Row {
  id: number
  model: string
  target_id: number
  kind: 'deploy' | 'rollback'
  from_version: number | null
  to_version: number
  from_pointer: string | null
  state: DeploymentState
  steps_json: string
  actor: string
  pid: number | null
  started_at: number
  finished_at: number | null
  reason: string | null
}

interface TargetRow {
  id: number
  model: string
  name: string
  config_json: string
  created_at: number
}

const IN_FLIGHT: DeploymentState[] = ['intent', 'switching', 'verifying', 'reverting']

function alive(pid: number | null): boolean {
  if (!pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM'
  }
}

/** Deploys, rollbacks and their targets: one journaled state machine per change of a target. */
export interface Deployer {
  listTargets(model?: string): DeployTarget[]
  addTarget(model: string, name: string, config: TargetConfigInput): Promise<DeployTarget>
  removeTarget(id: number): void
  deploy(model: string, version: number, targetId: number): Promise<Deployment>
  /** Back to the last version that succeeded before the current one; `cause` marks an automatic one. */
  rollback(model: string, targetId?: number, cause?: string): Promise<Deployment>
  rollbackPlan(model: string, targetId?: number): RollbackPlan
  list(q?: { model?: string; targetId?: number; limit?: number }): Deployment[]
  /** How many deployments and rollbacks of each model ended in each terminal state. */
  outcomes(): { model: string; kind: 'deploy' | 'rollback'; state: string; count: number }[]
  /** Each target's last finished deployment or rollback (a failed one stays until a later one succeeds). */
  lastFinished(): Deployment[]
  /** Re-applies what targets forget (TorchServe's default after a restart); says what it did. */
  reconcile(): Promise<string[]>
  /** Finishes or reverts deployments a stopped Gantry left in flight; says what it did. */
  recover(): Promise<Deployment[]>
}

export function createDeployer(o: DeployerOptions): Deployer {
  const accessFor = (c: TargetConfig): HostAccess => o.accessOf(c.kind === 'model-folder' ? c.host : undefined)
  const { db, registry } = o
  const toTarget = (r: TargetRow): DeployTarget => ({
    id: r.id,
    model: r.model,
    name: r.name,
    config: TargetConfig.parse(JSON.parse(r.config_json)),
    createdAt: r.created_at,
  })
  const targetRow = (id: number): TargetRow => {
    const r = db.prepare('SELECT * FROM deploy_targets WHERE id = ?').get(id) as TargetRow | undefined
    if (!r) throw new GantryError('deploy/unknown-target', `no deployment target with id ${id}`)
    return r
  }
  const toDeployment = (r: Row): Deployment => ({
    id: r.id,
    model: r.model,
    targetId: r.target_id,
    targetName:
      (db.prepare('SELECT name FROM deploy_targets WHERE id = ?').get(r.target_id) as { name: string } | undefined)
        ?.name ?? '?',
    kind: r.kind,
    fromVersion: r.from_version,
    toVersion: r.to_version,
    state: r.state,
    steps: JSON.parse(r.steps_json) as DeployStep[],
    actor: r.actor,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    reason: r.reason,
    revertUnverified:
      r.state === 'reverted' &&
      (JSON.parse(r.steps_json) as DeployStep[]).some((s) => s.name === 'revert' && s.state === 'failed'),
  })
  const rowOf = (id: number): Row => db.prepare('SELECT * FROM deployments WHERE id = ?').get(id) as Row
  const audit = (action: string, model: string, version: number | null, before: unknown, after: unknown): void => {
    appendAudit(db, o.now(), { actor: actorOr(o.actor), action, model, version, before, after })
  }

  /** Writes the journal (state and steps) durably, then tells the UI. */
  function journal(
    id: number,
    state: DeploymentState,
    steps: DeployStep[],
    extra: { reason?: string | null } = {},
  ): Deployment {
    const terminal = TERMINAL.includes(state)
    db.prepare(
      'UPDATE deployments SET state = ?, steps_json = ?, finished_at = ?, reason = COALESCE(?, reason) WHERE id = ?',
    ).run(state, JSON.stringify(steps), terminal ? o.now() : null, extra.reason ?? null, id)
    const d = toDeployment(rowOf(id))
    o.publish(d)
    return d
  }

  function refOf(model: string, version: number): VersionRef {
    const v = registry.versionRef(model, version)
    return { model, version, location: v.location, sha256: v.sha256, params: v.params }
  }

  async function step<T>(
    steps: DeployStep[],
    name: DeployStep['name'],
    run: () => Promise<T>,
    describe: (t: T) => string,
  ): Promise<T> {
    const started = o.now()
    const s: DeployStep = { name, state: 'running', at: started, ms: null, detail: '' }
    steps.push(s)
    try {
      const out = await run()
      s.state = 'ok'
      s.detail = describe(out)
      return out
    } catch (err) {
      s.state = 'failed'
      s.detail = errorMessage(err)
      throw err
    } finally {
      s.ms = o.now() - started
    }
  }

  /** Puts the previous version back; returns the reason line for the journal. */
  async function revert(
    adapter: TargetAdapter,
    r: Row,
    steps: DeployStep[],
    why: string,
    deadlineMs: number,
  ): Promise<Deployment> {
    let d = journal(r.id, 'reverting', steps, { reason: why })
    o.afterStep?.('reverting', d)
    let verified = true
    try {
      const note = await step(
        steps,
        'revert',
        async () => {
          // Where the target can, exactly what was there before goes back (a link to a path the
          // registry does not know, or no link at all); else the previous version is switched to.
          let restored = ''
          if (adapter.restore) {
            restored = await adapter.restore(r.from_pointer)
            o.afterStep?.('revert-switched', toDeployment(rowOf(r.id)))
          }
          if (r.from_version !== null) {
            const from = refOf(r.model, r.from_version)
            if (!adapter.restore) {
              const pointer = await adapter.pointer().catch(() => null)
              if (!adapter.pointsAt(pointer, from)) await adapter.switchTo(from)
              o.afterStep?.('revert-switched', toDeployment(rowOf(r.id)))
            }
            // A failing reload does not stop the revert: the server may never have left v_from.
            const reloadNote = await adapter.reload().then(
              () => '',
              (err: unknown) => ` (its reload failed: ${errorMessage(err)})`,
            )
            try {
              await adapter.verify(from, o.now() + deadlineMs)
              return `v${r.from_version} is back and verified${reloadNote}${restored ? ` (${restored})` : ''}`
            } catch (err) {
              verified = false
              return `v${r.from_version} is back but did NOT verify: ${errorMessage(err)}${reloadNote}`
            }
          }
          if (restored) return restored
          return 'there was no previous version to go back to; the target may still hold the new version'
        },
        (x) => x,
      )
      // Put back but not shown to work: the revert step did not reach its goal (the emergency the
      // console marks), though the deployment is still a revert, not a half-way failure.
      if (!verified) {
        const s = steps.findLast((x) => x.name === 'revert')
        if (s) s.state = 'failed'
      }
      const state: DeploymentState = r.from_version === null ? 'failed' : 'reverted'
      db.transaction(() => {
        d = journal(r.id, state, steps, { reason: `${why} — ${note}` })
        audit(
          `deploy.${state}`,
          r.model,
          r.to_version,
          { state: 'in-flight' },
          { deployment: r.id, reason: `${why} — ${note}` },
        )
      })()
    } catch (err) {
      db.transaction(() => {
        d = journal(r.id, 'failed', steps, {
          reason: `${why} — and the revert failed: ${errorMessage(err)}. The target may be half-way: check it.`,
        })
        audit('deploy.failed', r.model, r.to_version, null, { deployment: r.id, reason: d.reason })
      })()
    }
    return d
  }

  /** Switch → reload → verify → commit, from wherever the journal says we are. */
  async function drive(
    r: Row,
    adapter: TargetAdapter,
    steps: DeployStep[],
    readyMs: number,
    resumed: string | null,
  ): Promise<Deployment> {
    const to = refOf(r.model, r.to_version)
    try {
      if (r.state === 'intent' || r.state === 'switching') {
        const sw = journal(r.id, 'switching', steps)
        o.afterStep?.('switching', sw)
        const pointer = await adapter.pointer().catch(() => null)
        if (!adapter.pointsAt(pointer, to))
          await step(
            steps,
            'switch',
            () => adapter.switchTo(to),
            (x) => x,
          )
        else
          steps.push({
            name: 'switch',
            state: 'skipped',
            at: o.now(),
            ms: 0,
            detail: 'the target already points at it',
          })
        const after = journal(r.id, 'verifying', steps)
        o.afterStep?.('switched', after)
        const reloaded = await step(
          steps,
          'reload',
          () => adapter.reload(),
          (x) => x ?? 'nothing to reload',
        )
        if (reloaded === null) steps[steps.length - 1].state = 'skipped'
        o.afterStep?.('reloaded', journal(r.id, 'verifying', steps))
      }
      await step(
        steps,
        'verify',
        () => adapter.verify(to, o.now() + readyMs),
        (x) => x,
      )
      o.afterStep?.('verified', journal(r.id, 'verifying', steps))
      let d: Deployment | null = null
      await step(
        steps,
        'commit',
        async () =>
          db
            .transaction(() => {
              registry.promoteWithin(r.model, r.to_version, {
                skipApproval: r.kind === 'rollback',
                why: `${r.kind} #${r.id}${resumed ? ' (finished after a restart)' : ''}`,
              })
              steps[steps.length - 1].state = 'ok'
              steps[steps.length - 1].detail = `production → v${r.to_version}`
              d = journal(r.id, 'succeeded', steps, { reason: resumed })
              audit(
                `deploy.succeeded`,
                r.model,
                r.to_version,
                { production: r.from_version },
                {
                  deployment: r.id,
                  kind: r.kind,
                  target: r.target_id,
                  ...(resumed ? { resumed } : {}),
                },
              )
            })
            .immediate(),
        () => `production → v${r.to_version}`,
      )
      return d as unknown as Deployment
    } catch (err) {
      return revert(adapter, r, steps, `${resumed ? `${resumed}; ` : ''}${errorMessage(err)}`, readyMs)
    }
  }

  async function run(
    kind: 'deploy' | 'rollback',
    model: string,
    version: number,
    targetId: number,
    cause?: string,
  ): Promise<Deployment> {
    const target = toTarget(targetRow(targetId))
    if (target.model !== model) {
      throw new GantryError('deploy/unknown-target', `target ${target.name} belongs to ${target.model}, not ${model}`)
    }
    const adapter = createAdapter(model, target.config, { probe: o.probe, access: accessFor(target.config) })
    const steps: DeployStep[] = []
    const fromVersion = registry.productionVersion(model)
    const started = o.now()
    let fromPointer: string | null = null
    const failPreflight = (why: string): never => {
      const id = Number(
        db
          .prepare(
            `INSERT INTO deployments (model, target_id, kind, from_version, to_version, state, steps_json, actor, pid, started_at, finished_at, reason)
             VALUES (?, ?, ?, ?, ?, 'failed', ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            model,
            targetId,
            kind,
            fromVersion,
            version,
            JSON.stringify(steps),
            actorOr(o.actor),
            process.pid,
            started,
            o.now(),
            why,
          ).lastInsertRowid,
      )
      o.publish(toDeployment(rowOf(id)))
      throw new GantryError('deploy/preflight', `${kind} of ${model} v${version} to ${target.name} refused: ${why}`)
    }
    const to = (() => {
      try {
        return registry.versionRef(model, version)
      } catch (err) {
        throw err instanceof GantryError ? err : new GantryError('deploy/preflight', errorMessage(err))
      }
    })()
    try {
      await step(
        steps,
        'preflight',
        async () => {
          const busy = db
            .prepare(
              `SELECT id FROM deployments WHERE target_id = ? AND state IN ('intent','switching','verifying','reverting')`,
            )
            .get(targetId) as { id: number } | undefined
          if (busy) throw new GantryError('deploy/locked', `deployment #${busy.id} is in flight on ${target.name}`)
          registry.checkPromotion(model, version, { skipApproval: kind === 'rollback' })
          if (target.config.kind !== 'ollama') {
            if (to.kind === 'uri' || !to.sha256)
              throw new Error(`v${version} has no verified artifact hash (${to.location})`)
            const host = target.config.kind === 'model-folder' ? target.config.host : undefined
            if (host && host !== 'local') {
              // On the host the server loads it from, with the registry's manifest rules.
              const there = await hashOnHost(accessFor(target.config), host, to.location)
              if (there.sha256 !== to.sha256) {
                throw new Error(
                  `artifact ${to.location} on ${host} has sha256 ${there.sha256}, not the registered ${to.sha256}`,
                )
              }
            } else {
              const check = await registry.verifyArtifact(model, version)
              if (!check.ok) throw new Error(`artifact ${to.location}: ${check.problem}`)
            }
          }
          const detail = await adapter.preflight(refOf(model, version))
          fromPointer = await adapter.pointer().catch(() => null)
          return `sha256 verified; ${detail}; target points at ${fromPointer ?? 'nothing'}`
        },
        (x) => x,
      )
    } catch (err) {
      if (err instanceof GantryError && err.code === 'deploy/locked') throw err
      failPreflight(errorMessage(err))
    }
    steps.push({
      name: 'intent',
      state: 'ok',
      at: o.now(),
      ms: 0,
      detail: `${kind} v${fromVersion ?? '—'} → v${version}${cause ? ` (automatic: ${cause})` : ''}`,
    })
    let id: number
    try {
      id = db.transaction(() => {
        const newId = Number(
          db
            .prepare(
              `INSERT INTO deployments (model, target_id, kind, from_version, to_version, from_pointer, state, steps_json, actor, pid, started_at, reason)
               VALUES (?, ?, ?, ?, ?, ?, 'intent', ?, ?, ?, ?, ?)`,
            )
            .run(
              model,
              targetId,
              kind,
              fromVersion,
              version,
              fromPointer,
              JSON.stringify(steps),
              actorOr(o.actor),
              process.pid,
              started,
              cause ? `automatic rollback: ${cause}` : null,
            ).lastInsertRowid,
        )
        audit(
          `deploy.intent`,
          model,
          version,
          { production: fromVersion },
          { deployment: newId, kind, target: target.name, ...(cause ? { automatic: cause } : {}) },
        )
        return newId
      })()
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new GantryError('deploy/locked', `another deployment is in flight on ${target.name}`)
      }
      throw err
    }
    const r = rowOf(id)
    o.publish(toDeployment(r))
    o.afterStep?.('intent', toDeployment(r))
    return drive(r, adapter, steps, target.config.readyTimeoutMs, null)
  }

  /** The last drift window recorded while `version` was the production version, if any. */
  function driftOf(model: string, version: number): RollbackPlan['to']['driftAtTheTime'] {
    const r = db
      .prepare(
        'SELECT drifted, share, created_at FROM drift_windows WHERE model = ? AND version = ? ORDER BY id DESC LIMIT 1',
      )
      .get(model, version) as { drifted: number; share: number; created_at: number } | undefined
    return r ? { drifted: r.drifted === 1, share: r.share, at: r.created_at } : null
  }

  /** The version a rollback puts back: the last one a verified deploy made production. */
  function rollbackPlan(model: string, targetId?: number): RollbackPlan {
    const targets = (
      db.prepare('SELECT * FROM deploy_targets WHERE model = ? ORDER BY id').all(model) as TargetRow[]
    ).map(toTarget)
    const target = targetId ? targets.find((t) => t.id === targetId) : targets[0]
    if (!target) {
      throw new GantryError(
        'deploy/unknown-target',
        `${model} has no deployment target${targetId ? ` ${targetId}` : ''}: add one before rolling back (or move the production alias with gantry stage)`,
      )
    }
    const current = registry.productionVersion(model)
    const ok = db
      .prepare(
        `SELECT to_version, actor, finished_at, steps_json FROM deployments WHERE model = ? AND state = 'succeeded' AND to_version != ?
         ORDER BY id DESC LIMIT 1`,
      )
      .get(model, current ?? -1) as
      { to_version: number; actor: string; finished_at: number; steps_json: string } | undefined
    let to: RollbackPlan['to'] | null = null
    if (ok) {
      const v = registry.versionRef(model, ok.to_version)
      to = {
        version: ok.to_version,
        sha256: v.sha256,
        location: v.location,
        deployedBy: ok.actor,
        deployedAt: ok.finished_at,
        evidence: `deployed and verified by Gantry (by ${ok.actor})`,
        healthAtDeploy: (JSON.parse(ok.steps_json) as DeployStep[]).find((s) => s.name === 'verify')?.detail ?? null,
        driftAtTheTime: driftOf(model, ok.to_version),
      }
    } else {
      const prev = registry
        .audit({ model, limit: 5000 })
        .find(
          (h) =>
            h.action === 'alias.set' &&
            (h.after as { alias?: string })?.alias === 'production' &&
            (h.before as { version?: number } | null)?.version &&
            (h.before as { version: number }).version !== current,
        )
      const pv = (prev?.before as { version: number } | undefined)?.version
      if (pv) {
        const v = registry.versionRef(model, pv)
        if (v.stage !== 'retired') {
          to = {
            version: pv,
            sha256: v.sha256,
            location: v.location,
            deployedBy: null,
            deployedAt: null,
            evidence: 'was production before (alias history); never deployed through Gantry, so not verified by it',
            healthAtDeploy: null,
            driftAtTheTime: driftOf(model, pv),
          }
        }
      }
    }
    if (!to)
      throw new GantryError('deploy/no-rollback-version', `${model} has no earlier production version to roll back to`)
    const cur = current === null ? null : registry.versionRef(model, current)
    return {
      model,
      target,
      current: cur ? { version: cur.version, sha256: cur.sha256, location: cur.location } : null,
      to,
    }
  }

  return {
    listTargets(model?: string): DeployTarget[] {
      const rows = model
        ? (db.prepare('SELECT * FROM deploy_targets WHERE model = ? ORDER BY name').all(model) as TargetRow[])
        : (db.prepare('SELECT * FROM deploy_targets ORDER BY model, name').all() as TargetRow[])
      return rows.map(toTarget)
    },
    async addTarget(model: string, name: string, config: TargetConfigInput): Promise<DeployTarget> {
      registry.getModel(model) // the model must exist
      const parsed = TargetConfig.parse(config)
      if (parsed.kind === 'model-folder') {
        // The folder must lead into the host's allowed roots now (the first deploy may create it).
        const access = accessFor(parsed)
        await access.files.resolveNew(parsed.folder, { what: 'target folder' })
        const lst = await access.lstat(posix.join(parsed.folder, parsed.link))
        if (lst && lst.kind !== 'link') {
          throw new GantryError(
            'deploy/preflight',
            `${posix.join(parsed.folder, parsed.link)} is a ${lst.kind === 'dir' ? 'folder' : lst.kind === 'file' ? 'regular file' : 'special file'} already, not a link: ` +
              'Gantry would have to replace it on the first deploy — pick another link name or move it away',
          )
        }
      }
      try {
        return db.transaction(() => {
          const id = Number(
            db
              .prepare('INSERT INTO deploy_targets (model, name, config_json, created_at) VALUES (?, ?, ?, ?)')
              .run(model, name, JSON.stringify(parsed), o.now()).lastInsertRowid,
          )
          audit('target.add', model, null, null, { target: name, config: parsed })
          return toTarget(targetRow(id))
        })()
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new GantryError('deploy/duplicate-target', `${model} already has a target named ${name}`)
        }
        throw err
      }
    },
    removeTarget(id: number): void {
      const t = toTarget(targetRow(id))
      const used = db.prepare('SELECT COUNT(*) n FROM deployments WHERE target_id = ?').get(id) as { n: number }
      if (used.n > 0) {
        throw new GantryError(
          'deploy/locked',
          `target ${t.name} has ${used.n} deployment(s) in its history; it is kept so the history stays whole`,
        )
      }
      db.transaction(() => {
        db.prepare('DELETE FROM deploy_targets WHERE id = ?').run(id)
        audit('target.remove', t.model, null, { target: t.name }, null)
      })()
    },
    deploy: (model: string, version: number, targetId: number) => run('deploy', model, version, targetId),
    async rollback(model: string, targetId?: number, cause?: string): Promise<Deployment> {
      const plan = rollbackPlan(model, targetId)
      return run('rollback', model, plan.to.version, plan.target.id, cause)
    },
    rollbackPlan,
    list(q: { model?: string; targetId?: number; limit?: number } = {}): Deployment[] {
      const where: string[] = []
      const args: (string | number)[] = []
      if (q.model) {
        where.push('model = ?')
        args.push(q.model)
      }
      if (q.targetId) {
        where.push('target_id = ?')
        args.push(q.targetId)
      }
      const sql = `SELECT * FROM deployments ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`
      return (db.prepare(sql).all(...args, q.limit ?? 100) as Row[]).map(toDeployment)
    },

    lastFinished() {
      return (
        db
          .prepare(
            `SELECT d.* FROM deployments d JOIN (SELECT target_id, MAX(id) AS id FROM deployments
             WHERE finished_at IS NOT NULL GROUP BY target_id) last ON d.id = last.id`,
          )
          .all() as Row[]
      ).map(toDeployment)
    },

    outcomes() {
      return db
        .prepare(
          `SELECT model, kind, state, count(*) AS count FROM deployments
           WHERE state IN (${TERMINAL.map(() => '?').join(',')}) GROUP BY model, kind, state ORDER BY model, kind, state`,
        )
        .all(...TERMINAL) as { model: string; kind: 'deploy' | 'rollback'; state: string; count: number }[]
    },

    /** TorchServe forgets set-default when it restarts (pytorch/serve#2744): where a TorchServe
     *  target's default no longer is the version Gantry last deployed there, set it again (and
     *  audit it). Other kinds keep what they were switched to. Returns what it re-applied. */
    async reconcile(): Promise<string[]> {
      const done: string[] = []
      for (const t of (db.prepare('SELECT * FROM deploy_targets').all() as TargetRow[]).map(toTarget)) {
        if (t.config.kind !== 'torchserve') continue
        const busy = db
          .prepare(
            `SELECT 1 FROM deployments WHERE target_id = ? AND state IN ('intent','switching','verifying','reverting')`,
          )
          .get(t.id)
        if (busy) continue
        const last = db
          .prepare(
            `SELECT to_version FROM deployments WHERE target_id = ? AND state = 'succeeded' ORDER BY id DESC LIMIT 1`,
          )
          .get(t.id) as { to_version: number } | undefined
        if (!last) continue
        const adapter = createAdapter(t.model, t.config, { probe: o.probe, access: accessFor(t.config) })
        const want = refOf(t.model, last.to_version)
        const pointer = await adapter.pointer().catch(() => undefined)
        if (pointer === undefined || adapter.pointsAt(pointer, want)) continue // unreachable: the probe reports it
        try {
          await adapter.switchTo(want)
          await adapter.verify(want, o.now() + t.config.readyTimeoutMs)
          const line = `${t.model} on ${t.name}: TorchServe's default was ${pointer ?? 'none'}, set back to v${want.version} (it forgets set-default on restart)`
          db.transaction(() =>
            audit('deploy.reapplied', t.model, want.version, { default: pointer }, { target: t.name, reason: line }),
          )()
          o.log(`gantry: ${line}`)
          done.push(line)
        } catch (err) {
          o.log(
            `gantry: ${t.model} on ${t.name}: could not re-apply v${want.version} as TorchServe's default: ${errorMessage(err)}`,
          )
        }
      }
      return done
    },

    /** Finishes or reverts deployments a stopped Gantry left in flight; says what it did. */
    async recover(): Promise<Deployment[]> {
      const rows = (
        db
          .prepare(`SELECT * FROM deployments WHERE state IN (${IN_FLIGHT.map(() => '?').join(',')}) ORDER BY id`)
          .all(...IN_FLIGHT) as Row[]
      ).filter((r) => r.pid !== process.pid && !alive(r.pid))
      const out: Deployment[] = []
      for (const r of rows) {
        const target = toTarget(targetRow(r.target_id))
        const adapter = createAdapter(r.model, target.config, { probe: o.probe, access: accessFor(target.config) })
        const steps = JSON.parse(r.steps_json) as DeployStep[]
        for (const s of steps) if (s.state === 'running') s.state = 'failed'
        const to = refOf(r.model, r.to_version)
        const pointer = await adapter.pointer().catch(() => null)
        const where = `Gantry stopped during ${r.state} (pid ${r.pid})`
        let d: Deployment
        if (r.state === 'reverting') {
          d = await revert(
            adapter,
            r,
            steps,
            `${r.reason ?? where}; the revert was finished after a restart`,
            target.config.readyTimeoutMs,
          )
        } else if (adapter.pointsAt(pointer, to)) {
          // Switched: check it as a deploy would, then commit — or revert.
          d = await drive(
            { ...r, state: 'switching' },
            adapter,
            steps,
            target.config.readyTimeoutMs,
            `${where}; finished after a restart`,
          )
        } else if (r.state === 'intent') {
          db.transaction(() => {
            d = journal(r.id, 'abandoned', steps, {
              reason: `${where}, before switching; the target was not changed (${pointer ?? 'nothing'})`,
            })
            audit('deploy.abandoned', r.model, r.to_version, null, { deployment: r.id, reason: d.reason })
          })()
          d = toDeployment(rowOf(r.id))
        } else {
          d = await revert(
            adapter,
            r,
            steps,
            `${where}; the target did not hold v${r.to_version}`,
            target.config.readyTimeoutMs,
          )
        }
        o.log(
          `gantry: deployment #${d.id} (${d.model} v${d.fromVersion ?? '—'} → v${d.toVersion}) was left in flight: ${d.state} — ${d.reason}`,
        )
        out.push(d)
      }
      return out
    },
  }
}
