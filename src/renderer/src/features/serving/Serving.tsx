// Serving: every saved endpoint as polled (its verdict, what the registry says it should serve,
// what it serves, request rate, errors, latency), in the console's one table; below, a one-off
// probe of a server (what `gantry probe` does) with every raw response, and saving it by a name.
import { useEffect, useMemo, useState } from 'react'
import { createColumnHelper } from '@tanstack/react-table'
import type { EndpointStatus } from '../../../../shared/serving'
import { DataTable } from '../../ui/DataTable'
import { MidName } from '../../ui/Name'
import type { ProbeResult, ServingKind } from '../../../../shared/contract'
import { SERVING_KINDS } from '../../../../shared/serving'
import { useBridge } from '../../bridge/context'
import { Screen } from '../../ui/Screen'
import { Sparkline } from '../../ui/Sparkline'
import { useShallow } from 'zustand/react/shallow'
import { useStore } from '../../store'
import { AlertMark } from '../alerts/AlertMark'
import { when, yn } from '../../ui/format'

const VERDICT = { up: 'up', hung: 'HUNG', 'not-ready': 'not ready', down: 'down', unknown: 'not polled yet' } as const
const fmt = (v: number | null, unit: string, d = 1): string | null => (v === null ? null : `${v.toFixed(d)}${unit}`)

const col = createColumnHelper<EndpointStatus>()
/** A hung server keeps its runtime from the last good poll; its status says how long it waited. */
function statusDetail(x: EndpointStatus): string {
  const l = x.latest
  if (!l) return ''
  if (x.verdict === 'hung') return l.smoke?.error ?? `smoke request answered ${l.smoke?.status}`
  return `live ${yn(l.live)} · ready ${yn(l.ready)}`
}
function endpointColumns(remove: (id: number) => void) {
  return [
    col.accessor((x) => `${x.endpoint.name} ${x.endpoint.url}`, {
      id: 'name',
      header: 'Endpoint',
      meta: {
        title: (x) =>
          `${x.endpoint.name} — ${x.endpoint.url}${x.latest?.problems.length ? `\n! ${x.latest.problems.join('\n! ')}` : ''}`,
      },
      sortingFn: (a, b) => a.original.endpoint.name.localeCompare(b.original.endpoint.name),
      cell: (c) => {
        const { endpoint: e, latest: l } = c.row.original
        const runtime = l ? `${l.kind}${l.runtimeVersion ? ` ${l.runtimeVersion}` : ''}` : (e.kind ?? 'detecting…')
        return (
          <>
            <span className="name-cell">
              <a href={`#/serving/${e.id}`} className="name-link">
                <strong>
                  <MidName text={e.name} tail={10} />
                </strong>
              </a>
              <AlertMark about={{ endpoint: e.id }} />
            </span>
            <div className="muted small ellipsis">
              {runtime} · <span className="mono">{e.url}</span>
            </div>
          </>
        )
      },
    }),
    col.accessor((x) => x.verdict, {
      id: 'status',
      header: 'Status',
      meta: {
        width: 160,
        title: (x) =>
          [`${VERDICT[x.verdict]} ${statusDetail(x)}`, ...(x.latest?.problems ?? []).map((p) => `! ${p}`)].join('\n'),
      },
      cell: (c) => {
        const l = c.row.original.latest
        return (
          <>
            <span className={`tag verdict-${c.row.original.verdict}`}>{VERDICT[c.row.original.verdict]}</span>{' '}
            <div className="muted small ellipsis">{statusDetail(c.row.original)}</div>
            {l && l.problems.length ? <div className="muted small ellipsis">! {l.problems[0]}</div> : null}
          </>
        )
      },
    }),
    col.accessor((x) => x.intent.map((i) => `${i.model}@${i.alias} ${i.state}`).join(' '), {
      id: 'intent',
      header: 'Registry intent',
      meta: {
        width: 200,
        title: (x) => x.intent.map((i) => `${i.model}@${i.alias}: ${i.detail}`).join('\n') || 'no registry binding',
      },
      cell: (c) =>
        c.row.original.intent.length === 0 ? (
          <span className="muted small" data-testid="intent">
            no registry binding
          </span>
        ) : (
          <div data-testid="intent">
            {c.row.original.intent.map((i) => (
              <div key={i.model} className={`small intent-${i.state} ellipsis`} data-intent={i.state} title={i.detail}>
                {i.state === 'match' ? '✓' : i.state === 'mismatch' || i.state === 'missing' ? '✗' : '?'} {i.model}@
                {i.alias}
                {i.expectedVersion ? ` v${i.expectedVersion}` : ''}
                {i.state === 'match' ? '' : ` — ${i.detail}`}
              </div>
            ))}
          </div>
        ),
    }),
    col.accessor(
      (x) =>
        x.latest?.models.map((m) => `${m.name}@${m.versions.map((v) => v.version ?? '?').join(',')}`).join('; ') || '—',
      {
        id: 'serving',
        header: 'Serving',
        meta: { width: 160, priority: 2 },
        cell: (c) => <span className="mono small">{c.getValue()}</span>,
      },
    ),
    col.accessor((x) => x.latest?.metrics?.requestRate ?? -1, {
      id: 'rps',
      header: 'Req/s',
      meta: { width: 70, num: true, priority: 2 },
      cell: (c) => fmt(c.row.original.latest?.metrics?.requestRate ?? null, '', 2) ?? '—',
    }),
    col.accessor((x) => x.latest?.metrics?.errorRate ?? -1, {
      id: 'errors',
      header: 'Errors',
      meta: { width: 70, num: true, priority: 2 },
      cell: (c) => {
        const r = c.row.original.latest?.metrics?.errorRate
        return fmt(r == null ? null : r * 100, ' %') ?? '—'
      },
    }),
    col.accessor((x) => x.latest?.metrics?.p95Ms ?? x.latest?.metrics?.avgLatencyMs ?? -1, {
      id: 'p95',
      header: 'p95 (avg)',
      meta: { width: 80, num: true, priority: 3 },
      cell: (c) => {
        const m = c.row.original.latest?.metrics
        return (
          fmt(m?.p95Ms ?? null, ' ms', 0) ??
          (fmt(m?.avgLatencyMs ?? null, ' ms', 0) ? `(${fmt(m?.avgLatencyMs ?? null, ' ms', 0)})` : '—')
        )
      },
    }),
    col.display({
      id: 'spark',
      header: 'Req/s, 15 min',
      meta: { width: 110, priority: 2 },
      cell: (c) => <RpsSpark id={c.row.original.endpoint.id} at={c.row.original.latest?.at ?? 0} />,
    }),
    col.accessor((x) => x.latest?.at ?? 0, {
      id: 'updated',
      header: 'Updated',
      meta: { width: 90, priority: 3 },
      cell: (c) => <span className="muted small">{c.row.original.latest ? when(c.row.original.latest.at) : '—'}</span>,
    }),
    col.display({
      id: 'actions',
      header: () => <span className="sr-only">Actions</span>,
      meta: { width: 112 },
      cell: (c) => (
        <button
          type="button"
          className="link-button"
          onClick={() => remove(c.row.original.endpoint.id)}
          aria-label={`Remove ${c.row.original.endpoint.name}`}
        >
          Remove
        </button>
      ),
    }),
  ]
}

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
  const [name, setName] = useState('')
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
    const r = await bridge.call('serving.addEndpoint', {
      url: url.trim(),
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(kind ? { kind } : {}),
    })
    if (!r.ok) setError(r.error.message)
    await reloadEndpoints()
  }

  const columns = useMemo(
    () =>
      endpointColumns((id) => {
        void (async () => {
          const r = await bridge.call('serving.removeEndpoint', { id })
          if (!r.ok) setError(r.error.message)
          await reloadEndpoints()
        })()
      }),
    [bridge, reloadEndpoints],
  )

  return (
    <Screen
      id="serving"
      title="Serving"
      state={endpointsState === 'error' ? 'error' : endpointsState}
      error={endpointsError}
    >
      <section className="panel table-wrap" data-testid="endpoints">
        <h2 className="pad">Endpoints</h2>
        <DataTable
          label="Endpoints"
          data={endpoints}
          columns={columns}
          rowKey={(x) => String(x.endpoint.id)}
          rowAttrs={({ endpoint: e, latest: l, verdict }) => ({
            'data-endpoint': e.name,
            'data-live': l ? String(l.live) : 'pending',
            'data-verdict': verdict,
          })}
          onOpen={(x) => (window.location.hash = `#/serving/${x.endpoint.id}`)}
          filterPlaceholder="Filter endpoints"
          maxHeight={560}
          empty={
            <p className="muted pad">
              No saved endpoints yet: probe one below and save it to have it polled (or `gantry endpoint add URL`).
            </p>
          }
        />
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
        <label>
          Name{' '}
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-label="Endpoint name"
            placeholder="from the URL"
            size={16}
          />
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
