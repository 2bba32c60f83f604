// An endpoint's settings: credentials (kept by the secrets service, never shown again), the smoke
// request that tells a hung server from a healthy one, and the registry models it should serve;
// plus the intent-vs-served table those bindings produce.
import { useState } from 'react'
import type { EndpointStatus } from '../../../../shared/contract'
import { useBridge } from '../../bridge/context'

type Bindings = EndpointStatus['endpoint']['bindings']

export function IntentTable({ status }: { status: EndpointStatus }) {
  if (status.intent.length === 0) {
    return (
      <p className="muted">
        No registry model is bound to this endpoint: add one below to compare intent with what is served.
      </p>
    )
  }
  return (
    <table className="table" data-testid="intent-table">
      <thead>
        <tr>
          <th scope="col">Registry model</th>
          <th scope="col">Served as</th>
          <th scope="col">Intended</th>
          <th scope="col">Served</th>
          <th scope="col">Verdict</th>
        </tr>
      </thead>
      <tbody>
        {status.intent.map((i) => (
          <tr key={i.model} data-intent={i.state}>
            <td className="mono">
              <a href={`#/models/${encodeURIComponent(i.model)}`}>{i.model}</a>@{i.alias}
            </td>
            <td className="mono">{i.servedName}</td>
            <td className="mono">{i.expectedVersion ? `v${i.expectedVersion}` : '—'}</td>
            <td className="mono small">{i.served.join(', ') || '—'}</td>
            <td className={`intent-${i.state}`}>
              <strong>{i.state}</strong> <span className="small">{i.detail}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function EndpointConfig({ status, onSaved }: { status: EndpointStatus; onSaved: () => Promise<void> }) {
  const { bridge } = useBridge()
  const e = status.endpoint
  const [authType, setAuthType] = useState<'none' | 'bearer' | 'basic'>(e.auth?.type ?? 'none')
  const [token, setToken] = useState('')
  const [user, setUser] = useState(e.auth?.user ?? '')
  const [password, setPassword] = useState('')
  const [smokeOn, setSmokeOn] = useState(!!e.smoke)
  const [method, setMethod] = useState<'GET' | 'POST'>(e.smoke?.method ?? 'POST')
  const [path, setPath] = useState(e.smoke?.path ?? 'v1/completions')
  const [body, setBody] = useState(
    e.smoke?.body === undefined ? '{"prompt": "ping", "max_tokens": 1}' : JSON.stringify(e.smoke.body),
  )
  const [timeoutMs, setTimeoutMs] = useState(String(e.smoke?.timeoutMs ?? 10_000))
  const [bindings, setBindings] = useState<Bindings>(e.bindings)
  const [draft, setDraft] = useState({ model: '', servedName: '', alias: 'production' })
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null)

  async function save(ev: React.FormEvent): Promise<void> {
    ev.preventDefault()
    let parsedBody: unknown = undefined
    if (smokeOn && method === 'POST' && body.trim()) {
      try {
        parsedBody = JSON.parse(body)
      } catch {
        setMsg({ ok: false, text: 'The smoke request body is not valid JSON.' })
        return
      }
    }
    // Credentials are sent only when changed: a stored secret is never shown or sent back.
    const auth =
      authType === 'none'
        ? e.auth
          ? null
          : undefined
        : authType === 'bearer'
          ? token
            ? { type: 'bearer' as const, token }
            : undefined
          : password
            ? { type: 'basic' as const, user, password }
            : undefined
    const r = await bridge.call('serving.configureEndpoint', {
      id: e.id,
      ...(auth === undefined ? {} : { auth }),
      smoke: smokeOn
        ? {
            method,
            path,
            ...(parsedBody === undefined ? {} : { body: parsedBody }),
            timeoutMs: Number(timeoutMs) || 10_000,
          }
        : null,
      bindings,
    })
    if (r.ok) {
      setToken('')
      setPassword('')
      setMsg({ ok: true, text: 'Saved. The next poll uses it.' })
      await onSaved()
    } else setMsg({ ok: false, text: r.error.message })
  }

  return (
    <form className="panel" onSubmit={(ev) => void save(ev)} data-testid="endpoint-config">
      <h2>Settings</h2>
      <fieldset className="form-grid">
        <legend>Credentials</legend>
        <label>
          Authentication
          <select value={authType} onChange={(ev) => setAuthType(ev.target.value as 'none' | 'bearer' | 'basic')}>
            <option value="none">none</option>
            <option value="bearer">bearer token</option>
            <option value="basic">basic (user and password)</option>
          </select>
        </label>
        {authType === 'bearer' ? (
          <label>
            Token {e.auth?.type === 'bearer' ? '(stored; type to replace)' : ''}
            <input type="password" autoComplete="off" value={token} onChange={(ev) => setToken(ev.target.value)} />
          </label>
        ) : null}
        {authType === 'basic' ? (
          <>
            <label>
              User
              <input value={user} onChange={(ev) => setUser(ev.target.value)} />
            </label>
            <label>
              Password {e.auth?.type === 'basic' ? '(stored; type to replace)' : ''}
              <input
                type="password"
                autoComplete="off"
                value={password}
                onChange={(ev) => setPassword(ev.target.value)}
              />
            </label>
          </>
        ) : null}
      </fieldset>
      <fieldset className="form-grid">
        <legend>Smoke request</legend>
        <label className="check">
          <input type="checkbox" checked={smokeOn} onChange={(ev) => setSmokeOn(ev.target.checked)} /> Send one each
          poll (a server that says healthy but fails it is shown as hung)
        </label>
        {smokeOn ? (
          <>
            <label>
              Method
              <select value={method} onChange={(ev) => setMethod(ev.target.value as 'GET' | 'POST')}>
                <option>POST</option>
                <option>GET</option>
              </select>
            </label>
            <label>
              Path
              <input value={path} onChange={(ev) => setPath(ev.target.value)} aria-label="Smoke path" />
            </label>
            <label>
              Timeout (ms)
              <input value={timeoutMs} onChange={(ev) => setTimeoutMs(ev.target.value)} inputMode="numeric" />
            </label>
            {method === 'POST' ? (
              <label className="wide">
                JSON body
                <textarea rows={3} value={body} onChange={(ev) => setBody(ev.target.value)} aria-label="Smoke body" />
              </label>
            ) : null}
          </>
        ) : null}
      </fieldset>
      <fieldset>
        <legend>Registry models served here</legend>
        <ul className="reasons">
          {bindings.map((b) => (
            <li key={b.model}>
              <span className="mono">
                {b.model}@{b.alias}
              </span>{' '}
              served as <span className="mono">{b.servedName}</span>{' '}
              <button
                type="button"
                className="link-button"
                onClick={() => setBindings(bindings.filter((x) => x.model !== b.model))}
              >
                remove
              </button>
            </li>
          ))}
        </ul>
        <div className="actions">
          <input
            placeholder="registry model"
            aria-label="Registry model"
            value={draft.model}
            onChange={(ev) => setDraft({ ...draft, model: ev.target.value })}
          />
          <input
            placeholder="served name (default: same)"
            aria-label="Served name"
            value={draft.servedName}
            onChange={(ev) => setDraft({ ...draft, servedName: ev.target.value })}
          />
          <input
            placeholder="alias"
            aria-label="Alias"
            size={10}
            value={draft.alias}
            onChange={(ev) => setDraft({ ...draft, alias: ev.target.value })}
          />
          <button
            type="button"
            disabled={!draft.model.trim()}
            onClick={() => {
              const model = draft.model.trim()
              setBindings([
                ...bindings.filter((x) => x.model !== model),
                { model, servedName: draft.servedName.trim() || model, alias: draft.alias.trim() || 'production' },
              ])
              setDraft({ model: '', servedName: '', alias: 'production' })
            }}
          >
            Add
          </button>
        </div>
      </fieldset>
      <button type="submit">Save settings</button>
      {msg ? (
        <p className={msg.ok ? 'ok-note' : 'state-note error'} role={msg.ok ? 'status' : 'alert'}>
          {msg.text}
        </p>
      ) : null}
    </form>
  )
}
