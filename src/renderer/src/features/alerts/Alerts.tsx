// The alert center: what fires now (and who it went to), what is acknowledged or silenced, the
// history of transitions, the rules, the silences and forwarding to an Alertmanager. One alert's
// page has its labels, route, transitions and the actions it calls for: acknowledge, silence,
// open the thing, roll the model back (the same dialog as the model page) and run its retraining.
import { useEffect, useMemo, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type {
  Alert,
  ForwardStatus,
  Matcher,
  RuleStatus,
  Severity,
  Silence,
  Transition,
} from '../../../../shared/alerts'
import type { Deployment } from '../../../../shared/deploy'
import { useBridge } from '../../bridge/context'
import { notificationPermission, requestNotifications, type NotifyPermission } from '../../bridge/notify'
import { useStore } from '../../store'
import { Screen } from '../../ui/Screen'
import { ago } from '../../ui/format'
import { useNow } from '../../ui/hooks'
import { RollbackDialog, useRollback } from '../deploy/DeploySection'
import { isOpen } from './slice'
import { stamp, when } from '../../ui/format'

type Tab = 'open' | 'acknowledged' | 'silenced' | 'history' | 'rules' | 'silences' | 'forwarding'
const TABS: { id: Tab; label: string }[] = [
  { id: 'open', label: 'Firing' },
  { id: 'acknowledged', label: 'Acknowledged' },
  { id: 'silenced', label: 'Silenced' },
  { id: 'history', label: 'History' },
  { id: 'rules', label: 'Rules' },
  { id: 'silences', label: 'Silences' },
  { id: 'forwarding', label: 'Alertmanager' },
]

const SEVERITY_TEXT: Record<Severity, string> = { critical: 'Critical', warning: 'Warning', info: 'Info' }

export function SeverityBadge({ s }: { s: Severity }) {
  return (
    <span className={`badge sev-${s}`} data-severity={s}>
      <span className="dot" aria-hidden="true" />
      {SEVERITY_TEXT[s]}
    </span>
  )
}

function stateText(a: Alert): string {
  if (a.state !== 'firing') return a.state === 'nodata' ? 'no data' : a.state === 'error' ? 'cannot evaluate' : a.state
  if (a.inhibitedBy.length) return 'inhibited'
  if (a.silencedBy.length) return 'silenced'
  if (a.ack) return 'acknowledged'
  return a.recoveringSince ? 'firing (recovering)' : 'firing'
}

function filtersFromHash(): { host: string; model: string; rule: string } {
  const q = new URLSearchParams(window.location.hash.split('?')[1] ?? '')
  return { host: q.get('host') ?? '', model: q.get('model') ?? '', rule: q.get('rule') ?? '' }
}

export function Alerts() {
  const { routeParam } = useStore(useShallow((s) => ({ routeParam: s.routeParam })))
  return routeParam && /^[0-9a-f]{16}$/.test(routeParam) ? <AlertPage id={routeParam} /> : <AlertCenter />
}

function AlertCenter() {
  const { alerts, counts, state, error, evaluatedAt } = useStore(
    useShallow((s) => ({
      alerts: s.alerts,
      counts: s.alertCounts,
      state: s.alertsState,
      error: s.alertsError,
      evaluatedAt: s.alertsEvaluatedAt,
    })),
  )
  const [tab, setTab] = useState<Tab>('open')
  const [f, setF] = useState(() => ({ severity: '', owner: '', text: '', ...filtersFromHash() }))
  const [acking, setAcking] = useState<Alert | null>(null)
  const [silencing, setSilencing] = useState<Alert | null>(null)
  const now = useNow(5000)
  useEffect(() => {
    const onHash = (): void => setF((x) => ({ ...x, ...filtersFromHash() }))
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])

  const owners = useMemo(() => [...new Set(alerts.map((a) => a.route.receiver))].sort(), [alerts])
  const hosts = useMemo(
    () => [...new Set(alerts.flatMap((a) => (a.labels.host ? [a.labels.host] : [])))].sort(),
    [alerts],
  )
  const models = useMemo(
    () => [...new Set(alerts.flatMap((a) => (a.labels.model ? [a.labels.model] : [])))].sort(),
    [alerts],
  )
  const shown = alerts
    .filter((a) =>
      tab === 'open'
        ? isOpen(a) || a.state === 'pending' || a.state === 'nodata' || a.state === 'error' || a.state === 'resolved'
        : tab === 'acknowledged'
          ? a.state === 'firing' && !!a.ack
          : tab === 'silenced'
            ? a.state === 'firing' && (a.silencedBy.length > 0 || a.inhibitedBy.length > 0)
            : false,
    )
    .filter((a) => !f.severity || a.severity === f.severity)
    .filter((a) => !f.owner || a.route.receiver === f.owner)
    .filter((a) => !f.host || a.labels.host === f.host)
    .filter((a) => !f.model || a.labels.model === f.model)
    .filter((a) => !f.rule || a.rule === f.rule)
    .filter((a) => !f.text || `${a.summary} ${a.rule}`.toLowerCase().includes(f.text.toLowerCase()))

  return (
    <Screen
      id="alerts"
      title="Alerts"
      state={state === 'loading' ? 'loading' : state === 'error' ? 'error' : 'ready'}
      error={error}
      updatedAt={evaluatedAt}
      actions={<NotifyButton />}
    >
      {evaluatedAt === null ? (
        <p className="state-note" role="status">
          Rules have not been evaluated yet: a running console evaluates them every 15 s.
        </p>
      ) : null}
      <div className="tabs" role="tablist" aria-label="Alert views">
        {TABS.map((t) => {
          const n =
            t.id === 'open'
              ? (counts?.open ?? 0)
              : t.id === 'acknowledged'
                ? (counts?.acknowledged ?? 0)
                : t.id === 'silenced'
                  ? (counts?.silenced ?? 0)
                  : null
          return (
            <button
              key={t.id}
              type="button"
              role="tab"
              aria-selected={tab === t.id}
              className={tab === t.id ? 'tab active' : 'tab'}
              onClick={() => setTab(t.id)}
              data-tab={t.id}
            >
              {t.label}
              {n ? <span className="count">{n}</span> : null}
            </button>
          )
        })}
      </div>
      {tab === 'open' || tab === 'acknowledged' || tab === 'silenced' ? (
        <>
          <div className="toolbar" role="search">
            <input
              type="search"
              placeholder="Filter alerts…"
              aria-label="Filter alerts"
              value={f.text}
              onChange={(e) => setF({ ...f, text: e.target.value })}
            />
            <select aria-label="Severity" value={f.severity} onChange={(e) => setF({ ...f, severity: e.target.value })}>
              <option value="">any severity</option>
              <option value="critical">critical</option>
              <option value="warning">warning</option>
              <option value="info">info</option>
            </select>
            <select aria-label="Owner" value={f.owner} onChange={(e) => setF({ ...f, owner: e.target.value })}>
              <option value="">any owner</option>
              {owners.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
            <select aria-label="Host" value={f.host} onChange={(e) => setF({ ...f, host: e.target.value })}>
              <option value="">any host</option>
              {hosts.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
            <select aria-label="Model" value={f.model} onChange={(e) => setF({ ...f, model: e.target.value })}>
              <option value="">any model</option>
              {models.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
            {f.rule ? (
              <button type="button" onClick={() => setF({ ...f, rule: '' })}>
                rule {f.rule} ✕
              </button>
            ) : null}
          </div>
          <AlertTable
            list={shown}
            now={now}
            onAck={setAcking}
            onSilence={setSilencing}
            empty={
              tab === 'open' ? (alerts.length ? 'Nothing needs anyone now.' : 'No alerts: every rule holds.') : 'None.'
            }
          />
        </>
      ) : tab === 'history' ? (
        <History />
      ) : tab === 'rules' ? (
        <Rules />
      ) : tab === 'silences' ? (
        <Silences />
      ) : (
        <Forwarding />
      )}
      {acking ? <AckDialog alert={acking} onDone={() => setAcking(null)} /> : null}
      {silencing ? <SilenceDialog alert={silencing} onDone={() => setSilencing(null)} /> : null}
    </Screen>
  )
}

function NotifyButton() {
  const { bridge } = useBridge()
  const [p, setP] = useState<NotifyPermission>(() => notificationPermission())
  if (bridge.transport === 'ipc') return <span className="muted small">desktop notifications on</span>
  if (p === 'unsupported') return <span className="muted small">this browser shows no notifications</span>
  if (p === 'granted')
    return (
      <span className="muted small" data-testid="notify-state">
        notifications on
      </span>
    )
  if (p === 'denied') return <span className="muted small">notifications blocked in this browser</span>
  return (
    <button type="button" onClick={() => void requestNotifications().then(setP)} data-testid="notify-enable">
      Enable notifications
    </button>
  )
}

function AlertTable(props: {
  list: Alert[]
  now: number
  onAck(a: Alert): void
  onSilence(a: Alert): void
  empty: string
}) {
  if (!props.list.length) return <p className="muted">{props.empty}</p>
  return (
    <div className="table-wrap">
      <table className="table alerts-table" data-testid="alerts-table">
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">State</th>
            <th scope="col">Alert</th>
            <th scope="col">Owner</th>
            <th scope="col">Since</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.list.map((a) => (
            <tr key={a.id} data-alert={a.id} data-rule={a.rule} data-state={a.state}>
              <td>
                <SeverityBadge s={a.severity} />
              </td>
              <td className="small">{stateText(a)}</td>
              <td className="cell-text">
                <a href={`#/alerts/${a.id}`} title={a.summary}>
                  {a.summary}
                </a>
                <div className="muted small">
                  {a.rule}
                  {a.ack ? ` · acked by ${a.ack.by}: ${a.ack.note}` : ''}
                  {a.reason && a.state !== 'firing' ? ` · ${a.reason}` : ''}
                </div>
              </td>
              <td className="small" title={a.route.why}>
                {a.route.receiver}
                {a.route.unowned ? <span className="muted"> (unowned)</span> : null}
              </td>
              <td className="small">{ago(a.firedAt ?? a.activeAt, props.now)}</td>
              <td>
                <div className="actions nowrap">
                  <a className="button" href={a.subject.link}>
                    Open
                  </a>
                  {a.state === 'firing' && !a.ack ? (
                    <button type="button" onClick={() => props.onAck(a)}>
                      Ack…
                    </button>
                  ) : null}
                  {a.state !== 'resolved' ? (
                    <button type="button" onClick={() => props.onSilence(a)}>
                      Silence…
                    </button>
                  ) : null}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** A dialog's last lines: what went wrong, then confirm and cancel. */
function DialogEnd(props: {
  error: string | null
  label: string
  disabled: boolean
  onConfirm(): void
  onCancel(): void
}) {
  return (
    <>
      {props.error ? (
        <p className="state-note error" role="alert">
          {props.error}
        </p>
      ) : null}
      <div className="actions">
        <button type="button" className="primary" disabled={props.disabled} onClick={props.onConfirm}>
          {props.label}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </>
  )
}

function AckDialog({ alert, onDone }: { alert: Alert; onDone(): void }) {
  const { bridge, reloadAlerts } = useBridge()
  const [note, setNote] = useState('')
  const [error, setError] = useState<string | null>(null)
  async function ack(): Promise<void> {
    const r = await bridge.call('alerts.ack', { id: alert.id, note })
    if (!r.ok) return setError(r.error.message)
    await reloadAlerts?.()
    onDone()
  }
  return (
    <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="ack-title" data-testid="ack-dialog">
      <h3 id="ack-title">Acknowledge: {alert.summary}</h3>
      <p className="muted small">
        It stops notifying {alert.route.receiver} and stays listed; if it resolves and fires again, it needs a new
        acknowledgement.
      </p>
      <label>
        What is being done
        <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={3} autoFocus aria-label="Note" />
      </label>
      <DialogEnd
        error={error}
        label="Acknowledge"
        disabled={!note.trim()}
        onConfirm={() => void ack()}
        onCancel={onDone}
      />
    </div>
  )
}

const fmtMatcher = (m: Matcher): string =>
  `${m.name}${m.isEqual === false ? '!' : '='}${m.isRegex ? '~' : ''}"${m.value}"`
function parseMatcherText(t: string): Matcher | null {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$/.exec(t)
  if (!m) return null
  return { name: m[1], value: m[3], isRegex: m[2].includes('~'), isEqual: m[2] === '=' || m[2] === '=~' }
}

function SilenceDialog({ alert, onDone }: { alert: Alert; onDone(): void }) {
  const { bridge, reloadAlerts } = useBridge()
  const initial = ['alertname', 'host', 'gpu', 'filesystem', 'endpoint', 'model']
    .filter((k) => alert.labels[k] !== undefined)
    .map((k) => fmtMatcher({ name: k, value: alert.labels[k], isRegex: false, isEqual: true }))
    .join('\n')
  const [text, setText] = useState(initial)
  const [hours, setHours] = useState(2)
  const [comment, setComment] = useState('')
  const [error, setError] = useState<string | null>(null)
  async function silence(): Promise<void> {
    const lines = text.split('\n').filter((l) => l.trim())
    const matchers = lines.map(parseMatcherText)
    if (matchers.some((m) => m === null)) return setError('each line is a matcher: name="value", name!="v", name=~"re"')
    const r = await bridge.call('alerts.silence', {
      matchers: matchers as Matcher[],
      endsAt: Date.now() + hours * 3600_000,
      comment,
    })
    if (!r.ok) return setError(r.error.message)
    await reloadAlerts?.()
    onDone()
  }
  return (
    <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="sil-title" data-testid="silence-dialog">
      <h3 id="sil-title">Silence what matches</h3>
      <label>
        Matchers (one per line; all must match)
        <textarea
          className="mono"
          value={text}
          onChange={(e) => setText(e.target.value)}
          rows={4}
          aria-label="Matchers"
        />
      </label>
      <label>
        For
        <select value={hours} onChange={(e) => setHours(Number(e.target.value))} aria-label="Duration">
          <option value={1}>1 hour</option>
          <option value={2}>2 hours</option>
          <option value={8}>8 hours</option>
          <option value={24}>1 day</option>
          <option value={168}>1 week</option>
        </select>
      </label>
      <label>
        Why
        <input value={comment} onChange={(e) => setComment(e.target.value)} aria-label="Comment" />
      </label>
      <DialogEnd
        error={error}
        label="Silence"
        disabled={!comment.trim()}
        onConfirm={() => void silence()}
        onCancel={onDone}
      />
    </div>
  )
}

function AlertPage({ id }: { id: string }) {
  const { bridge } = useBridge()
  const alerts = useStore((s) => s.alerts)
  const [data, setData] = useState<{ alert: Alert; transitions: Transition[] } | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [acking, setAcking] = useState(false)
  const [silencing, setSilencing] = useState(false)
  const now = useNow(5000)
  useEffect(() => {
    let alive = true
    void bridge.call('alerts.get', { id }).then((r) => {
      if (!alive) return
      if (r.ok) {
        setData(r.data)
        setError(null)
      } else setError(r.error.message)
    })
    return () => {
      alive = false
    }
  }, [bridge, id, alerts])
  const a = data?.alert
  return (
    <Screen
      id="alert"
      title={a ? a.summary : 'Alert'}
      state={error ? 'error' : a ? 'ready' : 'loading'}
      error={error}
      actions={<a href="#/alerts">All alerts</a>}
    >
      {a ? (
        <>
          <section className="panel" data-testid="alert-page" data-state={a.state}>
            <div className="alert-head">
              <SeverityBadge s={a.severity} />
              <strong data-testid="alert-state">{stateText(a)}</strong>
              <span className="muted small">
                rule {a.rule} · since {ago(a.firedAt ?? a.activeAt, now)}
              </span>
            </div>
            <dl className="facts">
              <dt>Goes to</dt>
              <dd>
                {a.route.receiver}
                {a.route.oncall ? ` (on-call ${a.route.oncall})` : ''}{' '}
                <span className="muted small">— {a.route.why}</span>
              </dd>
              {a.ack ? (
                <>
                  <dt>Acknowledged</dt>
                  <dd data-testid="alert-ack">
                    by {a.ack.by}, {ago(a.ack.at, now)}: {a.ack.note}
                  </dd>
                </>
              ) : null}
              {a.silencedBy.length ? (
                <>
                  <dt>Silenced by</dt>
                  <dd className="mono small">{a.silencedBy.join(', ')}</dd>
                </>
              ) : null}
              {a.inhibitedBy.length ? (
                <>
                  <dt>Inhibited by</dt>
                  <dd>
                    {a.inhibitedBy.map((x) => (
                      <a key={x} href={`#/alerts/${x}`}>
                        {x}
                      </a>
                    ))}
                  </dd>
                </>
              ) : null}
              {a.reason ? (
                <>
                  <dt>Why this state</dt>
                  <dd>{a.reason}</dd>
                </>
              ) : null}
              {a.runbookUrl ? (
                <>
                  <dt>Runbook</dt>
                  <dd>
                    <a href={a.runbookUrl} target="_blank" rel="noreferrer">
                      {a.runbookUrl}
                    </a>
                  </dd>
                </>
              ) : null}
              <dt>Labels</dt>
              <dd className="mono small">
                {Object.entries(a.labels)
                  .map(([k, v]) => `${k}="${v}"`)
                  .join(' ')}
              </dd>
            </dl>
            <div className="actions">
              <a className="button" href={a.subject.link} data-testid="alert-open">
                Open{' '}
                {a.subject.gpu
                  ? 'the GPU'
                  : a.subject.endpoint
                    ? 'the endpoint'
                    : a.subject.filesystem
                      ? 'storage'
                      : a.subject.model
                        ? 'the model'
                        : a.subject.host
                          ? 'the host'
                          : ''}
              </a>
              {a.state === 'firing' && !a.ack ? (
                <button type="button" className="primary" onClick={() => setAcking(true)}>
                  Acknowledge…
                </button>
              ) : null}
              {a.state !== 'resolved' ? (
                <button type="button" onClick={() => setSilencing(true)}>
                  Silence…
                </button>
              ) : null}
            </div>
          </section>
          {a.labels.model ? <ModelActions model={a.labels.model} reason={a.summary} /> : null}
          <section className="panel">
            <h2>Transitions</h2>
            <TransitionTable list={data?.transitions ?? []} />
          </section>
          {acking ? <AckDialog alert={a} onDone={() => setAcking(false)} /> : null}
          {silencing ? <SilenceDialog alert={a} onDone={() => setSilencing(false)} /> : null}
        </>
      ) : null}
    </Screen>
  )
}

/** A model alert's actions: roll back through the deploy state machine, or run its retraining. */
function ModelActions({ model, reason }: { model: string; reason: string }) {
  const { bridge } = useBridge()
  const [targets, setTargets] = useState<{ id: number; name: string }[]>([])
  const [hasTrigger, setHasTrigger] = useState(false)
  const [live, setLive] = useState<Deployment | null>(null)
  const [msg, setMsg] = useState<string | null>(null)
  useEffect(() => {
    void bridge.call('deploy.listTargets', { model }).then((r) => r.ok && setTargets(r.data))
    void bridge.call('retrain.trigger', { model }).then((r) => r.ok && setHasTrigger(r.data !== null))
  }, [bridge, model])
  useEffect(() => bridge.on('deploy.progress', (d) => d.model === model && setLive(d)), [bridge, model])
  const { plan, setPlan, ask, rollback } = useRollback(model, setLive, setMsg)
  async function retrain(): Promise<void> {
    setMsg('retraining trigger running…')
    const r = await bridge.call('retrain.run', { model, reason: reason.slice(0, 1000) })
    setMsg(
      r.ok
        ? `retraining run ${r.data.id}: ${r.data.state}${r.data.error ? ` — ${r.data.error}` : ''}`
        : r.error.message,
    )
  }
  return (
    <section className="panel" data-testid="alert-model-actions">
      <h2>
        Model <a href={`#/models/${encodeURIComponent(model)}`}>{model}</a>
      </h2>
      <div className="actions">
        {targets.map((t) => (
          <button key={t.id} type="button" className="danger" onClick={() => void ask(t.id)}>
            Roll back {t.name}…
          </button>
        ))}
        {targets.length === 0 ? <span className="muted small">no deployment target to roll back</span> : null}
        {hasTrigger ? (
          <button type="button" onClick={() => void retrain()} data-testid="alert-retrain">
            Run retraining
          </button>
        ) : (
          <span className="muted small">no retraining trigger (set one on the model page)</span>
        )}
      </div>
      {msg ? (
        <p className="small" role="status" data-testid="alert-action-msg">
          {msg}
        </p>
      ) : null}
      {live ? (
        <p className="small" data-testid="alert-rollback" data-state={live.state}>
          #{live.id} {live.kind} to v{live.toVersion} on {live.targetName}: <strong>{live.state}</strong>
          {live.reason ? ` — ${live.reason}` : ''}
        </p>
      ) : null}
      {plan ? <RollbackDialog plan={plan} onCancel={() => setPlan(null)} onConfirm={() => void rollback()} /> : null}
    </section>
  )
}

function TransitionTable({ list }: { list: Transition[] }) {
  if (!list.length) return <p className="muted">No transitions recorded.</p>
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Change</th>
            <th scope="col">Alert</th>
          </tr>
        </thead>
        <tbody>
          {list.map((t) => (
            <tr key={t.id}>
              <td className="small mono">{stamp(t.at)}</td>
              <td className="small">
                {t.from ?? '—'} → <strong>{t.to}</strong>
              </td>
              <td className="cell-text small">
                <a href={`#/alerts/${t.alert}`}>{t.summary}</a> <span className="muted">({t.rule})</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function History() {
  const { bridge } = useBridge()
  const [list, setList] = useState<Transition[] | null>(null)
  const now = useNow(60_000)
  useEffect(() => {
    void bridge.call('alerts.history', { limit: 300 }).then((r) => r.ok && setList(r.data))
  }, [bridge])
  if (!list) return <p className="state-note">Loading…</p>
  // What flapped most: transitions into firing per rule this week.
  const week = now - 7 * 86_400_000
  const flaps = new Map<string, number>()
  for (const t of list) if (t.to === 'firing' && t.at > week) flaps.set(t.rule, (flaps.get(t.rule) ?? 0) + 1)
  const top = [...flaps.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)
  return (
    <>
      {top.length ? (
        <p className="small">
          Fired most this week:{' '}
          {top.map(([r, n]) => (
            <span key={r} className="chip">
              {r} ×{n}
            </span>
          ))}
        </p>
      ) : null}
      <TransitionTable list={list} />
    </>
  )
}

const minutes = (ms: number): string => (ms % 60_000 === 0 ? String(ms / 60_000) : (ms / 60_000).toFixed(1))

function Rules() {
  const { bridge } = useBridge()
  const [rules, setRules] = useState<RuleStatus[] | null>(null)
  const [problems, setProblems] = useState<string[]>([])
  const [editing, setEditing] = useState<string | null>(null)
  const [tick, setTick] = useState(0)
  useEffect(() => {
    void bridge.call('alerts.rules', {}).then((r) => {
      if (r.ok) {
        setRules(r.data.rules)
        setProblems(r.data.problems)
      }
    })
  }, [bridge, tick])
  if (!rules) return <p className="state-note">Loading…</p>
  return (
    <div className="table-wrap">
      {problems.map((p) => (
        <p key={p} className="state-note error">
          {p}
        </p>
      ))}
      <table className="table" data-testid="rules-table">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">On</th>
            <th scope="col">Severity</th>
            <th scope="col">For (min)</th>
            <th scope="col">Threshold</th>
            <th scope="col">Active</th>
            <th scope="col">
              <span className="sr-only">Edit</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) =>
            editing === r.name ? (
              <RuleEditor
                key={r.name}
                rule={r}
                onDone={() => {
                  setEditing(null)
                  setTick((t) => t + 1)
                }}
              />
            ) : (
              <tr key={r.name} data-rule={r.name}>
                <td className="cell-text">
                  <strong>{r.name}</strong>
                  <div className="muted small">
                    {r.kind}
                    {r.host ? ` · host ${r.host}` : ''}
                    {r.model ? ` · model ${r.model}` : ''}
                    {r.expr ? ` · ${r.expr}` : ''}
                  </div>
                  {r.error ? <div className="small error-text">{r.error}</div> : null}
                </td>
                <td>{r.enabled ? 'on' : 'off'}</td>
                <td>
                  <SeverityBadge s={r.severity} />
                </td>
                <td>{minutes(r.forMs)}</td>
                <td>{r.threshold ?? (r.kind === 'realized-below-floor' ? 'no floor set' : '—')}</td>
                <td>{r.active || ''}</td>
                <td>
                  <button type="button" onClick={() => setEditing(r.name)}>
                    Edit
                  </button>
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  )
}

function RuleEditor({ rule, onDone }: { rule: RuleStatus; onDone(): void }) {
  const { bridge } = useBridge()
  const [v, setV] = useState({
    enabled: rule.enabled,
    severity: rule.severity,
    forMin: minutes(rule.forMs),
    threshold: rule.threshold === null ? '' : String(rule.threshold),
  })
  const [error, setError] = useState<string | null>(null)
  async function save(): Promise<void> {
    const r = await bridge.call('alerts.setRule', {
      name: rule.name,
      enabled: v.enabled,
      severity: v.severity,
      // Unchanged: the rule's own value (a 10 s `for` shown as 0.2 min is not saved as 12 s).
      forMs: v.forMin === minutes(rule.forMs) ? rule.forMs : Math.round(Number(v.forMin) * 60_000),
      ...(rule.threshold !== null || v.threshold !== ''
        ? { threshold: v.threshold === '' ? null : Number(v.threshold) }
        : {}),
    })
    if (r.ok) onDone()
    else setError(r.error.message)
  }
  return (
    <tr data-rule={rule.name} data-editing="true">
      <td className="cell-text">
        <strong>{rule.name}</strong>
        {error ? (
          <div className="small error-text" role="alert">
            {error}
          </div>
        ) : null}
      </td>
      <td>
        <input
          type="checkbox"
          checked={v.enabled}
          onChange={(e) => setV({ ...v, enabled: e.target.checked })}
          aria-label="On"
        />
      </td>
      <td>
        <select
          value={v.severity}
          onChange={(e) => setV({ ...v, severity: e.target.value as Severity })}
          aria-label="Severity"
        >
          <option>critical</option>
          <option>warning</option>
          <option>info</option>
        </select>
      </td>
      <td>
        <input
          className="narrow"
          value={v.forMin}
          onChange={(e) => setV({ ...v, forMin: e.target.value })}
          aria-label="For (minutes)"
        />
      </td>
      <td>
        <input
          className="narrow"
          value={v.threshold}
          onChange={(e) => setV({ ...v, threshold: e.target.value })}
          aria-label="Threshold"
        />
      </td>
      <td />
      <td className="actions">
        <button type="button" className="primary" onClick={() => void save()}>
          Save
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </td>
    </tr>
  )
}

function Silences() {
  const { bridge, reloadAlerts } = useBridge()
  const [list, setList] = useState<Silence[] | null>(null)
  const [tick, setTick] = useState(0)
  useEffect(() => {
    void bridge.call('alerts.silences', {}).then((r) => r.ok && setList(r.data))
  }, [bridge, tick])
  if (!list) return <p className="state-note">Loading…</p>
  if (!list.length) return <p className="muted">No silences. Silence an alert from its row or its page.</p>
  return (
    <div className="table-wrap">
      <table className="table" data-testid="silences-table">
        <thead>
          <tr>
            <th scope="col">Matchers</th>
            <th scope="col">State</th>
            <th scope="col">Until</th>
            <th scope="col">By, why</th>
            <th scope="col">
              <span className="sr-only">Expire</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((s) => (
            <tr key={`${s.origin}-${s.id}`} data-silence={s.id}>
              <td className="mono small cell-text">{s.matchers.map(fmtMatcher).join(', ')}</td>
              <td className="small">
                {s.state}
                {s.origin === 'alertmanager' ? ' (Alertmanager)' : ''}
              </td>
              <td className="small mono">{when(s.endsAt)}</td>
              <td className="small cell-text">
                {s.createdBy}: {s.comment}
              </td>
              <td>
                {s.origin === 'gantry' && s.state !== 'expired' ? (
                  <button
                    type="button"
                    onClick={() =>
                      void bridge.call('alerts.expireSilence', { id: s.id }).then(() => {
                        setTick((t) => t + 1)
                        void reloadAlerts?.()
                      })
                    }
                  >
                    Expire
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function Forwarding() {
  const { bridge } = useBridge()
  const [st, setSt] = useState<ForwardStatus | null>(null)
  const [url, setUrl] = useState('')
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    void bridge.call('alerts.forwardStatus', {}).then((r) => {
      if (r.ok) {
        setSt(r.data)
        setUrl(r.data.url ?? '')
      }
    })
  }, [bridge])
  async function set(u: string | null): Promise<void> {
    setError(null)
    const r = await bridge.call('alerts.forward', { url: u })
    if (r.ok) setSt(r.data)
    else setError(r.error.message)
  }
  return (
    <section className="panel" data-testid="forwarding">
      <p className="muted small">
        Sites that page through an Alertmanager: Gantry posts every firing alert to its /api/v2/alerts (re-sent every
        minute, its end set on resolution) and shows the silences made there.
      </p>
      <div className="toolbar">
        <input
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder="http://alertmanager:9093/"
          aria-label="Alertmanager URL"
        />
        <button type="button" className="primary" disabled={!url.trim()} onClick={() => void set(url.trim())}>
          Forward
        </button>
        {st?.url ? (
          <button type="button" onClick={() => void set(null)}>
            Stop
          </button>
        ) : null}
      </div>
      {error ? (
        <p className="state-note error" role="alert">
          {error}
        </p>
      ) : null}
      {st ? (
        <p className="small" data-testid="forward-state" data-state={st.state}>
          {st.url ? `${st.url}: ${st.state}` : 'Not forwarding.'}
          {st.lastError ? ` — ${st.lastError}` : ''}
          {st.lastSentAt ? ` · ${st.sent} sent, ${st.silences} silences read back` : ''}
        </p>
      ) : null}
    </section>
  )
}
