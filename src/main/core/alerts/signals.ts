// What each kind of rule reads: one pass over what Gantry already computed (GPU diagnoses and
// XIDs, filesystems and their forecasts, endpoint verdicts and metrics, intent checks, drift
// windows, deploy outcomes, owners, connections), turned into samples — one per thing, with the
// value a rule's threshold is compared with. A kind's samples are read once per evaluation and
// shared by every rule of that kind; only `promql` asks a source, once per distinct query.
import {
  KIND_THRESHOLD,
  type AlertRule,
  type CompareOp,
  type Labels,
  type RuleKind,
  type Subject,
} from '../../../shared/alerts'
import type { GpuSnapshot, StorageSnapshot } from '../../../shared/contract'
import type { EndpointStatus } from '../../../shared/serving'
import type { HostSummary } from '../../../shared/hosts'
import type { DriftWindow } from '../../../shared/drift'
import { xidAction } from '../telemetry/gpu/xid'
import type { Observed } from './engine'

/** The world as one evaluation sees it. */
export interface AlertFacts {
  hosts(): HostSummary[]
  /** The GPU stream's latest snapshot of a host Gantry polls itself (null for others). */
  gpu(host: string): GpuSnapshot | null
  storage(host: string): StorageSnapshot | null
  /** XIDs that Prometheus sources latched and nobody acknowledged yet. */
  xidLatches(): { host: string; uuid: string; code: number; firstSeen: number; source: string }[]
  endpoints(): EndpointStatus[]
  models(): { name: string; production: number | null; ownerTeam: string | null }[]
  monitors(): { model: string; problems: string[]; latest: DriftWindow | null }[]
  /** The last deployment or rollback of each target. */
  lastDeploys(): {
    id: number
    model: string
    target: string
    kind: string
    state: string
    version: number
    error: string | null
    at: number
  }[]
  /** Asks a source (null: every source); a failed question throws with the source's words. */
  promql(source: string | null, expr: string): Promise<{ source: string; labels: Labels; value: number }[]>
}

/** One thing a kind reads: the labels that identify it, and its value or verdict. */
export interface Sample {
  labels: Labels
  subject: Subject
  /** What a threshold is compared with (null for a verdict kind). */
  value: number | null
  /** Verdict kinds: the condition holds. Threshold kinds leave it undefined. */
  active?: boolean
  /** The read failed (error) or there is nothing to read (nodata), with why. */
  status?: 'error' | 'nodata'
  reason?: string
  /** The words of the alert, given the rule's threshold. */
  text: (threshold: number | null) => string
}

const subject = (s: Partial<Subject> & { link: string }): Subject => ({
  host: null,
  gpu: null,
  endpoint: null,
  model: null,
  filesystem: null,
  ...s,
})
const hostLink = (host: string, route: string, param?: string): string =>
  `#/${route}${param ? `/${encodeURIComponent(param)}` : ''}${host === 'local' ? '' : `?host=${encodeURIComponent(host)}`}`

/** Higher is better for these realized metrics; mae and rmse are errors (lower is better). */
const LOWER_IS_BETTER = new Set(['mae', 'rmse'])

function gpuSamples(f: AlertFacts, kind: 'gpu-health' | 'gpu-temp-margin' | 'gpu-xid'): Sample[] {
  const out: Sample[] = []
  for (const h of f.hosts()) {
    if (h.kind === 'prometheus') {
      if (kind === 'gpu-health' && h.gpus.count > 0 && h.health.level === 'critical') {
        out.push({
          labels: { host: h.name },
          subject: subject({ host: h.name, link: hostLink(h.name, 'gpus') }),
          value: null,
          active: true,
          text: () => `${h.name}: ${h.health.reasons.slice(0, 3).join('; ')}`,
        })
      }
      continue
    }
    if (!h.enabled) continue
    const snap = f.gpu(h.name)
    if (!snap || snap.state === 'off' || snap.state === 'no-driver' || snap.state === 'starting') continue
    if (snap.state !== 'ok') {
      out.push({
        labels: { host: h.name },
        subject: subject({ host: h.name, link: hostLink(h.name, 'gpus') }),
        value: null,
        status: 'error',
        reason: `GPUs of ${h.name} could not be read: ${snap.reason ?? snap.state}`,
        text: () => `GPUs of ${h.name} could not be read: ${snap.reason ?? snap.state}`,
      })
      continue
    }
    for (const g of snap.gpus) {
      const labels = { host: h.name, gpu: g.uuid, gpu_index: String(g.index) }
      const sub = subject({ host: h.name, gpu: g.uuid, link: hostLink(h.name, 'gpus', g.uuid) })
      const who = `GPU ${g.index} (${g.name}) on ${h.name}`
      if (kind === 'gpu-health') {
        const d = snap.health.find((x) => x.uuid === g.uuid)
        if (d?.health.level === 'critical') {
          out.push({ labels, subject: sub, value: null, active: true, text: () => `${who}: ${d.health.reasons[0]}` })
        }
      } else if (kind === 'gpu-temp-margin') {
        const t = g.temperature.gpuC
        const slow = g.temperature.slowdownC
        if (t === null || slow === null) continue
        out.push({
          labels,
          subject: sub,
          value: slow - t,
          text: (thr) => `${who} at ${t} °C, ${slow - t} °C from its slowdown at ${slow} °C (margin ${thr} °C)`,
        })
      }
    }
    if (kind === 'gpu-xid') {
      for (const x of snap.xids ?? []) {
        const action = xidAction(x.code)
        if (!action) continue
        const g = snap.gpus.find((gg) => gg.busId !== null && x.busId !== null && gg.busId.endsWith(x.busId))
        const gpu = g?.uuid ?? x.busId ?? 'unknown'
        out.push({
          labels: { host: h.name, gpu, xid: String(x.code) },
          subject: subject({ host: h.name, gpu: g?.uuid ?? null, link: hostLink(h.name, 'gpus', g?.uuid) }),
          value: x.code,
          active: true,
          text: () => `XID ${x.code} on ${h.name}${g ? ` GPU ${g.index}` : ''}: ${x.meaning} — ${action}`,
        })
      }
    }
  }
  if (kind === 'gpu-xid') {
    for (const x of f.xidLatches()) {
      const action = xidAction(x.code)
      if (!action) continue
      out.push({
        labels: { host: x.host, gpu: x.uuid, xid: String(x.code) },
        subject: subject({ host: x.host, gpu: x.uuid, link: hostLink(x.host, 'gpus', x.uuid) }),
        value: x.code,
        active: true,
        text: () => `XID ${x.code} on ${x.host} GPU ${x.uuid} (latched from ${x.source}) — ${action}`,
      })
    }
  }
  return out
}

function storageSamples(f: AlertFacts, kind: 'fs-used' | 'fs-full-soon', now: number): Sample[] {
  const out: Sample[] = []
  for (const h of f.hosts()) {
    if (h.kind === 'prometheus') {
      if (kind === 'fs-used' && h.storage) {
        const s = h.storage
        out.push({
          labels: { host: h.name, filesystem: s.mount },
          subject: subject({ host: h.name, filesystem: s.mount, link: hostLink(h.name, 'storage') }),
          value: s.usedPct,
          text: (thr) => `${s.mount} on ${h.name} is ${s.usedPct.toFixed(1)} % full (threshold ${thr} %)`,
        })
      }
      continue
    }
    if (!h.enabled) continue
    const snap = f.storage(h.name)
    if (!snap) continue
    if (snap.status !== 'ok' && snap.filesystems.length === 0) {
      out.push({
        labels: { host: h.name },
        subject: subject({ host: h.name, link: hostLink(h.name, 'storage') }),
        value: null,
        status: 'error',
        reason: `filesystems of ${h.name} could not be read: ${snap.problems[0] ?? 'no answer'}`,
        text: () => `filesystems of ${h.name} could not be read`,
      })
      continue
    }
    for (const fs of snap.filesystems) {
      const labels = { host: h.name, filesystem: fs.mount }
      const sub = subject({ host: h.name, filesystem: fs.mount, link: hostLink(h.name, 'storage') })
      if (kind === 'fs-used') {
        out.push({
          labels,
          subject: sub,
          value: fs.usedPct,
          text: (thr) => `${fs.mount} on ${h.name} is ${fs.usedPct.toFixed(1)} % full (threshold ${thr} %)`,
        })
      } else if (fs.forecast.state === 'filling' && fs.forecast.fullAt !== null) {
        const days = Math.max(0, (fs.forecast.fullAt - now) / 86_400_000)
        out.push({
          labels,
          subject: sub,
          value: days,
          text: (thr) =>
            `${fs.mount} on ${h.name} fills in ${days < 1 ? `${Math.round(days * 24)} h` : `${days.toFixed(1)} days`} at its current trend (${fs.usedPct.toFixed(1)} % now; threshold ${thr} days)`,
        })
      }
    }
  }
  return out
}

function endpointSamples(
  f: AlertFacts,
  kind: 'endpoint-down' | 'endpoint-error-rate' | 'endpoint-p95' | 'intent-mismatch',
): Sample[] {
  const out: Sample[] = []
  for (const s of f.endpoints()) {
    const e = s.endpoint
    const model = e.bindings[0]?.model
    const labels: Labels = { endpoint: e.name, host: e.host, ...(model ? { model } : {}) }
    const sub = subject({ host: e.host, endpoint: e.id, model: model ?? null, link: `#/serving/${e.id}` })
    if (kind === 'endpoint-down') {
      if (s.verdict === 'unknown') {
        if (s.latest === null) continue // not polled yet since the start: the next evaluation knows
        out.push({ labels, subject: sub, value: null, status: 'nodata', reason: 'no verdict', text: () => '' })
        continue
      }
      const why = s.latest?.problems[0] ?? s.latest?.smoke?.error ?? null
      out.push({
        labels,
        subject: sub,
        value: null,
        active: s.verdict !== 'up',
        text: () =>
          `endpoint ${e.name} is ${s.verdict === 'hung' ? 'hung (says healthy, smoke request fails)' : s.verdict}${why ? `: ${why}` : ''}`,
      })
      continue
    }
    if (kind === 'intent-mismatch') {
      for (const c of s.intent) {
        if (c.state !== 'mismatch' && c.state !== 'missing') continue
        out.push({
          labels: { ...labels, model: c.model, alias: c.alias },
          subject: { ...sub, model: c.model },
          value: c.expectedVersion,
          active: true,
          text: () => `${e.name} serves ${c.served.join(', ') || 'nothing'} of ${c.model}, registry says ${c.detail}`,
        })
      }
      continue
    }
    const m = s.latest?.metrics
    if (!m || s.verdict === 'down') continue
    if (kind === 'endpoint-error-rate' && m.errorRate !== null) {
      const pct = m.errorRate * 100
      out.push({
        labels,
        subject: sub,
        value: pct,
        text: (thr) => `${e.name}: ${pct.toFixed(1)} % of requests fail (threshold ${thr} %)`,
      })
    }
    const p95 = m.p95Ms ?? m.avgLatencyMs
    if (kind === 'endpoint-p95' && p95 !== null) {
      out.push({
        labels,
        subject: sub,
        value: p95,
        text: (thr) =>
          `${e.name}: ${m.p95Ms !== null ? 'p95' : 'average'} latency ${Math.round(p95)} ms (threshold ${thr} ms)`,
      })
    }
  }
  return out
}

function modelSamples(
  f: AlertFacts,
  kind: 'drift-begun' | 'monitor-error' | 'realized-below-floor' | 'unowned-production' | 'deploy-failed',
  metric: string | null,
): Sample[] {
  const out: Sample[] = []
  const link = (m: string): string => `#/models/${encodeURIComponent(m)}`
  if (kind === 'unowned-production') {
    for (const m of f.models()) {
      if (m.production === null || m.ownerTeam) continue
      out.push({
        labels: { model: m.name },
        subject: subject({ model: m.name, link: link(m.name) }),
        value: m.production,
        active: true,
        text: () => `${m.name} v${m.production} is in production and nobody owns it`,
      })
    }
    return out
  }
  if (kind === 'deploy-failed') {
    for (const d of f.lastDeploys()) {
      if (d.state !== 'reverted' && d.state !== 'failed' && d.state !== 'abandoned') continue
      out.push({
        labels: { model: d.model, target: d.target },
        subject: subject({ model: d.model, link: link(d.model) }),
        value: d.version,
        active: true,
        text: () =>
          `${d.kind} of ${d.model} v${d.version} to ${d.target} ${d.state}${d.error ? `: ${d.error}` : ''} (#${d.id})`,
      })
    }
    return out
  }
  for (const mon of f.monitors()) {
    const labels = { model: mon.model }
    const sub = subject({ model: mon.model, link: link(mon.model) })
    if (kind === 'monitor-error') {
      if (mon.problems.length) {
        out.push({
          labels,
          subject: sub,
          value: null,
          active: true,
          text: () => `drift monitor of ${mon.model}: ${mon.problems[0]}`,
        })
      }
      continue
    }
    const w = mon.latest
    if (!w) continue
    if (kind === 'drift-begun') {
      out.push({
        labels,
        subject: sub,
        value: w.share,
        active: w.drifted,
        text: () =>
          `${mon.model}${w.version !== null ? ` v${w.version}` : ''}: ${Math.round(w.share * 100)} % of features drifted in the window ending ${new Date(w.windowEnd ?? w.at).toISOString()}`,
      })
      continue
    }
    const p = w.performance
    const name = metric ?? 'accuracy'
    const v = p
      ? LOWER_IS_BETTER.has(name)
        ? ((p.regression as Record<string, number> | null)?.[name] ?? null)
        : ((p.classification as Record<string, number | null> | null)?.[name] ?? null)
      : null
    if (v === null || v === undefined) continue
    out.push({
      labels,
      subject: sub,
      value: v,
      text: (thr) =>
        `${mon.model}: realized ${name} ${v.toFixed(3)} ${LOWER_IS_BETTER.has(name) ? 'above' : 'below'} its floor ${thr} (${p?.matched ?? 0} rows with ground truth)`,
    })
  }
  return out
}

function hostSamples(f: AlertFacts): Sample[] {
  const out: Sample[] = []
  for (const h of f.hosts()) {
    const sub = subject({ host: h.name, link: '#/hosts' })
    if (h.kind === 'ssh') {
      if (!h.enabled) continue
      const c = h.connection
      const down = ['unreachable', 'auth-failed', 'host-key-changed', 'host-key-unknown'].includes(c.state)
      out.push({
        labels: { host: h.name },
        subject: sub,
        value: null,
        active: down,
        text: () => `${h.name} is ${c.state}${c.lastError ? `: ${c.lastError}` : ''}`,
      })
    } else if (h.kind === 'prometheus') {
      // Known only from exporters: every one of them down is a host Gantry cannot see.
      const reasons = h.health.reasons.filter((r) => / down since /.test(r))
      const allDown = reasons.length > 0 && h.health.level !== 'ok' && h.gpus.state !== 'ok' && h.cpuPct === null
      out.push({
        labels: { host: h.name },
        subject: sub,
        value: null,
        active: allDown,
        text: () => `${h.name}: ${reasons.join('; ')}`,
      })
    }
  }
  return out
}

/** Reads a kind's samples (the rule gives a realized metric's name and a promql query). */
export async function collect(
  f: AlertFacts,
  rule: Pick<AlertRule, 'kind' | 'metric' | 'source' | 'expr'>,
  now: number,
): Promise<Sample[]> {
  const kind: RuleKind = rule.kind
  switch (kind) {
    case 'gpu-health':
    case 'gpu-xid':
    case 'gpu-temp-margin':
      return gpuSamples(f, kind)
    case 'fs-used':
    case 'fs-full-soon':
      return storageSamples(f, kind, now)
    case 'endpoint-down':
    case 'endpoint-error-rate':
    case 'endpoint-p95':
    case 'intent-mismatch':
      return endpointSamples(f, kind)
    case 'drift-begun':
    case 'monitor-error':
    case 'realized-below-floor':
    case 'unowned-production':
    case 'deploy-failed':
      return modelSamples(f, kind, rule.metric)
    case 'host-unreachable':
      return hostSamples(f)
    case 'heartbeat':
      return [
        {
          labels: {},
          subject: subject({ link: '#/alerts' }),
          value: null,
          active: true,
          text: () => 'Gantry is evaluating its rules (always firing: the pipeline to the pager works)',
        },
      ]
    case 'promql': {
      if (!rule.expr) throw new Error('a promql rule needs a query (--expr)')
      const series = await f.promql(rule.source, rule.expr)
      if (!series.length) {
        return [
          {
            labels: {},
            subject: subject({ link: '#/alerts' }),
            value: null,
            status: 'nodata',
            reason: `the query returned no series${rule.source ? ` from ${rule.source}` : ''}`,
            text: () => '',
          },
        ]
      }
      return series.map((raw) => {
        // Labels as Gantry's contract has them: Prometheus 3 allows any UTF-8 name and values of
        // any length; those that do not fit are dropped or cut rather than breaking the list.
        const s = { ...raw, labels: fitLabels(raw.labels) }
        const host = s.labels.host ?? s.labels.Hostname ?? s.labels.instance ?? null
        return {
          labels: { ...s.labels, source: s.source },
          subject: subject({ host, model: s.labels.model ?? null, link: '#/alerts' }),
          value: s.value,
          text: (thr) =>
            `${rule.expr} = ${s.value}${thr !== null ? ` (threshold ${thr})` : ''}${host ? ` on ${host}` : ''}`,
        }
      })
    }
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
function fitLabels(labels: Labels): Labels {
  const out: Labels = {}
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_NAME.test(k) || k.length > 100) continue
    out[k] = v.replace(/[\r\n\0]+/g, ' ').slice(0, 1000)
  }
  return out
}

const OPS: Record<CompareOp, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
}

/** Which way each threshold kind compares: the value against the rule's threshold. */
function opOf(rule: Pick<AlertRule, 'kind' | 'op' | 'metric'>): CompareOp {
  switch (rule.kind) {
    case 'gpu-temp-margin':
    case 'fs-full-soon':
      return '<='
    case 'realized-below-floor':
      return LOWER_IS_BETTER.has(rule.metric ?? 'accuracy') ? '>' : '<'
    case 'promql':
      return rule.op ?? '>'
    default:
      return '>='
  }
}

/** Fills a summary template: {{name}} from the labels, {{value}}, {{threshold}}, {{text}}. */
export function render(
  template: string,
  labels: Labels,
  value: number | null,
  threshold: number | null,
  text: string,
): string {
  return template.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, k: string) =>
    k === 'value'
      ? value === null
        ? ''
        : String(Math.round(value * 1000) / 1000)
      : k === 'threshold'
        ? String(threshold ?? '')
        : k === 'text'
          ? text
          : (labels[k] ?? ''),
  )
}

/** The names a template may use (checked when a rule is saved: an unknown one is refused). */
export const TEMPLATE_NAMES = [
  'value',
  'threshold',
  'text',
  'host',
  'gpu',
  'gpu_index',
  'filesystem',
  'endpoint',
  'model',
  'alias',
  'target',
  'xid',
  'source',
  'alertname',
]

const indexes = new WeakMap<Sample[], Map<string, Sample[]>>()
/** The samples of one read by host ('' for those without one), built once per read. */
function byHost(samples: Sample[]): Map<string, Sample[]> {
  let m = indexes.get(samples)
  if (!m) {
    m = new Map()
    for (const s of samples) {
      const k = s.labels.host ?? ''
      let l = m.get(k)
      if (!l) m.set(k, (l = []))
      l.push(s)
    }
    indexes.set(samples, m)
  }
  return m
}

/** A rule applied to its kind's samples: what holds, what has no data, what could not be read. */
export function apply(
  rule: Pick<
    AlertRule,
    'name' | 'kind' | 'op' | 'metric' | 'threshold' | 'host' | 'model' | 'labels' | 'summary' | 'noData'
  >,
  samples: Sample[],
): { observed: Observed[]; held: Labels[] } {
  const observed: Observed[] = []
  const held: Labels[] = []
  const op = OPS[opOf(rule)]
  const threshold = rule.threshold
  // A threshold kind without a threshold (a realized metric with no floor set) evaluates nothing; a
  // promql rule without one fires for every series its query returns (the query is the condition).
  if (KIND_THRESHOLD[rule.kind] && threshold === null && rule.kind !== 'promql') return { observed, held }
  // A host-scoped rule reads only its host's samples (and those without a host): rules per host
  // over a fleet's samples would otherwise cost rules × samples.
  const list = rule.host ? [...(byHost(samples).get(rule.host) ?? []), ...(byHost(samples).get('') ?? [])] : samples
  for (const s of list) {
    if (rule.host && s.labels.host !== undefined && s.labels.host !== rule.host) continue
    if (rule.model && s.labels.model !== undefined && s.labels.model !== rule.model) continue
    if ((rule.host && s.labels.host === undefined) || (rule.model && s.labels.model === undefined)) {
      if (s.status !== 'nodata') continue
    }
    const labels: Labels = { ...s.labels, ...rule.labels, alertname: rule.name }
    if (s.status === 'error') {
      held.push(labels)
      observed.push({
        labels,
        subject: s.subject,
        value: null,
        summary: s.reason ?? 'could not be read',
        status: 'error',
        reason: s.reason ?? null,
      })
      continue
    }
    if (s.status === 'nodata') {
      if (rule.noData === 'ok') continue
      const st = rule.noData === 'alerting' ? 'active' : 'nodata'
      observed.push({
        labels,
        subject: s.subject,
        value: null,
        summary: s.reason ?? 'no data',
        status: st,
        reason: s.reason ?? 'no data',
      })
      continue
    }
    const holds =
      s.active !== undefined
        ? s.active
        : threshold === null
          ? rule.kind === 'promql'
          : s.value !== null && op(s.value, threshold)
    if (!holds) continue
    const text = s.text(threshold)
    observed.push({
      labels,
      subject: s.subject,
      // +Inf from a PromQL division by zero holds the condition, but is no value to show or store.
      value: s.value !== null && Number.isFinite(s.value) ? s.value : null,
      summary: rule.summary ? render(rule.summary, labels, s.value, threshold, text) : text,
      status: 'active',
      reason: null,
    })
  }
  return { observed, held }
}
