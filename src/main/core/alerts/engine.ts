// An alert instance's life, as Prometheus's rules/alerting.go keeps it, with Grafana's no-data and
// error as states of their own. Pure: given a rule, its instances, what this evaluation observed and
// the time, it moves each instance and reports every transition. No clock, no database here.
//
//   (none) ──active──▶ pending ──active for `for`──▶ firing ──inactive past keep_firing_for──▶ resolved
//      ▲                  │ inactive                     ▲ active again: still firing (no new episode)
//      └──────────────────┘                              │
//   no data / error: states of their own; the instances an error covers are held as they were.
import { createHash } from 'node:crypto'
import type { AlertState, Labels, Subject } from '../../../shared/alerts'

export interface Instance {
  id: string
  rule: string
  state: AlertState
  labels: Labels
  subject: Subject
  summary: string
  value: number | null
  activeAt: number
  firedAt: number | null
  resolvedAt: number | null
  /** The last evaluation at which the condition held. */
  lastActiveAt: number
  recoveringSince: number | null
  lastEvalAt: number
  reason: string | null
  lastNotifiedAt: number | null
}

/** What one evaluation saw for one instance: the condition holds, no data, or the read failed. */
export interface Observed {
  labels: Labels
  subject: Subject
  value: number | null
  summary: string
  status: 'active' | 'nodata' | 'error'
  reason: string | null
}

export interface EngineRule {
  name: string
  forMs: number
  keepFiringForMs: number
}

export interface Change {
  instance: Instance
  from: AlertState | null
  /** 'inactive': a pending instance whose condition went away before `for` (it is dropped). */
  to: AlertState | 'inactive'
}

/** An instance's id: the rule and its labels (sorted), hashed — stable across restarts and processes. */
export function fingerprint(rule: string, labels: Labels): string {
  const h = createHash('sha256').update(rule)
  for (const k of Object.keys(labels).sort()) h.update(`\0${k}\0${labels[k]}`)
  return h.digest('hex').slice(0, 16)
}

/** Whether `labels` has every label of `scope` with the same value (an error's scope covers it). */
export function covers(scope: Labels, labels: Labels): boolean {
  for (const k of Object.keys(scope)) if (labels[k] !== scope[k]) return false
  return true
}

/** A pending clock survives a gap in evaluation up to this long (Prometheus's for-outage-tolerance). */
export const OUTAGE_TOLERANCE_MS = 3600_000

/** How long a resolved instance stays listed (and re-sent to an Alertmanager) before it goes to history. */
export const RESOLVED_RETENTION_MS = 15 * 60_000

/**
 * One evaluation of one rule. `instances` holds the rule's instances by id and is updated in
 * place; `observed` is every instance whose condition holds (or that has no data / failed);
 * `held` are the label scopes whose read failed: their instances keep the state they had (an
 * unreadable host is not "fine"). Returns the transitions, in order.
 */
export function evaluate(
  rule: EngineRule,
  instances: Map<string, Instance>,
  observed: Observed[],
  held: Labels[],
  now: number,
): Change[] {
  const changes: Change[] = []
  const seen = new Set<string>()
  const move = (i: Instance, to: AlertState | 'inactive'): void => {
    const from = i.state
    if (to !== 'inactive') i.state = to
    changes.push({ instance: i, from, to })
  }
  for (const o of observed) {
    const id = fingerprint(rule.name, o.labels)
    seen.add(id)
    let i = instances.get(id)
    if (i && i.state === 'resolved') {
      // A new episode: the old one is history (its acknowledgement does not carry over).
      instances.delete(id)
      i = undefined
    }
    if (!i) {
      i = {
        id,
        rule: rule.name,
        state: 'pending',
        labels: o.labels,
        subject: o.subject,
        summary: o.summary,
        value: o.value,
        activeAt: now,
        firedAt: null,
        resolvedAt: null,
        lastActiveAt: now,
        recoveringSince: null,
        lastEvalAt: now,
        reason: o.reason,
        lastNotifiedAt: null,
      }
      instances.set(id, i)
      if (o.status !== 'active') {
        i.state = o.status
        changes.push({ instance: i, from: null, to: o.status })
      } else if (rule.forMs <= 0) {
        i.firedAt = now
        changes.push({ instance: i, from: null, to: 'firing' })
        i.state = 'firing'
      } else changes.push({ instance: i, from: null, to: 'pending' })
      continue
    }
    const gap = now - i.lastEvalAt
    i.summary = o.summary
    i.value = o.value
    i.subject = o.subject
    i.lastEvalAt = now
    i.reason = o.reason
    if (o.status !== 'active') {
      if (i.state !== o.status) move(i, o.status)
      continue
    }
    // Prometheus restores a pending clock only across a short outage (for-outage-tolerance): after
    // a long one (Gantry was down an hour) `for` starts again rather than firing at once.
    if (i.state === 'pending' && gap > OUTAGE_TOLERANCE_MS) i.activeAt = now
    i.lastActiveAt = now
    i.recoveringSince = null
    if (i.state === 'firing') continue
    if (i.state === 'nodata' || i.state === 'error') {
      // Data is back and the condition holds: it starts its `for` from now, unless it had fired.
      if (i.firedAt !== null) move(i, 'firing')
      else {
        i.activeAt = now
        if (rule.forMs <= 0) {
          i.firedAt = now
          move(i, 'firing')
        } else move(i, 'pending')
      }
      continue
    }
    if (i.state === 'pending' && now - i.activeAt >= rule.forMs) {
      i.firedAt = now
      move(i, 'firing')
    }
  }
  for (const i of [...instances.values()]) {
    if (seen.has(i.id) || i.state === 'resolved') continue
    if (held.some((scope) => covers(scope, i.labels)) && i.state !== 'error' && i.state !== 'nodata') continue
    i.lastEvalAt = now
    if (i.state === 'firing' || ((i.state === 'nodata' || i.state === 'error') && i.firedAt !== null)) {
      // Prometheus's keep_firing_for: counted from the first evaluation the condition was false.
      if (i.state === 'firing' && rule.keepFiringForMs > 0 && now - (i.recoveringSince ?? now) < rule.keepFiringForMs) {
        i.recoveringSince ??= now
        continue
      }
      i.resolvedAt = now
      i.recoveringSince = null
      i.reason = i.state === 'firing' ? null : i.reason
      move(i, 'resolved')
      continue
    }
    // Pending (or no data / an error that never fired) and no longer observed: it goes away.
    instances.delete(i.id)
    move(i, 'inactive')
  }
  return changes
}
