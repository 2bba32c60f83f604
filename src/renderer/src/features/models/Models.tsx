// Models: every model with its owner, versions per stage and flags (unowned, production without a
// drift reference, stale candidate, review overdue); the ownership board (owners × models ×
// stages); registering a version with a hashing progress bar; imports; the audit chain's state.
import { useEffect, useMemo, useState } from 'react'
import type { ImportReport, ModelSummary, Stage } from '../../../../shared/registry'
import { FLAG_TEXT, STAGES, attentionFlags } from '../../../../shared/registry'
import { useBridge } from '../../bridge/context'
import { createColumnHelper } from '@tanstack/react-table'
import { bytes, stamp } from '../../ui/format'
import { DataTable } from '../../ui/DataTable'
import { MidName } from '../../ui/Name'
import { Screen } from '../../ui/Screen'
import { modelHref } from './useRegistry'
import { useCall } from '../../bridge/useCall'
import { when } from '../../ui/format'
import { AlertMark } from '../alerts/AlertMark'

export function StageChip({ stage, children }: { stage: Stage; children?: React.ReactNode }) {
  return (
    <span className={`tag stage-${stage}`} data-stage={stage}>
      {children ?? stage}
    </span>
  )
}

export function Models() {
  const [owner, setOwner] = useState('')
  const [stage, setStage] = useState<Stage | ''>('')
  const input = { owner: owner || undefined, stage: stage || undefined }
  const list = useCall('registry.listModels', input, JSON.stringify(input))
  const all = useCall('registry.listModels', {}, 'all')
  const owners = useMemo(
    () => [...new Set((all.data ?? []).map((m) => m.ownerTeam).filter((o): o is string => !!o))].sort(),
    [all.data],
  )
  const models = list.data ?? []
  const every = all.data ?? []
  const flagged = every.filter((m) => needsAttention(m)).length
  const pending = every.reduce((n, m) => n + m.pendingApprovals, 0)

  return (
    <Screen
      id="models"
      title="Models"
      state={list.loading && !list.data ? 'loading' : list.error && !list.data ? 'error' : 'ready'}
      error={list.error}
    >
      <p className="subtitle">
        {all.data ? (
          <>
            {every.length} models · <span data-testid="models-attention">{flagged} need attention</span>
            {pending ? (
              <>
                {' '}
                ·{' '}
                <span data-testid="models-approvals">
                  {pending} approval{pending === 1 ? '' : 's'} waiting
                </span>
              </>
            ) : null}
          </>
        ) : (
          ''
        )}{' '}
        — the registry is the source of truth for what should run and who answers for it.
      </p>
      <section className="panel table-wrap" data-testid="models-list">
        <DataTable
          label="Models"
          data={models}
          columns={MODEL_COLUMNS}
          rowKey={(m) => m.name}
          rowAttrs={(m) => ({ 'data-model': m.name })}
          onOpen={(m) => (window.location.hash = modelHref(m.name))}
          filterPlaceholder="Search models"
          initialSort={[{ id: 'name', desc: false }]}
          maxHeight={640}
          toolbar={
            <>
              <select aria-label="Owner" value={owner} onChange={(e) => setOwner(e.target.value)}>
                <option value="">every owner</option>
                <option value="(none)">no owner</option>
                {owners.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
              <select aria-label="Stage" value={stage} onChange={(e) => setStage(e.target.value as Stage | '')}>
                <option value="">any stage</option>
                {STAGES.map((s) => (
                  <option key={s} value={s}>
                    has a {s} version
                  </option>
                ))}
              </select>
            </>
          }
          empty={
            <p className="muted pad">
              {every.length
                ? 'No model matches.'
                : 'No models yet: register a version below, scan a Triton model repository, or import an MLflow export.'}
            </p>
          }
        />
      </section>
      <OwnershipBoard models={every} />
      <div className="two-col">
        <RegisterPanel />
        <ImportPanel />
      </div>
      <AuditPanel />
    </Screen>
  )
}

/** What the Models list counts as needing attention — the health roll-up's rule (attentionFlags):
 *  a flag that asks something of someone, drift, a monitor that cannot read, a pending approval. */
const needsAttention = (m: ModelSummary): boolean =>
  attentionFlags(m).length > 0 || !!m.drift?.drifted || !!m.monitorError || m.pendingApprovals > 0

function attentionText(m: ModelSummary): string {
  return [
    ...(m.drift?.drifted ? [`drifted (${Math.round(m.drift.share * 100)} % of features)`] : []),
    ...(m.monitorError ? [`drift monitor: ${m.monitorError}`] : []),
    ...(m.pendingApprovals ? [`${m.pendingApprovals} approval(s) waiting`] : []),
    ...m.flags.map((f) => FLAG_TEXT[f]),
    ...(m.problems.length ? [`${m.problems.length} row(s) left out: ${m.problems.join('; ')}`] : []),
  ].join('\n')
}

const col = createColumnHelper<ModelSummary>()
const MODEL_COLUMNS = [
  col.accessor((m) => `${m.name} ${m.description} ${Object.values(m.tags).join(' ')}`, {
    id: 'name',
    header: 'Model',
    meta: { title: (m) => (m.description ? `${m.name} — ${m.description}` : m.name) },
    cell: (c) => (
      <span className="name-cell">
        <a href={modelHref(c.row.original.name)} className="mono name-link">
          <MidName text={c.row.original.name} />
        </a>
        <AlertMark about={{ model: c.row.original.name }} />
      </span>
    ),
    sortingFn: (a, b) => a.original.name.localeCompare(b.original.name),
  }),
  col.accessor((m) => m.ownerTeam ?? '', {
    id: 'owner',
    header: 'Owner',
    meta: { width: 140 },
    cell: (c) => c.getValue() || <span className="muted">—</span>,
  }),
  col.accessor('versions', { header: 'Versions', meta: { width: 90, num: true, priority: 3 } }),
  col.accessor((m) => m.production ?? 0, {
    id: 'production',
    header: 'Production',
    meta: { width: 110 },
    cell: (c) => <span className="mono">{c.row.original.production ? `v${c.row.original.production}` : '—'}</span>,
  }),
  col.accessor((m) => STAGES.filter((s) => m.stages[s] > 0 && s !== 'production').join(' '), {
    id: 'stages',
    header: 'Stages',
    meta: {
      width: 190,
      priority: 3,
      title: (m) =>
        STAGES.filter((s) => m.stages[s] > 0)
          .map((s) => `${m.stages[s]} ${s}`)
          .join(', '),
    },
    cell: (c) =>
      STAGES.filter((s) => c.row.original.stages[s] > 0 && s !== 'production').map((s) => (
        <StageChip key={s} stage={s}>
          {c.row.original.stages[s]} {s}
        </StageChip>
      )),
  }),
  col.accessor((m) => attentionText(m), {
    id: 'attention',
    header: 'Needs attention',
    meta: { width: 280, title: (m) => attentionText(m) || 'nothing' },
    sortingFn: (a, b) => Number(needsAttention(a.original)) - Number(needsAttention(b.original)),
    cell: (c) => {
      const m = c.row.original
      return (
        <span data-testid="flags">
          {m.drift?.drifted ? (
            <span className="tag tag-warn" data-flag="drifted" title={`latest window ${when(m.drift.at)}`}>
              drifted ({Math.round(m.drift.share * 100)} % of features)
            </span>
          ) : null}
          {m.monitorError ? (
            <span className="tag tag-warn" data-flag="monitor-error" title={m.monitorError}>
              drift monitor cannot read its logs
            </span>
          ) : null}
          {m.pendingApprovals ? (
            <span className="tag" data-flag="approval-pending">
              {m.pendingApprovals} approval{m.pendingApprovals === 1 ? '' : 's'} waiting
            </span>
          ) : null}
          {m.flags.map((f) => (
            <span
              key={f}
              className={`tag${attentionFlags(m).includes(f) ? ' tag-warn' : ''}`}
              data-flag={f}
              title={attentionFlags(m).includes(f) ? undefined : 'not in production: nobody to page yet'}
            >
              {FLAG_TEXT[f]}
            </span>
          ))}
          {m.problems.length ? (
            <span className="tag tag-warn" data-flag="bad-rows" title={m.problems.join('\n')}>
              {m.problems.length} row(s) left out
            </span>
          ) : null}
        </span>
      )
    },
  }),
  col.accessor('updatedAt', {
    header: 'Updated',
    meta: { width: 150, priority: 2, title: (m) => stamp(m.updatedAt) },
    cell: (c) => <span className="small">{when(c.getValue())}</span>,
  }),
]

/** Owners × stages: each cell the owner's models in that stage, wrapping within the window; a long
 *  list shows its first names and how many more (the list above filters by owner). */
function OwnershipBoard({ models }: { models: ModelSummary[] }) {
  const rows = useMemo(() => {
    const by = new Map<string, ModelSummary[]>()
    for (const m of models) {
      const k = m.ownerTeam ?? ''
      by.set(k, [...(by.get(k) ?? []), m])
    }
    return [...by.entries()].sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)))
  }, [models])
  if (models.length === 0) return null
  const shown: Stage[] = ['production', 'staging', 'registered', 'archived']
  const CAP = 12
  return (
    <section className="panel table-wrap" data-testid="ownership-board">
      <h2 className="pad">Ownership board</h2>
      <table className="table dt-table">
        <colgroup>
          <col style={{ width: 160 }} />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Owner</th>
            {shown.map((s) => (
              <th key={s} scope="col">
                {s}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(([owner, ms]) => (
            <tr key={owner || '(none)'} data-owner={owner || '(none)'}>
              <th scope="row" title={owner || 'no owner'}>
                {owner || <span className="tag tag-warn">no owner</span>}
              </th>
              {shown.map((s) => {
                const here = ms.filter((m) => m.stages[s] > 0)
                return (
                  <td key={s}>
                    <div className="board-cell">
                      {here.slice(0, CAP).map((m) => (
                        <a key={m.name} href={modelHref(m.name)} className="board-item mono ellipsis" title={m.name}>
                          {m.name}
                          {s === 'production' && m.production
                            ? ` v${m.production}`
                            : m.stages[s] > 1
                              ? ` ×${m.stages[s]}`
                              : ''}
                        </a>
                      ))}
                      {here.length > CAP ? (
                        <span
                          className="muted small"
                          title={here
                            .slice(CAP)
                            .map((m) => m.name)
                            .join('\n')}
                        >
                          and {here.length - CAP} more
                        </span>
                      ) : null}
                    </div>
                  </td>
                )
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function RegisterPanel() {
  const { bridge } = useBridge()
  const [model, setModel] = useState('')
  const [artifact, setArtifact] = useState('')
  const [reference, setReference] = useState('')
  const [owner, setOwner] = useState('')
  const [commit, setCommit] = useState('')
  const [copy, setCopy] = useState(false)
  const [busy, setBusy] = useState(false)
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null)
  const [result, setResult] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [jobId] = useState(() => `ui-${Math.random().toString(36).slice(2)}`)

  useEffect(
    () =>
      bridge.on('registry.progress', (p) => {
        if (p.jobId === jobId) setProgress({ done: p.bytesDone, total: p.bytesTotal })
      }),
    [bridge, jobId],
  )

  async function submit(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setResult(null)
    setProgress(null)
    const r = await bridge.call('registry.register', {
      model: model.trim(),
      artifact: artifact.trim(),
      jobId,
      ...(reference.trim() ? { datasets: [{ role: 'reference' as const, path: reference.trim() }] } : {}),
      ...(owner.trim() ? { ownerTeam: owner.trim() } : {}),
      ...(commit.trim() ? { commit: commit.trim() } : {}),
      ...(copy ? { copy } : {}),
    })
    setBusy(false)
    if (r.ok) {
      setResult(
        `Registered ${r.data.model} v${r.data.version} · sha256 ${r.data.artifact.sha256?.slice(0, 16)}… · ${bytes(r.data.artifact.sizeBytes)}`,
      )
      setArtifact('')
    } else setError(r.error.message)
  }

  const pctDone = progress && progress.total ? Math.min(100, (100 * progress.done) / progress.total) : busy ? 0 : null
  return (
    <section className="panel" data-testid="register">
      <h2>Register a version</h2>
      <p className="muted small">
        Paths are on the machine running the Gantry core. The artifact (a file or a folder) is hashed where it is, or
        copied into the managed store.
      </p>
      <form className="form-grid" onSubmit={(e) => void submit(e)}>
        <label>
          Model
          <input required value={model} onChange={(e) => setModel(e.target.value)} placeholder="fraud-detector" />
        </label>
        <label>
          Artifact path
          <input
            required
            value={artifact}
            onChange={(e) => setArtifact(e.target.value)}
            placeholder="/models/fraud/3"
          />
        </label>
        <label>
          Reference dataset (for drift)
          <input
            value={reference}
            onChange={(e) => setReference(e.target.value)}
            placeholder="/data/fraud/reference.csv"
          />
        </label>
        <label>
          Owner team (new model)
          <input value={owner} onChange={(e) => setOwner(e.target.value)} />
        </label>
        <label>
          Source commit
          <input value={commit} onChange={(e) => setCommit(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={copy} onChange={(e) => setCopy(e.target.checked)} /> Copy into the managed
          store
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Hashing…' : 'Register'}
        </button>
      </form>
      {pctDone !== null ? (
        <div
          className="progress"
          role="progressbar"
          aria-valuenow={Math.round(pctDone)}
          aria-valuemin={0}
          aria-valuemax={100}
          data-testid="hash-progress"
        >
          <div className="progress-fill" style={{ width: `${pctDone}%` }} />
          <span className="progress-label">
            {progress ? `${bytes(progress.done)} of ${bytes(progress.total)}` : 'starting…'}
          </span>
        </div>
      ) : null}
      {result ? (
        <p className="ok-note" role="status">
          {result}
        </p>
      ) : null}
      {error ? (
        <p className="state-note error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  )
}

function ImportPanel() {
  const { bridge } = useBridge()
  const [path, setPath] = useState('')
  const [kind, setKind] = useState<'triton' | 'mlflow'>('triton')
  const [owner, setOwner] = useState('')
  const [busy, setBusy] = useState(false)
  const [report, setReport] = useState<ImportReport | null>(null)
  const [error, setError] = useState<string | null>(null)

  async function submit(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setReport(null)
    const args = { path: path.trim(), ...(owner.trim() ? { ownerTeam: owner.trim() } : {}) }
    const r =
      kind === 'triton'
        ? await bridge.call('registry.scanTriton', args)
        : await bridge.call('registry.importMlflow', args)
    setBusy(false)
    if (r.ok) setReport(r.data)
    else setError(r.error.message)
  }

  return (
    <section className="panel" data-testid="import">
      <h2>Import</h2>
      <form className="form-grid" onSubmit={(e) => void submit(e)}>
        <label>
          From
          <select value={kind} onChange={(e) => setKind(e.target.value as 'triton' | 'mlflow')}>
            <option value="triton">a Triton model repository (folder)</option>
            <option value="mlflow">an MLflow export (model.json)</option>
          </select>
        </label>
        <label>
          Path
          <input required value={path} onChange={(e) => setPath(e.target.value)} />
        </label>
        <label>
          Owner team (new models)
          <input value={owner} onChange={(e) => setOwner(e.target.value)} />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </form>
      {report ? (
        <div role="status" data-testid="import-report">
          <p className="ok-note">
            Registered {report.registered.length} version(s) in {report.models.length} model(s).
          </p>
          <ul className="reasons">
            {report.skipped.map((s, i) => (
              <li key={i}>
                {s.model}
                {s.version === null ? '' : ` v${s.version}`}: {s.reason}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {error ? (
        <p className="state-note error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  )
}

function AuditPanel() {
  const v = useCall('audit.verify', {}, 'verify')
  const recent = useCall('audit.list', { limit: 500 }, 'recent')
  return (
    <section className="panel table-wrap" data-testid="audit">
      <div className="health-head pad">
        <h2>History</h2>
        {v.data ? (
          v.data.ok ? (
            <span className="badge badge-ok" data-chain="ok">
              <span className="dot" aria-hidden="true" />
              chain verified · {v.data.rows} rows
            </span>
          ) : (
            <span className="badge badge-critical" data-chain="broken" role="alert">
              <span className="dot" aria-hidden="true" />
              chain BROKEN at row {v.data.firstBad?.seq}: {v.data.firstBad?.reason}
            </span>
          )
        ) : null}
      </div>
      {v.data?.head ? <p className="muted small pad mono">head {v.data.head}</p> : null}
      <AuditTable rows={recent.data ?? []} />
    </section>
  )
}

type AuditEntry = {
  seq: number
  at: number
  actor: string
  action: string
  model: string | null
  version: number | null
  after: unknown
}
const acol = createColumnHelper<AuditEntry>()
const AUDIT_COLUMNS = [
  acol.accessor('seq', {
    header: '#',
    meta: { width: 70, num: true },
    cell: (c) => <span className="mono">{c.getValue()}</span>,
  }),
  acol.accessor('at', {
    header: 'When',
    meta: { width: 150, title: (r) => stamp(r.at) },
    cell: (c) => <span className="small">{when(c.getValue())}</span>,
  }),
  acol.accessor('actor', { header: 'Who', meta: { width: 170 } }),
  acol.accessor('action', {
    header: 'What',
    meta: { width: 170 },
    cell: (c) => <span className="mono">{c.getValue()}</span>,
  }),
  acol.accessor((r) => (r.model ? `${r.model}${r.version ? ` v${r.version}` : ''}` : ''), {
    id: 'model',
    header: 'Model',
    meta: { width: 200, priority: 2 },
    cell: (c) =>
      c.row.original.model ? (
        <a className="mono" href={modelHref(c.row.original.model, c.row.original.version ?? undefined)}>
          {c.getValue()}
        </a>
      ) : (
        ''
      ),
  }),
  acol.accessor((r) => summarize(r.after), {
    id: 'detail',
    header: 'Detail',
    meta: { title: (r) => JSON.stringify(r.after, null, 1) ?? '' },
    cell: (c) => <span className="mono small">{c.getValue()}</span>,
  }),
]

/** The audit rows on the console's table: filter by who, what or which model; newest first. */
export function AuditTable({ rows }: { rows: AuditEntry[] }) {
  if (!rows.length) return <p className="muted pad">Nothing has happened yet.</p>
  return (
    <div data-testid="audit-rows">
      <DataTable
        label="History"
        data={rows}
        columns={AUDIT_COLUMNS}
        rowKey={(r) => String(r.seq)}
        initialSort={[{ id: 'seq', desc: true }]}
        filterPlaceholder="Filter the history (who, what, model)"
        maxHeight={480}
      />
    </div>
  )
}

function summarize(x: unknown): string {
  if (x === null || x === undefined) return ''
  const s = JSON.stringify(x)
  return s.length > 140 ? `${s.slice(0, 140)}…` : s
}
