// The alerts service: every `intervalMs` (15 s) it evaluates the rules against what Gantry knows
// (signals.ts; each kind read once and shared by its rules), moves each instance through its life
// (engine.ts), writes the evaluation's changes in one transaction, and then notifies: alerts are
// grouped per receiver and host/model (one host going dark is one notification, not forty — and
// its unreachable alert inhibits the rest of that host's), acknowledged / silenced / inhibited ones
// are not notified, a group's later additions wait for its group interval, repeats come every
// repeat interval, and a notified alert's resolution is notified too. Forwarding to an Alertmanager
// and retraining triggers hang off the same evaluation.
import type {
  Alert,
  AlertCounts,
  AlertList,
  AlertNotification,
  AlertRule,
  Labels,
  Route,
  Silence,
} from '../../../shared/alerts'
import type { Service } from '../lifecycle'
import { evaluate, RESOLVED_RETENTION_MS, type Change, type Instance } from './engine'
import type { Forwarder } from './forward'
import { apply, collect, type AlertFacts, type Sample } from './signals'
import { silencedBy } from './silences'
import { HISTORY_RETENTION_MS, type AlertStore } from './store'

export interface NotifyTimers {
  /** Holds a new group's first notification back (Alertmanager's group_wait; default 0: at once). */
  groupWaitMs: number
  /** A group's later changes are sent at most this often (default 5 min). */
  groupIntervalMs: number
  /** A still-firing, unacknowledged alert is notified again after this (default 4 h). */
  repeatIntervalMs: number
}

export const DEFAULT_TIMERS: NotifyTimers = {
  groupWaitMs: 0,
  groupIntervalMs: 5 * 60_000,
  repeatIntervalMs: 4 * 3600_000,
}

export interface AlertService extends Service {
  /** One evaluation now (the timer's; tests call it with their own clock). */
  evaluate(): Promise<void>
  list(o?: { all?: boolean }): AlertList
  /** The rules with their last evaluation. */
  rules(): { rules: AlertRule[]; problems: string[] }
  forwarder: Forwarder
}

export interface AlertServiceOptions {
  store: AlertStore
  facts: AlertFacts
  /** Who an alert goes to (model owner team and on-call, host owner, else the default route). */
  routeOf: (labels: Labels) => Route
  forwarder: Forwarder
  intervalMs: number
  timers?: Partial<NotifyTimers>
  now: () => number
  notify: (n: AlertNotification) => void
  changed: (counts: AlertCounts) => void
  /** A rule began firing (retraining triggers listen). */
  fired: (instance: Instance) => void
  log: (line: string) => void
  /** Each rule reads its own samples (the benchmark's baseline); default: one read per kind. */
  unshared?: boolean
}

const SEVERITY_RANK = { critical: 3, warning: 2, info: 1 } as const

/** The facts with their whole-fleet reads remembered for one evaluation. */
function memoFacts(f: AlertFacts): AlertFacts {
  const once = <T>(read: () => T): (() => T) => {
    let v: { value: T } | null = null
    return () => (v ??= { value: read() }).value
  }
  return {
    ...f,
    hosts: once(() => f.hosts()),
    xidLatches: once(() => f.xidLatches()),
    endpoints: once(() => f.endpoints()),
    models: once(() => f.models()),
    monitors: once(() => f.monitors()),
    lastDeploys: once(() => f.lastDeploys()),
  }
}

/** The rule that mutes the rest of a host's alerts while it fires. */
const INHIBITING_KIND = 'host-unreachable'

export function createAlertService(o: AlertServiceOptions): AlertService {
  const timers = { ...DEFAULT_TIMERS, ...o.timers }
  const { store } = o
  // The instances by rule, loaded once: this process is the one that evaluates.
  let byRule: Map<string, Map<string, Instance>> | null = null
  const load = (): Map<string, Map<string, Instance>> => {
    if (byRule) return byRule
    byRule = new Map()
    for (const i of store.instances()) {
      let m = byRule.get(i.rule)
      if (!m) byRule.set(i.rule, (m = new Map()))
      m.set(i.id, i)
    }
    return byRule
  }
  let timer: ReturnType<typeof setTimeout> | null = null
  let running: Promise<void> | null = null
  let on = false
  /** Per group: when it was last notified (restored from its alerts' lastNotifiedAt). */
  const groupSent = new Map<string, number>()
  const groupSeen = new Map<string, number>()

  const viewOf = (
    i: Instance,
    rule: AlertRule | undefined,
    acks: ReturnType<AlertStore['acks']>,
    silences: Silence[],
    inhibitors: Map<string, string>,
    now: number,
  ): Alert => {
    const ack = i.firedAt !== null ? (acks.get(i.id) ?? []).find((a) => a.firedAt === i.firedAt) : undefined
    const host = i.labels.host
    const inhibitor = host !== undefined ? inhibitors.get(host) : undefined
    return {
      id: i.id,
      rule: i.rule,
      kind: rule?.kind ?? 'promql',
      severity: rule?.severity ?? 'warning',
      state: i.state,
      labels: i.labels,
      summary: i.summary,
      value: i.value,
      subject: i.subject,
      activeAt: i.activeAt,
      firedAt: i.firedAt,
      resolvedAt: i.resolvedAt,
      recoveringSince: i.recoveringSince,
      lastEvalAt: i.lastEvalAt,
      reason: i.reason,
      ack: ack ? { by: ack.by, at: ack.at, note: ack.note } : null,
      silencedBy: silencedBy(silences, { ...i.labels, severity: rule?.severity ?? 'warning' }, now),
      inhibitedBy: inhibitor && inhibitor !== i.id && rule?.kind !== INHIBITING_KIND ? [inhibitor] : [],
      route: o.routeOf(i.labels),
      runbookUrl: rule?.runbookUrl ?? null,
      lastNotifiedAt: i.lastNotifiedAt,
    }
  }

  const views = (instances: Instance[], rules: AlertRule[], now: number): Alert[] => {
    const ruleOf = new Map(rules.map((r) => [r.name, r]))
    const inhibitors = new Map<string, string>()
    for (const i of instances) {
      if (i.state === 'firing' && ruleOf.get(i.rule)?.kind === INHIBITING_KIND && i.labels.host) {
        inhibitors.set(i.labels.host, i.id)
      }
    }
    const acks = store.acks()
    const silences = [...store.silences(), ...amSilences()]
    return instances.map((i) => viewOf(i, ruleOf.get(i.rule), acks, silences, inhibitors, now))
  }
  /** The Alertmanager's silences: as this process last read them, else as the console stored them. */
  const amSilences = (): Silence[] => {
    if (o.forwarder.status().state !== 'off' && o.forwarder.status().state !== 'starting') return o.forwarder.silences()
    const saved = store.get('am_silences')
    if (!saved || !store.get('forward_url')) return []
    try {
      return JSON.parse(saved) as Silence[]
    } catch {
      return []
    }
  }

  const countsOf = (alerts: Alert[]): AlertCounts => {
    let worst: Alert['severity'] | null = null
    const c = { firing: 0, open: 0, acknowledged: 0, silenced: 0, pending: 0, problems: 0 }
    for (const a of alerts) {
      if (a.state === 'pending') c.pending++
      if (a.state === 'nodata' || a.state === 'error') c.problems++
      if (a.state !== 'firing') continue
      c.firing++
      if (a.silencedBy.length || a.inhibitedBy.length) c.silenced++
      else if (a.ack) c.acknowledged++
      else {
        c.open++
        if (!worst || SEVERITY_RANK[a.severity] > SEVERITY_RANK[worst]) worst = a.severity
      }
    }
    return { ...c, worst }
  }

  const order = (a: Alert, b: Alert): number =>
    Number(b.state === 'firing') - Number(a.state === 'firing') ||
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    (b.firedAt ?? b.activeAt) - (a.firedAt ?? a.activeAt)

  /** Receiver, then what the group is about (kind and name): kept apart by a unit separator. */
  const SEP = '\u001f'
  const groupKey = (a: Alert): string =>
    [
      a.route.receiver,
      ...(a.labels.host ? ['host', a.labels.host] : a.labels.model ? ['model', a.labels.model] : ['rule', a.rule]),
    ].join(SEP)

  /** Sends what grouping says is due; marks the alerts it carried as notified. A new group goes
   *  after group_wait; a group already notified sends its changes (new alerts, resolutions, repeats)
   *  at most once per group interval, each time with every alert of the group still firing. */
  const notifyDue = (alerts: Alert[], now: number): void => {
    const groups = new Map<string, { firing: Alert[]; resolved: Alert[]; due: boolean }>()
    for (const a of alerts) {
      const key = groupKey(a)
      let g = groups.get(key)
      if (!g) groups.set(key, (g = { firing: [], resolved: [], due: false }))
      const muted = a.silencedBy.length > 0 || a.inhibitedBy.length > 0
      if (a.state === 'firing' && !muted && !a.ack) {
        g.firing.push(a)
        if (a.lastNotifiedAt === null || now - a.lastNotifiedAt >= timers.repeatIntervalMs) g.due = true
      } else if (
        a.state === 'resolved' &&
        a.lastNotifiedAt !== null &&
        a.resolvedAt !== null &&
        a.lastNotifiedAt < a.resolvedAt
      ) {
        g.resolved.push(a)
        g.due = true
      }
    }
    for (const key of [...groupSeen.keys()]) if (!groups.get(key)?.firing.length) groupSeen.delete(key)
    for (const [key, g] of groups) {
      if (!g.due) continue
      const carried = [...g.firing, ...g.resolved]
      const last = groupSent.get(key) ?? Math.max(0, ...carried.map((a) => a.lastNotifiedAt ?? 0))
      if (last === 0) {
        const first = groupSeen.get(key) ?? now
        groupSeen.set(key, first)
        if (now - first < timers.groupWaitMs) continue
      } else if (now - last < timers.groupIntervalMs) continue
      const worst = g.firing.length
        ? g.firing.reduce(
            (w, a) => (SEVERITY_RANK[a.severity] > SEVERITY_RANK[w] ? a.severity : w),
            g.firing[0].severity,
          )
        : g.resolved[0].severity
      const [, kind, value] = key.split(SEP)
      const head = carried[0]
      const title = g.firing.length
        ? g.firing.length === 1
          ? `[${worst.toUpperCase()}] ${g.firing[0].summary}`
          : `[${worst.toUpperCase()}] ${g.firing.length} alerts on ${value}`
        : `[RESOLVED] ${g.resolved.length === 1 ? g.resolved[0].summary : `${g.resolved.length} alerts on ${value}`}`
      const lines = [
        ...g.firing.slice(0, 6).map((a) => `${a.severity}: ${a.summary}`),
        ...g.resolved.slice(0, 3).map((a) => `resolved: ${a.summary}`),
      ]
      const more = carried.length - lines.length
      const route = head.route
      const body = `${lines.join('\n')}${more > 0 ? `\n… and ${more} more` : ''}\nto ${route.receiver}${route.oncall ? ` (on-call ${route.oncall})` : ''}${route.unowned ? ' — nobody owns this: default route' : ''}`
      const n = store.atomically(() => {
        const journaled = store.journal({
          at: now,
          groupKey: key,
          receiver: route.receiver,
          title: title.slice(0, 200),
          body,
          severity: worst,
          link: carried.length === 1 ? `#/alerts/${head.id}` : `#/alerts?${kind}=${encodeURIComponent(value ?? '')}`,
          alerts: carried.map((a) => a.id),
          resolved: g.firing.length === 0,
        })
        store.markNotified(
          carried.map((a) => a.id),
          now,
        )
        return journaled
      })
      for (const a of carried) {
        a.lastNotifiedAt = now
        const inst = load().get(a.rule)?.get(a.id)
        if (inst) inst.lastNotifiedAt = now
      }
      groupSent.set(key, now)
      o.notify(n)
    }
  }

  let pruned = 0
  const evaluateOnce = async (): Promise<void> => {
    const now = o.now()
    const { rules } = store.rules()
    const all = load()
    const changedInstances = new Map<string, Instance>()
    const removed: string[] = []
    const transitions: { instance: Instance; from: string | null; to: string; at: number }[] = []
    const errors: Record<string, string> = {}
    const shared = new Map<string, Promise<Sample[]>>()
    // What Gantry knows, read once per evaluation: the fleet's summaries (tens of ms for a
    // Prometheus fleet), endpoints, models, monitors and deploys serve every kind that reads them.
    const seen = memoFacts(o.facts)
    const samplesOf = (r: AlertRule): Promise<Sample[]> => {
      if (o.unshared) return collect(o.facts, r, now)
      const key = r.kind === 'promql' ? `promql|${r.source}|${r.expr}` : `${r.kind}|${r.metric ?? ''}`
      let p = shared.get(key)
      if (!p) shared.set(key, (p = collect(seen, r, now)))
      return p
    }
    const enabled = rules.filter((r) => r.enabled)
    const results = await Promise.all(
      enabled.map(async (r) => {
        try {
          return { r, samples: await samplesOf(r), error: null }
        } catch (err) {
          return { r, samples: null, error: err instanceof Error ? err.message : String(err) }
        }
      }),
    )
    // Long evaluations (thousands of rules) give the event loop back every few milliseconds: the
    // console keeps answering its screens and /healthz while the rules are evaluated.
    let slice = performance.now()
    for (const { r, samples, error } of results) {
      if (performance.now() - slice > 8) {
        await new Promise((res) => setImmediate(res))
        slice = performance.now()
      }
      let instances = all.get(r.name)
      if (!instances) all.set(r.name, (instances = new Map()))
      let changes: Change[]
      if (error !== null || samples === null) {
        // The rule could not be read at all: one error instance, and every instance held as it was.
        errors[r.name] = error ?? 'no answer'
        const labels = { alertname: r.name, ...r.labels }
        changes = evaluate(
          r,
          instances,
          [
            {
              labels,
              subject: { host: r.host, gpu: null, endpoint: null, model: r.model, filesystem: null, link: '#/alerts' },
              value: null,
              summary: `rule ${r.name} could not be evaluated: ${error}`,
              status: 'error',
              reason: error,
            },
          ],
          [{ alertname: r.name }],
          now,
        )
      } else {
        const { observed, held } = apply(r, samples)
        changes = evaluate(r, instances, observed, held, now)
      }
      for (const c of changes) {
        if (c.to === 'inactive') {
          removed.push(c.instance.id)
          changedInstances.delete(c.instance.id)
        } else changedInstances.set(c.instance.id, c.instance)
        transitions.push({ instance: c.instance, from: c.from, to: c.to, at: now })
        // A new episode only (not data coming back to an alert that had fired already).
        if (c.to === 'firing' && c.instance.firedAt === now) o.fired(c.instance)
      }
      // Summaries and values move without a transition: written when they change.
      for (const i of instances.values())
        if (i.lastEvalAt === now && !changedInstances.has(i.id)) changedInstances.set(i.id, i)
    }
    // A rule turned off: its instances resolve (they are no longer watched). A rule removed took
    // its instances with it (alerts.removeRule): they leave this process's memory too.
    const live = new Set(enabled.map((r) => r.name))
    const known = new Set(rules.map((r) => r.name))
    for (const [name, instances] of all) {
      if (!known.has(name)) {
        all.delete(name)
        continue
      }
      if (live.has(name)) continue
      for (const i of instances.values()) {
        if (i.state === 'resolved') continue
        if (i.state === 'firing' || i.firedAt !== null) {
          const from = i.state
          i.state = 'resolved'
          i.resolvedAt = now
          i.reason = 'the rule was turned off'
          changedInstances.set(i.id, i)
          transitions.push({ instance: i, from, to: 'resolved', at: now })
        } else {
          instances.delete(i.id)
          removed.push(i.id)
          transitions.push({ instance: i, from: i.state, to: 'inactive', at: now })
        }
      }
    }
    store.commit([...changedInstances.values()], removed, transitions, now, errors)
    if (now - pruned > 3600_000) {
      pruned = now
      store.pruneHistory(now - HISTORY_RETENTION_MS)
    }
    // Resolved instances past their retention go to history only.
    for (const id of store.pruneResolved(now - RESOLVED_RETENTION_MS)) {
      for (const m of all.values()) m.delete(id)
    }
    const instances = [...all.values()].flatMap((m) => [...m.values()])
    const alerts = views(instances, rules, now)
    notifyDue(alerts, now)
    if (transitions.length) o.changed(countsOf(alerts))
    await o.forwarder.tick(alerts, now, transitions.length > 0)
  }

  const tick = async (): Promise<void> => {
    running ??= evaluateOnce()
      .catch((err: unknown) =>
        o.log(
          `gantry: evaluating alert rules failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        ),
      )
      .finally(() => {
        running = null
      })
    return running
  }
  const next = (): void => {
    if (!on) return
    timer = setTimeout(() => {
      timer = null
      void tick().then(next)
    }, o.intervalMs)
    timer.unref?.()
  }

  return {
    name: 'alert rules',
    forwarder: o.forwarder,
    start() {
      if (on || o.intervalMs <= 0) return
      on = true
      // The first evaluation after one interval, as Prometheus does: the pollers' first samples
      // are in by then, and a start is not slowed by it.
      next()
    },
    async stop() {
      on = false
      if (timer) clearTimeout(timer)
      timer = null
      await running
    },
    async evaluate() {
      await tick()
    },
    rules: () => store.rules(),
    list(opts = {}) {
      const { rules } = store.rules()
      const now = o.now()
      // Read from the database: the CLI (another process) sees what the console evaluated.
      const instances = byRule ? [...byRule.values()].flatMap((m) => [...m.values()]) : store.instances()
      const alerts = views(instances, rules, now)
        .filter((a) => opts.all || a.state !== 'resolved' || (a.resolvedAt ?? 0) > now - RESOLVED_RETENTION_MS)
        .sort(order)
      return { alerts, counts: countsOf(alerts), evaluatedAt: store.evaluated().at }
    },
  }
}
