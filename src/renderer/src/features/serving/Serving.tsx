// Serving: for now, a one-off probe of a model server (what `gantry probe` does): its runtime,
// liveness, readiness, the models and versions it really serves, and every raw response.
// Saved endpoints polled on a schedule, metrics and the registry comparison are issue #4's rest.
import { useState } from 'react'
import type { ProbeResult, ServingKind } from '../../../../shared/contract'
import { SERVING_KINDS } from '../../../../shared/serving'
import { useBridge } from '../../bridge/context'
import { Screen } from '../../ui/Screen'

const yn = (b: boolean | null): string => (b === null ? 'unknown' : b ? 'yes' : 'no')

export function Serving() {
  const bridge = useBridge()
  const [url, setUrl] = useState('http://127.0.0.1:8000/')
  const [kind, setKind] = useState<ServingKind | ''>('')
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<ProbeResult | null>(null)
  const [error, setError] = useState<string | null>(null)

  async function probe(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    setBusy(true)
    setError(null)
    const r = await bridge.call('serving.probe', { url: url.trim(), ...(kind ? { kind } : {}) })
    setBusy(false)
    if (r.ok) setResult(r.data)
    else {
      setResult(null)
      setError(r.error.message)
    }
  }

  return (
    <Screen id="serving" title="Serving" state="ready">
      <p className="state-note">
        Endpoint monitoring (saved endpoints polled on a schedule, request rate, errors, latency percentiles, and
        intent-vs-served checks against the registry) is not built yet — issue #4. Until then, probe a server once:
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
