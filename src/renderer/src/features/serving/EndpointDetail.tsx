// One endpoint: its latest poll (live, ready, what it serves, every raw response) and history
// charts of request rate, error share, p95 latency and availability from the stored series.
import { useEffect, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { Series } from '../../../../shared/contract'
import { useResolvedTheme } from '../../app/theme'
import { useBridge } from '../../bridge/context'
import { useStore } from '../../store'
import { Chart } from '../../ui/Chart'
import { Screen } from '../../ui/Screen'
import { EndpointConfig, IntentTable } from './EndpointConfig'

const RANGES = [
  { label: '15 min', ms: 15 * 60_000 },
  { label: '1 h', ms: 3600_000 },
  { label: '24 h', ms: 24 * 3600_000 },
  { label: '7 d', ms: 7 * 24 * 3600_000 },
]
const SERIES = [
  { key: 'serving.rps', label: 'Requests per second', unit: 'rps', max: undefined },
  { key: 'serving.err_pct', label: 'Errors', unit: '%', max: undefined },
  { key: 'serving.p95_ms', label: 'p95 latency (or average)', unit: 'ms', max: undefined },
  { key: 'serving.up', label: 'Answering (1) or not (0)', unit: '', max: 1 },
] as const
const yn = (b: boolean | null): string => (b === null ? 'unknown' : b ? 'yes' : 'no')

export function EndpointDetail({ id }: { id: number }) {
  const { bridge, reloadEndpoints } = useBridge()
  const theme = useResolvedTheme()
  const { endpoints, state } = useStore(useShallow((s) => ({ endpoints: s.endpoints, state: s.endpointsState })))
  const entry = endpoints.find((e) => e.endpoint.id === id)
  const [rangeMs, setRangeMs] = useState(RANGES[0].ms)
  const [history, setHistory] = useState<Record<string, Series | null>>({})
  const latestAt = entry?.latest?.at ?? 0

  useEffect(() => {
    let alive = true
    void (async () => {
      const next: Record<string, Series | null> = {}
      for (const s of SERIES) {
        const r = await bridge.call('telemetry.query', { key: `${s.key}:${id}`, rangeMs, maxPoints: 500 })
        next[s.key] = r.ok ? r.data : null // unknown-series until the first poll stored a value
      }
      if (alive) setHistory(next)
    })()
    return () => {
      alive = false
    }
  }, [bridge, id, rangeMs, latestAt])

  const l = entry?.latest ?? null
  return (
    <Screen
      id="endpoint-detail"
      title={entry ? entry.endpoint.name : 'Endpoint'}
      state={state === 'loading' ? 'loading' : entry ? 'ready' : 'empty'}
      updatedAt={l?.at ?? null}
      emptyText={`No saved endpoint with id ${id}.`}
      actions={<a href="#/serving">← All endpoints</a>}
    >
      {entry ? (
        <>
          <p className="subtitle mono">
            {entry.endpoint.url} · {l ? `${l.kind}${l.runtimeVersion ? ` ${l.runtimeVersion}` : ''}` : 'not polled yet'}{' '}
            · live {yn(l?.live ?? null)} · ready {yn(l?.ready ?? null)} ·{' '}
            <span className={`tag verdict-${entry.verdict}`} data-testid="verdict">
              {entry.verdict}
            </span>
            {l?.smoke ? (
              <span className="small">
                {' '}
                · smoke {l.smoke.ok ? 'ok' : 'FAILED'} in {l.smoke.ms} ms
              </span>
            ) : null}
          </p>
          {l?.problems.length ? (
            <ul className="reasons" data-testid="endpoint-problems">
              {l.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
          <section className="panel" data-testid="endpoint-history">
            <div className="health-head">
              <h2>History</h2>
              <div className="segmented" role="group" aria-label="Range">
                {RANGES.map((r) => (
                  <button key={r.ms} type="button" aria-pressed={rangeMs === r.ms} onClick={() => setRangeMs(r.ms)}>
                    {r.label}
                  </button>
                ))}
              </div>
            </div>
            <div className="chart-grid">
              {SERIES.map((s) => {
                const h = history[s.key]
                return (
                  <div key={s.key}>
                    <h3 className="chart-title">{s.label}</h3>
                    <Chart
                      label={s.label}
                      theme={theme}
                      height={150}
                      yMax={s.max}
                      yFormat={(v) => `${Math.round(v * 100) / 100} ${s.unit}`}
                      xRange={h ? [h.from, h.to] : undefined}
                      series={[{ name: s.label, points: h?.points ?? [], color: '#4c9aff' }]}
                    />
                  </div>
                )
              })}
            </div>
          </section>
          <section className="panel table-wrap" data-testid="endpoint-intent">
            <h2 className="pad">Registry intent vs what is served</h2>
            <IntentTable status={entry} />
          </section>
          <section className="panel table-wrap" data-testid="endpoint-models">
            <h2 className="pad">Models and versions served</h2>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Version</th>
                  <th scope="col">State</th>
                  <th scope="col">Ready</th>
                  <th scope="col">Source</th>
                </tr>
              </thead>
              <tbody>
                {(l?.models ?? []).flatMap((m) =>
                  m.versions.map((v, i) => (
                    <tr key={`${m.name}-${i}`}>
                      <td className="mono">{m.name}</td>
                      <td className="mono">{v.version ?? '—'}</td>
                      <td>{v.state}</td>
                      <td>{yn(v.ready)}</td>
                      <td className="mono small">{m.source ?? v.reason ?? ''}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </section>
          <EndpointConfig key={entry.endpoint.id} status={entry} onSaved={reloadEndpoints} />
          <section className="panel">
            <h2>Last raw responses</h2>
            {(l?.checks ?? []).map((c, i) => (
              <pre key={i} className="raw">
                {c.method} {c.path || '(url)'} → {c.status ?? c.error} · {c.ms} ms{'\n'}
                {c.body}
              </pre>
            ))}
          </section>
        </>
      ) : null}
    </Screen>
  )
}
