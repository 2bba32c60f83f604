// Prometheus sources on the Hosts screen: each with its state, the exporters it has (dcgm-exporter,
// nvidia_gpu_exporter, node_exporter) and what is missing in words; adding one (tested first; a
// token or password goes to the secrets service, headers such as X-Scope-OrgID as given); removing.
import { useCallback, useEffect, useState } from 'react'
import type { PromSourceStatus, PromTestResult } from '../../../../shared/prometheus'
import { useBridge } from '../../bridge/context'
import { ago } from '../../ui/format'
import { useNow } from '../../ui/hooks'

const STATE: Record<PromSourceStatus['state'], string> = {
  starting: 'asking…',
  ok: 'answering',
  partial: 'partly answering',
  error: 'NOT ANSWERING',
}

export function PromSources() {
  const { bridge } = useBridge()
  const now = useNow()
  const [list, setList] = useState<PromSourceStatus[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [rev, setRev] = useState(0)
  const load = useCallback(() => setRev((r) => r + 1), [])
  useEffect(() => {
    let alive = true
    void bridge.call('prometheus.list').then((r) => {
      if (!alive) return
      if (r.ok) {
        setList(r.data)
        setError(null)
      } else setError(r.error.message)
    })
    return () => {
      alive = false
    }
  }, [bridge, rev])
  useEffect(() => bridge.on('prometheus.polled', load), [bridge, load])

  async function remove(name: string): Promise<void> {
    if (!window.confirm(`Forget the Prometheus source ${name}? Its hosts leave the list (nothing is stored of them).`))
      return
    const r = await bridge.call('prometheus.remove', { name })
    if (!r.ok) setError(r.error.message)
    load()
  }

  if (!list) return null
  return (
    <section className="panel pad" data-testid="prom-sources" aria-labelledby="prom-sources-title">
      <h3 id="prom-sources-title">Prometheus sources</h3>
      {list.length === 0 ? (
        <p className="muted small">
          None. A site that already runs Prometheus (or Thanos, Mimir, VictoriaMetrics) with dcgm-exporter and
          node_exporter on its nodes gives Gantry every host at once: “Add Prometheus…” above. Nothing is installed on
          the nodes and nothing is copied into Gantry.
        </p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">State</th>
              <th scope="col" className="num">
                Hosts
              </th>
              <th scope="col" className="num">
                GPUs
              </th>
              <th scope="col">Exporters</th>
              <th scope="col">Asked</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr key={s.name} data-source={s.name}>
                <td>
                  <strong>{s.name}</strong>
                  <div className="muted small mono">{s.url}</div>
                  <div className="muted small">
                    {s.version ? `Prometheus ${s.version}` : 'version unknown'}
                    {s.auth !== 'none' ? ` · ${s.auth} auth` : ''}
                    {Object.keys(s.headers).length ? ` · ${Object.keys(s.headers).join(', ')}` : ''}
                    {s.caFile ? ` · CA ${s.caFile}` : ''}
                  </div>
                </td>
                <td>
                  <span
                    className={`conn-state ${s.state === 'error' ? 'conn-unreachable' : s.state === 'ok' ? 'conn-up' : ''}`}
                  >
                    {STATE[s.state]}
                  </span>
                  {s.error ? (
                    <div className="small detail" data-testid="prom-error">
                      {s.error}
                    </div>
                  ) : null}
                  {s.warnings.map((w) => (
                    <div key={w} className="small muted">
                      warning: {w}
                    </div>
                  ))}
                  {s.missing.map((m) => (
                    <div key={m} className="small muted" data-testid="prom-missing">
                      {m}
                    </div>
                  ))}
                </td>
                <td className="num">{s.hosts}</td>
                <td className="num">{s.gpus}</td>
                <td className="small">
                  dcgm {s.exporters.dcgm} · nvidia_gpu {s.exporters.nvidiaGpuExporter} · node {s.exporters.node}
                </td>
                <td className="small">
                  {ago(s.lastPollAt, now)}
                  {s.lastPollMs !== null ? <div className="muted">in {s.lastPollMs} ms</div> : null}
                </td>
                <td>
                  <button type="button" className="link-button" onClick={() => void remove(s.name)}>
                    Remove…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  )
}

/** "Name: value" lines into headers; the first bad line is the error. */
function headersFrom(text: string): { headers: Record<string, string>; error: string | null } {
  const headers: Record<string, string> = {}
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const i = line.indexOf(':')
    if (i <= 0) return { headers, error: `“${line}”: expected “Name: value”` }
    headers[line.slice(0, i).trim()] = line.slice(i + 1).trim()
  }
  return { headers, error: null }
}

export function AddPromSource({ onDone }: { onDone: () => void }) {
  const { bridge } = useBridge()
  const [url, setUrl] = useState('')
  const [name, setName] = useState('')
  const [headerText, setHeaderText] = useState('')
  const [auth, setAuth] = useState<'none' | 'bearer' | 'basic'>('none')
  const [token, setToken] = useState('')
  const [user, setUser] = useState('')
  const [caFile, setCaFile] = useState('')
  const [force, setForce] = useState(false)
  const [test, setTest] = useState<PromTestResult | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const input = (): Record<string, unknown> | null => {
    const h = headersFrom(headerText)
    if (h.error) {
      setError(h.error)
      return null
    }
    return {
      url: url.trim(),
      ...(Object.keys(h.headers).length ? { headers: h.headers } : {}),
      ...(auth === 'bearer' && token ? { auth: { type: 'bearer', token } } : {}),
      ...(auth === 'basic' && user ? { auth: { type: 'basic', user, password: token } } : {}),
      ...(caFile.trim() ? { caFile: caFile.trim() } : {}),
    }
  }
  async function runTest(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    const i = input()
    if (!i) return
    setBusy(true)
    setError(null)
    const r = await bridge.call('prometheus.test', i as never)
    setBusy(false)
    if (r.ok) setTest(r.data)
    else setError(r.error.message)
  }
  async function add(): Promise<void> {
    const i = input()
    if (!i) return
    setBusy(true)
    setError(null)
    const r = await bridge.call('prometheus.add', {
      ...i,
      ...(name.trim() ? { name: name.trim() } : {}),
      force,
    } as never)
    setBusy(false)
    if (!r.ok) return setError(r.error.message)
    onDone()
  }
  return (
    <div
      className="dialog"
      role="dialog"
      aria-modal="true"
      aria-labelledby="add-prom-title"
      data-testid="add-prom-dialog"
    >
      <h3 id="add-prom-title">Add a Prometheus source</h3>
      <p className="muted small">
        Any Prometheus-compatible API (Prometheus, Thanos, Mimir, VictoriaMetrics). Gantry asks it aggregated questions
        about dcgm-exporter, nvidia_gpu_exporter and node_exporter series; each machine they describe becomes a host
        here.
      </p>
      <form className="form-grid" onSubmit={runTest}>
        <label>
          Base URL
          <input
            required
            value={url}
            onChange={(e) => {
              setUrl(e.target.value)
              setTest(null)
            }}
            placeholder="http://prometheus.site:9090/"
            data-testid="prom-url"
          />
        </label>
        <label>
          Name in Gantry
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="the URL host"
            data-testid="prom-name"
          />
        </label>
        <label>
          Headers (one “Name: value” per line)
          <textarea
            rows={2}
            value={headerText}
            onChange={(e) => setHeaderText(e.target.value)}
            placeholder="X-Scope-OrgID: tenant-1"
          />
        </label>
        <label>
          Authentication
          <select value={auth} onChange={(e) => setAuth(e.target.value as typeof auth)}>
            <option value="none">none</option>
            <option value="bearer">bearer token</option>
            <option value="basic">basic (user and password)</option>
          </select>
        </label>
        {auth === 'basic' ? (
          <label>
            User
            <input value={user} onChange={(e) => setUser(e.target.value)} autoComplete="off" />
          </label>
        ) : null}
        {auth !== 'none' ? (
          <label>
            {auth === 'bearer' ? 'Token' : 'Password'} (kept in the secrets store)
            <input type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" />
          </label>
        ) : null}
        <label>
          CA bundle (PEM file, for a site CA)
          <input value={caFile} onChange={(e) => setCaFile(e.target.value)} placeholder="/etc/ssl/site-ca.pem" />
        </label>
        <button type="submit" disabled={busy || !url.trim()} data-testid="prom-test">
          {busy && !test ? 'Asking…' : 'Test'}
        </button>
      </form>
      {test ? (
        <div className="panel pad small" data-testid="prom-test-result">
          <strong>
            {test.ok
              ? `Answers${test.version ? ` (Prometheus ${test.version})` : ''} in ${test.ms} ms`
              : 'Does not answer'}
          </strong>
          {test.error ? <div className="error">{test.error}</div> : null}
          {test.ok ? (
            <div>
              dcgm-exporter on {test.exporters.dcgm}, nvidia_gpu_exporter on {test.exporters.nvidiaGpuExporter},
              node_exporter on {test.exporters.node} instances
            </div>
          ) : null}
          {test.missing.map((m) => (
            <div key={m} className="muted">
              {m}
            </div>
          ))}
        </div>
      ) : null}
      <label className="check small">
        <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Save even if it does not
        answer now
      </label>
      {error ? (
        <p className="error" role="alert" data-testid="add-prom-error">
          {error}
        </p>
      ) : null}
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={busy || !url.trim() || (!force && !test?.ok)}
          onClick={() => void add()}
          data-testid="prom-add"
        >
          Add source
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </div>
  )
}
