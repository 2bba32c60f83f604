// Hosts: every machine Gantry watches, worst health first with the reason, then its GPUs, fullest
// filesystem, CPU and memory, connection and last update. Keyboard: / filters, ↑/↓ (or j/k) move,
// Enter opens the host's Overview (its GPUs and Storage follow the host picker). SSH hosts are
// added here with their key's fingerprint shown to confirm, edited, turned off, re-keyed, removed.
// Hosts a Prometheus source describes stand in the same list (read there, never connected to), and
// the sources themselves are listed, added and removed below it (PromSources.tsx).
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { HostProbe, HostSummary } from '../../../../shared/hosts'
import { useBridge } from '../../bridge/context'
import { hostHref } from '../../app/slice'
import { useStore } from '../../store'
import { HealthBadge } from '../../ui/Health'
import { Screen } from '../../ui/Screen'
import { ago } from '../../ui/format'
import { useNow } from '../../ui/hooks'
import { AddPromSource, PromSources } from './PromSources'
import { AlertMark } from '../alerts/AlertMark'

/** Above this many hosts, only the rows in view are rendered (each about ROW_PX high). */
const VIRTUAL_FROM = 60
const ROW_PX = 72

const STATE_TEXT: Record<string, string> = {
  local: 'this machine',
  connecting: 'connecting…',
  up: 'connected',
  'auth-failed': 'login refused',
  'host-key-unknown': 'key not trusted',
  'host-key-changed': 'KEY CHANGED',
  unreachable: 'unreachable',
  disabled: 'turned off',
  external: 'from Prometheus',
}

export function matches(h: HostSummary, q: string): boolean {
  const t = q.trim().toLowerCase()
  if (!t) return true
  return [h.name, h.address ?? '', h.owner ?? '', h.hostname ?? '', h.connection.state, h.health.level]
    .join(' ')
    .toLowerCase()
    .includes(t)
}

export function Hosts() {
  const { hosts, hostsError, hostName, setHostName } = useStore(
    useShallow((s) => ({ hosts: s.hosts, hostsError: s.hostsError, hostName: s.hostName, setHostName: s.setHostName })),
  )
  const now = useNow()
  const [filter, setFilter] = useState('')
  const [cursor, setCursor] = useState(0)
  const [adding, setAdding] = useState(false)
  const [addingProm, setAddingProm] = useState(false)
  const [editing, setEditing] = useState<string | null>(null)
  const filterRef = useRef<HTMLInputElement>(null)
  const shown = useMemo(() => hosts.filter((h) => matches(h, filter)), [hosts, filter])
  const at = Math.min(cursor, Math.max(0, shown.length - 1))
  // A fleet of hundreds (a Prometheus source) renders only the rows in view, plus a margin.
  const bodyRef = useRef<HTMLTableSectionElement>(null)
  const [scrollMargin, setScrollMargin] = useState(0)
  const virtual = shown.length > VIRTUAL_FROM
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read on each render, never memoized
  const virtualizer = useVirtualizer({
    count: virtual ? shown.length : 0,
    getScrollElement: () => bodyRef.current?.closest('main') ?? null,
    estimateSize: () => ROW_PX,
    overscan: 12,
    scrollMargin,
  })
  useLayoutEffect(() => {
    const body = bodyRef.current
    const main = body?.closest('main')
    if (!body || !main) return
    const m = body.getBoundingClientRect().top - main.getBoundingClientRect().top + main.scrollTop
    if (Math.abs(m - scrollMargin) > 1) setScrollMargin(m)
  }, [scrollMargin, adding, addingProm, shown.length])
  useEffect(() => {
    if (virtual) virtualizer.scrollToIndex(at, { align: 'auto' })
  }, [at, virtual, virtualizer])
  const items = virtual ? virtualizer.getVirtualItems() : []
  const rows = virtual ? items.map((v) => ({ h: shown[v.index], i: v.index })) : shown.map((h, i) => ({ h, i }))
  const padTop = virtual && items.length ? items[0].start - scrollMargin : 0
  const padBottom =
    virtual && items.length ? virtualizer.getTotalSize() - (items[items.length - 1].end - scrollMargin) : 0

  const open = (h: HostSummary): void => {
    setHostName(h.name)
    window.location.hash = hostHref(h.name, 'overview')
  }

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const typing = e.target instanceof HTMLElement && /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)
      if (e.key === '/' && !typing) {
        e.preventDefault()
        filterRef.current?.focus()
        return
      }
      if (e.key === 'Escape' && e.target === filterRef.current) {
        setFilter('')
        filterRef.current?.blur()
        return
      }
      if (typing && e.target !== filterRef.current) return
      if (e.key === 'ArrowDown' || (!typing && e.key === 'j')) {
        e.preventDefault()
        setCursor((c) => Math.min(c + 1, shown.length - 1))
      } else if (e.key === 'ArrowUp' || (!typing && e.key === 'k')) {
        e.preventDefault()
        setCursor((c) => Math.max(c - 1, 0))
      } else if (e.key === 'Enter' && shown[at]) {
        e.preventDefault()
        open(shown[at])
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  })

  const worst = hosts.filter((h) => h.health.level === 'critical').length
  return (
    <Screen
      id="hosts"
      title="Hosts"
      state={hostsError && hosts.length === 0 ? 'error' : hosts.length === 0 ? 'loading' : 'ready'}
      error={hostsError}
      actions={
        <>
          <button type="button" onClick={() => setAddingProm(true)} data-testid="add-prometheus">
            Add Prometheus…
          </button>
          <button type="button" className="primary" onClick={() => setAdding(true)} data-testid="add-host">
            Add SSH host…
          </button>
        </>
      }
    >
      {adding ? <AddHost onDone={() => setAdding(false)} /> : null}
      {addingProm ? <AddPromSource onDone={() => setAddingProm(false)} /> : null}
      <div className="toolbar pad-y">
        <input
          ref={filterRef}
          type="search"
          placeholder="Filter hosts (press /)"
          aria-label="Filter hosts"
          value={filter}
          onChange={(e) => {
            setFilter(e.target.value)
            setCursor(0)
          }}
          data-testid="hosts-filter"
        />
        <span className="muted small">
          {hosts.length} host{hosts.length === 1 ? '' : 's'}
          {worst ? ` · ${worst} critical` : ''} · ↑↓ to move, Enter to open
        </span>
      </div>
      <section className="panel table-wrap">
        <table className="table" data-testid="hosts-table">
          <thead>
            <tr>
              <th scope="col">Host</th>
              <th scope="col">Health</th>
              <th scope="col" className="num">
                GPUs
              </th>
              <th scope="col">Fullest filesystem</th>
              <th scope="col" className="num">
                CPU
              </th>
              <th scope="col" className="num">
                Memory
              </th>
              <th scope="col">Connection</th>
              <th scope="col">Updated</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody ref={bodyRef}>
            {padTop > 0 ? (
              <tr aria-hidden="true" style={{ height: padTop }}>
                <td colSpan={9} />
              </tr>
            ) : null}
            {rows.map(({ h, i }) => (
              <tr
                key={h.name}
                className={i === at ? 'selected' : undefined}
                aria-selected={i === at}
                data-host={h.name}
                onClick={() => setCursor(i)}
                onDoubleClick={() => open(h)}
              >
                <td>
                  <a href={hostHref(h.name, 'overview')} onClick={() => setHostName(h.name)}>
                    <strong>{h.name}</strong>
                  </a>
                  <AlertMark about={{ host: h.name }} />
                  {h.name === hostName ? <span className="tag small">shown</span> : null}
                  <div className="muted small mono">{h.address ?? h.hostname ?? 'this machine'}</div>
                  {h.sources.length > 1 || h.kind === 'prometheus' ? (
                    <div className="muted small" data-testid="host-sources">
                      {h.sources
                        .map((x) => (x.startsWith('prometheus:') ? `Prometheus ${x.slice(11)}` : x))
                        .join(' + ')}
                    </div>
                  ) : null}
                  {h.owner ? <div className="muted small">owner {h.owner}</div> : null}
                </td>
                <td>
                  <HealthBadge level={h.health.level} />
                  {h.health.reasons.length ? (
                    <div className="small detail" data-testid="host-reason">
                      {h.health.reasons[0]}
                      {h.health.reasons.length > 1 ? ` (+${h.health.reasons.length - 1} more)` : ''}
                    </div>
                  ) : null}
                </td>
                <td className="num">
                  {h.gpus.count ? (
                    <a href={hostHref(h.name, 'gpus')} onClick={() => setHostName(h.name)} data-testid="host-gpus">
                      {h.gpus.count}
                      {h.gpus.avgUtilPct === null ? '' : ` · ${h.gpus.avgUtilPct.toFixed(0)} %`}
                    </a>
                  ) : (
                    <span className="muted">{h.gpus.state === 'no-driver' ? 'none' : '—'}</span>
                  )}
                </td>
                <td>{h.storage ? `${h.storage.mount} ${h.storage.usedPct.toFixed(0)} %` : '—'}</td>
                <td className="num">{h.cpuPct === null ? '—' : `${h.cpuPct.toFixed(0)} %`}</td>
                <td className="num">{h.memPct === null ? '—' : `${h.memPct.toFixed(0)} %`}</td>
                <td>
                  <span className={`conn-state conn-${h.connection.state}`}>
                    {STATE_TEXT[h.connection.state] ?? h.connection.state}
                  </span>
                  {h.kind === 'ssh' && h.connection.state !== 'up' ? (
                    <div className="muted small">since {ago(h.connection.since, now)}</div>
                  ) : null}
                </td>
                <td className="small">{ago(h.lastUpdate, now)}</td>
                <td>
                  {h.kind === 'ssh' ? (
                    <button type="button" className="link-button" onClick={() => setEditing(h.name)}>
                      {h.connection.state === 'host-key-changed' ? 'Review key…' : 'Edit…'}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
            {padBottom > 0 ? (
              <tr aria-hidden="true" style={{ height: padBottom }}>
                <td colSpan={9} />
              </tr>
            ) : null}
          </tbody>
        </table>
        {shown.length === 0 && hosts.length > 0 ? <p className="muted pad">No host matches “{filter}”.</p> : null}
      </section>
      {editing ? (
        <EditHost host={hosts.find((h) => h.name === editing) ?? null} onDone={() => setEditing(null)} />
      ) : null}
      <PromSources />
    </Screen>
  )
}

function ProbeView({ p }: { p: HostProbe }) {
  return (
    <dl className="kv small" data-testid="host-probe">
      <dt>Address</dt>
      <dd className="mono">
        {p.settings.user}@{p.settings.hostname}:{p.settings.port}
        {p.settings.proxyJump.length ? ` via ${p.settings.proxyJump.join(' → ')}` : ''}
      </dd>
      <dt>Host key</dt>
      <dd>
        {p.fingerprint ? (
          <>
            <code className="verbatim" data-testid="host-fingerprint">
              {p.fingerprint}
            </code>{' '}
            <span className="muted">({p.keyType})</span>
          </>
        ) : (
          'not seen'
        )}
        <div className={p.knownHosts === 'mismatch' ? 'error' : 'muted'}>
          {p.knownHosts === 'match'
            ? '~/.ssh/known_hosts has this key for the host.'
            : p.knownHosts === 'mismatch'
              ? '~/.ssh/known_hosts has ANOTHER key for this host: it may not be the server you think.'
              : '~/.ssh/known_hosts does not know this host.'}
        </div>
      </dd>
      {p.ok ? (
        <>
          <dt>System</dt>
          <dd>{p.os ?? 'unknown'}</dd>
          <dt>Tools</dt>
          <dd>
            {Object.entries(p.tools).map(([t, ok]) => (
              <span key={t} className={`tag small ${ok ? '' : 'tag-warn'}`}>
                {t} {ok ? '✓' : 'missing'}
              </span>
            ))}
          </dd>
        </>
      ) : (
        <>
          <dt>Result</dt>
          <dd className="error">{p.error}</dd>
        </>
      )}
    </dl>
  )
}

function AddHost({ onDone }: { onDone: () => void }) {
  const { bridge } = useBridge()
  const setHostName = useStore((s) => s.setHostName)
  const [target, setTarget] = useState('')
  const [name, setName] = useState('')
  const [identityFile, setIdentityFile] = useState('')
  const [passphrase, setPassphrase] = useState('')
  const [owner, setOwner] = useState('')
  const [probe, setProbe] = useState<HostProbe | null>(null)
  const [confirmed, setConfirmed] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const creds = {
    target: target.trim(),
    ...(identityFile.trim() ? { identityFile: identityFile.trim() } : {}),
    ...(passphrase ? { passphrase } : {}),
  }

  async function test(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setConfirmed(false)
    const r = await bridge.call('hosts.test', creds)
    setBusy(false)
    if (r.ok) setProbe(r.data)
    else {
      setProbe(null)
      setError(r.error.message)
    }
  }
  async function add(): Promise<void> {
    if (!probe?.fingerprint) return
    setBusy(true)
    setError(null)
    const r = await bridge.call('hosts.add', {
      ...creds,
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(owner.trim() ? { owner: owner.trim() } : {}),
      ...(probe.knownHosts === 'match' ? {} : { acceptFingerprint: probe.fingerprint }),
    })
    setBusy(false)
    if (!r.ok) return setError(r.error.message)
    setHostName(r.data.name)
    onDone()
  }
  const needsConfirm = probe?.knownHosts === 'unknown' && probe.fingerprint !== null
  // Unknown keys are tested before any login: once confirmed, the login itself is tried on add.
  const canAdd =
    probe !== null &&
    probe.fingerprint !== null &&
    probe.knownHosts !== 'mismatch' &&
    (probe.ok || needsConfirm) &&
    (!needsConfirm || confirmed)
  return (
    <div
      className="dialog"
      role="dialog"
      aria-modal="true"
      aria-labelledby="add-host-title"
      data-testid="add-host-dialog"
    >
      <h3 id="add-host-title">Add an SSH host</h3>
      <p className="muted small">
        Nothing is installed on it: Gantry logs in with your ssh-agent or a key file and runs nvidia-smi, df and cat
        there. An alias of ~/.ssh/config (with its HostName, User, Port, IdentityFile and ProxyJump) works too.
      </p>
      <form className="form-grid" onSubmit={test}>
        <label>
          user@host[:port] or alias
          <input
            required
            value={target}
            onChange={(e) => {
              setTarget(e.target.value)
              setProbe(null)
            }}
            placeholder="ops@gpu-07:22"
            data-testid="host-target"
          />
        </label>
        <label>
          Key file (empty: the ssh-agent)
          <input
            value={identityFile}
            onChange={(e) => setIdentityFile(e.target.value)}
            placeholder="~/.ssh/id_ed25519"
            data-testid="host-identity"
          />
        </label>
        <label>
          Key passphrase (kept in the secrets store)
          <input
            type="password"
            value={passphrase}
            onChange={(e) => setPassphrase(e.target.value)}
            autoComplete="off"
          />
        </label>
        <label>
          Name in Gantry
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="the alias or host"
            data-testid="host-name"
          />
        </label>
        <label>
          Owner
          <input value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="team that answers for it" />
        </label>
        <button type="submit" disabled={busy || !target.trim()} data-testid="host-test">
          {busy && !probe ? 'Connecting…' : 'Test connection'}
        </button>
      </form>
      {probe ? <ProbeView p={probe} /> : null}
      {needsConfirm ? (
        <label className="check small">
          <input
            type="checkbox"
            checked={confirmed}
            onChange={(e) => setConfirmed(e.target.checked)}
            data-testid="host-confirm-key"
          />{' '}
          I compared this fingerprint with the server’s own (<code>ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub</code>{' '}
          there): pin it and trust this key only.
        </label>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="add-host-error">
          {error}
        </p>
      ) : null}
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={!canAdd || busy}
          onClick={() => void add()}
          data-testid="host-add"
        >
          {needsConfirm ? 'Pin key and add' : 'Add host'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </div>
  )
}

function EditHost({ host, onDone }: { host: HostSummary | null; onDone: () => void }) {
  const { bridge } = useBridge()
  const [owner, setOwner] = useState(host?.owner ?? '')
  const [error, setError] = useState<string | null>(null)
  const [removing, setRemoving] = useState(false)
  if (!host) return null
  const run = async (p: Promise<{ ok: boolean; error?: { message: string } }>, close = true): Promise<void> => {
    setError(null)
    const r = await p
    if (!r.ok) setError(r.error?.message ?? 'failed')
    else if (close) onDone()
  }
  const c = host.connection
  return (
    <div
      className="dialog"
      role="dialog"
      aria-modal="true"
      aria-labelledby="edit-host-title"
      data-testid="edit-host-dialog"
    >
      <h3 id="edit-host-title">
        {host.name} <span className="muted small mono">{host.address}</span>
      </h3>
      {c.state === 'host-key-changed' ? (
        <div className="banner" role="alert" data-testid="key-changed">
          <p>
            The host key changed. Gantry refuses to log in until someone who checked the server accepts the new key — a
            changed key can mean a reinstalled server, or someone in the middle.
          </p>
          <dl className="kv small">
            <dt>Pinned</dt>
            <dd className="mono">{c.pinned}</dd>
            <dt>Shown now</dt>
            <dd className="mono">{c.fingerprint}</dd>
          </dl>
          <button
            type="button"
            className="danger"
            onClick={() =>
              void run(bridge.call('hosts.acceptKey', { name: host.name, fingerprint: c.fingerprint ?? '' }))
            }
            data-testid="accept-key"
          >
            I checked it: accept {c.fingerprint?.slice(0, 20)}…
          </button>
        </div>
      ) : (
        <dl className="kv small">
          <dt>Key</dt>
          <dd className="mono">{c.pinned ?? 'not pinned'}</dd>
          <dt>Connection</dt>
          <dd>
            {STATE_TEXT[c.state] ?? c.state}
            {c.lastError ? <div className="muted">{c.lastError}</div> : null}
          </dd>
        </dl>
      )}
      <div className="form-grid">
        <label>
          Owner
          <input value={owner} onChange={(e) => setOwner(e.target.value)} />
        </label>
        <button
          type="button"
          onClick={() => void run(bridge.call('hosts.update', { name: host.name, owner: owner.trim() || null }))}
        >
          Save owner
        </button>
        <button
          type="button"
          onClick={() => void run(bridge.call('hosts.update', { name: host.name, enabled: !host.enabled }))}
          data-testid="toggle-host"
        >
          {host.enabled ? 'Turn off (keep its data)' : 'Turn on'}
        </button>
      </div>
      {removing ? (
        <div className="actions">
          <span>Remove {host.name} and its stored samples?</span>
          <button
            type="button"
            className="danger"
            onClick={() => void run(bridge.call('hosts.remove', { name: host.name }))}
            data-testid="remove-host"
          >
            Remove
          </button>
          <button type="button" onClick={() => setRemoving(false)}>
            Keep it
          </button>
        </div>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="actions">
        {!removing ? (
          <button type="button" onClick={() => setRemoving(true)}>
            Remove…
          </button>
        ) : null}
        <button type="button" onClick={onDone}>
          Close
        </button>
      </div>
    </div>
  )
}
