// One endpoint: its latest poll (live, ready, what it serves, every raw response) and history
// charts of request rate, error share, p95 latency and availability from the stored series.
import { useEffect, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { ProbeResult, Series } from '../../../../shared/contract'
import { SERVING_SERIES } from '../../../../shared/series'
import { yn } from '../../ui/format'
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
const S = SERVING_SERIES
/** Every endpoint's charts; LLM servers (vLLM) add time to first token, tokens/s and KV cache. */
const SERIES = [S.rps, S.errPct, S.p95Ms, S.up]
const LLM_SERIES = [S.ttftMs, S.tokensPerSec, S.kvCachePct]
const LLM_KINDS = new Set(['vllm'])

/** The latest poll's numbers, each with its unit (or why it has none). */
function CurrentValues({ l }: { l: ProbeResult | null }) {
  const m = l?.metrics ?? null
  const f = (v: number | null | undefined, unit: string, d = 1): string => (v == null ? '—' : `${v.toFixed(d)} ${unit}`)
  const rows: [string, string][] = [
    ['Requests per second', f(m?.requestRate, 'req/s', 2)],
    ['Errors', f(m?.errorRate == null ? null : m.errorRate * 100, '%')],
    [
      'Latency p50 / p95 / p99',
      m?.p95Ms != null
        ? `${f(m.p50Ms, 'ms', 0)} / ${f(m.p95Ms, 'ms', 0)} / ${f(m.p99Ms, 'ms', 0)}`
        : `average ${f(m?.avgLatencyMs, 'ms', 0)}`,
    ],
    ['Queue', m?.queueDepth == null ? '—' : `${m.queueDepth} waiting`],
  ]
  if (l && LLM_KINDS.has(l.kind))
    rows.push(
      ['Time to first token, p95', f(m?.ttftP95Ms, 'ms', 0)],
      ['Generated tokens', f(m?.tokensPerSec, 'tok/s', 1)],
      ['KV cache used', f(m?.kvCachePct, '%', 0)],
    )
  return (
    <section className="panel" data-testid="endpoint-now">
      <h2>Now</h2>
      {!l ? (
        <p className="muted">Not polled yet.</p>
      ) : !m ? (
        <p className="muted">
          {l.metricsUrl
            ? `No metrics: ${l.problems.find((p) => /metrics/i.test(p)) ?? 'not readable'}`
            : 'This runtime publishes no metrics.'}
        </p>
      ) : (
        <>
          <dl className="kv">
            {rows.map(([k, v]) => (
              <div key={k} className="shortcut-row">
                <dt>{k}</dt>
                <dd data-value={k}>{v}</dd>
              </div>
            ))}
          </dl>
          <p className="muted small">
            {m.windowMs
              ? `over the last ${(m.windowMs / 1000).toFixed(0)} s between two scrapes`
              : 'since the server started (one scrape so far)'}
          </p>
        </>
      )}
    </section>
  )
}

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
      for (const s of [...SERIES, ...LLM_SERIES]) {
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
          <CurrentValues l={l} />
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
              {[...SERIES, ...(LLM_KINDS.has(l?.kind ?? entry.endpoint.kind ?? '') ? LLM_SERIES : [])].map((s) => {
                const h = history[s.key]
                return (
                  <div key={s.key}>
                    <h3 className="chart-title">{s.label}</h3>
                    <Chart
                      label={s.label}
                      theme={theme}
                      height={150}
                      yMax={s.max}
                      unit={s.unit}
                      group={`endpoint-${id}`}
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
