// The app shell: navigation for every area, the host picker (which host Overview, GPUs and
// Storage show), the connection state, and the routed screen.
import { useEffect } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { Alerts } from '../features/alerts/Alerts'
import { Toasts } from '../features/alerts/Toasts'
import { Deployments } from '../features/deploy/Deployments'
import { Drift } from '../features/drift/Drift'
import { GpuDetailScreen } from '../features/gpus/GpuDetail'
import { Hosts } from '../features/hosts/Hosts'
import { Gpus } from '../features/gpus/Gpus'
import { ModelPage } from '../features/models/ModelPage'
import { Models } from '../features/models/Models'
import { VersionPage } from '../features/models/VersionPage'
import { Overview } from '../features/overview/Overview'
import { EndpointDetail } from '../features/serving/EndpointDetail'
import { Serving } from '../features/serving/Serving'
import { Settings } from '../features/settings/Settings'
import { Storage } from '../features/storage/Storage'
import { useStore } from '../store'
import type { HealthArea } from '../../../shared/health'
import { AreaBadge } from '../ui/Health'
import { clock } from '../ui/format'
import { hostFromHash, hostHref, paramFromHash, routeFromHash, subFromHash, type Route } from './slice'
import { useResolvedTheme } from './theme'
import { Locked } from './Locked'
import { Keyboard } from './Keyboard'

const NAV: { route: Route; label: string; key: string; area?: HealthArea }[] = [
  { route: 'hosts', area: 'hosts', label: 'Hosts', key: '0' },
  { route: 'overview', area: 'overview', label: 'Overview', key: '1' },
  { route: 'gpus', area: 'gpus', label: 'GPUs', key: '2' },
  { route: 'storage', area: 'storage', label: 'Storage', key: '3' },
  { route: 'serving', area: 'serving', label: 'Serving', key: '4' },
  { route: 'models', area: 'models', label: 'Models', key: '5' },
  { route: 'drift', area: 'drift', label: 'Drift', key: '6' },
  { route: 'deployments', area: 'deployments', label: 'Deployments', key: '7' },
  { route: 'alerts', area: 'alerts', label: 'Alerts', key: '8' },
  { route: 'settings', label: 'Settings', key: '9' },
]

export function App() {
  const {
    route,
    routeParam,
    routeSub,
    setRoute,
    connection,
    connectionSince,
    info,
    health,
    hostName,
    hosts,
    setHostName,
  } = useStore(
    useShallow((s) => ({
      health: s.health,
      connectionSince: s.connectionSince,
      hostName: s.hostName,
      hosts: s.hosts,
      setHostName: s.setHostName,
      route: s.route,
      routeParam: s.routeParam,
      routeSub: s.routeSub,
      setRoute: s.setRoute,
      connection: s.connection,
      info: s.info,
    })),
  )
  useResolvedTheme()

  useEffect(() => {
    const onHash = (): void => {
      // A link to a host's screen (…?host=gpu-07) scopes them to it; other links keep the host.
      const h = hostFromHash(window.location.hash)
      if (h) setHostName(h)
      setRoute(
        routeFromHash(window.location.hash),
        paramFromHash(window.location.hash),
        subFromHash(window.location.hash),
      )
    }
    window.addEventListener('hashchange', onHash)
    // Alt+1…9 jumps between areas (plain digits stay free for inputs).
    const onKey = (e: KeyboardEvent): void => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return
      const item = NAV.find((n) => n.key === e.key)
      if (item) {
        e.preventDefault()
        window.location.hash = `#/${item.route}`
      }
    }
    window.addEventListener('keydown', onKey)
    return () => {
      window.removeEventListener('hashchange', onHash)
      window.removeEventListener('keydown', onKey)
    }
  }, [setRoute, setHostName])

  const stale = connection !== 'open'

  if (connection === 'unauthorized') return <Locked />

  return (
    <div className="shell" data-connection={connection}>
      <nav className="nav" aria-label="Areas">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ⊓
          </span>
          Gantry
        </div>
        <label className="host-picker">
          <span className="small muted">Host</span>
          <select
            value={hostName}
            onChange={(e) => {
              setHostName(e.target.value)
              // The screen stays; a GPU page of the previous host has no meaning on this one.
              window.location.hash = hostHref(
                e.target.value,
                route === 'gpus' || route === 'storage' || route === 'overview' ? route : 'overview',
              )
            }}
            data-testid="host-picker"
            aria-label="Host shown by Overview, GPUs and Storage"
          >
            {(hosts.some((h) => h.name === hostName) ? hosts : [...hosts, { name: hostName, health: null }]).map(
              (h) => (
                <option key={h.name} value={h.name}>
                  {h.name === 'local' ? 'this machine' : h.name}
                  {h.health && h.health.level !== 'ok' ? ` (${h.health.level})` : ''}
                </option>
              ),
            )}
          </select>
        </label>
        <ul>
          {NAV.map((n) => (
            <li key={n.route}>
              <a
                href={`#/${n.route}`}
                aria-current={route === n.route ? 'page' : undefined}
                title={`${n.label} (Alt+${n.key}; Ctrl+K: the palette)`}
                data-nav={n.route}
              >
                <span>{n.label}</span>
                {n.area && health ? (
                  <AreaBadge area={health.areas[n.area]} stale={stale} testId={`nav-badge-${n.area}`} />
                ) : null}
              </a>
            </li>
          ))}
        </ul>
        <div className="nav-foot">
          <span className={`conn conn-${connection}`} data-testid="connection">
            {connection === 'open'
              ? 'connected'
              : connection === 'connecting'
                ? 'connecting…'
                : 'disconnected — retrying'}
          </span>
          {info ? <span className="muted small">{info.hostname} · offline-only</span> : null}
        </div>
      </nav>
      <Toasts />
      <Keyboard nav={NAV} />
      <main className="main">
        {connection === 'closed' ? (
          <div className="banner" role="alert">
            Lost the connection to the Gantry core at {clock(connectionSince)}; retrying. Values below and the
            navigation badges (greyed) are the last received.
          </div>
        ) : null}
        {route === 'hosts' ? (
          <Hosts />
        ) : route === 'overview' ? (
          <Overview />
        ) : route === 'storage' ? (
          <Storage />
        ) : route === 'gpus' ? (
          routeParam ? (
            <GpuDetailScreen uuid={routeParam} />
          ) : (
            <Gpus />
          )
        ) : route === 'serving' ? (
          routeParam ? (
            <EndpointDetail id={Number(routeParam)} />
          ) : (
            <Serving />
          )
        ) : route === 'models' ? (
          routeParam && routeSub && /^\d+$/.test(routeSub) ? (
            <VersionPage key={`${routeParam}@${routeSub}`} name={routeParam} version={Number(routeSub)} />
          ) : routeParam ? (
            <ModelPage key={routeParam} name={routeParam} />
          ) : (
            <Models />
          )
        ) : route === 'drift' ? (
          <Drift />
        ) : route === 'deployments' ? (
          <Deployments />
        ) : route === 'settings' ? (
          <Settings />
        ) : (
          <Alerts />
        )}
      </main>
    </div>
  )
}
