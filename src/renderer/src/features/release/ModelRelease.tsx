// A model's releases through its nginx front: the front (where Gantry's file is, the champion),
// starting a shadow or a canary after a review of what it will do (both versions, the steps and
// gates, the GPU headroom, the nginx file it writes), watching it step live, pausing, resuming,
// aborting and promoting by hand, and the evidence of each step side by side per arm with the
// gates' verdicts and their numbers. Live through `release.changed`.
import { useEffect, useState } from 'react'
import type {
  ArmEvidence,
  Release,
  ReleaseInput,
  ReleasePlan,
  ReleaseStatus,
  StepEvidence,
} from '../../../../shared/release'
import type { Version } from '../../../../shared/registry'
import { useBridge } from '../../bridge/context'
import { useStore } from '../../store'
import { ago, clock } from '../../ui/format'
import { useNow } from '../../ui/hooks'

const ms = (s: number | null | undefined): string =>
  s === null || s === undefined ? '—' : `${(s * 1000).toFixed(1)} ms`
const share = (k: number, n: number): string => (n ? `${((k / n) * 100).toFixed(1)} %` : '—')
const STATE_LEVEL: Record<Release['state'], string> = {
  warming: 'unknown',
  running: 'ok',
  paused: 'warning',
  promoted: 'ok',
  passed: 'ok',
  aborted: 'critical',
  failed: 'critical',
}
const VERDICT_LEVEL: Record<string, string> = {
  pass: 'ok',
  fail: 'critical',
  inconclusive: 'warning',
  pending: 'unknown',
  'not-measured': 'unknown',
}

function Verdict({ v }: { v: string | null }) {
  const level = VERDICT_LEVEL[v ?? 'pending'] ?? 'unknown'
  return (
    <span className={`badge badge-${level}`} data-verdict={v ?? 'judging'}>
      <span className="dot" aria-hidden="true" />
      {v ?? 'judging'}
    </span>
  )
}

function ArmRow({ name, a }: { name: string; a: ArmEvidence }) {
  return (
    <tr>
      <th scope="row">{name}</th>
      <td className="num">{a.requests}</td>
      <td className="num">
        {a.errors} ({share(a.errors, a.requests)})
      </td>
      <td className="num">{ms(a.latency?.p50)}</td>
      <td className="num">{ms(a.latency?.p95)}</td>
      <td className="num">{ms(a.latency?.p99)}</td>
      <td className="num">{share(a.slow, a.sampled)}</td>
    </tr>
  )
}

function StepCard({ e, shadow }: { e: StepEvidence; shadow: boolean }) {
  return (
    <div className="release-step" data-testid="release-step" data-step={e.index} data-verdict={e.verdict ?? ''}>
      <div className="health-head">
        <h3>{shadow ? `Shadow, ${e.weight} % mirrored` : `Step ${e.index + 1}: ${e.weight} % to the challenger`}</h3>
        <span>
          <Verdict v={e.verdict} />{' '}
          <span className="muted small">
            {clock(e.startedAt)}
            {e.endedAt ? ` – ${clock(e.endedAt)}` : ''}
          </span>
        </span>
      </div>
      <div className="table-wrap">
        <table className="table" data-testid="release-arms">
          <thead>
            <tr>
              <th scope="col">Arm</th>
              <th scope="col">Requests</th>
              <th scope="col">Errors (5xx)</th>
              <th scope="col">p50</th>
              <th scope="col">p95</th>
              <th scope="col">p99</th>
              <th scope="col" title="slower than the champion's p95 plus the slack, in this window">
                Slow {e.slowAbove !== null ? `(> ${ms(e.slowAbove)})` : ''}
              </th>
            </tr>
          </thead>
          <tbody>
            <ArmRow name="champion" a={e.champion} />
            <ArmRow name="challenger" a={e.challenger} />
          </tbody>
        </table>
      </div>
      <p className="small muted">
        {shadow
          ? `Mirrors skipped: ${e.skipped.method} (method not marked idempotent), ${e.skipped.size} (body over the limit). `
          : ''}
        {e.joined
          ? `Joined on the request id: ${e.joined}, outputs agree on ${share(e.agreed, e.joined)}${e.differences ? `; |difference| p50 ${e.differences.p50.toPrecision(3)}, p95 ${e.differences.p95.toPrecision(3)}, p99 ${e.differences.p99.toPrecision(3)}` : ''}.`
          : ''}
      </p>
      <ul className="reasons" data-testid="release-gates">
        {e.gates.map((g) => (
          <li key={g.gate} data-gate={g.gate}>
            <Verdict v={g.verdict} /> <strong>{g.gate}</strong> {g.detail}
          </li>
        ))}
      </ul>
    </div>
  )
}

function StartForm({
  model,
  versions,
  champion,
  onPlanned,
}: {
  model: string
  versions: Version[]
  champion: string
  onPlanned: (input: ReleaseInput, plan: ReleasePlan) => void
}) {
  const { bridge } = useBridge()
  const candidates = versions.filter((v) => v.stage === 'staging' || v.stage === 'archived')
  const [f, setF] = useState({
    mode: 'canary' as 'canary' | 'shadow',
    version: String(candidates[0]?.version ?? ''),
    challenger: '',
    steps: '1,5,25,50,100',
    share: '10',
    holdMin: '5',
    gateSec: '10',
    post: false,
    championLog: '',
    challengerLog: '',
  })
  const [error, setError] = useState<string | null>(null)
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value })
  async function review(): Promise<void> {
    setError(null)
    const input: ReleaseInput = {
      model,
      mode: f.mode,
      version: Number(f.version),
      challenger: f.challenger.trim(),
      holdMs: Math.round(Number(f.holdMin) * 60_000),
      gateIntervalMs: Math.round(Number(f.gateSec) * 1000),
      ...(f.mode === 'canary'
        ? { steps: f.steps.split(',').map((s) => Number(s.trim())) }
        : { share: Number(f.share), idempotent: f.post ? ['GET', 'HEAD', 'POST'] : ['GET', 'HEAD'] }),
      ...(f.championLog.trim() && f.challengerLog.trim()
        ? { logs: { champion: f.championLog.trim(), challenger: f.challengerLog.trim() } }
        : {}),
    }
    const r = await bridge.call('release.plan', input)
    if (!r.ok) return setError(r.error.message)
    onPlanned(input, r.data)
  }
  if (!candidates.length) return <p className="muted">No staged version to release: stage one first.</p>
  return (
    <form
      className="dialog"
      data-testid="release-form"
      onSubmit={(e) => {
        e.preventDefault()
        void review()
      }}
    >
      <label>
        Mode{' '}
        <select value={f.mode} onChange={set('mode')} aria-label="Release mode">
          <option value="canary">canary: a rising share, judged per step, the last promotes</option>
          <option value="shadow">shadow: a copy of requests, answers discarded</option>
        </select>
      </label>
      <label>
        Version{' '}
        <select value={f.version} onChange={set('version')} aria-label="Challenger version">
          {candidates.map((v) => (
            <option key={v.version} value={v.version}>
              v{v.version} ({v.stage})
            </option>
          ))}
        </select>
      </label>
      <label>
        Challenger URL{' '}
        <input
          value={f.challenger}
          onChange={set('challenger')}
          placeholder="http://10.0.0.6:8000"
          aria-label="Challenger URL"
          required
          maxLength={2048}
        />
        <span className="muted small"> (champion: {champion})</span>
      </label>
      {f.mode === 'canary' ? (
        <label>
          Steps (%) <input value={f.steps} onChange={set('steps')} aria-label="Steps" maxLength={200} />
        </label>
      ) : (
        <>
          <label>
            Share mirrored (%) <input value={f.share} onChange={set('share')} aria-label="Share" maxLength={6} />
          </label>
          <label>
            <input type="checkbox" checked={f.post} onChange={(e) => setF({ ...f, post: e.target.checked })} /> POST is
            safe to send twice (inference without side effects)
          </label>
        </>
      )}
      <label>
        Hold each step (min){' '}
        <input value={f.holdMin} onChange={set('holdMin')} aria-label="Hold minutes" maxLength={8} />
      </label>
      <label>
        Gates every (s) <input value={f.gateSec} onChange={set('gateSec')} aria-label="Gate interval" maxLength={8} />
      </label>
      <label>
        Inference logs (optional): champion{' '}
        <input value={f.championLog} onChange={set('championLog')} aria-label="Champion log" maxLength={4096} />{' '}
        challenger{' '}
        <input value={f.challengerLog} onChange={set('challengerLog')} aria-label="Challenger log" maxLength={4096} />
      </label>
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary">
          Review
        </button>
      </div>
    </form>
  )
}

function PlanDialog({
  input,
  plan,
  versions,
  onCancel,
  onStart,
}: {
  input: ReleaseInput
  plan: ReleasePlan
  versions: Version[]
  onCancel: () => void
  onStart: () => void
}) {
  const champ = versions.find((v) => v.version === plan.championVersion)
  const chall = versions.find((v) => v.version === input.version)
  const g = { maxErrorRise: 0.02, latencySlack: 0.2, maxSlowRise: 0.1, minAgreement: 0.95, ...input.gates }
  return (
    <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="rl-title" data-testid="release-dialog">
      <h3 id="rl-title">
        Start a {input.mode} of {input.model} v{input.version}?
      </h3>
      <table className="table">
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">Champion (production)</th>
            <th scope="col">Challenger</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Version</th>
            <td className="mono">{plan.championVersion ? `v${plan.championVersion}` : '—'}</td>
            <td className="mono">v{input.version}</td>
          </tr>
          <tr>
            <th scope="row">Serves at</th>
            <td className="mono small">{plan.front.champion}</td>
            <td className="mono small">{input.challenger}</td>
          </tr>
          <tr>
            <th scope="row">sha256</th>
            <td className="mono small">{champ?.artifact.sha256?.slice(0, 16) ?? '—'}…</td>
            <td className="mono small">{chall?.artifact.sha256?.slice(0, 16) ?? '—'}…</td>
          </tr>
        </tbody>
      </table>
      <dl className="kv small">
        <dt>{input.mode === 'shadow' ? 'Mirrors' : 'Steps'}</dt>
        <dd data-testid="release-plan-steps">
          {input.mode === 'shadow'
            ? `${plan.steps[0]} % of ${(input.idempotent ?? ['GET', 'HEAD']).join(', ')} requests (answers discarded)`
            : `${plan.steps.join(' → ')} %`}
          , each held {Math.round((input.holdMs ?? 300_000) / 60_000)} min after a warm-up
        </dd>
        <dt>Gates</dt>
        <dd>
          errors at most {g.maxErrorRise * 100} points above the champion's; at most {g.maxSlowRise * 100} points more
          requests slower than the champion's p95 + {g.latencySlack * 100} %
          {input.logs
            ? `; ${input.mode === 'shadow' ? `outputs agree on ≥ ${g.minAgreement * 100} %` : 'output distribution (KS) at the end of each step'}`
            : ''}
          . A failure aborts (share 0); an inconclusive step pauses for you.
        </dd>
        <dt>GPU headroom</dt>
        <dd data-testid="release-headroom">{plan.headroom.note}</dd>
        <dt>nginx</dt>
        <dd>
          writes <code>{plan.front.file}</code>, checks it with <code>{plan.front.testCommand.join(' ')}</code>, then{' '}
          <code>{plan.front.reloadCommand.join(' ')}</code>
        </dd>
      </dl>
      {plan.warnings.map((w) => (
        <p key={w} className="state-note warn">
          {w}
        </p>
      ))}
      <details>
        <summary>The file it will write at the first step</summary>
        <pre className="verbatim small" data-testid="release-file">
          {plan.file}
        </pre>
      </details>
      <div className="actions">
        <button type="button" className="primary" onClick={onStart}>
          Start the {input.mode}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  )
}

function AddFront({ model, onDone }: { model: string; onDone: () => void }) {
  const { bridge } = useBridge()
  const hosts = useStore((s) => s.hosts)
  const [f, setF] = useState({ host: 'local', nginxDir: '', listen: '', champion: '', key: '', reload: '' })
  const [error, setError] = useState<string | null>(null)
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value })
  async function save(): Promise<void> {
    setError(null)
    const r = await bridge.call('front.add', {
      model,
      host: f.host,
      nginxDir: f.nginxDir.trim(),
      listen: f.listen.trim(),
      champion: f.champion.trim(),
      ...(f.key.trim() ? { key: f.key.trim() } : {}),
      ...(f.reload.trim() ? { reloadCommand: f.reload.trim().split(/\s+/) } : {}),
    })
    if (!r.ok) return setError(r.error.message)
    onDone()
  }
  return (
    <form
      className="dialog"
      data-testid="front-form"
      onSubmit={(e) => {
        e.preventDefault()
        void save()
      }}
    >
      <label>
        Host{' '}
        <select value={f.host} onChange={set('host')} aria-label="Host">
          {(hosts.length ? hosts.map((h) => h.name) : ['local']).map((h) => (
            <option key={h}>{h}</option>
          ))}
        </select>
      </label>
      <label>
        nginx folder{' '}
        <input
          value={f.nginxDir}
          onChange={set('nginxDir')}
          placeholder="/etc/nginx/gantry"
          aria-label="nginx folder"
          required
          maxLength={4096}
        />
      </label>
      <label>
        Listen{' '}
        <input
          value={f.listen}
          onChange={set('listen')}
          placeholder="127.0.0.1:8080"
          aria-label="Listen"
          required
          maxLength={300}
        />
      </label>
      <label>
        Champion URL{' '}
        <input
          value={f.champion}
          onChange={set('champion')}
          placeholder="http://10.0.0.5:8000"
          aria-label="Champion URL"
          required
          maxLength={2048}
        />
      </label>
      <label>
        Sticky key header (optional){' '}
        <input value={f.key} onChange={set('key')} placeholder="X-User" aria-label="Key header" maxLength={100} />
      </label>
      <label>
        Reload command (default nginx -s reload){' '}
        <input value={f.reload} onChange={set('reload')} aria-label="Reload command" maxLength={4096} />
      </label>
      <p className="small muted">
        Gantry writes one file of its own in that folder; nginx must include it inside <code>http {'{ }'}</code> (
        <code>include FOLDER/*.conf;</code>). Every write is checked with <code>nginx -t</code> before the reload.
      </p>
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary">
          Add the front
        </button>
      </div>
    </form>
  )
}

export function ModelRelease({ model, versions }: { model: string; versions: Version[] }) {
  const { bridge } = useBridge()
  const [st, setSt] = useState<ReleaseStatus | null>(null)
  const [tick, setTick] = useState(0)
  const [adding, setAdding] = useState(false)
  const [starting, setStarting] = useState(false)
  const [planned, setPlanned] = useState<{ input: ReleaseInput; plan: ReleasePlan } | null>(null)
  const [confirm, setConfirm] = useState<'abort' | 'promote' | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [warnings, setWarnings] = useState<string[]>([])
  const now = useNow(1000)
  useEffect(() => {
    void bridge.call('release.status', { model }).then((r) => r.ok && setSt(r.data))
  }, [bridge, model, tick])
  useEffect(() => bridge.on('release.changed', (e) => e.model === model && setTick((t) => t + 1)), [bridge, model])

  async function act(verb: 'pause' | 'resume' | 'abort' | 'promote'): Promise<void> {
    setError(null)
    setConfirm(null)
    const r = await bridge.call(`release.${verb}`, { model })
    if (!r.ok) setError(r.error.message)
    setTick((t) => t + 1)
  }
  async function start(): Promise<void> {
    if (!planned) return
    setError(null)
    const r = await bridge.call('release.start', planned.input)
    setPlanned(null)
    setStarting(false)
    if (!r.ok) setError(r.error.message)
    else setWarnings(r.data.warnings)
    setTick((t) => t + 1)
  }
  if (!st) return null
  const r = st.release
  const inFlight = r && (r.state === 'warming' || r.state === 'running' || r.state === 'paused')
  const left = r?.state === 'running' && r.stepStartedAt ? Math.max(0, r.stepStartedAt + r.holdMs - now) : null
  return (
    <section className="panel" data-testid="release-section">
      <div className="health-head">
        <h2>Releases</h2>
        {st.front && !inFlight ? (
          <button type="button" onClick={() => setStarting(!starting)}>
            {starting ? 'Close' : 'Start a shadow or canary'}
          </button>
        ) : !st.front ? (
          <button type="button" onClick={() => setAdding(!adding)}>
            {adding ? 'Close' : 'Add an nginx front'}
          </button>
        ) : null}
      </div>
      {!st.front && !adding ? (
        <p className="muted">
          No nginx front yet: add one to release new versions through the proxy the site runs (shadow first, then a
          canary that ramps and promotes).
        </p>
      ) : null}
      {adding ? (
        <AddFront
          model={model}
          onDone={() => {
            setAdding(false)
            setTick((t) => t + 1)
          }}
        />
      ) : null}
      {st.front ? (
        <dl className="kv small" data-testid="front-card">
          <dt>Front</dt>
          <dd>
            nginx on {st.front.host} listening <code>{st.front.listen}</code> → champion{' '}
            <code>{st.front.champion}</code>
            {st.front.key ? ` (sticky on ${st.front.key})` : ''}
          </dd>
          <dt>File</dt>
          <dd>
            <code>{st.front.file}</code>
            {st.front.applied ? (
              st.front.applied.ok ? (
                <span className="muted"> — taken by nginx {ago(st.front.applied.at, now)}</span>
              ) : (
                <span className="error-text"> — NOT taken: {st.front.applied.message}</span>
              )
            ) : null}
          </dd>
        </dl>
      ) : null}
      {starting && st.front && !planned ? (
        <StartForm
          model={model}
          versions={versions}
          champion={st.front.champion}
          onPlanned={(input, plan) => setPlanned({ input, plan })}
        />
      ) : null}
      {planned ? (
        <PlanDialog
          input={planned.input}
          plan={planned.plan}
          versions={versions}
          onCancel={() => setPlanned(null)}
          onStart={() => void start()}
        />
      ) : null}
      {error ? (
        <p className="error-text" role="alert">
          {error}
        </p>
      ) : null}
      {warnings.map((w) => (
        <p key={w} className="state-note warn" data-testid="release-warning">
          {w}
        </p>
      ))}
      {r ? (
        <div className="live-deploy" data-testid="release-current" data-state={r.state}>
          <div className="health-head">
            <h3>
              #{r.id} {r.mode} of v{r.version}
              {r.championVersion ? ` against v${r.championVersion}` : ''}{' '}
              <span className={`badge badge-${STATE_LEVEL[r.state]}`} data-testid="release-state">
                <span className="dot" aria-hidden="true" />
                {r.state}
                {inFlight ? ` at ${r.weight} %` : ''}
              </span>
            </h3>
            {inFlight ? (
              <span className="actions">
                {r.state === 'paused' ? (
                  <button type="button" onClick={() => void act('resume')}>
                    Resume
                  </button>
                ) : (
                  <button type="button" onClick={() => void act('pause')}>
                    Pause
                  </button>
                )}
                <button type="button" onClick={() => setConfirm('promote')}>
                  Promote…
                </button>
                <button type="button" className="danger" onClick={() => setConfirm('abort')}>
                  Abort…
                </button>
              </span>
            ) : r.state === 'passed' ? (
              <button type="button" onClick={() => setConfirm('promote')}>
                Promote…
              </button>
            ) : null}
          </div>
          {r.mode === 'canary' ? (
            <ol className="release-steps" aria-label="Steps">
              {r.steps.map((s, i) => (
                <li
                  key={s}
                  className={i < r.step || r.state === 'promoted' ? 'done' : i === r.step && inFlight ? 'current' : ''}
                  aria-current={i === r.step && inFlight ? 'step' : undefined}
                >
                  {s} %
                </li>
              ))}
            </ol>
          ) : null}
          <p className="small">
            {r.state === 'warming'
              ? `Warming up: ${r.warmupRequests} × GET ${r.warmupPath} on ${r.challenger} must answer before it gets traffic.`
              : left !== null
                ? `Step held for ${Math.ceil(left / 1000)} s more; gates every ${Math.round(r.gateIntervalMs / 1000)} s.`
                : null}{' '}
            {r.reason ? <span data-testid="release-reason">{r.reason}</span> : null}
          </p>
          {confirm ? (
            <div
              className="dialog"
              role="dialog"
              aria-modal="true"
              aria-labelledby="rc-title"
              data-testid="release-confirm"
            >
              <h3 id="rc-title">
                {confirm === 'abort'
                  ? `Abort release #${r.id}? The challenger's share goes to 0 at once.`
                  : `Promote v${r.version} to production now? The registry's production alias and stage move, and ${r.challenger} becomes the champion.`}
              </h3>
              <div className="actions">
                <button
                  type="button"
                  className={confirm === 'abort' ? 'danger' : 'primary'}
                  onClick={() => void act(confirm)}
                >
                  {confirm === 'abort' ? 'Abort' : `Promote v${r.version}`}
                </button>
                <button type="button" onClick={() => setConfirm(null)}>
                  Cancel
                </button>
              </div>
            </div>
          ) : null}
          {r.headroom ? <p className="small muted">GPU headroom at the start: {r.headroom.note}</p> : null}
          {[...r.evidence].reverse().map((e) => (
            <StepCard key={`${e.index}-${e.startedAt}`} e={e} shadow={r.mode === 'shadow'} />
          ))}
          <details>
            <summary>Journal ({r.events.length})</summary>
            <ul className="reasons small" data-testid="release-journal">
              {r.events.map((e, i) => (
                <li key={i}>
                  <span className="mono">{clock(e.at)}</span> <strong>{e.kind}</strong> {e.actor}: {e.detail}
                </li>
              ))}
            </ul>
          </details>
        </div>
      ) : st.front ? (
        <p className="muted">No release yet.</p>
      ) : null}
      {st.past.length ? (
        <details>
          <summary>Earlier releases ({st.past.length})</summary>
          <ul className="reasons small">
            {st.past.map((p) => (
              <li key={p.id}>
                #{p.id} {p.mode} of v{p.version}: {p.state} {p.finishedAt ? ago(p.finishedAt, now) : ''}
                {p.reason ? ` — ${p.reason}` : ''}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  )
}
