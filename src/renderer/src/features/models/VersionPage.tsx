// One version: its artifact and hash (re-verified on demand), datasets with their fingerprints,
// params and metrics, and what changed against its parent.
import { useState } from 'react'
import type { ArtifactCheck, Version } from '../../../../shared/registry'
import { useBridge } from '../../bridge/context'
import { bytes } from '../../ui/format'
import { Screen } from '../../ui/Screen'
import { StageChip } from './Models'
import { modelHref } from './useRegistry'
import { useCall } from '../../bridge/useCall'
import { when } from '../../ui/format'

interface DiffRow {
  what: string
  parent: string
  self: string
}

/** What differs between a version and its parent, field by field. */
export function diffVersions(parent: Version, v: Version): DiffRow[] {
  const rows: DiffRow[] = []
  const add = (what: string, a: unknown, b: unknown): void => {
    const sa = a === undefined || a === null ? '—' : String(a)
    const sb = b === undefined || b === null ? '—' : String(b)
    if (sa !== sb) rows.push({ what, parent: sa, self: sb })
  }
  add('artifact sha256', parent.artifact.sha256, v.artifact.sha256)
  add('artifact size', bytes(parent.artifact.sizeBytes), bytes(v.artifact.sizeBytes))
  add('format', parent.format, v.format)
  add('source commit', parent.sourceCommit, v.sourceCommit)
  for (const k of [...new Set([...Object.keys(parent.params), ...Object.keys(v.params)])].sort()) {
    add(`param ${k}`, parent.params[k], v.params[k])
  }
  for (const k of [...new Set([...Object.keys(parent.metrics), ...Object.keys(v.metrics)])].sort()) {
    add(`metric ${k}`, parent.metrics[k], v.metrics[k])
  }
  for (const role of ['training', 'validation', 'reference'] as const) {
    const fp = (x: Version): string =>
      x.datasets
        .filter((d) => d.role === role)
        .map((d) => `${d.uri} (${d.sha256?.slice(0, 10) ?? 'unhashed'})`)
        .join(', ')
    add(`${role} data`, fp(parent) || null, fp(v) || null)
  }
  return rows
}

export function VersionPage({ name, version }: { name: string; version: number }) {
  const { bridge } = useBridge()
  const r = useCall('registry.getVersion', { name, version }, `${name}@${version}`)
  const model = useCall('registry.getModel', { name }, `model-${name}`)
  const pending = (model.data?.approvals ?? []).filter((a) => a.version === version && a.status === 'pending')
  const [check, setCheck] = useState<ArtifactCheck | null>(null)
  const [checking, setChecking] = useState(false)
  const v = r.data?.version
  const parent = r.data?.parent ?? null

  async function verify(): Promise<void> {
    setChecking(true)
    const c = await bridge.call('registry.verifyArtifact', { name, version })
    setChecking(false)
    setCheck(
      c.ok
        ? c.data
        : { model: name, version, location: '', expected: null, actual: null, ok: false, problem: c.error.message },
    )
  }

  return (
    <Screen
      id="version"
      title={`${name} v${version}`}
      state={r.loading && !r.data ? 'loading' : r.error && !r.data ? 'error' : 'ready'}
      error={r.error}
      actions={<a href={modelHref(name)}>← {name}</a>}
    >
      {v ? (
        <>
          <p className="subtitle">
            <StageChip stage={v.stage} />{' '}
            {v.aliases.map((a) => (
              <span key={a} className="tag">
                @{a}
              </span>
            ))}{' '}
            {v.description}
          </p>
          {pending.map((a) => (
            <p key={a.id} className="state-note warn" data-testid="version-approval">
              Approval #{a.id} for production is waiting for a decision (asked by {a.requestedBy}, {when(a.requestedAt)}
              ): <a href={modelHref(name)}>decide it on the model page</a>.
            </p>
          ))}
          <div className="two-col">
            <section className="panel" data-testid="artifact">
              <h2>Artifact</h2>
              <dl className="facts">
                <dt>Location</dt>
                <dd className="mono">{v.artifact.location}</dd>
                <dt>Kind</dt>
                <dd>
                  {v.artifact.kind}
                  {v.artifact.kind === 'dir' ? `, ${v.artifact.files} files` : ''}
                  {v.artifact.managed ? ' · managed copy' : ' · referenced where it is'}
                </dd>
                <dt>sha256</dt>
                <dd className="mono small" data-testid="sha256">
                  {v.artifact.sha256 ?? 'none: not readable when it was registered'}
                </dd>
                <dt>Size</dt>
                <dd>{bytes(v.artifact.sizeBytes)}</dd>
                <dt>Format</dt>
                <dd>{v.format ?? '—'}</dd>
                <dt>Created</dt>
                <dd>
                  {when(v.createdAt)} by {v.createdBy}
                </dd>
                <dt>Commit</dt>
                <dd className="mono">{v.sourceCommit ?? '—'}</dd>
                <dt>Parent</dt>
                <dd>{v.parent ? <a href={modelHref(name, v.parent)}>v{v.parent}</a> : '—'}</dd>
              </dl>
              <button type="button" onClick={() => void verify()} disabled={checking}>
                {checking ? 'Hashing…' : 'Verify hash now'}
              </button>
              {check ? (
                <p className={check.ok ? 'ok-note' : 'state-note error'} role="status" data-testid="verify-result">
                  {check.ok
                    ? `Verified: the artifact still hashes to ${check.actual?.slice(0, 16)}…`
                    : `Not verified: ${check.problem}`}
                </p>
              ) : null}
            </section>
            <section className="panel" data-testid="params">
              <h2>Parameters and metrics</h2>
              {Object.keys(v.params).length ? <h3 className="chart-title">Parameters</h3> : null}
              <dl className="facts">
                {Object.entries(v.params).map(([k, val]) => (
                  <Fragment2 key={`p-${k}`} k={k} v={val} />
                ))}
              </dl>
              {Object.keys(v.metrics).length ? <h3 className="chart-title">Metrics</h3> : null}
              <dl className="facts">
                {Object.entries(v.metrics).map(([k, val]) => (
                  <Fragment2 key={`m-${k}`} k={k} v={String(val)} />
                ))}
              </dl>
              {Object.keys(v.params).length + Object.keys(v.metrics).length === 0 ? (
                <p className="muted">None recorded.</p>
              ) : null}
            </section>
          </div>
          <section className="panel table-wrap" data-testid="datasets">
            <h2 className="pad">Datasets</h2>
            {v.datasets.length === 0 ? (
              <p className="muted pad">
                No datasets recorded
                {v.stage === 'production' ? ': drift cannot be monitored without a reference.' : '.'}
              </p>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Role</th>
                    <th scope="col">Where</th>
                    <th scope="col">sha256</th>
                    <th scope="col" className="num">
                      Rows
                    </th>
                    <th scope="col" className="num">
                      Size
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {v.datasets.map((d, i) => (
                    <tr key={i}>
                      <td>{d.role}</td>
                      <td className="mono small">{d.uri}</td>
                      <td className="mono small">{d.sha256 ? `${d.sha256.slice(0, 16)}…` : 'not hashed (URI)'}</td>
                      <td className="num">{d.rows ?? '—'}</td>
                      <td className="num">{bytes(d.sizeBytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section className="panel table-wrap" data-testid="diff">
            <h2 className="pad">{parent ? `Changes from v${parent.version}` : 'Changes from its parent'}</h2>
            {!parent ? (
              <p className="muted pad">No parent version recorded.</p>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">What</th>
                    <th scope="col">v{parent.version}</th>
                    <th scope="col">v{v.version}</th>
                  </tr>
                </thead>
                <tbody>
                  {diffVersions(parent, v).map((row) => (
                    <tr key={row.what}>
                      <td>{row.what}</td>
                      <td className="mono small">{row.parent}</td>
                      <td className="mono small">{row.self}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      ) : null}
    </Screen>
  )
}

function Fragment2({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt className="mono">{k}</dt>
      <dd className="mono">{v}</dd>
    </>
  )
}
