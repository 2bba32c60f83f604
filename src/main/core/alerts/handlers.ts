// The alerts area's methods: the list (and one alert with its history), acknowledging, rules
// (change a default, add one — a PromQL query is asked once before it is saved), silences with
// Alertmanager's semantics, forwarding to an Alertmanager, and a model's retraining trigger and
// runs. Every change is audited with its caller; a URL or command is checked before it is saved.
import type { Handlers } from '../api'
import { actorOr } from '../caller'
import { GantryError } from '../errors'
import type { Registry } from '../registry/registry'
import {
  AlertRule,
  KIND_THRESHOLD,
  type Alert,
  type RuleChange,
  type RuleStatus,
  type Silence,
} from '../../../shared/alerts'
import type { PromStore } from '../prometheus/store'
import type { AlertService } from './service'
import type { AlertStore } from './store'
import { checkAlertmanagerUrl } from './forward'
import { checkMatcher, formatMatcher } from './silences'
import { describeTrigger, type Retrainer } from './retrain'
import { TEMPLATE_NAMES } from './signals'
import { newRule } from './defaults'

export type AlertMethods = Extract<keyof Handlers, `alerts.${string}` | `retrain.${string}`>

const METRICS = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'mae', 'rmse']

export function alertsHandlers(d: {
  alerts: AlertService
  store: AlertStore
  retrainer: Retrainer
  registry: Registry
  promStore: PromStore
  /** Asks a PromQL query once (a rule is checked before it is saved); throws with the source's words. */
  tryQuery: (source: string | null, expr: string) => Promise<number>
  hostExists: (name: string) => boolean
  now: () => number
  actor: string
}): Pick<Handlers, AlertMethods> {
  const { alerts, store, registry } = d
  const find = (id: string): Alert => {
    const a = alerts.list({ all: true }).alerts.find((x) => x.id === id)
    if (!a) throw new GantryError('alerts/unknown-alert', `no alert ${id} (gantry alerts lists them)`)
    return a
  }
  const audit = (action: string, model: string | undefined | null, after: unknown): void =>
    registry.record(action, model && registry.hasModel(model) ? model : null, after)
  /** Each rule with its last evaluation and how many of its instances are pending or firing. */
  const statuses = (rules: AlertRule[]): RuleStatus[] => {
    const ev = store.evaluated()
    const active = new Map<string, number>()
    for (const a of alerts.list().alerts) {
      if (a.state === 'firing' || a.state === 'pending') active.set(a.rule, (active.get(a.rule) ?? 0) + 1)
    }
    return rules.map((r) => ({
      ...r,
      lastEvalAt: r.enabled ? ev.at : null,
      lastEvalMs: null,
      error: ev.errors[r.name] ?? null,
      active: active.get(r.name) ?? 0,
    }))
  }

  const checkRule = async (r: AlertRule): Promise<string | null> => {
    const t = KIND_THRESHOLD[r.kind]
    if (!t && r.threshold !== null) {
      throw new GantryError('alerts/invalid-rule', `a ${r.kind} rule takes no threshold (it is a verdict)`)
    }
    if (r.kind === 'realized-below-floor' && r.metric && !METRICS.includes(r.metric)) {
      throw new GantryError('alerts/invalid-rule', `metric "${r.metric}": one of ${METRICS.join(', ')}`)
    }
    if (r.host && !d.hostExists(r.host)) throw new GantryError('hosts/unknown-host', `no host named "${r.host}"`)
    if (r.model && !registry.hasModel(r.model)) {
      throw new GantryError('registry/unknown-model', `no model named "${r.model}"`)
    }
    const names = new Set([...TEMPLATE_NAMES, ...Object.keys(r.labels)])
    for (const m of r.summary.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
      // A PromQL rule's series bring their own labels: any label name is a name there.
      const known = names.has(m[1]) || (r.kind === 'promql' && /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(m[1]))
      if (!known) {
        throw new GantryError(
          'alerts/invalid-rule',
          `summary: {{${m[1]}}} is not a name a template knows (${[...names].join(', ')})`,
        )
      }
    }
    if (r.kind !== 'promql') {
      if (r.expr || r.source || r.op) throw new GantryError('alerts/invalid-rule', `a ${r.kind} rule takes no query`)
      return null
    }
    if (!r.expr) throw new GantryError('alerts/invalid-rule', 'a promql rule needs its query (--expr)')
    if (r.source && !d.promStore.source(r.source)) {
      throw new GantryError('alerts/invalid-rule', `no Prometheus source named "${r.source}" (gantry prometheus list)`)
    }
    let n: number
    try {
      n = await d.tryQuery(r.source, r.expr)
    } catch (err) {
      throw new GantryError(
        'alerts/invalid-rule',
        `the query was refused: ${err instanceof Error ? err.message : String(err)}`,
      )
    }
    return n === 0
      ? `the query returns no series now (a misspelt metric name?): the rule will show "no data" until it does`
      : null
  }

  return {
    'alerts.list': (input) => alerts.list({ all: input.all }),
    'alerts.get': (input) => ({
      alert: find(input.id),
      transitions: store.transitions({ limit: 200, alert: input.id }),
    }),
    'alerts.history': (input) => store.transitions({ limit: input.limit ?? 500, since: input.since }),
    'alerts.ack': (input) => {
      const a = find(input.id)
      if (a.state !== 'firing' || a.firedAt === null) {
        throw new GantryError(
          'alerts/not-firing',
          `alert ${a.id} is ${a.state}: only a firing alert is acknowledged (a silence mutes what has not fired yet)`,
        )
      }
      const by = actorOr(d.actor)
      store.ack(a.id, a.firedAt, by, input.note)
      // An XID latched from a Prometheus source is cleared by the same acknowledgement.
      if (a.kind === 'gpu-xid' && a.labels.gpu && a.labels.xid) {
        d.promStore.ack(a.labels.gpu, by, input.note, d.now(), Number(a.labels.xid))
      }
      audit('alert.acknowledged', a.labels.model, { alert: a.id, rule: a.rule, summary: a.summary, note: input.note })
      return find(a.id)
    },
    'alerts.rules': () => {
      const { rules, problems } = alerts.rules()
      return { rules: statuses(rules), problems }
    },
    'alerts.setRule': async (input: RuleChange) => {
      const { rules } = alerts.rules()
      const existing = rules.find((r) => r.name === input.name)
      if (!existing && !input.kind) {
        throw new GantryError(
          'alerts/unknown-rule',
          `no rule named "${input.name}" (a new rule needs its kind: --kind promql --expr … or another kind scoped with --host/--model)`,
        )
      }
      if (existing && input.kind && input.kind !== existing.kind) {
        throw new GantryError(
          'alerts/invalid-rule',
          `rule ${input.name} is a ${existing.kind} rule; its kind cannot change`,
        )
      }
      const base: AlertRule = existing ?? newRule(input.name, input.kind ?? 'promql')
      const { name: _n, kind: _k, ...change } = input
      const by = actorOr(d.actor)
      const next = AlertRule.parse({
        ...base,
        ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)),
        updatedAt: d.now(),
        updatedBy: by,
      })
      const note = await checkRule(next)
      store.saveRule(next, by)
      audit('alert.rule-changed', next.model, { before: existing ?? null, after: next })
      return { ...statuses([next])[0], note }
    },
    'alerts.removeRule': (input) => {
      const r = alerts.rules().rules.find((x) => x.name === input.name)
      if (!r) throw new GantryError('alerts/unknown-rule', `no rule named "${input.name}"`)
      if (r.builtIn) {
        throw new GantryError(
          'alerts/invalid-rule',
          `${r.name} ships with Gantry: turn it off instead (gantry rules set ${r.name} --off)`,
        )
      }
      store.removeRule(r.name)
      audit('alert.rule-removed', r.model, { rule: r })
      return {}
    },
    'alerts.silences': () => {
      const mine = store.silences()
      const am = store.get('am_silences')
      let theirs: Silence[] = []
      try {
        theirs = am ? (JSON.parse(am) as Silence[]) : []
      } catch {
        theirs = []
      }
      return [...mine, ...theirs]
    },
    'alerts.silence': (input) => {
      for (const m of input.matchers) checkMatcher(m)
      const startsAt = input.startsAt ?? d.now()
      if (input.endsAt <= startsAt) throw new GantryError('contract/invalid-input', 'a silence ends after it starts')
      if (input.endsAt <= d.now())
        throw new GantryError('contract/invalid-input', 'a silence that has already ended mutes nothing')
      const s = store.addSilence({ ...input, startsAt, createdBy: actorOr(d.actor) })
      audit('alert.silenced', null, {
        silence: s.id,
        matchers: s.matchers.map(formatMatcher),
        until: new Date(s.endsAt).toISOString(),
        comment: s.comment,
      })
      return s
    },
    'alerts.expireSilence': (input) => {
      const s = store.silence(input.id)
      if (!s)
        throw new GantryError(
          'alerts/unknown-silence',
          `no Gantry silence ${input.id} (an Alertmanager's is expired there)`,
        )
      if (s.state === 'expired') return s
      store.expireSilence(s.id)
      audit('alert.silence-expired', null, { silence: s.id, matchers: s.matchers.map(formatMatcher) })
      return store.silence(s.id) as Silence
    },
    'alerts.forward': (input) => {
      const url = input.url === null ? null : checkAlertmanagerUrl(input.url)
      store.set('forward_url', url)
      store.set('forward_status', null)
      alerts.forwarder.setUrl(url)
      audit('alert.forwarding', null, { url })
      return alerts.forwarder.status()
    },
    'alerts.forwardStatus': () => {
      const url = store.get('forward_url')
      const mine = alerts.forwarder.status()
      if (mine.url === url && mine.state !== 'starting') return mine
      // Another process (the console) forwards: what it last wrote.
      const saved = store.get('forward_status')
      if (saved) {
        try {
          return JSON.parse(saved) as ReturnType<typeof alerts.forwarder.status>
        } catch {
          // fall through
        }
      }
      return { ...mine, url, state: url ? 'starting' : 'off' }
    },
    'alerts.notifications': (input) => store.notifications(input.limit ?? 50),
    'retrain.trigger': (input) => {
      const t = store.trigger(input.model)
      return t ? d.retrainer.view(t) : null
    },
    'retrain.setTrigger': (input) => {
      if (!registry.hasModel(input.model)) {
        throw new GantryError('registry/unknown-model', `no model named "${input.model}"`)
      }
      const t = d.retrainer.check(input)
      if (t.onRule && !alerts.rules().rules.some((r) => r.name === t.onRule)) {
        throw new GantryError('alerts/unknown-rule', `no rule named "${t.onRule}"`)
      }
      const by = actorOr(d.actor)
      store.saveTrigger(t, by)
      audit('retrain.trigger-set', t.model, {
        runs: describeTrigger(t),
        schedule: t.schedule ?? null,
        onRule: t.onRule ?? null,
        timeoutMs: t.timeoutMs,
      })
      return d.retrainer.view({ ...t, updatedAt: d.now(), updatedBy: by })
    },
    'retrain.removeTrigger': (input) => {
      if (!store.removeTrigger(input.model)) {
        throw new GantryError('alerts/no-trigger', `${input.model} has no retraining trigger`)
      }
      audit('retrain.trigger-removed', input.model, {})
      return {}
    },
    'retrain.run': async (input) => {
      if (!registry.hasModel(input.model)) {
        throw new GantryError('registry/unknown-model', `no model named "${input.model}"`)
      }
      const by = actorOr(d.actor)
      const t = store.trigger(input.model)
      if (t) audit('retrain.run', input.model, { by, runs: describeTrigger(t), reason: input.reason ?? 'by hand' })
      return d.retrainer.run(input.model, { reason: input.reason ?? `by hand (${by})`, cause: `by hand (${by})` })
    },
    'retrain.runs': (input) => store.runs(input.model, input.limit ?? 20),
  }
}
