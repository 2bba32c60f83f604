// A model's alerts and its retraining trigger: what fires about it now (routed to its owner),
// the trigger (a command on a host, or a webhook; by hand, on a schedule, or when a rule fires)
// shown verbatim, and every run with its exit status and the tail of its output.
import { useEffect, useState } from 'react'
import type { RetrainRun, RetrainTrigger } from '../../../../shared/alerts'
import { useBridge } from '../../bridge/context'
import { useStore } from '../../store'
import { ago } from '../../ui/format'
import { useNow } from '../../ui/hooks'
import { SeverityBadge } from '../alerts/Alerts'
import { alertsAbout } from '../alerts/slice'
import { when } from '../../ui/format'

export function ModelAlerts({ model }: { model: string }) {
  const alerts = useStore((s) => s.alerts)
  const list = alertsAbout(alerts, { model })
  const now = useNow(5000)
  return (
    <section className="panel" data-testid="model-alerts">
      <div className="health-head">
        <h2>Alerts</h2>
        <a href={`#/alerts?model=${encodeURIComponent(model)}`} className="small">
          all of {model}’s alerts
        </a>
      </div>
      {list.length ? (
        <ul className="reasons">
          {list.map((a) => (
            <li key={a.id}>
              <SeverityBadge s={a.severity} /> <a href={`#/alerts/${a.id}`}>{a.summary}</a>{' '}
              <span className="muted small">
                {a.ack ? `acknowledged by ${a.ack.by}` : `since ${ago(a.firedAt ?? a.activeAt, now)}`} →{' '}
                {a.route.receiver}
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">Nothing fires about {model}.</p>
      )}
    </section>
  )
}

export function ModelRetrain({ model }: { model: string }) {
  const { bridge } = useBridge()
  const [trigger, setTrigger] = useState<RetrainTrigger | null | undefined>(undefined)
  const [runs, setRuns] = useState<RetrainRun[]>([])
  const [editing, setEditing] = useState(false)
  const [running, setRunning] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [tick, setTick] = useState(0)
  const [form, setForm] = useState({
    kind: 'command',
    command: '',
    host: 'local',
    url: '',
    schedule: '',
    onRule: '',
    timeoutMin: '10',
  })
  const hosts = useStore((s) => s.hosts)
  useEffect(() => {
    void bridge.call('retrain.trigger', { model }).then((r) => r.ok && setTrigger(r.data))
    void bridge.call('retrain.runs', { model, limit: 10 }).then((r) => r.ok && setRuns(r.data))
  }, [bridge, model, tick])
  useEffect(() => bridge.on('retrain.run', (r) => r.model === model && setTick((t) => t + 1)), [bridge, model])

  async function save(): Promise<void> {
    setError(null)
    const r = await bridge.call('retrain.setTrigger', {
      model,
      kind: form.kind as 'command' | 'webhook',
      ...(form.kind === 'command'
        ? { command: form.command.trim() ? form.command.trim().split(/\s+/) : [], host: form.host }
        : { url: form.url.trim() }),
      timeoutMs: Math.round(Number(form.timeoutMin) * 60_000),
      schedule: form.schedule.trim() || null,
      onRule: form.onRule.trim() || null,
    })
    if (!r.ok) return setError(r.error.message)
    setEditing(false)
    setTick((t) => t + 1)
  }
  async function run(): Promise<void> {
    setError(null)
    setRunning(true)
    const r = await bridge.call('retrain.run', { model })
    setRunning(false)
    if (!r.ok) setError(r.error.message)
    setTick((t) => t + 1)
  }
  return (
    <section className="panel" data-testid="model-retrain">
      <div className="health-head">
        <h2>Retraining</h2>
        <button
          type="button"
          onClick={() => {
            // Changing a trigger starts from what it is.
            if (!editing && trigger) {
              setForm({
                kind: trigger.kind,
                command: (trigger.command ?? []).join(' '),
                host: trigger.host,
                url: trigger.url ?? '',
                schedule: trigger.schedule ?? '',
                onRule: trigger.onRule ?? '',
                timeoutMin: String(Math.round(trigger.timeoutMs / 60_000)),
              })
            }
            setEditing(!editing)
          }}
        >
          {editing ? 'Close' : trigger ? 'Change trigger' : 'Set a trigger'}
        </button>
      </div>
      {trigger ? (
        <p className="small" data-testid="retrain-trigger">
          Runs{' '}
          <span className="mono">
            {trigger.kind === 'command' ? `${(trigger.command ?? []).join(' ')}` : `POST ${trigger.url}`}
          </span>
          {trigger.kind === 'command' ? ` on ${trigger.host}` : ''} (cut off after{' '}
          {Math.round(trigger.timeoutMs / 60_000)} min)
          {trigger.schedule ? `; on schedule ${trigger.schedule}` : ''}
          {trigger.onRule ? `; when ${trigger.onRule} fires` : ''}.{' '}
          <button
            type="button"
            className="primary"
            disabled={running}
            onClick={() => void run()}
            data-testid="retrain-run"
          >
            {running ? 'Running…' : 'Run now'}
          </button>
        </p>
      ) : trigger === null ? (
        <p className="muted">No trigger: set a command on a host or a webhook that starts this model’s retraining.</p>
      ) : null}
      {editing ? (
        <div className="form-grid">
          <label>
            Kind
            <select value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
              <option value="command">command on a host</option>
              <option value="webhook">webhook (POST JSON)</option>
            </select>
          </label>
          {form.kind === 'command' ? (
            <>
              <label className="wide">
                Command (no shell; split on spaces; {'{model} {version} {reason} {window} {json}'} as whole words)
                <input
                  className="mono"
                  value={form.command}
                  onChange={(e) => setForm({ ...form, command: e.target.value })}
                />
              </label>
              <label>
                Host
                <select value={form.host} onChange={(e) => setForm({ ...form, host: e.target.value })}>
                  {hosts
                    .filter((h) => h.kind !== 'prometheus')
                    .map((h) => (
                      <option key={h.name} value={h.name}>
                        {h.name === 'local' ? 'this machine' : h.name}
                      </option>
                    ))}
                </select>
              </label>
            </>
          ) : (
            <label className="wide">
              URL
              <input value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} />
            </label>
          )}
          <label>
            Schedule (cron, optional)
            <input
              className="mono"
              value={form.schedule}
              placeholder="0 3 * * 1"
              onChange={(e) => setForm({ ...form, schedule: e.target.value })}
            />
          </label>
          <label>
            Run when this rule fires (optional)
            <input
              value={form.onRule}
              placeholder="drift-begun"
              onChange={(e) => setForm({ ...form, onRule: e.target.value })}
            />
          </label>
          <label>
            Timeout (minutes)
            <input value={form.timeoutMin} onChange={(e) => setForm({ ...form, timeoutMin: e.target.value })} />
          </label>
          <button type="submit" onClick={() => void save()}>
            Save trigger
          </button>
        </div>
      ) : null}
      {error ? (
        <p className="state-note error" role="alert">
          {error}
        </p>
      ) : null}
      {runs.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="retrain-runs">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Outcome</th>
                <th scope="col">Why</th>
                <th scope="col">Output (tail)</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-run={r.id} data-state={r.state}>
                  <td className="small">
                    #{r.id} · {when(r.startedAt)}
                    <div className="muted mono small" title={r.what}>
                      {r.what.length > 60 ? `${r.what.slice(0, 60)}…` : r.what}
                    </div>
                  </td>
                  <td className="small">
                    <strong>{r.state}</strong>
                    {r.exitCode !== null ? ` (exit ${r.exitCode})` : ''}
                    {r.error ? <div className="error-text">{r.error}</div> : null}
                  </td>
                  <td className="small cell-text">
                    {r.cause}: {r.reason}
                  </td>
                  <td>
                    <pre className="mono small tail">{r.outputTail.split('\n').slice(-6).join('\n') || '—'}</pre>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  )
}
