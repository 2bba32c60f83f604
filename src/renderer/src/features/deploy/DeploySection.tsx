// A model's deployments: its targets, "Deploy vN" and the one-click "Roll back to vN", each with a
// confirm dialog that shows what changes — for a deploy the artifact, its hash and the reload
// command exactly as it will run — the steps as they happen, and the history.
import { Fragment, useEffect, useState } from 'react'
import type {
  Deployment,
  DeployTarget,
  GuardStatus,
  RollbackPlan,
  RollbackRule,
  TargetConfigInput,
} from '../../../../shared/deploy'
import type { Version } from '../../../../shared/registry'
import { useBridge } from '../../bridge/context'
import { useStore } from '../../store'
import { useCall } from '../../bridge/useCall'
import { when } from '../../ui/format'
import { useNow } from '../../ui/hooks'

/** The order a deploy goes through (a revert only when one fails). */
const FORWARD = ['preflight', 'intent', 'switch', 'reload', 'verify', 'commit'] as const

/** Steps done, the running one with its timer, and (while in flight) the ones still to come. */
export function StepList({ d }: { d: Deployment }) {
  const now = useNow(d.finishedAt === null ? 250 : 0)
  const seen = new Set(d.steps.map((s) => s.name))
  const upcoming = d.finishedAt === null && !seen.has('revert') ? FORWARD.filter((n) => !seen.has(n)) : []
  return (
    <ol className="steps" data-testid="deploy-steps">
      {d.steps.map((s, i) => (
        <li key={i} data-step={s.name} data-step-state={s.state} className={`step step-${s.state}`}>
          <strong>{s.name}</strong>{' '}
          <span className="muted small">
            {s.ms === null ? `running ${((now - s.at) / 1000).toFixed(1)} s…` : `${s.ms} ms`}
          </span>{' '}
          <span className="small">{s.detail}</span>
        </li>
      ))}
      {upcoming.map((n) => (
        <li key={n} data-step={n} data-step-state="upcoming" className="step step-upcoming muted">
          <strong>{n}</strong> <span className="small">to come</span>
        </li>
      ))}
    </ol>
  )
}

/** The deploy's outcome in one line, the cause first: what failed (not a secondary probe), and
 *  whether what was put back was shown to work. A revert that did not verify is an emergency. */
export function Outcome({ d }: { d: Deployment }) {
  const [why, after] = (d.reason ?? '').split(' — ')
  if (d.state === 'reverted' && d.revertUnverified)
    return (
      <div className="emergency" role="alert" data-testid="revert-unverified">
        <strong>
          Reverted, but v{d.fromVersion} did NOT verify: the target may serve neither version correctly. Check it now.
        </strong>
        <div className="small">Why the deploy failed: {why}</div>
        {after ? <div className="small">After the revert: {after}</div> : null}
      </div>
    )
  if (d.state === 'reverted')
    return (
      <div className="small" data-testid="deploy-cause">
        <strong>Reverted because:</strong> {why}
        {after ? <div className="muted">{after}</div> : null}
      </div>
    )
  if (d.state === 'failed')
    return (
      <div className="emergency" role="alert" data-testid="deploy-cause">
        <strong>Failed:</strong> {d.reason}
      </div>
    )
  return d.reason ? <p className="small">{d.reason}</p> : null
}

export function DeploymentsTable({ list, showModel }: { list: Deployment[]; showModel?: boolean }) {
  const [open, setOpen] = useState<number | null>(null)
  if (list.length === 0) return <p className="muted pad">No deployments yet.</p>
  return (
    <table className="table" data-testid="deployments">
      <thead>
        <tr>
          <th scope="col">#</th>
          {showModel ? <th scope="col">Model</th> : null}
          <th scope="col">What</th>
          <th scope="col">Target</th>
          <th scope="col">Outcome</th>
          <th scope="col">Who / when</th>
          <th scope="col">Took</th>
        </tr>
      </thead>
      <tbody>
        {list.map((d) => (
          <Fragment key={d.id}>
            <tr data-deployment={d.id} data-state={d.state} onClick={() => setOpen(open === d.id ? null : d.id)}>
              <td className="mono">{d.id}</td>
              {showModel ? (
                <td className="mono">
                  <a href={`#/models/${encodeURIComponent(d.model)}`}>{d.model}</a>
                </td>
              ) : null}
              <td>
                {d.fromVersion === null
                  ? `${d.kind} v${d.toVersion} (first)`
                  : `${d.kind} v${d.fromVersion} → v${d.toVersion}`}
              </td>
              <td>{d.targetName}</td>
              <td className={`deploy-${d.state}`}>
                <strong>{d.state}</strong>
                {d.revertUnverified ? (
                  <span className="tag tag-critical" data-flag="revert-unverified">
                    NOT verified
                  </span>
                ) : null}
                {d.reason ? <div className="small detail">{d.reason}</div> : null}
              </td>
              <td className="small">
                {d.actor} · {when(d.startedAt)}
              </td>
              <td className="small">
                {d.finishedAt ? `${((d.finishedAt - d.startedAt) / 1000).toFixed(1)} s` : 'in flight'}
              </td>
            </tr>
            {open === d.id ? (
              <tr>
                <td colSpan={showModel ? 7 : 6}>
                  <StepList d={d} />
                </td>
              </tr>
            ) : null}
          </Fragment>
        ))}
      </tbody>
    </table>
  )
}

function AddTarget({ model, onDone }: { model: string; onDone: () => void }) {
  const { bridge } = useBridge()
  const endpoints = useStore((s) => s.endpoints)
  const [kind, setKind] = useState<TargetConfigInput['kind']>('model-folder')
  const [name, setName] = useState('')
  const [f, setF] = useState({ folder: '', reload: '', endpointId: '', url: '', servedName: '', servingTag: '' })
  const [error, setError] = useState<string | null>(null)
  async function submit(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    const served = f.servedName.trim() ? { servedName: f.servedName.trim() } : {}
    const config: TargetConfigInput =
      kind === 'model-folder'
        ? {
            kind,
            folder: f.folder.trim(),
            endpointId: Number(f.endpointId),
            ...(f.reload.trim() ? { reloadCommand: f.reload.trim().split(/\s+/) } : {}),
            ...served,
          }
        : kind === 'triton'
          ? { kind, url: f.url.trim(), ...served }
          : kind === 'torchserve'
            ? { kind, managementUrl: f.url.trim(), ...served }
            : { kind, url: f.url.trim(), servingTag: f.servingTag.trim() }
    const r = await bridge.call('deploy.addTarget', { model, name: name.trim(), config })
    if (r.ok) onDone()
    else setError(r.error.message)
  }
  return (
    <form className="form-grid" onSubmit={(e) => void submit(e)} data-testid="add-target">
      <label>
        Name
        <input required value={name} onChange={(e) => setName(e.target.value)} placeholder="gpu-node-1" />
      </label>
      <label>
        Kind
        <select value={kind} onChange={(e) => setKind(e.target.value as TargetConfigInput['kind'])}>
          <option value="model-folder">model folder (current link + reload)</option>
          <option value="triton">Triton (explicit model control)</option>
          <option value="torchserve">TorchServe (set-default)</option>
          <option value="ollama">Ollama (copy a pinned tag)</option>
        </select>
      </label>
      {kind === 'model-folder' ? (
        <>
          <label>
            Folder holding the link
            <input
              required
              value={f.folder}
              onChange={(e) => setF({ ...f, folder: e.target.value })}
              placeholder="/srv/models/fraud"
            />
          </label>
          <label>
            Reload command
            <input
              value={f.reload}
              onChange={(e) => setF({ ...f, reload: e.target.value })}
              placeholder="systemctl restart vllm@fraud"
            />
          </label>
          <label>
            Verify through endpoint
            <select required value={f.endpointId} onChange={(e) => setF({ ...f, endpointId: e.target.value })}>
              <option value="">choose a saved endpoint…</option>
              {endpoints.map((x) => (
                <option key={x.endpoint.id} value={x.endpoint.id}>
                  {x.endpoint.name}
                </option>
              ))}
            </select>
          </label>
        </>
      ) : (
        <label>
          {kind === 'torchserve' ? 'Management URL' : 'Server URL'}
          <input required value={f.url} onChange={(e) => setF({ ...f, url: e.target.value })} />
        </label>
      )}
      {kind === 'ollama' ? (
        <label>
          Serving tag
          <input
            required
            value={f.servingTag}
            onChange={(e) => setF({ ...f, servingTag: e.target.value })}
            placeholder="mymodel:prod"
          />
        </label>
      ) : (
        <label>
          Served name (default: model name)
          <input value={f.servedName} onChange={(e) => setF({ ...f, servedName: e.target.value })} />
        </label>
      )}
      <button type="submit">Add target</button>
      {error ? (
        <p className="state-note error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  )
}

/** What a deploy will do, shown before it runs: versions, artifact and hash, and the target's
 *  reload command exactly as it will be run (argv, no shell) — an executable setting is never
 *  run without being seen first (issue #13). */
function DeployDialog({
  target,
  to,
  current,
  onCancel,
  onConfirm,
}: {
  target: DeployTarget
  to: Version
  current: Version | null
  onCancel: () => void
  onConfirm: () => void
}) {
  const c = target.config
  return (
    <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="dp-title" data-testid="deploy-dialog">
      <h3 id="dp-title">
        Deploy {to.model} v{to.version} to {target.name}?
      </h3>
      <table className="table">
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">Now (production)</th>
            <th scope="col">After the deploy</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Version</th>
            <td className="mono">{current ? `v${current.version}` : '—'}</td>
            <td className="mono">v{to.version}</td>
          </tr>
          <tr>
            <th scope="row">Artifact</th>
            <td className="mono small">{current?.artifact.location ?? '—'}</td>
            <td className="mono small">{to.artifact.location}</td>
          </tr>
          <tr>
            <th scope="row">sha256</th>
            <td className="mono small">{current?.artifact.sha256?.slice(0, 16) ?? '—'}…</td>
            <td className="mono small" data-testid="deploy-sha">
              {to.artifact.sha256 ?? 'none'}
            </td>
          </tr>
        </tbody>
      </table>
      <dl className="kv small">
        <dt>Target</dt>
        <dd>
          {target.name} ({c.kind})
          {c.kind === 'model-folder' ? (
            <>
              : the link <code>{`${c.folder.replace(/\/+$/, '')}/${c.link}`}</code> is switched
            </>
          ) : null}
        </dd>
        {c.kind === 'model-folder' && c.reloadCommand ? (
          <>
            <dt>Then runs</dt>
            <dd>
              <code className="verbatim" data-testid="deploy-reload">
                {JSON.stringify(c.reloadCommand)}
              </code>
              <div className="muted">exactly these arguments, as the user running Gantry, without a shell</div>
            </dd>
          </>
        ) : null}
        {c.kind === 'model-folder' && c.reloadUrl ? (
          <>
            <dt>Then calls</dt>
            <dd>
              <code className="verbatim">POST {c.reloadUrl}</code>
            </dd>
          </>
        ) : null}
        <dt>Verifies</dt>
        <dd>
          {c.kind === 'model-folder'
            ? `endpoint #${c.endpointId} serves v${to.version} and is ready`
            : `the server reports v${to.version} ready`}
          , within {Math.round(c.readyTimeoutMs / 1000)} s — or puts{' '}
          {current ? `v${current.version}` : 'what was there'} back and records why
        </dd>
      </dl>
      <div className="actions">
        <button type="button" className="primary" onClick={onConfirm}>
          Deploy v{to.version}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  )
}

export function RollbackDialog({
  plan,
  onCancel,
  onConfirm,
}: {
  plan: RollbackPlan
  onCancel: () => void
  onConfirm: () => void
}) {
  return (
    <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="rb-title" data-testid="rollback-dialog">
      <h3 id="rb-title">
        Roll back {plan.model} on {plan.target.name} to v{plan.to.version}?
      </h3>
      <table className="table">
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">Now (production)</th>
            <th scope="col">After the rollback</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Version</th>
            <td className="mono">{plan.current ? `v${plan.current.version}` : '—'}</td>
            <td className="mono">v{plan.to.version}</td>
          </tr>
          <tr>
            <th scope="row">Artifact</th>
            <td className="mono small">{plan.current?.location ?? '—'}</td>
            <td className="mono small">{plan.to.location}</td>
          </tr>
          <tr>
            <th scope="row">sha256</th>
            <td className="mono small">{plan.current?.sha256?.slice(0, 16) ?? '—'}…</td>
            <td className="mono small">{plan.to.sha256?.slice(0, 16) ?? 'none'}…</td>
          </tr>
          <tr>
            <th scope="row">Deployed</th>
            <td />
            <td className="small">
              {plan.to.deployedBy ? `by ${plan.to.deployedBy}, ${when(plan.to.deployedAt)}` : '—'}
            </td>
          </tr>
          <tr>
            <th scope="row">Known good</th>
            <td />
            <td className="small">{plan.to.evidence}</td>
          </tr>
          <tr>
            <th scope="row">Health then</th>
            <td />
            <td className="small">{plan.to.healthAtDeploy ?? 'not recorded'}</td>
          </tr>
          <tr>
            <th scope="row">Drift then</th>
            <td />
            <td className="small">
              {plan.to.driftAtTheTime
                ? `${plan.to.driftAtTheTime.drifted ? 'drifted' : 'no drift'} (${Math.round(plan.to.driftAtTheTime.share * 100)} % of features, ${when(plan.to.driftAtTheTime.at)})`
                : 'not monitored'}
            </td>
          </tr>
        </tbody>
      </table>
      <p className="muted small">
        Gantry re-verifies the artifact hash, switches the target, waits for v{plan.to.version} to be served and ready,
        then moves the production alias — or puts v{plan.current?.version ?? '—'} back and records why.
      </p>
      <div className="actions">
        <button type="button" className="danger" onClick={onConfirm}>
          Roll back to v{plan.to.version}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  )
}

function GuardPanel({ model, onRollback }: { model: string; onRollback: () => void }) {
  const { bridge } = useBridge()
  const [g, setG] = useState<GuardStatus | null>(null)
  const [form, setForm] = useState({
    enabled: false,
    driftSharePct: '',
    errorRatePct: '',
    p95Ms: '',
    readiness: true,
    kpis: false,
    forMinutes: '5',
    watchMinutes: '60',
    action: 'rollback',
  })
  const [msg, setMsg] = useState<string | null>(null)
  useEffect(() => {
    let alive = true
    const apply = (st: GuardStatus): void => {
      if (!alive || st.model !== model) return
      setG(st)
    }
    void bridge.call('deploy.guard', { model }).then((r) => {
      if (!r.ok) return
      apply(r.data)
      const rule = r.data.rule
      if (rule) {
        setForm({
          enabled: rule.enabled,
          errorRatePct: rule.errorRatePct === undefined ? '' : String(rule.errorRatePct),
          driftSharePct: rule.driftShare === undefined ? '' : String(Math.round(rule.driftShare * 100)),
          p95Ms: rule.p95Ms === undefined ? '' : String(rule.p95Ms),
          readiness: rule.readiness,
          kpis: rule.kpis,
          forMinutes: String(rule.forMinutes),
          watchMinutes: String(rule.watchMinutes),
          action: rule.action,
        })
      }
    })
    const off = bridge.on('deploy.guard', apply)
    return () => {
      alive = false
      off()
    }
  }, [bridge, model])

  async function save(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    const rule: RollbackRule = {
      enabled: form.enabled,
      readiness: form.readiness,
      kpis: form.kpis,
      forMinutes: Number(form.forMinutes) || 0,
      watchMinutes: Number(form.watchMinutes) || 60,
      action: form.action as RollbackRule['action'],
      ...(form.errorRatePct.trim() ? { errorRatePct: Number(form.errorRatePct) } : {}),
      ...(form.p95Ms.trim() ? { p95Ms: Number(form.p95Ms) } : {}),
      ...(form.driftSharePct.trim() ? { driftShare: Number(form.driftSharePct) / 100 } : {}),
    }
    const r = await bridge.call('deploy.setRule', { model, rule })
    setMsg(r.ok ? 'Saved.' : r.error.message)
    if (r.ok) setG(r.data)
  }
  async function dismiss(): Promise<void> {
    const r = await bridge.call('deploy.dismissSuggestion', { model })
    if (r.ok) setG(r.data)
  }
  return (
    <div data-testid="guard">
      {g?.suggestion ? (
        <div className="banner" role="alert" data-testid="rollback-suggestion">
          Gantry suggests rolling back: {g.suggestion.reason}.{' '}
          <button type="button" className="danger" onClick={onRollback}>
            Roll back…
          </button>{' '}
          <button type="button" onClick={() => void dismiss()}>
            Dismiss
          </button>
        </div>
      ) : null}
      {g?.watching ? (
        <p className="small" data-testid="guard-watching">
          Watching deploy #{g.watching.deploymentId} until {when(g.watching.until)}
          {g.watching.breachSince
            ? ` — breaching since ${when(g.watching.breachSince)}: ${g.watching.lastBreach}`
            : ' — healthy so far'}
        </p>
      ) : null}
      <details>
        <summary>Automatic rollback {g?.rule?.enabled ? `(on: ${g.rule.action})` : '(off)'}</summary>
        <form className="form-grid" onSubmit={(e) => void save(e)}>
          <label className="check">
            <input
              type="checkbox"
              checked={form.enabled}
              onChange={(e) => setForm({ ...form, enabled: e.target.checked })}
            />{' '}
            Watch every deploy
          </label>
          <label>
            Error rate above (%)
            <input
              value={form.errorRatePct}
              onChange={(e) => setForm({ ...form, errorRatePct: e.target.value })}
              inputMode="decimal"
            />
          </label>
          <label>
            p95 above (ms)
            <input
              value={form.p95Ms}
              onChange={(e) => setForm({ ...form, p95Ms: e.target.value })}
              inputMode="numeric"
            />
          </label>
          <label>
            Drifted features at least (%)
            <input
              value={form.driftSharePct}
              onChange={(e) => setForm({ ...form, driftSharePct: e.target.value })}
              inputMode="numeric"
            />
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={form.readiness}
              onChange={(e) => setForm({ ...form, readiness: e.target.checked })}
            />{' '}
            Down, hung or not ready
          </label>
          <label className="check">
            <input type="checkbox" checked={form.kpis} onChange={(e) => setForm({ ...form, kpis: e.target.checked })} />{' '}
            A business KPI past its threshold
          </label>
          <label>
            For (minutes)
            <input
              value={form.forMinutes}
              onChange={(e) => setForm({ ...form, forMinutes: e.target.value })}
              inputMode="decimal"
            />
          </label>
          <label>
            Watch for (minutes after a deploy)
            <input
              value={form.watchMinutes}
              onChange={(e) => setForm({ ...form, watchMinutes: e.target.value })}
              inputMode="decimal"
            />
          </label>
          <label>
            Then
            <select value={form.action} onChange={(e) => setForm({ ...form, action: e.target.value })}>
              <option value="rollback">roll back</option>
              <option value="ask">ask first</option>
            </select>
          </label>
          <button type="submit">Save rule</button>
        </form>
        {msg ? <p className="small">{msg}</p> : null}
        <p className="muted small">
          Drift: a closed window whose drifted-feature share reaches the limit above counts at once.
        </p>
      </details>
    </div>
  )
}

/** The rollback flow of a model, wherever it starts (the model page, an alert): the plan asked
 *  first and shown in the dialog, then the rollback through the deploy state machine. */
export function useRollback(
  model: string,
  started: (d: Deployment) => void,
  failed: (message: string | null) => void,
): {
  plan: RollbackPlan | null
  setPlan(p: RollbackPlan | null): void
  ask(targetId: number): Promise<void>
  rollback(): Promise<void>
} {
  const { bridge } = useBridge()
  const [plan, setPlan] = useState<RollbackPlan | null>(null)
  return {
    plan,
    setPlan,
    async ask(targetId) {
      failed(null)
      const r = await bridge.call('deploy.rollbackPlan', { model, targetId })
      if (r.ok) setPlan(r.data)
      else failed(r.error.message)
    },
    async rollback() {
      if (!plan) return
      const p = plan
      setPlan(null)
      const r = await bridge.call('deploy.rollback', { model, targetId: p.target.id })
      if (r.ok) started(r.data)
      else failed(r.error.message)
    },
  }
}

export function DeploySection({ model, versions }: { model: string; versions: Version[] }) {
  const { bridge } = useBridge()
  const targets = useCall('deploy.listTargets', { model }, `targets-${model}`)
  const history = useCall('deploy.list', { model, limit: 50 }, `deploys-${model}`)
  const [adding, setAdding] = useState(false)
  const [asked, setAsked] = useState<{ target: DeployTarget; version: number } | null>(null)
  const [live, setLive] = useState<Deployment | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [pick, setPick] = useState<Record<number, string>>({})
  const reloadHistory = history.reload

  useEffect(
    () =>
      bridge.on('deploy.progress', (d) => {
        if (d.model !== model) return
        setLive(d)
        reloadHistory()
      }),
    [bridge, model, reloadHistory],
  )

  async function deploy(t: DeployTarget, v: number): Promise<void> {
    setAsked(null)
    setError(null)
    const r = await bridge.call('deploy.run', { model, version: v, targetId: t.id })
    if (r.ok) setLive(r.data)
    else setError(r.error.message)
  }
  const { plan, setPlan, ask, rollback } = useRollback(model, setLive, setError)
  const askRollback = (t: DeployTarget): Promise<void> => ask(t.id)

  const deployable = versions.filter((v) => v.stage === 'staging' || v.stage === 'archived')
  return (
    <section className="panel" data-testid="deploy-section">
      <div className="health-head">
        <h2>Deployments</h2>
        <button type="button" onClick={() => setAdding(!adding)}>
          {adding ? 'Close' : 'Add target'}
        </button>
      </div>
      {adding ? (
        <AddTarget
          model={model}
          onDone={() => {
            setAdding(false)
            targets.reload()
          }}
        />
      ) : null}
      <GuardPanel
        model={model}
        onRollback={() => {
          const first = (targets.data ?? [])[0]
          if (first) void askRollback(first)
        }}
      />
      {(targets.data ?? []).length === 0 && !adding ? (
        <p className="muted">No deployment target yet: add one to deploy and roll back from here.</p>
      ) : null}
      {(targets.data ?? []).map((t) => (
        <div key={t.id} className="target-row actions" data-target={t.name}>
          <strong>{t.name}</strong>
          <span className="muted small">{t.config.kind}</span>
          <select
            aria-label={`Version to deploy to ${t.name}`}
            value={pick[t.id] ?? ''}
            onChange={(e) => setPick({ ...pick, [t.id]: e.target.value })}
          >
            <option value="">deploy version…</option>
            {deployable.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version} ({v.stage})
              </option>
            ))}
          </select>
          <button
            type="button"
            disabled={!pick[t.id]}
            onClick={() => setAsked({ target: t, version: Number(pick[t.id]) })}
          >
            Deploy…
          </button>
          <button type="button" className="danger" onClick={() => void askRollback(t)}>
            Roll back…
          </button>
        </div>
      ))}
      {error ? (
        <p className="state-note error" role="alert" data-testid="deploy-error">
          {error}
        </p>
      ) : null}
      {plan ? <RollbackDialog plan={plan} onCancel={() => setPlan(null)} onConfirm={() => void rollback()} /> : null}
      {asked ? (
        <DeployDialog
          target={asked.target}
          to={versions.find((v) => v.version === asked.version) as Version}
          current={versions.find((v) => v.stage === 'production') ?? null}
          onCancel={() => setAsked(null)}
          onConfirm={() => void deploy(asked.target, asked.version)}
        />
      ) : null}
      {live ? (
        <div className="live-deploy" data-testid="live-deploy" data-state={live.state}>
          <p>
            #{live.id} {live.kind} v{live.fromVersion ?? '—'} → v{live.toVersion} on {live.targetName}:{' '}
            <strong className={`deploy-${live.state}`}>{live.state}</strong>
            {live.finishedAt ? ` in ${((live.finishedAt - live.startedAt) / 1000).toFixed(1)} s` : ''}
          </p>
          <Outcome d={live} />
          <StepList d={live} />
        </div>
      ) : null}
      <h3 className="chart-title">History</h3>
      <div className="table-wrap">
        <DeploymentsTable list={history.data ?? []} />
      </div>
    </section>
  )
}
