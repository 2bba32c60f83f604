// The health roll-up: one pass over what the core already computed (host, storage and GPU
// verdicts, endpoint verdicts and intent checks, the registry's flags and approvals, drift windows
// and monitor errors, each target's last deploy, releases waiting for a decision, open alerts,
// other hosts), turned into reasons grouped by kind, each with where to act. Pure: the service
// (service.ts) feeds it and pushes the result; the Overview card and the navigation badges draw it.
import type { Health, HealthItem, HealthLevel, HostSnapshot, StorageSnapshot } from '../../../shared/contract'
import type { GpuSnapshot } from '../../../shared/gpu'
import type { HostSummary } from '../../../shared/hosts'
import type { EndpointStatus } from '../../../shared/serving'
import type { ModelSummary } from '../../../shared/registry'
import type { Deployment } from '../../../shared/deploy'
import type { Alert, AlertCounts } from '../../../shared/alerts'
import {
  AREA_LABEL,
  HEALTH_AREAS,
  type AreaHealth,
  type HealthArea,
  type HealthRollup,
  type RollupReason,
  type RollupSubject,
} from '../../../shared/health'
import { FLAG_TEXT, attentionFlags } from '../../../shared/registry'

export interface HealthFacts {
  hosts(): HostSummary[]
  host(name: string): HostSnapshot | null
  storage(name: string): StorageSnapshot | null
  gpu(name: string): GpuSnapshot | null
  endpoints(): EndpointStatus[]
  models(): ModelSummary[]
  approvals(): { model: string; version: number; requestedBy: string; requestedAt: number }[]
  monitors(): { model: string; problems: string[]; lastError: { message: string; at: number } | null }[]
  /** Each target's last finished deploy or rollback. */
  lastDeploys(): Deployment[]
  /** Releases waiting for a person (paused). */
  releases(): { model: string; state: string; reason: string | null }[]
  alerts(): { alerts: Alert[]; counts: AlertCounts }
}

const RANK: Record<HealthLevel, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 }
const worse = (a: HealthLevel, b: HealthLevel): HealthLevel => (RANK[b] > RANK[a] ? b : a)
const WORDS: Record<HealthLevel, string> = {
  ok: 'healthy',
  warning: 'warning',
  critical: 'critical',
  unknown: 'unknown',
}

export const hostQuery = (host: string): string => (host === 'local' ? '' : `?host=${encodeURIComponent(host)}`)
const enc = encodeURIComponent

/** Collects subjects per kind; each kind becomes one reason. */
class Groups {
  private map = new Map<
    string,
    { area: (typeof HEALTH_AREAS)[number]; level: HealthLevel; title: string; href: string; subjects: RollupSubject[] }
  >()
  add(
    area: (typeof HEALTH_AREAS)[number],
    kind: string,
    level: HealthLevel,
    title: string,
    areaHref: string,
    subject: RollupSubject,
  ): void {
    const key = `${area}:${kind}`
    const g = this.map.get(key)
    if (!g) this.map.set(key, { area, level, title, href: areaHref, subjects: [subject] })
    else {
      g.level = worse(g.level, level)
      if (!g.subjects.some((s) => s.name === subject.name && s.detail === subject.detail)) g.subjects.push(subject)
    }
  }
  reasons(): RollupReason[] {
    return [...this.map.entries()].map(([key, g]) => {
      const names = [...new Set(g.subjects.map((s) => s.name))]
      const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ')
      return {
        key,
        area: g.area,
        level: g.level,
        text: names.length ? `${g.title} — ${shown}` : g.title,
        href: names.length === 1 ? g.subjects[0].href : g.href,
        subjects: g.subjects,
      }
    })
  }
}

function itemsOf(h: Health): HealthItem[] {
  return h.items ?? h.reasons.map((r) => ({ level: h.level, kind: `other:${r}`, title: r, text: r }))
}

/** The roll-up as seen from one host (its GPUs, storage and host values; the others as hosts). */
export function rollUp(f: HealthFacts, view: string, at: number): HealthRollup {
  const g = new Groups()
  const q = hostQuery(view)

  // --- this host: its values, its filesystems, its GPUs ----------------------------------------
  const host = f.host(view)
  if (host)
    for (const i of itemsOf(host.health))
      g.add('hosts', i.kind, i.level, i.title, `#/overview${q}`, {
        name: view === 'local' ? 'this machine' : view,
        href: `#/overview${q}`,
        detail: i.text,
      })
  const storage = f.storage(view)
  if (storage)
    for (const i of itemsOf(storage.health)) {
      const mount = storage.filesystems.find((x) => i.text.startsWith(`${x.mount} `))?.mount
      g.add('storage', i.kind, i.level, i.title, `#/storage${q}`, {
        name: mount ?? 'storage',
        href: `#/storage${q}`,
        detail: i.text,
      })
    }
  const gpu = f.gpu(view)
  if (gpu && (gpu.state === 'not-responding' || gpu.state === 'error')) {
    g.add('gpus', 'gpu-stream', 'critical', 'GPU readings stopped', `#/gpus${q}`, {
      name: 'nvidia-smi',
      href: `#/gpus${q}`,
      detail: gpu.reason ?? gpu.state,
    })
  }
  if (gpu) {
    const index = new Map(gpu.gpus.map((x) => [x.uuid, x.index]))
    for (const d of gpu.health)
      for (const i of itemsOf(d.health))
        g.add('gpus', i.kind, i.level, i.title, `#/gpus${q}`, {
          name: `GPU ${index.get(d.uuid) ?? d.uuid}`,
          href: `#/gpus/${enc(d.uuid)}${q}`,
          detail: i.text,
        })
  }

  // --- the other hosts, and this one's connection -----------------------------------------------
  const hosts = f.hosts()
  for (const h of hosts) {
    if (!h.enabled) continue
    const down = ['unreachable', 'auth-failed', 'host-key-unknown', 'host-key-changed'].includes(h.connection.state)
    // The shown host's own values are above; what is added for it is only that it is not
    // reached now (its values are then the last received, not live) — or, for a host known from
    // Prometheus only (no samples of its own here), its verdict from there.
    if (h.name === view && host && !down) continue
    if (h.health.level === 'ok' && !down) continue
    const level: HealthLevel = down ? 'critical' : h.health.level
    const kind = down ? 'host-unreachable' : `host-${level}`
    const title = down ? 'hosts not reachable' : level === 'unknown' ? 'hosts not fully readable' : `hosts ${level}`
    g.add('hosts', kind, level, title, '#/hosts', {
      name: h.name === 'local' ? 'this machine' : h.name,
      // Always with ?host=: a link without one keeps the host the console shows.
      href: `#/overview?host=${enc(h.name)}`,
      detail: (down && h.connection.lastError ? [h.connection.lastError] : h.health.reasons).join('\n') || level,
    })
  }

  // --- serving: verdicts and what the registry says should run ----------------------------------
  for (const { endpoint: e, latest: l, verdict, intent } of f.endpoints()) {
    const at = `#/serving/${e.id}`
    const name = `endpoint ${e.name}`
    if (l && verdict === 'down')
      g.add('serving', 'endpoint-down', 'critical', 'endpoints not answering', '#/serving', {
        name,
        href: at,
        detail: l.problems.join('\n') || 'no answer to its health check',
      })
    else if (l && verdict === 'hung')
      g.add(
        'serving',
        'endpoint-hung',
        'critical',
        'endpoints hung (healthy, but the smoke request fails)',
        '#/serving',
        {
          name,
          href: at,
          detail: l.smoke?.error ?? `smoke request answered ${l.smoke?.status ?? 'nothing'}`,
        },
      )
    else if (l && verdict === 'not-ready')
      g.add('serving', 'endpoint-not-ready', 'warning', 'endpoints live but not ready', '#/serving', {
        name,
        href: at,
        detail: l.problems.join('\n') || 'its readiness check fails',
      })
    for (const i of intent.filter((x) => x.state === 'mismatch' || x.state === 'missing'))
      g.add(
        'serving',
        `intent-${i.state}`,
        'warning',
        i.state === 'missing'
          ? 'a model the registry expects is not served'
          : 'serving another version than the registry says',
        '#/serving',
        { name: `${e.name}: ${i.model}`, href: at, detail: i.detail },
      )
  }

  // --- models: ownership, approvals, flags, releases waiting --------------------------------------
  const models = f.models()
  for (const m of models) {
    const href = `#/models/${enc(m.name)}`
    for (const flag of attentionFlags(m)) {
      const title = flag === 'unowned' ? 'in production with no owner' : FLAG_TEXT[flag]
      g.add('models', `flag-${flag}`, 'warning', title, '#/models', { name: m.name, href, detail: FLAG_TEXT[flag] })
    }
    if (m.drift?.drifted)
      g.add('drift', 'drifted', 'warning', 'drift in the latest window', '#/drift', {
        name: m.name,
        href: `#/drift`,
        detail: `${(m.drift.share * 100).toFixed(0)} % of the features drifted in the window closed ${new Date(m.drift.at).toISOString()}`,
      })
  }
  for (const a of f.approvals())
    g.add('models', 'approval-pending', 'warning', 'approvals waiting for a decision', '#/models', {
      name: `${a.model} v${a.version}`,
      href: `#/models/${enc(a.model)}`, // the model page, where it is approved or rejected
      detail: `requested by ${a.requestedBy} at ${new Date(a.requestedAt).toISOString()}`,
    })
  for (const r of f.releases())
    if (r.state === 'paused')
      g.add('models', 'release-paused', 'warning', 'releases paused: waiting for a decision', '#/models', {
        name: r.model,
        href: `#/models/${enc(r.model)}`,
        detail: r.reason ?? 'paused',
      })
  for (const mon of f.monitors()) {
    if (mon.lastError)
      g.add('drift', 'monitor-error', 'warning', 'drift monitors that cannot read their logs', '#/drift', {
        name: mon.model,
        href: `#/models/${enc(mon.model)}`,
        detail: mon.lastError.message,
      })
    // Rows or files the last read skipped (a line not JSON, a Parquet file still being written).
    if (mon.problems.length)
      g.add('drift', 'monitor-skipped', 'warning', 'drift monitors skipping rows or files', '#/drift', {
        name: mon.model,
        href: `#/models/${enc(mon.model)}`,
        detail: mon.problems.join('\n'),
      })
  }

  // --- deployments: each target's last outcome, until a later one succeeds ------------------------
  for (const d of f.lastDeploys()) {
    const name = `${d.model} → ${d.targetName}`
    const href = `#/models/${enc(d.model)}`
    const detail = `#${d.id} ${d.kind} to v${d.toVersion}: ${d.reason ?? d.state}`
    if (d.state === 'reverted' && d.revertUnverified)
      g.add(
        'deployments',
        'revert-unverified',
        'critical',
        'reverted but NOT verified: check the target now',
        '#/deployments',
        {
          name,
          href,
          detail,
        },
      )
    else if (d.state === 'reverted')
      g.add('deployments', 'reverted', 'warning', 'deploys reverted (the previous version is back)', '#/deployments', {
        name,
        href,
        detail,
      })
    else if (d.state === 'failed')
      g.add('deployments', 'failed', 'critical', 'deploys failed: the target may be half-way', '#/deployments', {
        name,
        href,
        detail,
      })
    else if (d.state === 'abandoned')
      g.add('deployments', 'abandoned', 'warning', 'deploys abandoned', '#/deployments', { name, href, detail })
  }

  // --- alerts: what fires and nobody took -------------------------------------------------------
  const { alerts, counts } = f.alerts()
  for (const a of alerts) {
    if (a.state !== 'firing' || a.ack || a.silencedBy.length || a.inhibitedBy.length) continue
    g.add(
      'alerts',
      `alert-${a.rule}`,
      a.severity === 'critical' ? 'critical' : 'warning',
      `alert ${a.rule} firing`,
      '#/alerts',
      {
        name: a.summary,
        href: a.subject.link || '#/alerts',
        detail: `${a.severity}: ${a.summary}${a.firedAt ? ` (firing since ${new Date(a.firedAt).toISOString()})` : ''}`,
      },
    )
  }
  if (counts.problems > 0)
    g.add('alerts', 'alert-problems', 'unknown', 'alert rules that cannot be evaluated', '#/alerts', {
      name: `${counts.problems} rule${counts.problems === 1 ? '' : 's'}`,
      href: '#/alerts',
      detail: 'see the Alerts screen for why',
    })

  const reasons = g.reasons().sort((a, b) => RANK[b.level] - RANK[a.level] || a.text.localeCompare(b.text))
  const areas = {} as Record<HealthArea, AreaHealth>
  const area = (name: HealthArea, rs: RollupReason[]): AreaHealth => {
    const level = rs.reduce<HealthLevel>((w, r) => worse(w, r.level), 'ok')
    if (name === 'alerts') {
      // Alerts count what an operator counts there: open alerts, not the rules they come from.
      const open = counts.open
      const broken = rs.some((r) => r.key === 'alerts:alert-problems')
      return {
        level,
        problems: open || (broken ? 1 : 0),
        label: open
          ? `Alerts: ${WORDS[level]}, ${open} open`
          : broken
            ? `Alerts: ${counts.problems} rule${counts.problems === 1 ? '' : 's'} cannot be evaluated`
            : 'Alerts: none open',
      }
    }
    const n = rs.length
    return {
      level,
      problems: n,
      label: `${AREA_LABEL[name]}: ${WORDS[level]}${n ? `, ${n} problem${n === 1 ? '' : 's'}` : ''}`,
    }
  }
  for (const a of HEALTH_AREAS)
    areas[a] = area(
      a,
      reasons.filter((r) => r.area === a),
    )
  areas.overview = area('overview', reasons)
  // Nothing read yet from this host: the verdict is not "healthy" but unknown.
  const known = host !== null || hosts.some((h) => h.name === view && h.lastUpdate !== null)
  const level = !known && reasons.length === 0 ? 'unknown' : areas.overview.level
  if (level !== areas.overview.level)
    areas.overview = { ...areas.overview, level, label: 'Overview: unknown, no sample yet' }
  return { at, host: view, level, areas, reasons }
}
