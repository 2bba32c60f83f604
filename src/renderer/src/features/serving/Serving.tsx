// Serving: for now, a one-off probe of a model server (what `gantry probe` does): its runtime,
// liveness, readiness, the models and versions it really serves, and every raw response.
// Saved endpoints polled on a schedule, metrics and the registry comparison are issue #4's rest.
import { useEffect, useState } from 'react'
import type { ProbeResult, ServingKind } from '../../../../shared/contract'
import { SERVING_KINDS } from '../../../../shared/serving'
import { useBridge } from '../../bridge/context'
import { Screen } from '../../ui/Screen'
import { Sparkline } from '../../ui/Sparkline'
import { useShallow } from 'zustand/react/shallow'
import { useStore } from '../../store'
import { AlertMark } from '../alerts/AlertMark'
import { when } from '../../ui/format'

const VERDICT = { up: 'up', hung: 'HUNG', 'not-ready': 'not ready', down: 'down', unknown: 'not polled yet' } as const
const yn = (b: boolean | null): string => (b === null ? 'unknown' : b ? 'yes' : 'no')
const fmt = (v: number | null, unit: string, d = 1): string | null => (v === null ? null : `${v.toFixed(d)}${unit}`)

export function Serving() {
  const { bridge, reloadEndpoints } = useBridge()
  const { endpoints, endpointsState, endpointsError } = useStore(
    useShallow((st) => ({
      endpoints: st.endpoints,
      endpointsState: st.endpointsState,
      endpointsError: st.endpointsError,
    })),
  )
  const [url, setUrl] = useState('http://127.0.0.1:8000/')
  const [kind, setKind] = useState<ServingKind | ''>('')
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<ProbeResult | null>(null)
  const [error, setError] = useState<string | null>(null)

  async function probe(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    setBusy(true)
    setError(null)
    const r = await bridge.call('serving.probe', { url: url.trim(), metricsWindowMs: 2000, ...(kind ? { kind } : {}) })
    setBusy(false)
    if (r.ok) setResult(r.data)
    else {
      setResult(null)
      setError(r.error.message)
    }
  }

  async function save(): Promise<void> {
    setError(null)
    const r = await bridge.call('serving.addEndpoint', { url: url.trim(), ...(kind ? { kind } : {}) })
    if (!r.ok) setError(r.error.message)
    await reloadEndpoints()
  }

  async function remove(id: number): Promise<void> {
    const r = await bridge.call('serving.removeEndpoint', { id })
    if (!r.ok) setError(r.error.message)
    await reloadEndpoints()
  }

  return (
    <Screen
      id="serving"
      title="Serving"
      state={endpointsState === 'error' ? 'error' : endpointsState}
      error={endpointsError}
    >
      <section className="panel table-wrap" data-testid="endpoints">
        <h2 className="pad">Endpoints</h2>
        {endpoints.length === 0 ? (
          <p className="muted pad">No saved endpoints yet: probe one below and save it to have it polled.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Runtime</th>
                <th scope="col">Status</th>
                <th scope="col">Registry intent</th>
                <th scope="col">Serving</th>
                <th scope="col" className="num">
                  Req/s
                </th>
                <th scope="col" className="num">
                  Errors
                </th>
                <th scope="col" className="num">
                  p95 (avg)
                </th>
                <th scope="col">Req/s, 15 min</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map(({ endpoint: e, latest: l, verdict, intent }) => (
                <tr key={e.id} data-endpoint={e.name} data-live={l ? String(l.live) : 'pending'} data-verdict={verdict}>
                  <td>
                    <a href={`#/serving/${e.id}`}>
                      <strong>{e.name}</strong>
                    </a>
                    <AlertMark about={{ endpoint: e.id }} /> <span className="muted mono small">{e.url}</span>
                    {l && l.problems.length ? <div className="muted small">! {l.problems[0]}</div> : null}
                  </td>
                  <td>{l ? `${l.kind}${l.runtimeVersion ? ` ${l.runtimeVersion}` : ''}` : (e.kind ?? 'detecting…')}</td>
                  <td>
                    <span className={`tag verdict-${verdict}`}>{VERDICT[verdict]}</span>{' '}
                    <span className="muted small">{l ? `live ${yn(l.live)} · ready ${yn(l.ready)}` : ''}</span>
                  </td>
                  <td data-testid="intent">
                    {intent.length === 0 ? (
                      <span className="muted small">no registry binding</span>
                    ) : (
                      intent.map((i) => (
                        <div key={i.model} className={`small intent-${i.state}`} data-intent={i.state} title={i.detail}>
                          {i.state === 'match' ? '✓' : i.state === 'mismatch' || i.state === 'missing' ? '✗' : '?'}{' '}
                          {i.model}@{i.alias}
                          {i.expectedVersion ? ` v${i.expectedVersion}` : ''}
                          {i.state === 'match' ? '' : ` — ${i.detail}`}
                        </div>
                      ))
                    )}
                  </td>
                  <td className="mono small">
                    {l?.models
                      .map((m) => `${m.name}@${m.versions.map((v) => v.version ?? '?').join(',')}`)
                      .join('; ') || '—'}
                  </td>
                  <td className="num">{fmt(l?.metrics?.requestRate ?? null, '', 2) ?? '—'}</td>
                  <td className="num">
                    {fmt(l?.metrics?.errorRate == null ? null : l.metrics.errorRate * 100, ' %') ?? '—'}
                  </td>
                  <td className="num">
                    {fmt(l?.metrics?.p95Ms ?? null, ' ms', 0) ??
                      (fmt(l?.metrics?.avgLatencyMs ?? null, ' ms', 0)
                        ? `(${fmt(l?.metrics?.avgLatencyMs ?? null, ' ms', 0)})`
                        : '—')}
                  </td>
                  <td>
                    <RpsSpark id={e.id} at={l?.at ?? 0} />
                  </td>
                  <td className="muted small">{l ? when(l.at) : '—'}</td>
                  <td>
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => void remove(e.id)}
                      aria-label={`Remove ${e.name}`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <p className="muted">
        Probe a server once (two /metrics scrapes 2 s apart for rates and percentiles), then save it to have it polled.
        Credentials, a smoke request and the registry models it should serve are set on its page.
      </p>
      <form className="panel probe-form" onSubmit={(e) => void probe(e)} data-testid="probe-form">
        <label>
          URL <input value={url} onChange={(e) => setUrl(e.target.value)} aria-label="Endpoint URL" size={48} />
        </label>
        <label>
          Runtime{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value as ServingKind | '')} aria-label="Runtime">
            <option value="">detect</option>
            {SERVING_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Probing…' : 'Probe'}
        </button>
        <button type="button" onClick={() => void save()}>
          Save and poll
        </button>
      </form>
      {error ? (
        <p className="state-note error" role="alert">
          {error}
        </p>
      ) : null}
      {result ? (
        <section className="panel" data-testid="probe-result" data-kind={result.kind}>
          <h2>
            {result.kind}
            {result.runtimeVersion ? ` ${result.runtimeVersion}` : ''} · live {yn(result.live)} · ready{' '}
            {yn(result.ready)}
          </h2>
          <p className="muted small">
            {result.detectedBy} · {result.durationMs} ms
          </p>
          {result.metrics ? (
            <div className="cards" data-testid="probe-metrics">
              <div className="card">
                <span className="card-label">Requests</span>
                <span className="card-value">
                  {fmt(result.metrics.requestRate, ' rps', 2) ?? result.metrics.requests ?? '—'}
                </span>
                <span className="card-sub">
                  {result.metrics.windowMs === null
                    ? 'server lifetime'
                    : `over ${(result.metrics.windowMs / 1000).toFixed(1)} s`}
                </span>
              </div>
              <div className="card">
                <span className="card-label">Errors</span>
                <span className="card-value">
                  {fmt(result.metrics.errorRate === null ? null : result.metrics.errorRate * 100, ' %') ?? '—'}
                </span>
                <span className="card-sub">{result.metrics.errors ?? '—'} failed</span>
              </div>
              <div className="card">
                <span className="card-label">Latency p95</span>
                <span className="card-value">{fmt(result.metrics.p95Ms, ' ms', 0) ?? '—'}</span>
                <span className="card-sub">
                  p50 {fmt(result.metrics.p50Ms, ' ms', 0) ?? '—'} · p99 {fmt(result.metrics.p99Ms, ' ms', 0) ?? '—'} ·
                  avg {fmt(result.metrics.avgLatencyMs, ' ms', 0) ?? '—'}
                </span>
              </div>
              <div className="card">
                <span className="card-label">Queue</span>
                <span className="card-value">{result.metrics.queueDepth ?? '—'}</span>
                <span className="card-sub">
                  {result.metrics.kvCachePct === null ? '' : `KV cache ${result.metrics.kvCachePct.toFixed(0)} %`}
                </span>
              </div>
            </div>
          ) : null}
          {result.problems.length ? (
            <ul className="reasons">
              {result.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Version</th>
                <th scope="col">State</th>
                <th scope="col">Ready</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {result.models.flatMap((m) =>
                m.versions.map((v, i) => (
                  <tr key={`${m.name}-${i}`}>
                    <td className="mono">{m.name}</td>
                    <td className="mono">{v.version ?? '—'}</td>
                    <td>{v.state}</td>
                    <td>{yn(v.ready)}</td>
                    <td className="muted">{v.reason ?? ''}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
          <details>
            <summary>Raw responses ({result.checks.length})</summary>
            {result.checks.map((c, i) => (
              <pre key={i} className="raw">
                {c.method} {c.path || '(url)'} → {c.status ?? c.error} · {c.ms} ms{'\n'}
                {c.body}
              </pre>
            ))}
          </details>
        </section>
      ) : null}
    </Screen>
  )
}

/** The endpoint's request rate over the last 15 minutes, refetched when a new poll lands. */
function RpsSpark({ id, at }: { id: number; at: number }) {
  const { bridge } = useBridge()
  const [points, setPoints] = useState<[number, number | null][]>([])
  useEffect(() => {
    let alive = true
    void bridge.call('telemetry.query', { key: `serving.rps:${id}`, rangeMs: 15 * 60_000, maxPoints: 60 }).then((r) => {
      if (alive && r.ok) setPoints(r.data.points.map((p) => [p[0], p[1]] as [number, number | null]))
    })
    return () => {
      alive = false
    }
  }, [bridge, id, at])
  return <Sparkline points={points} label="requests per second, last 15 minutes" />
}
