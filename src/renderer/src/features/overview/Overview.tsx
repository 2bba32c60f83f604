// Overview: this host at a glance. Health first ("how is my machine?"), then usage ("what is it
// doing?"), each with when it was last observed.
import { useShallow } from 'zustand/react/shallow'
import type { GpuSnapshot } from '../../../../shared/contract'
import { Chart } from '../../ui/Chart'
import { bytes, duration, pct, rate } from '../../ui/format'
import { FLAG_TEXT, attentionFlags } from '../../../../shared/registry'
import { useCall } from '../../bridge/useCall'
import { HealthBadge, RollupReasons } from '../../ui/Health'
import { Screen } from '../../ui/Screen'
import { useResolvedTheme } from '../../app/theme'
import { hostHref } from '../../app/slice'
import { useStore } from '../../store'
import { HOST_SERIES } from '../../../../shared/series'

export function Overview() {
  const hostName = useStore((st) => st.hostName)
  const { host, hostState, hostError, storage, history, gpu, endpoints, health } = useStore(
    useShallow((s) => ({
      health: s.health,
      endpoints: s.endpoints,
      gpu: s.gpu,
      host: s.host,
      hostState: s.hostState,
      hostError: s.hostError,
      storage: s.storage,
      history: s.hostHistory,
    })),
  )
  const theme = useResolvedTheme()
  const state = hostState === 'error' ? 'error' : host ? 'ready' : 'loading'
  const cpu = history[HOST_SERIES.cpuLoad.key]
  const mem = history[HOST_SERIES.memUsedPct.key]
  const fullest = [...(storage?.filesystems ?? [])].sort((a, b) => b.usedPct - a.usedPct).slice(0, 5)

  return (
    <Screen
      id="overview"
      title={hostName === 'local' ? 'Overview' : `Overview · ${hostName}`}
      state={state}
      updatedAt={host?.at ?? null}
      error={hostError}
    >
      {host ? (
        <>
          <p className="subtitle">
            <strong>{host.hostname}</strong> · {host.platform} · kernel {host.kernel} · up {duration(host.uptimeSec)}
          </p>
          <section
            className={`panel health-panel level-${health?.level ?? 'unknown'}`}
            aria-label="Health"
            data-testid="health"
            data-level={health?.level ?? 'unknown'}
          >
            <div className="health-head">
              <h2>Health</h2>
              <HealthBadge level={health?.level ?? 'unknown'} />
            </div>
            {health ? (
              <RollupReasons
                rollup={health}
                okText="All checks pass: this host, its filesystems and GPUs, every endpoint, the models, deploys and alerts."
              />
            ) : (
              <p className="muted">Reading the health roll-up…</p>
            )}
          </section>

          <section className="panel" aria-label="GPU health" data-testid="gpu-overview">
            <div className="health-head">
              <h2>GPUs</h2>
              <a href="#/gpus">All GPUs →</a>
            </div>
            {!gpu || gpu.state === 'starting' ? (
              <p className="muted">Waiting for the GPU stream…</p>
            ) : gpu.gpus.length === 0 ? (
              <p className="muted">{gpu.reason ?? 'No GPUs reported.'}</p>
            ) : (
              <GpuSummary gpu={gpu} hostName={hostName} />
            )}
            {gpu && gpu.state !== 'ok' && gpu.gpus.length > 0 ? <p className="state-note warn">{gpu.reason}</p> : null}
          </section>

          <section className="panel" aria-label="Serving" data-testid="serving-overview">
            <div className="health-head">
              <h2>Serving</h2>
              <a href="#/serving">All endpoints →</a>
            </div>
            {endpoints.length === 0 ? (
              <p className="muted">No endpoints saved yet.</p>
            ) : (
              <ul className="gpu-summary">
                {[...endpoints]
                  .sort(
                    (a, b) =>
                      SEVERITY[b.verdict] - SEVERITY[a.verdict] || a.endpoint.name.localeCompare(b.endpoint.name),
                  )
                  .slice(0, 8)
                  .map(({ endpoint: e, latest: l, verdict }) => {
                    const level =
                      verdict === 'unknown'
                        ? 'unknown'
                        : verdict === 'down' || verdict === 'hung'
                          ? 'critical'
                          : verdict === 'not-ready'
                            ? 'warning'
                            : 'ok'
                    return (
                      <li key={e.id} data-endpoint={e.name} className="ellipsis">
                        <HealthBadge level={level} compact label={`${e.name}: ${verdict}`} /> {e.name}
                        <span className="muted small">
                          {' '}
                          {!l
                            ? 'not polled yet'
                            : verdict === 'hung'
                              ? 'HUNG: answers health, fails its smoke request'
                              : l.live
                                ? `${l.metrics?.requestRate != null ? `${l.metrics.requestRate.toFixed(1)} rps` : l.kind}${l.ready === false ? ' · not ready' : ''}`
                                : 'not answering'}
                        </span>
                      </li>
                    )
                  })}
                {endpoints.length > 8 ? (
                  <li className="muted small">
                    and {endpoints.length - 8} more ({endpoints.filter((x) => x.verdict === 'up').length} of{' '}
                    {endpoints.length} up) — <a href="#/serving">all endpoints</a>
                  </li>
                ) : null}
              </ul>
            )}
          </section>

          <SetupChecklist />
          <ModelsOverview />

          <h2 className="section-title">Usage</h2>
          <div className="cards">
            <div className="card" data-testid="card-cpu">
              <span className="card-label">CPU</span>
              <span className="card-value">{pct(host.cpu?.loadPct)}</span>
              <span className="card-sub">
                {host.cpu
                  ? `${host.cpu.cores} cores · user ${pct(host.cpu.userPct, 0)} · system ${pct(host.cpu.systemPct, 0)}`
                  : 'not readable'}
              </span>
            </div>
            <div className="card" data-testid="card-memory">
              <span className="card-label">Memory</span>
              <span className="card-value">{pct(host.memory?.usedPct)}</span>
              <span className="card-sub">
                {host.memory
                  ? `${bytes(host.memory.used)} of ${bytes(host.memory.total)} · swap ${bytes(host.memory.swapUsed)}`
                  : 'not readable'}
              </span>
            </div>
            <div className="card" data-testid="card-load">
              <span className="card-label">Load average</span>
              <span className="card-value">{host.load ? host.load.one.toFixed(2) : '—'}</span>
              <span className="card-sub">
                {host.load
                  ? `5 min ${host.load.five.toFixed(2)} · 15 min ${host.load.fifteen.toFixed(2)}`
                  : 'not readable'}
              </span>
            </div>
            <div className="card" data-testid="card-io">
              <span className="card-label">Disk IO</span>
              <span className="card-value">{rate(storage?.io?.readBytesPerSec)}</span>
              <span className="card-sub">read · write {rate(storage?.io?.writeBytesPerSec)}</span>
            </div>
          </div>

          <section className="panel" aria-label="CPU and memory, last 15 minutes">
            <h2>CPU and memory · last 15 min</h2>
            <Chart
              label="CPU and memory use over the last 15 minutes"
              theme={theme}
              yMax={100}
              unit="%"
              group="overview"
              yFormat={(v) => `${Math.round(v)} %`}
              series={[
                { name: 'CPU', points: cpu?.points ?? [], color: '#4c9aff' },
                { name: 'Memory', points: mem?.points ?? [], color: '#b07cff' },
              ]}
            />
          </section>

          <section className="panel" aria-label="Fullest filesystems">
            <div className="health-head">
              <h2>Fullest filesystems</h2>
              <a href="#/storage">All storage →</a>
            </div>
            {fullest.length === 0 ? (
              <p className="muted">{storage ? 'No filesystems reported.' : 'Waiting for the first storage poll…'}</p>
            ) : (
              <ul className="bars">
                {fullest.map((f) => (
                  <li key={f.mount}>
                    <span className="bar-label">{f.mount}</span>
                    <span className={`bar level-${f.health.level}`}>
                      <span style={{ width: `${Math.min(100, f.usedPct)}%` }} />
                    </span>
                    <span className="bar-value">{pct(f.usedPct)}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      ) : null}
    </Screen>
  )
}

const SEVERITY = { down: 4, hung: 4, 'not-ready': 3, unknown: 2, up: 0 } as const

/** Few GPUs: one line each with its first reason. Many: a count per level and a dot per GPU (its
 *  reasons are grouped in the health card above, not repeated here). */
function GpuSummary({ gpu, hostName }: { gpu: GpuSnapshot; hostName: string }) {
  const levels = gpu.health.map((h) => ({ h, g: gpu.gpus.find((x) => x.uuid === h.uuid) }))
  if (levels.length <= 8)
    return (
      <ul className="gpu-summary">
        {levels.map(({ h, g }) => (
          <li key={h.uuid}>
            <a href={hostHref(hostName, 'gpus', h.uuid)} title={h.health.reasons.join('\n') || 'healthy'}>
              <HealthBadge level={h.health.level} compact label={`GPU ${g?.index}: ${h.health.level}`} /> GPU {g?.index}
            </a>
            {h.health.reasons[0] ? <span className="muted small"> {h.health.reasons[0]}</span> : null}
          </li>
        ))}
      </ul>
    )
  const count = (l: string): number => levels.filter((x) => x.h.health.level === l).length
  return (
    <>
      <p className="small">
        {levels.length} GPUs: {count('ok')} healthy
        {count('warning') ? ` · ${count('warning')} warning` : ''}
        {count('critical') ? ` · ${count('critical')} critical` : ''}
        {count('unknown') ? ` · ${count('unknown')} unknown` : ''}
      </p>
      <div className="gpu-dots">
        {levels.map(({ h, g }) => (
          <a
            key={h.uuid}
            href={hostHref(hostName, 'gpus', h.uuid)}
            title={`GPU ${g?.index}: ${h.health.reasons.join('; ') || 'healthy'}`}
          >
            <HealthBadge level={h.health.level} compact label={`GPU ${g?.index}: ${h.health.level}`} />
          </a>
        ))}
      </div>
    </>
  )
}

/** Until the console watches something of each kind: what to do next, each a link to where. */
function SetupChecklist() {
  const endpoints = useStore((st) => st.endpoints)
  const models = useCall('registry.listModels', {}, 'setup-models')
  const targets = useCall('deploy.listTargets', {}, 'setup-targets')
  if (!models.data || !targets.data) return null
  const steps = [
    {
      done: endpoints.length > 0,
      text: 'Add a model-server endpoint to poll',
      how: 'gantry endpoint add URL',
      href: '#/serving',
    },
    {
      done: models.data.length > 0,
      text: 'Register a model version',
      how: 'gantry register --model M --artifact PATH',
      href: '#/models',
    },
    {
      done: targets.data.length > 0,
      text: 'Add a deployment target to a model',
      how: 'gantry target add M NAME …',
      href: '#/models',
    },
    {
      done: models.data.some((m) => m.monitored),
      text: "Watch a model's inference-log folder for drift",
      how: 'gantry drift-monitor M --folder DIR',
      href: models.data[0] ? `#/models/${encodeURIComponent(models.data[0].name)}` : '#/models',
    },
  ]
  if (steps.every((x) => x.done)) return null
  return (
    <section className="panel" aria-label="Setup" data-testid="setup-checklist">
      <h2>Set up</h2>
      <ul className="checklist">
        {steps.map((x) => (
          <li key={x.text} data-done={x.done}>
            <span aria-hidden="true">{x.done ? '✓' : '○'}</span>{' '}
            <span className="sr-only">{x.done ? 'done:' : 'to do:'}</span>{' '}
            {x.done ? x.text : <a href={x.href}>{x.text}</a>}{' '}
            {x.done ? null : <code className="muted small">{x.how}</code>}
          </li>
        ))}
      </ul>
    </section>
  )
}

/** Models at a glance: how many, which need attention (flags, drift), recent deployments that failed. */
function ModelsOverview() {
  const models = useCall('registry.listModels', {}, 'overview-models')
  const list = models.data ?? []
  const drifted = list.filter((m) => m.drift?.drifted)
  // The roll-up's rule: "no owner" counts for a model in production only.
  const flagged = list.filter((m) => attentionFlags(m).length > 0)
  const pending = list.reduce((n, m) => n + m.pendingApprovals, 0)
  const monitorErrors = list.filter((m) => m.monitorError)
  return (
    <section className="panel" aria-label="Models" data-testid="models-overview">
      <div className="health-head">
        <h2>Models</h2>
        <a href="#/models">All models →</a>
      </div>
      {list.length === 0 ? (
        <p className="muted">No models registered yet.</p>
      ) : (
        <ul className="gpu-summary">
          <li>
            <HealthBadge level={drifted.length ? 'warning' : 'ok'} compact /> {list.length} models,{' '}
            {list.filter((m) => m.production).length} in production
            {drifted.length ? ` · drifted: ${drifted.map((m) => m.name).join(', ')}` : ' · no drift seen'}
          </li>
          {flagged.length ? (
            <li>
              <HealthBadge level="warning" compact /> {flagged.length} need attention:{' '}
              {flagged
                .slice(0, 5)
                .map(
                  (m) =>
                    `${m.name} (${attentionFlags(m)
                      .map((f) => FLAG_TEXT[f])
                      .join(', ')})`,
                )
                .join('; ')}
            </li>
          ) : null}
          {pending ? (
            <li data-testid="overview-approvals">
              <HealthBadge level="warning" compact /> {pending} approval{pending === 1 ? '' : 's'} waiting for a
              decision
            </li>
          ) : null}
          {monitorErrors.length ? (
            <li>
              <HealthBadge level="warning" compact /> drift monitor cannot read its logs:{' '}
              {monitorErrors.map((m) => m.name).join(', ')}
            </li>
          ) : null}
        </ul>
      )}
    </section>
  )
}
