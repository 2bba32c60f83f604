// Automatic rollback: after a successful deploy, the model's endpoints (those bound to it, and
// the model-folder target's verification endpoint) are watched for the rule's window. A breach —
// error rate or p95 over the threshold, or the endpoint down / hung / not ready — that lasts the
// rule's N minutes rolls the model back through the same state machine (or, "ask first", raises
// a suggestion the model page shows with a one-click rollback). Each firing is audited, once per
// deploy: a rollback is never itself rolled back by the guard. After a restart, watches whose
// window is still open and unanswered "ask first" suggestions are rebuilt from the deployments
// and the audit log (dismissals are audited too), so a console restarted inside a watch window
// keeps watching.
import type { Db } from '../db/database'
import { GantryError } from '../errors'
import { RollbackRule, type Deployment, type GuardStatus } from '../../../shared/deploy'
import type { EndpointStatus } from '../../../shared/serving'
import { actorOr } from '../caller'
import { appendAudit } from '../registry/audit'

/** Why this poll breaches the rule, or null. */
export function breachOf(rule: RollbackRule, s: EndpointStatus): string | null {
  if (rule.readiness && (s.verdict === 'down' || s.verdict === 'hung' || s.verdict === 'not-ready')) {
    return `${s.endpoint.name} is ${s.verdict}${s.latest?.problems[0] ? ` (${s.latest.problems[0]})` : ''}`
  }
  const m = s.latest?.metrics
  if (rule.errorRatePct !== undefined && m?.errorRate != null && m.errorRate * 100 > rule.errorRatePct) {
    return `${s.endpoint.name} error rate ${(m.errorRate * 100).toFixed(1)} % > ${rule.errorRatePct} %`
  }
  const p95 = m?.p95Ms ?? m?.avgLatencyMs ?? null
  if (rule.p95Ms !== undefined && p95 !== null && p95 > rule.p95Ms) {
    return `${s.endpoint.name} p95 ${p95.toFixed(0)} ms > ${rule.p95Ms} ms`
  }
  return null
}

interface Watch {
  deploymentId: number
  targetId: number
  until: number
  breachSince: number | null
  lastBreach: string | null
  /** Since when a KPI has been on the wrong side of its threshold (apart from endpoint breaches). */
  kpiSince?: number | null
  fired: boolean
}

/** The automatic-rollback guard: per model a rule, the deploy it watches, a pending suggestion. */
export interface Guard {
  status(model: string): GuardStatus
  setRule(model: string, rule: RollbackRule | null): GuardStatus
  dismiss(model: string): GuardStatus
  /** Picks up the watches and suggestions a stopped Gantry left open. */
  resume(): void
  onDeployment(d: Deployment): void
  onSample(s: EndpointStatus): void
  onDriftWindow(d: { model: string; share: number; at: number; rows: number }): void
  /** Models whose watched deploy is judged on its business KPIs too (rule.kpis). */
  kpiWatched(): string[]
  /** The KPIs of a watched model, evaluated: the breached ones, in words; `unknown`, those with no
   *  value now (an error, or no data) — they neither breach nor clear. */
  onKpis(model: string, breached: string[], unknown?: string[]): void
}

export function createGuard(o: {
  db: Db
  actor: string
  now: () => number
  rollback(model: string, targetId: number, why: string): Promise<Deployment>
  /** Endpoint ids that serve a model (bindings and model-folder verification endpoints). */
  endpointsOf(model: string): number[]
  publish(status: GuardStatus): void
  log(line: string): void
}): Guard {
  const watches = new Map<string, Watch>()
  const suggestions = new Map<string, { deploymentId: number; at: number; reason: string }>()

  function ruleOf(model: string): RollbackRule | null {
    const r = o.db.prepare('SELECT config_json FROM deploy_rules WHERE model = ?').get(model) as
      { config_json: string } | undefined
    if (!r) return null
    const parsed = RollbackRule.safeParse(JSON.parse(r.config_json))
    return parsed.success ? parsed.data : null
  }
  function status(model: string): GuardStatus {
    const w = watches.get(model)
    return {
      model,
      rule: ruleOf(model),
      watching:
        w && !w.fired
          ? { deploymentId: w.deploymentId, until: w.until, breachSince: w.breachSince, lastBreach: w.lastBreach }
          : null,
      suggestion: suggestions.get(model) ?? null,
    }
  }

  return {
    status,
    setRule(model: string, rule: RollbackRule | null): GuardStatus {
      o.db.transaction(() => {
        const before = ruleOf(model)
        if (rule) {
          o.db
            .prepare(
              `INSERT INTO deploy_rules (model, config_json, updated_at, updated_by) VALUES (?, ?, ?, ?)
               ON CONFLICT(model) DO UPDATE SET config_json = excluded.config_json, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
            )
            .run(model, JSON.stringify(rule), o.now(), actorOr(o.actor))
        } else o.db.prepare('DELETE FROM deploy_rules WHERE model = ?').run(model)
        appendAudit(o.db, o.now(), {
          actor: actorOr(o.actor),
          action: 'guard.rule',
          model,
          version: null,
          before,
          after: rule,
        })
      })()
      const s = status(model)
      o.publish(s)
      return s
    },
    dismiss(model: string): GuardStatus {
      const sug = suggestions.get(model)
      if (!sug) throw new GantryError('deploy/unknown-deployment', `no rollback suggestion for ${model}`)
      o.db.transaction(() =>
        appendAudit(o.db, o.now(), {
          actor: actorOr(o.actor),
          action: 'guard.dismiss',
          model,
          version: null,
          before: { deployment: sug.deploymentId },
          after: { reason: sug.reason },
        }),
      )()
      suggestions.delete(model)
      const s = status(model)
      o.publish(s)
      return s
    },
    /**
     * After a restart: for each model with an enabled rule whose last successful deployment is a
     * deploy, a watch if its window is still open and the guard has not fired for it, or the
     * "ask first" suggestion if it fired and nobody dismissed it or deployed since. The breach
     * timer starts again (a breach must last the rule's minutes as seen by this process).
     */
    resume(): void {
      const t = o.now()
      const models = (o.db.prepare('SELECT model FROM deploy_rules').all() as { model: string }[]).map((r) => r.model)
      for (const model of models) {
        if (watches.has(model) || suggestions.has(model)) continue
        const rule = ruleOf(model)
        if (!rule?.enabled) continue
        const last = o.db
          .prepare(
            `SELECT id, target_id, kind, finished_at FROM deployments
              WHERE model = ? AND state = 'succeeded' AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`,
          )
          .get(model) as { id: number; target_id: number; kind: string; finished_at: number } | undefined
        if (!last || last.kind !== 'deploy') continue
        const events = o.db
          .prepare(
            `SELECT action, at, after_json FROM audit_log
              WHERE model = ? AND action IN ('guard.rollback', 'guard.ask', 'guard.dismiss')
                AND json_extract(before_json, '$.deployment') = ? ORDER BY seq`,
          )
          .all(model, last.id) as { action: string; at: number; after_json: string }[]
        if (events.length === 0) {
          const until = last.finished_at + rule.watchMinutes * 60_000
          if (until > t) {
            watches.set(model, {
              deploymentId: last.id,
              targetId: last.target_id,
              until,
              breachSince: null,
              lastBreach: null,
              fired: false,
            })
            o.log(
              `gantry: ${model}: still watching deploy #${last.id} after a restart (until ${new Date(until).toISOString()})`,
            )
          }
        } else {
          const lastEvent = events[events.length - 1]
          if (lastEvent.action === 'guard.ask') {
            const reason = (JSON.parse(lastEvent.after_json) as { reason?: string }).reason ?? 'the rule fired'
            suggestions.set(model, { deploymentId: last.id, at: lastEvent.at, reason })
          }
        }
        o.publish(status(model))
      }
    },
    /** A deployment ended: a successful deploy starts a watch; anything else ends one. */
    onDeployment(d: Deployment): void {
      if (d.finishedAt === null) return
      const rule = ruleOf(d.model)
      if (d.kind === 'deploy' && d.state === 'succeeded' && rule?.enabled) {
        watches.set(d.model, {
          deploymentId: d.id,
          targetId: d.targetId,
          until: d.finishedAt + rule.watchMinutes * 60_000,
          breachSince: null,
          lastBreach: null,
          fired: false,
        })
        suggestions.delete(d.model)
      } else if (d.state === 'succeeded') {
        watches.delete(d.model)
        suggestions.delete(d.model)
      }
      o.publish(status(d.model))
    },
    /** Every endpoint poll: does it breach a watched model's rule, and for how long? */
    onSample(s: EndpointStatus): void {
      const t = o.now()
      for (const [model, w] of watches) {
        if (w.fired) continue
        if (t > w.until) {
          watches.delete(model)
          o.publish(status(model))
          continue
        }
        if (!o.endpointsOf(model).includes(s.endpoint.id)) continue
        const rule = ruleOf(model)
        if (!rule?.enabled) continue
        const why = breachOf(rule, s)
        if (!why) {
          if (w.breachSince !== null) {
            w.breachSince = null
            w.lastBreach = null
            o.publish(status(model))
          }
          continue
        }
        w.breachSince ??= t
        w.lastBreach = why
        const lasted = t - w.breachSince
        if (lasted < rule.forMinutes * 60_000) {
          o.publish(status(model))
          continue
        }
        fire(model, w, rule, `${why} for ${(lasted / 60_000).toFixed(1)} min after deploy #${w.deploymentId}`, t)
      }
    },
    kpiWatched() {
      const t = o.now()
      return [...watches]
        .filter(([m, w]) => !w.fired && t <= w.until && ruleOf(m)?.enabled && ruleOf(m)?.kpis)
        .map(([m]) => m)
    },
    /** A KPI past its threshold for the rule's `forMinutes` is a breach, like an endpoint's. */
    onKpis(model, breached, unknown = []) {
      const w = watches.get(model)
      const rule = ruleOf(model)
      const t = o.now()
      if (!w || w.fired || !rule?.enabled || !rule.kpis || t > w.until) return
      // A KPI that stopped answering after a deploy is not evidence that all is well.
      if (!breached.length && unknown.length) return
      if (!breached.length) {
        if (w.kpiSince) {
          w.kpiSince = null
          o.publish(status(model))
        }
        return
      }
      w.kpiSince ??= t
      w.lastBreach = breached.join('; ')
      const lasted = t - w.kpiSince
      if (lasted < rule.forMinutes * 60_000) {
        o.publish(status(model))
        return
      }
      fire(model, w, rule, `${w.lastBreach} for ${(lasted / 60_000).toFixed(1)} min after deploy #${w.deploymentId}`, t)
    },
    /** A drift window closed: a share of drifted features at or past the rule's is a breach at once. */
    onDriftWindow(d: { model: string; share: number; at: number; rows: number }): void {
      const w = watches.get(d.model)
      const rule = ruleOf(d.model)
      if (!w || w.fired || !rule?.enabled || rule.driftShare === undefined) return
      if (d.at > w.until || d.share < rule.driftShare) return
      fire(
        d.model,
        w,
        rule,
        `${Math.round(d.share * 100)} % of features drifted in a ${d.rows}-row window (rule: ${Math.round(rule.driftShare * 100)} %) after deploy #${w.deploymentId}`,
        o.now(),
      )
    },
  }

  /** The rule fired: audit it, then roll back or raise the suggestion. Once per watched deploy. */
  function fire(model: string, w: Watch, rule: RollbackRule, reason: string, t: number): void {
    w.fired = true
    o.db.transaction(() =>
      appendAudit(o.db, t, {
        actor: actorOr(o.actor),
        action: rule.action === 'rollback' ? 'guard.rollback' : 'guard.ask',
        model,
        version: null,
        before: { deployment: w.deploymentId },
        after: { reason },
      }),
    )()
    o.log(
      `gantry: ${model}: ${reason} — ${rule.action === 'rollback' ? 'rolling back automatically' : 'asking to roll back'}`,
    )
    if (rule.action === 'ask') {
      suggestions.set(model, { deploymentId: w.deploymentId, at: t, reason })
      o.publish(status(model))
    } else {
      o.publish(status(model))
      void o.rollback(model, w.targetId, reason).catch((err) => {
        suggestions.set(model, {
          deploymentId: w.deploymentId,
          at: t,
          reason: `${reason}; the automatic rollback could not start: ${(err as Error).message}`,
        })
        o.publish(status(model))
      })
    }
  }
}
