// App-wide state: the route, the host the host-level screens show, the theme, the connection to
// the core and its app.info.
import type { StateCreator } from 'zustand'
import type { AppInfo } from '../../../shared/contract'
import type { HostSummary } from '../../../shared/hosts'
import type { HealthRollup } from '../../../shared/health'
import type { ConnectionState } from '../bridge'
import type { Store } from '../store'

export const ROUTES = [
  'hosts',
  'overview',
  'gpus',
  'storage',
  'serving',
  'models',
  'drift',
  'deployments',
  'alerts',
  'settings',
] as const
export type Route = (typeof ROUTES)[number]
export type ThemeChoice = 'system' | 'dark' | 'light'

export interface AppSlice {
  route: Route
  /** The part after the area, e.g. a GPU uuid in #/gpus/<uuid>. */
  routeParam: string | null
  /** A further part, e.g. the version in #/models/<name>/<version>. */
  routeSub: string | null
  /** The host Overview, GPUs and Storage show ("local": this machine). */
  hostName: string
  /** Every host, worst first (hosts.list). */
  hosts: HostSummary[]
  hostsError: string | null
  theme: ThemeChoice
  connection: ConnectionState
  /** When the connection entered its state (the disconnected banner says since when). */
  connectionSince: number
  info: AppInfo | null
  /** The one health roll-up of the shown host: the Overview card and every navigation badge. */
  health: HealthRollup | null
  setHealth(h: HealthRollup): void
  setRoute(route: Route, param?: string | null, sub?: string | null): void
  /** Scopes the host-level screens to another host: its data is loaded afresh. */
  setHostName(name: string): void
  setHosts(list: HostSummary[] | null, error?: string): void
  setTheme(theme: ThemeChoice): void
  setConnection(state: ConnectionState): void
  setInfo(info: AppInfo): void
}

/** The path of the hash: `#/gpus/<uuid>?host=gpu-a&…` → `gpus/<uuid>`. */
const pathOf = (hash: string): string => hash.replace(/^#\/?/, '').split(/[?&]/)[0]

export function routeFromHash(hash: string): Route {
  const r = pathOf(hash).split('/')[0]
  return (ROUTES as readonly string[]).includes(r) ? (r as Route) : 'overview'
}

export function paramFromHash(hash: string): string | null {
  const parts = pathOf(hash).split('/')
  return parts[1] ? decodeURIComponent(parts[1]) : null
}

export function subFromHash(hash: string): string | null {
  const parts = pathOf(hash).split('/')
  return parts[2] ? decodeURIComponent(parts[2]) : null
}

/** `?host=NAME` of the hash (a link to a host's screens), or null. */
export function hostFromHash(hash: string): string | null {
  const m = /[?&]host=([^&]+)/.exec(hash)
  return m ? decodeURIComponent(m[1]) : null
}

/** A hash for a host's screen: `#/gpus/<uuid>?host=gpu-a` (this machine's without `?host`). */
export function hostHref(host: string, route: Route, param?: string): string {
  const path = `#/${route}${param ? `/${encodeURIComponent(param)}` : ''}`
  return host === 'local' ? path : `${path}?host=${encodeURIComponent(host)}`
}

function initialHost(): string {
  return hostFromHash(window.location.hash) ?? sessionStorage.getItem('gantry-host') ?? 'local'
}

function initialTheme(): ThemeChoice {
  const t = localStorage.getItem('gantry-theme')
  return t === 'dark' || t === 'light' || t === 'system' ? t : 'system'
}

export const createAppSlice: StateCreator<Store, [], [], AppSlice> = (set) => ({
  route: routeFromHash(window.location.hash),
  routeParam: paramFromHash(window.location.hash),
  routeSub: subFromHash(window.location.hash),
  hostName: initialHost(),
  hosts: [],
  hostsError: null,
  theme: initialTheme(),
  connection: 'connecting',
  connectionSince: Date.now(),
  info: null,
  health: null,
  setHealth: (health) => set((st) => (health.host === st.hostName ? { health } : {})),
  setRoute: (route, param = null, sub = null) => set({ route, routeParam: param, routeSub: sub }),
  setHostName: (hostName) =>
    set((st) => {
      if (st.hostName === hostName) return {}
      sessionStorage.setItem('gantry-host', hostName)
      // Nothing of the previous host stays on screen while the new one's data loads.
      return {
        hostName,
        host: null,
        hostState: 'loading',
        hostError: null,
        hostHistory: {},
        storage: null,
        storageState: 'loading',
        storageError: null,
        selectedMount: null,
        mountHistory: null,
        gpu: null,
        gpuState: 'loading',
        gpuError: null,
        gpuHistory: {},
        gpuTrend: {},
        gpuDetail: null,
        gpuDetailState: 'idle',
        gpuDetailError: null,
        health: null,
      }
    }),
  setHosts: (list, error) => set(list ? { hosts: list, hostsError: null } : { hostsError: error ?? 'unavailable' }),
  setTheme: (theme) => {
    localStorage.setItem('gantry-theme', theme)
    set({ theme })
  },
  setConnection: (connection) =>
    set((st) => (st.connection === connection ? {} : { connection, connectionSince: Date.now() })),
  setInfo: (info) => set({ info }),
})
