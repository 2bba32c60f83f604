// The alerts area's tables: rules (changed defaults and added ones), instances with their clocks,
// transitions, acknowledgements, silences, the notification journal, settings, retraining
// triggers and runs. One owner, so no SQL about them lives anywhere else. The console writes
// instances; the CLI (another process on the same database) reads them and writes acks/silences.
import { randomUUID } from 'node:crypto'
import type { Db } from '../db/database'
import {
  AlertRule,
  Matcher,
  RetrainTriggerInput,
  type AlertNotification,
  type Labels,
  type RetrainRun,
  type Silence,
  type Subject,
  type Transition,
} from '../../../shared/alerts'
import { z } from 'zod'
import { defaultRules } from './defaults'
import type { Instance } from './engine'

/** Expired silences are kept this long (Alertmanager's --data.retention). */
export const SILENCE_RETENTION_MS = 120 * 3600_000
/** Transitions and notifications older than this are pruned. */
export const HISTORY_RETENTION_MS = 30 * 24 * 3600_000

interface InstanceRow {
  id: string
  rule: string
  state: Instance['state']
  labels_json: string
  subject_json: string
  summary: string
  value: number | null
  active_at: number
  fired_at: number | null
  resolved_at: number | null
  last_active_at: number
  recovering_since: number | null
  last_eval_at: number
  reason: string | null
  last_notified_at: number | null
}

const parse = <T>(json: string, fallback: T): T => {
  try {
    return JSON.parse(json) as T
  } catch {
    return fallback
  }
}

const toInstance = (r: InstanceRow): Instance => ({
  id: r.id,
  rule: r.rule,
  state: r.state,
  labels: parse<Labels>(r.labels_json, {}),
  subject: parse<Subject>(r.subject_json, {
    host: null,
    gpu: null,
    endpoint: null,
    model: null,
    filesystem: null,
    link: '#/alerts',
  }),
  summary: r.summary,
  value: r.value,
  activeAt: r.active_at,
  firedAt: r.fired_at,
  resolvedAt: r.resolved_at,
  lastActiveAt: r.last_active_at,
  recoveringSince: r.recovering_since,
  lastEvalAt: r.last_eval_at,
  reason: r.reason,
  lastNotifiedAt: r.last_notified_at,
})

export type StoredTrigger = z.output<typeof RetrainTriggerInput> & { updatedAt: number; updatedBy: string }

export function createAlertStore(db: Db, now: () => number) {
  const upsert = db.prepare(`INSERT INTO alert_instances (id, rule, state, labels_json, subject_json, summary, value,
      active_at, fired_at, resolved_at, last_active_at, recovering_since, last_eval_at, reason, last_notified_at)
    VALUES (@id, @rule, @state, @labels_json, @subject_json, @summary, @value, @active_at, @fired_at, @resolved_at,
      @last_active_at, @recovering_since, @last_eval_at, @reason, @last_notified_at)
    ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, state = excluded.state, labels_json = excluded.labels_json,
      subject_json = excluded.subject_json, summary = excluded.summary, value = excluded.value,
      active_at = excluded.active_at, fired_at = excluded.fired_at, resolved_at = excluded.resolved_at,
      last_active_at = excluded.last_active_at, recovering_since = excluded.recovering_since,
      last_eval_at = excluded.last_eval_at, reason = excluded.reason, last_notified_at = excluded.last_notified_at`)
  const remove = db.prepare('DELETE FROM alert_instances WHERE id = ?')
  const transition = db.prepare(
    'INSERT INTO alert_transitions (alert, rule, from_state, to_state, at, summary, labels_json) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
  const setting = db.prepare('SELECT value FROM alert_settings WHERE key = ?')
  const putSetting = db.prepare(
    'INSERT INTO alert_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  )
  const rowOf = (i: Instance): InstanceRow => ({
    id: i.id,
    rule: i.rule,
    state: i.state,
    labels_json: JSON.stringify(i.labels),
    subject_json: JSON.stringify(i.subject),
    summary: i.summary,
    value: i.value !== null && Number.isFinite(i.value) ? i.value : null,
    active_at: i.activeAt,
    fired_at: i.firedAt,
    resolved_at: i.resolvedAt,
    last_active_at: i.lastActiveAt,
    recovering_since: i.recoveringSince,
    last_eval_at: i.lastEvalAt,
    reason: i.reason,
    last_notified_at: i.lastNotifiedAt,
  })

  return {
    // --- rules ----------------------------------------------------------------------------------
    /** The defaults with their stored changes, then the added rules. A stored rule that no longer
     *  validates is reported, and its default (if any) stands. */
    rules(): { rules: AlertRule[]; problems: string[] } {
      const problems: string[] = []
      const stored = new Map<string, AlertRule>()
      for (const r of db.prepare('SELECT name, json FROM alert_rules ORDER BY name').all() as {
        name: string
        json: string
      }[]) {
        const v = AlertRule.safeParse(parse(r.json, null))
        if (v.success) stored.set(r.name, v.data)
        else
          problems.push(`rule ${r.name}: stored definition is unreadable (${v.error.issues[0]?.message ?? 'invalid'})`)
      }
      const out: AlertRule[] = []
      for (const d of defaultRules()) {
        const s = stored.get(d.name)
        out.push(s ? { ...s, builtIn: true, kind: d.kind } : d)
        stored.delete(d.name)
      }
      return { rules: [...out, ...stored.values()], problems }
    },
    saveRule(rule: AlertRule, by: string): void {
      db.prepare(
        `INSERT INTO alert_rules (name, json, updated_at, updated_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ).run(rule.name, JSON.stringify(rule), now(), by)
    },
    removeRule(name: string): void {
      db.transaction(() => {
        db.prepare('DELETE FROM alert_rules WHERE name = ?').run(name)
        db.prepare('DELETE FROM alert_instances WHERE rule = ?').run(name)
      })()
    },

    // --- instances and their history -------------------------------------------------------------
    instances(): Instance[] {
      return (db.prepare('SELECT * FROM alert_instances').all() as InstanceRow[]).map(toInstance)
    },
    instance(id: string): Instance | null {
      const r = db.prepare('SELECT * FROM alert_instances WHERE id = ?').get(id) as InstanceRow | undefined
      return r ? toInstance(r) : null
    },
    /** One evaluation's changes in one transaction: a crash leaves the previous evaluation whole. */
    commit(
      changed: Instance[],
      removed: string[],
      transitions: { instance: Instance; from: string | null; to: string; at: number }[],
      evaluatedAt: number,
      ruleErrors: Record<string, string>,
    ): void {
      db.transaction(() => {
        for (const i of changed) upsert.run(rowOf(i))
        for (const id of removed) remove.run(id)
        for (const t of transitions) {
          transition.run(
            t.instance.id,
            t.instance.rule,
            t.from,
            t.to,
            t.at,
            t.instance.summary,
            JSON.stringify(t.instance.labels),
          )
        }
        putSetting.run('evaluated_at', String(evaluatedAt))
        putSetting.run('rule_errors', JSON.stringify(ruleErrors))
      })()
    },
    markNotified(ids: string[], at: number): void {
      const st = db.prepare('UPDATE alert_instances SET last_notified_at = ? WHERE id = ?')
      db.transaction(() => ids.forEach((id) => st.run(at, id)))()
    },
    /** Runs f in one transaction (a notification's journal entry and its alerts' marks). */
    atomically<T>(f: () => T): T {
      return db.transaction(f)()
    },
    evaluated(): { at: number | null; errors: Record<string, string> } {
      const at = setting.get('evaluated_at') as { value: string } | undefined
      const errors = setting.get('rule_errors') as { value: string } | undefined
      return { at: at ? Number(at.value) : null, errors: errors ? parse(errors.value, {}) : {} }
    },
    transitions(o: { limit: number; alert?: string; since?: number }): Transition[] {
      const rows = db
        .prepare(
          `SELECT * FROM alert_transitions WHERE (@alert IS NULL OR alert = @alert) AND at >= @since
           ORDER BY id DESC LIMIT @limit`,
        )
        .all({ alert: o.alert ?? null, since: o.since ?? 0, limit: o.limit }) as {
        id: number
        alert: string
        rule: string
        from_state: string | null
        to_state: string
        at: number
        summary: string
        labels_json: string
      }[]
      return rows.map((r) => ({
        id: r.id,
        alert: r.alert,
        rule: r.rule,
        from: r.from_state,
        to: r.to_state,
        at: r.at,
        summary: r.summary,
        labels: parse(r.labels_json, {}),
      }))
    },
    /** Resolved instances past their retention leave the list (their transitions stay). */
    pruneResolved(before: number): string[] {
      const ids = (
        db.prepare("SELECT id FROM alert_instances WHERE state = 'resolved' AND resolved_at < ?").all(before) as {
          id: string
        }[]
      ).map((r) => r.id)
      db.transaction(() => ids.forEach((id) => remove.run(id)))()
      return ids
    },
    pruneHistory(before: number): void {
      db.prepare('DELETE FROM alert_transitions WHERE at < ?').run(before)
      db.prepare('DELETE FROM alert_notifications WHERE at < ?').run(before)
      db.prepare('DELETE FROM alert_silences WHERE ends_at < ?').run(now() - SILENCE_RETENTION_MS)
    },

    // --- acknowledgements ------------------------------------------------------------------------
    ack(alert: string, firedAt: number, by: string, note: string): void {
      db.prepare(
        `INSERT INTO alert_acks (alert, fired_at, by, at, note) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (alert, fired_at) DO UPDATE SET by = excluded.by, at = excluded.at, note = excluded.note`,
      ).run(alert, firedAt, by, now(), note)
    },
    acks(): Map<string, { firedAt: number; by: string; at: number; note: string }[]> {
      const m = new Map<string, { firedAt: number; by: string; at: number; note: string }[]>()
      for (const r of db.prepare('SELECT * FROM alert_acks').all() as {
        alert: string
        fired_at: number
        by: string
        at: number
        note: string
      }[]) {
        const list = m.get(r.alert) ?? []
        list.push({ firedAt: r.fired_at, by: r.by, at: r.at, note: r.note })
        m.set(r.alert, list)
      }
      return m
    },

    // --- silences --------------------------------------------------------------------------------
    addSilence(s: {
      matchers: Matcher[]
      startsAt: number
      endsAt: number
      createdBy: string
      comment: string
    }): Silence {
      const id = randomUUID()
      db.prepare(
        'INSERT INTO alert_silences (id, matchers_json, starts_at, ends_at, created_by, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(id, JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.createdBy, s.comment, now())
      return this.silence(id) as Silence
    },
    silence(id: string): Silence | null {
      return this.silences().find((s) => s.id === id) ?? null
    },
    silences(): Silence[] {
      const t = now()
      return (
        db.prepare('SELECT * FROM alert_silences ORDER BY created_at DESC').all() as {
          id: string
          matchers_json: string
          starts_at: number
          ends_at: number
          created_by: string
          comment: string
        }[]
      ).map((r) => ({
        id: r.id,
        matchers: z.array(Matcher).catch([]).parse(parse(r.matchers_json, [])),
        startsAt: r.starts_at,
        endsAt: r.ends_at,
        createdBy: r.created_by,
        comment: r.comment,
        state: r.ends_at <= t ? 'expired' : r.starts_at > t ? 'pending' : 'active',
        origin: 'gantry',
      }))
    },
    /** Expires a silence now (Alertmanager's DELETE): it stays listed as expired. */
    expireSilence(id: string): boolean {
      const t = now()
      const r = db
        .prepare('UPDATE alert_silences SET ends_at = ?, starts_at = MIN(starts_at, ?) WHERE id = ? AND ends_at > ?')
        .run(t, t, id, t)
      return r.changes > 0
    },

    // --- notifications -----------------------------------------------------------------------------
    journal(n: Omit<AlertNotification, 'id'> & { groupKey: string }): AlertNotification {
      const r = db
        .prepare(
          `INSERT INTO alert_notifications (at, group_key, receiver, title, body, severity, link, alerts_json, resolved)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          n.at,
          n.groupKey,
          n.receiver,
          n.title,
          n.body,
          n.severity,
          n.link,
          JSON.stringify(n.alerts),
          n.resolved ? 1 : 0,
        )
      const { groupKey: _g, ...rest } = n
      return { id: Number(r.lastInsertRowid), ...rest }
    },
    notifications(limit: number): AlertNotification[] {
      return (
        db.prepare('SELECT * FROM alert_notifications ORDER BY id DESC LIMIT ?').all(limit) as {
          id: number
          at: number
          receiver: string
          title: string
          body: string
          severity: AlertNotification['severity']
          link: string
          alerts_json: string
          resolved: number
        }[]
      ).map((r) => ({
        id: r.id,
        at: r.at,
        receiver: r.receiver,
        title: r.title,
        body: r.body,
        severity: r.severity,
        link: r.link,
        alerts: parse(r.alerts_json, []),
        resolved: r.resolved === 1,
      }))
    },

    // --- settings ------------------------------------------------------------------------------------
    get(key: string): string | null {
      return (setting.get(key) as { value: string } | undefined)?.value ?? null
    },
    set(key: string, value: string | null): void {
      if (value === null) db.prepare('DELETE FROM alert_settings WHERE key = ?').run(key)
      else putSetting.run(key, value)
    },

    // --- retraining --------------------------------------------------------------------------------
    trigger(model: string): StoredTrigger | null {
      const r = db.prepare('SELECT * FROM retrain_triggers WHERE model = ?').get(model) as
        { json: string; updated_at: number; updated_by: string } | undefined
      if (!r) return null
      const v = RetrainTriggerInput.safeParse(parse(r.json, null))
      return v.success ? { ...v.data, updatedAt: r.updated_at, updatedBy: r.updated_by } : null
    },
    triggers(): StoredTrigger[] {
      return (db.prepare('SELECT model FROM retrain_triggers ORDER BY model').all() as { model: string }[])
        .map((r) => this.trigger(r.model))
        .filter((t): t is StoredTrigger => t !== null)
    },
    saveTrigger(t: z.output<typeof RetrainTriggerInput>, by: string): void {
      db.prepare(
        `INSERT INTO retrain_triggers (model, json, updated_at, updated_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (model) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ).run(t.model, JSON.stringify(t), now(), by)
    },
    removeTrigger(model: string): boolean {
      return db.prepare('DELETE FROM retrain_triggers WHERE model = ?').run(model).changes > 0
    },
    startRun(r: Pick<RetrainRun, 'model' | 'version' | 'reason' | 'cause' | 'what'>): number {
      return Number(
        db
          .prepare(
            `INSERT INTO retrain_runs (model, version, reason, cause, what, started_at, state) VALUES (?, ?, ?, ?, ?, ?, 'running')`,
          )
          .run(r.model, r.version, r.reason, r.cause, r.what, now()).lastInsertRowid,
      )
    },
    finishRun(id: number, r: Pick<RetrainRun, 'state' | 'exitCode' | 'outputTail' | 'error'>): void {
      db.prepare(
        'UPDATE retrain_runs SET finished_at = ?, state = ?, exit_code = ?, output_tail = ?, error = ? WHERE id = ?',
      ).run(now(), r.state, r.exitCode, r.outputTail, r.error, id)
    },
    lastRunAt(model: string, cause: string): number | null {
      const r = db
        .prepare('SELECT MAX(started_at) AS at FROM retrain_runs WHERE model = ? AND cause = ?')
        .get(model, cause) as { at: number | null }
      return r.at
    },
    /** Runs a stopped Gantry left "running" (it was killed mid-run): said so, not left running forever. */
    interruptRuns(): void {
      db.prepare(
        "UPDATE retrain_runs SET state = 'interrupted', finished_at = ?, error = 'Gantry stopped while it ran: its outcome is unknown' WHERE state = 'running'",
      ).run(now())
    },
    runs(model: string | null, limit: number): RetrainRun[] {
      return (
        db
          .prepare('SELECT * FROM retrain_runs WHERE (@model IS NULL OR model = @model) ORDER BY id DESC LIMIT @limit')
          .all({ model, limit }) as {
          id: number
          model: string
          version: number | null
          reason: string
          cause: string
          what: string
          started_at: number
          finished_at: number | null
          state: RetrainRun['state']
          exit_code: number | null
          output_tail: string
          error: string | null
        }[]
      ).map((r) => ({
        id: r.id,
        model: r.model,
        version: r.version,
        reason: r.reason,
        cause: r.cause,
        what: r.what,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        state: r.state,
        exitCode: r.exit_code,
        outputTail: r.output_tail,
        error: r.error,
      }))
    },
  }
}

export type AlertStore = ReturnType<typeof createAlertStore>
