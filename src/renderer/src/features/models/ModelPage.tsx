// One model: the owner card (edited against the model's revision, so two people editing at once
// never lose a change), policy, flags, the model card, versions with lineage and stage actions,
// approvals (requested, decided by someone else, commented), the alias timeline, the history.
import { useState } from 'react'
import type { Approval, ModelDetail, Stage, Version } from '../../../../shared/registry'
import { FLAG_TEXT, TRANSITIONS } from '../../../../shared/registry'
import { useBridge } from '../../bridge/context'
import { bytes } from '../../ui/format'
import { Screen } from '../../ui/Screen'
import { DeploySection } from '../deploy/DeploySection'
import { ModelDrift } from '../drift/ModelDrift'
import { ModelKpis } from './ModelKpis'
import { ModelAlerts, ModelRetrain } from './ModelRetrain'
import { ModelRelease } from '../release/ModelRelease'
import { AuditTable, StageChip } from './Models'
import { modelHref } from './useRegistry'
import { useCall } from '../../bridge/useCall'
import { when } from '../../ui/format'
import { useStore } from '../../store'
import { personOf } from '../../../../shared/actor'

export function ModelPage({ name }: { name: string }) {
  const d = useCall('registry.getModel', { name }, name)
  const [error, setError] = useState<string | null>(null)
  return (
    <Screen
      id="model"
      title={name}
      state={d.loading && !d.data ? 'loading' : d.error && !d.data ? 'error' : 'ready'}
      error={d.error}
      actions={<a href="#/models">← All models</a>}
    >
      {d.data ? (
        <>
          {error ? (
            <p className="state-note error" role="alert" data-testid="action-error">
              {error}{' '}
              <button type="button" className="link-button" onClick={() => setError(null)}>
                dismiss
              </button>
            </p>
          ) : null}
          <ModelBody d={d.data} onError={setError} />
        </>
      ) : null}
    </Screen>
  )
}

function ModelBody({ d, onError }: { d: ModelDetail; onError: (e: string | null) => void }) {
  const m = d.model
  const aliasMoves = d.history.filter((h) => h.action === 'alias.set' || h.action === 'alias.delete')
  return (
    <>
      <p className="subtitle">{m.description || 'No description.'}</p>
      {d.flags.length ? (
        <ul className="reasons" data-testid="model-flags">
          {d.flags.map((f) => (
            <li key={f} data-flag={f}>
              {FLAG_TEXT[f]}
            </li>
          ))}
        </ul>
      ) : null}
      {d.problems.length ? (
        <ul className="reasons" data-testid="model-problems">
          {d.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <div className="two-col">
        <OwnerCard d={d} onError={onError} />
        <section className="panel" data-testid="model-card">
          <h2>Model card</h2>
          {m.card ? (
            <pre className="card-md">{m.card}</pre>
          ) : (
            <p className="muted">No model card yet (Markdown, edited with the owner card).</p>
          )}
          {Object.keys(m.tags).length ? (
            <p>
              {Object.entries(m.tags).map(([k, v]) => (
                <span key={k} className="tag">
                  {k}={v}
                </span>
              ))}
            </p>
          ) : null}
        </section>
      </div>
      <Versions d={d} onError={onError} />
      <ModelAlerts model={m.name} />
      <DeploySection model={m.name} versions={d.versions} />
      <ModelRelease model={m.name} versions={d.versions} />
      <ModelDrift model={m.name} />
      <ModelKpis model={m.name} />
      <ModelRetrain model={m.name} />
      <Approvals d={d} onError={onError} />
      <section className="panel" data-testid="alias-timeline">
        <h2>Alias history</h2>
        {aliasMoves.length === 0 ? (
          <p className="muted">No alias has been set.</p>
        ) : (
          <ol className="timeline">
            {aliasMoves.map((h) => {
              const b = h.before as { alias: string; version: number } | null
              const a = h.after as { alias: string; version: number } | null
              return (
                <li key={h.seq}>
                  <span className="small muted">{when(h.at)}</span> <strong>{a?.alias ?? b?.alias}</strong>{' '}
                  {a ? (b ? `v${b.version} → v${a.version}` : `→ v${a.version}`) : `removed (was v${b?.version})`}{' '}
                  <span className="muted">by {h.actor}</span>
                </li>
              )
            })}
          </ol>
        )}
      </section>
      <section className="panel table-wrap" data-testid="model-history">
        <h2 className="pad">History</h2>
        <AuditTable rows={d.history} />
      </section>
    </>
  )
}

function OwnerCard({ d, onError }: { d: ModelDetail; onError: (e: string | null) => void }) {
  const { bridge } = useBridge()
  const m = d.model
  const [editing, setEditing] = useState(false)
  const [form, setForm] = useState({
    ownerTeam: '',
    ownerContact: '',
    oncall: '',
    description: '',
    card: '',
    approval: false,
  })
  function start(): void {
    setForm({
      ownerTeam: m.ownerTeam ?? '',
      ownerContact: m.ownerContact ?? '',
      oncall: m.oncall ?? '',
      description: m.description,
      card: m.card,
      approval: m.policy.productionNeedsApproval,
    })
    setEditing(true)
  }
  async function save(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    const r = await bridge.call('registry.updateModel', {
      name: m.name,
      revision: m.revision,
      patch: {
        ownerTeam: form.ownerTeam || null,
        ownerContact: form.ownerContact || null,
        oncall: form.oncall || null,
        description: form.description,
        card: form.card,
        policy: { productionNeedsApproval: form.approval },
      },
    })
    if (r.ok) {
      setEditing(false)
      onError(null)
    } else onError(r.error.message)
  }
  async function review(): Promise<void> {
    const r = await bridge.call('registry.reviewModel', { name: m.name })
    onError(r.ok ? null : r.error.message)
  }
  if (editing) {
    return (
      <section className="panel" data-testid="owner-card">
        <h2>Owner</h2>
        <form className="form-grid" onSubmit={(e) => void save(e)}>
          {(
            [
              ['ownerTeam', 'Owner team'],
              ['ownerContact', 'Contact'],
              ['oncall', 'On-call / escalation'],
              ['description', 'Description'],
            ] as const
          ).map(([k, label]) => (
            <label key={k}>
              {label}
              <input value={form[k]} onChange={(e) => setForm({ ...form, [k]: e.target.value })} />
            </label>
          ))}
          <label className="wide">
            Model card (Markdown)
            <textarea rows={6} value={form.card} onChange={(e) => setForm({ ...form, card: e.target.value })} />
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={form.approval}
              onChange={(e) => setForm({ ...form, approval: e.target.checked })}
            />{' '}
            Production needs an approval by someone else
          </label>
          <div>
            <button type="submit">Save</button>{' '}
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      </section>
    )
  }
  return (
    <section className="panel" data-testid="owner-card">
      <h2>Owner</h2>
      <dl className="facts">
        <dt>Team</dt>
        <dd data-testid="owner-team">{m.ownerTeam ?? <span className="tag tag-warn">no owner</span>}</dd>
        <dt>Contact</dt>
        <dd>{m.ownerContact ?? '—'}</dd>
        <dt>On-call</dt>
        <dd>{m.oncall ?? '—'}</dd>
        <dt>Policy</dt>
        <dd>{m.policy.productionNeedsApproval ? 'production needs an approval' : 'no approval needed'}</dd>
        <dt>Last review</dt>
        <dd>{m.reviewedAt ? `${when(m.reviewedAt)} by ${m.reviewedBy}` : 'never'}</dd>
        <dt>Created</dt>
        <dd>
          {when(m.createdAt)} by {m.createdBy} · revision {m.revision}
        </dd>
      </dl>
      <button type="button" onClick={start}>
        Edit
      </button>{' '}
      <button type="button" onClick={() => void review()}>
        Mark reviewed
      </button>
    </section>
  )
}

function Versions({ d, onError }: { d: ModelDetail; onError: (e: string | null) => void }) {
  return (
    <section className="panel table-wrap" data-testid="versions">
      <h2 className="pad">Versions</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Stage</th>
            <th scope="col">Aliases</th>
            <th scope="col">Parent</th>
            <th scope="col">Artifact</th>
            <th scope="col">Created</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {d.versions.map((v) => (
            <VersionRow
              key={v.version}
              m={d.model.name}
              v={v}
              onError={onError}
              needsApproval={d.model.policy.productionNeedsApproval}
              pending={d.approvals.some((a) => a.version === v.version && a.status === 'pending')}
            />
          ))}
        </tbody>
      </table>
    </section>
  )
}

function VersionRow({
  m,
  v,
  onError,
  needsApproval,
  pending,
}: {
  m: string
  v: Version
  onError: (e: string | null) => void
  /** The model's policy asks an approval for production: only then is one requested. */
  needsApproval: boolean
  pending: boolean
}) {
  const { bridge } = useBridge()
  const next = TRANSITIONS[v.stage]
  const [target, setTarget] = useState<Stage | ''>('')
  const [alias, setAlias] = useState('')
  async function move(): Promise<void> {
    if (!target) return
    const r = await bridge.call('registry.transition', { name: m, version: v.version, stage: target })
    onError(r.ok ? null : r.error.message)
    setTarget('')
  }
  async function setAliasTo(): Promise<void> {
    if (!alias.trim()) return
    const r = await bridge.call('registry.setAlias', { name: m, alias: alias.trim(), version: v.version })
    onError(r.ok ? null : r.error.message)
    if (r.ok) setAlias('')
  }
  async function ask(): Promise<void> {
    const r = await bridge.call('registry.requestApproval', { name: m, version: v.version })
    onError(r.ok ? null : r.error.message)
  }
  return (
    <tr data-version={v.version}>
      <td>
        <a className="mono" href={modelHref(m, v.version)}>
          v{v.version}
        </a>
      </td>
      <td>
        <StageChip stage={v.stage} />
      </td>
      <td>
        {v.aliases.map((a) => (
          <span key={a} className="tag">
            @{a}
          </span>
        ))}
      </td>
      <td className="mono">{v.parent ? <a href={modelHref(m, v.parent)}>v{v.parent}</a> : '—'}</td>
      <td className="mono small" title={v.artifact.location}>
        {v.artifact.sha256 ? `${v.artifact.sha256.slice(0, 12)}…` : 'unhashed'} · {bytes(v.artifact.sizeBytes)}
      </td>
      <td className="small">
        {when(v.createdAt)} · {v.createdBy}
      </td>
      <td className="actions">
        {next.length ? (
          <>
            <select
              aria-label={`Move v${v.version} to`}
              value={target}
              onChange={(e) => setTarget(e.target.value as Stage)}
            >
              <option value="">move to…</option>
              {next.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
            <button type="button" disabled={!target} onClick={() => void move()}>
              Move
            </button>
          </>
        ) : null}
        {v.stage !== 'archived' && v.stage !== 'retired' ? (
          <>
            <input
              aria-label={`Alias for v${v.version}`}
              placeholder="alias"
              size={9}
              value={alias}
              onChange={(e) => setAlias(e.target.value)}
            />
            <button type="button" disabled={!alias.trim()} onClick={() => void setAliasTo()}>
              Set
            </button>
          </>
        ) : null}
        {next.includes('production') && needsApproval ? (
          pending ? (
            <span className="tag" data-flag="approval-pending">
              approval waiting
            </span>
          ) : (
            <button type="button" onClick={() => void ask()}>
              Request approval
            </button>
          )
        ) : null}
      </td>
    </tr>
  )
}

function Approvals({ d, onError }: { d: ModelDetail; onError: (e: string | null) => void }) {
  if (d.approvals.length === 0 && !d.model.policy.productionNeedsApproval) return null
  return (
    <section className="panel" data-testid="approvals">
      <h2>Approvals</h2>
      {d.approvals.length === 0 ? <p className="muted">No approval requests yet.</p> : null}
      {d.approvals.map((a) => (
        <ApprovalItem key={a.id} a={a} onError={onError} />
      ))}
    </section>
  )
}

function ApprovalItem({ a, onError }: { a: Approval; onError: (e: string | null) => void }) {
  const { bridge } = useBridge()
  const me = useStore((s) => s.info?.actor ?? null)
  // The requester withdraws; someone else decides (the core refuses otherwise, on every door).
  const mine = me !== null && personOf(me) === personOf(a.requestedBy)
  const [comment, setComment] = useState('')
  async function decide(decision: 'approve' | 'reject' | 'withdraw'): Promise<void> {
    const r = await bridge.call('registry.decideApproval', {
      id: a.id,
      decision,
      ...(comment.trim() ? { comment: comment.trim() } : {}),
    })
    onError(r.ok ? null : r.error.message)
    if (r.ok) setComment('')
  }
  async function say(): Promise<void> {
    if (!comment.trim()) return
    const r = await bridge.call('registry.commentApproval', { id: a.id, text: comment.trim() })
    onError(r.ok ? null : r.error.message)
    if (r.ok) setComment('')
  }
  return (
    <div className="approval" data-approval={a.id} data-status={a.status}>
      <p>
        <strong>#{a.id}</strong> v{a.version} to production —{' '}
        <span className={`tag approval-${a.status}`}>{a.status}</span>{' '}
        <span className="muted small">
          asked by {a.requestedBy} {when(a.requestedAt)}
          {a.decidedBy ? ` · decided by ${a.decidedBy} ${when(a.decidedAt)}` : ''}
        </span>
      </p>
      <ul className="comments">
        {a.comments.map((c, i) => (
          <li key={i}>
            <strong>{c.actor}</strong> <span className="muted small">{when(c.at)}</span>: {c.text}
          </li>
        ))}
      </ul>
      {a.status === 'pending' ? (
        <div className="actions">
          <input
            aria-label={`Comment on request ${a.id}`}
            placeholder="comment"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
          <button type="button" onClick={() => void say()} disabled={!comment.trim()}>
            Comment
          </button>
          {mine ? (
            <>
              <span className="muted small">you asked: someone else approves or rejects</span>
              <button type="button" onClick={() => void decide('withdraw')}>
                Withdraw
              </button>
            </>
          ) : (
            <>
              <button type="button" onClick={() => void decide('approve')}>
                Approve
              </button>
              <button type="button" onClick={() => void decide('reject')}>
                Reject
              </button>
            </>
          )}
        </div>
      ) : null}
    </div>
  )
}
