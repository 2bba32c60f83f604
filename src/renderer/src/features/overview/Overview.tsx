// Overview: this host at a glance. Health first ("how is my machine?"), then usage ("what is it
// doing?"), each with when it was last observed.
import { useShallow } from 'zustand/react/shallow'
import type { EndpointStatus, GpuSnapshot, Health } from '../../../../shared/contract'
import { Chart } from '../../ui/Chart'
import { bytes, duration, pct, rate } from '../../ui/format'
import { FLAG_TEXT } from '../../../../shared/registry'
import { useRegistryCall } from '../models/useRegistry'
import { HealthBadge, HealthReasons } from '../../ui/Health'
import { Screen } from '../../ui/Screen'
import { useResolvedTheme } from '../../app/theme'
import { hostHref } from '../../app/slice'
import { useStore } from '../../store'
import { HOST_SERIES } from '../../../../shared/series'

const RANK = { ok: 0, unknown: 1, warning: 2, critical: 3 } as const

function combine(...all: (Health | undefined)[]): Health {
  const parts = all.filter((x): x is Health => !!x)
  if (parts.length === 0) return { level: 'unknown', reasons: ['no sample yet'] }
  const level = parts.reduce((w, h) => (RANK[h.level] > RANK[w] ? h.level : w), 'ok' as Health['level'])
  return { level, reasons: parts.flatMap((p) => p.reasons) }
}

/** All GPUs as one verdict for the Overview, each reason naming its GPU. */
function gpuHealth(gpu: GpuSnapshot | null): Health | undefined {
  if (!gpu || gpu.state === 'starting' || gpu.state === 'off' || gpu.state === 'no-driver') return undefined
  if (gpu.state === 'ok' && gpu.health.length === 0) return undefined
  if (gpu.state !== 'ok') return { level: 'critical', reasons: [`GPUs: ${gpu.reason ?? gpu.state}`] }
  const index = new Map(gpu.gpus.map((g) => [g.uuid, g.index]))
  return combine(
    ...gpu.health.map((h) => ({
      level: h.health.level,
      reasons: h.health.reasons.map((r) => `GPU ${index.get(h.uuid)}: ${r}`),
    })),
  )
}

/** Endpoints that do not answer or are not ready, as one verdict. */
function servingHealth(endpoints: EndpointStatus[]): Health | undefined {
  const polled = endpoints.filter((e) => e.latest)
  if (polled.length === 0) return undefined
  const reasons: string[] = []
  let level: Health['level'] = 'ok'
  for (const { endpoint: e, latest: l, verdict, intent } of polled) {
    if (!l) continue
    if (!l.live) {
      level = 'critical'
      reasons.push(`endpoint ${e.name}: not answering`)
    } else if (verdict === 'hung') {
      level = 'critical'
      reasons.push(`endpoint ${e.name}: hung (healthy, but its smoke request fails)`)
    } else if (l.ready === false) {
      if (level !== 'critical') level = 'warning'
      reasons.push(`endpoint ${e.name}: live but not ready`)
    }
    for (const i of intent.filter((x) => x.state === 'mismatch' || x.state === 'missing')) {
      if (level === 'ok') level = 'warning'
      reasons.push(`endpoint ${e.name}: ${i.model} — ${i.detail}`)
    }
  }
  return { level, reasons }
}

export function Overview() {
  const hostName = useStore((st) => st.hostName)
  const { host, hostState, hostError, storage, history, gpu, endpoints } = useStore(
    useShallow((s) => ({
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
  const health = combine(combine(host?.health, storage?.health), gpuHealth(gpu), servingHealth(endpoints))
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
          <section className={`panel health-panel level-${health.level}`} aria-label="Health" data-testid="health">
            <div className="health-head">
              <h2>Health</h2>
              <HealthBadge level={health.level} />
            </div>
            <HealthReasons
              health={health}
              okText="All checks pass: memory, load, every filesystem, every GPU and every endpoint are within limits."
            />
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
              <ul className="gpu-summary">
                {gpu.health.map((h) => {
                  const g = gpu.gpus.find((x) => x.uuid === h.uuid)
                  return (
                    <li key={h.uuid}>
                      <a href={hostHref(hostName, 'gpus', h.uuid)} title={h.health.reasons.join('\n') || 'healthy'}>
                        <HealthBadge level={h.health.level} compact /> GPU {g?.index}
                      </a>
                      {h.health.reasons[0] ? <span className="muted small"> {h.health.reasons[0]}</span> : null}
                    </li>
                  )
                })}
              </ul>
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
                {endpoints.map(({ endpoint: e, latest: l, verdict }) => {
                  const level =
                    verdict === 'unknown'
                      ? 'unknown'
                      : verdict === 'down' || verdict === 'hung'
                        ? 'critical'
                        : verdict === 'not-ready'
                          ? 'warning'
                          : 'ok'
                  return (
                    <li key={e.id} data-endpoint={e.name}>
                      <HealthBadge level={level} compact /> {e.name}
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
              </ul>
            )}
          </section>

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

/** Models at a glance: how many, which need attention (flags, drift), recent deployments that failed. */
function ModelsOverview() {
  const models = useRegistryCall('registry.listModels', {}, 'overview-models')
  const deploys = useRegistryCall('deploy.list', { limit: 20 }, 'overview-deploys')
  const list = models.data ?? []
  const drifted = list.filter((m) => m.drift?.drifted)
  const flagged = list.filter((m) => m.flags.length > 0)
  const bad = (deploys.data ?? []).filter((d) => d.state === 'reverted' || d.state === 'failed').slice(0, 3)
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
            <HealthBadge level={drifted.length ? 'critical' : 'ok'} compact /> {list.length} models,{' '}
            {list.filter((m) => m.production).length} in production
            {drifted.length ? ` · drifted: ${drifted.map((m) => m.name).join(', ')}` : ' · no drift seen'}
          </li>
          {flagged.length ? (
            <li>
              <HealthBadge level="warning" compact /> {flagged.length} need attention:{' '}
              {flagged
                .slice(0, 5)
                .map((m) => `${m.name} (${m.flags.map((f) => FLAG_TEXT[f]).join(', ')})`)
                .join('; ')}
            </li>
          ) : null}
          {bad.map((d) => (
            <li key={d.id}>
              <HealthBadge level="warning" compact /> deploy #{d.id} {d.model} v{d.toVersion} {d.state}
              <span className="muted small"> — {d.reason}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
