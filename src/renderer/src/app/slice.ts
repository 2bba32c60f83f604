// App-wide state: the route, the theme, the connection to the core and its app.info.
import type { StateCreator } from 'zustand'
import type { AppInfo } from '../../../shared/contract'
import type { ConnectionState } from '../bridge'
import type { Store } from '../store'

export const ROUTES = [
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
  theme: ThemeChoice
  connection: ConnectionState
  info: AppInfo | null
  setRoute(route: Route, param?: string | null, sub?: string | null): void
  setTheme(theme: ThemeChoice): void
  setConnection(state: ConnectionState): void
  setInfo(info: AppInfo): void
}

export function routeFromHash(hash: string): Route {
  const r = hash.replace(/^#\/?/, '').split(/[/?&]/)[0]
  return (ROUTES as readonly string[]).includes(r) ? (r as Route) : 'overview'
}

export function paramFromHash(hash: string): string | null {
  const parts = hash.replace(/^#\/?/, '').split('&')[0].split('/')
  return parts[1] ? decodeURIComponent(parts[1]) : null
}

export function subFromHash(hash: string): string | null {
  const parts = hash.replace(/^#\/?/, '').split('&')[0].split('/')
  return parts[2] ? decodeURIComponent(parts[2]) : null
}

function initialTheme(): ThemeChoice {
  const t = localStorage.getItem('gantry-theme')
  return t === 'dark' || t === 'light' || t === 'system' ? t : 'system'
}

export const createAppSlice: StateCreator<Store, [], [], AppSlice> = (set) => ({
  route: routeFromHash(window.location.hash),
  routeParam: paramFromHash(window.location.hash),
  routeSub: subFromHash(window.location.hash),
  theme: initialTheme(),
  connection: 'connecting',
  info: null,
  setRoute: (route, param = null, sub = null) => set({ route, routeParam: param, routeSub: sub }),
  setTheme: (theme) => {
    localStorage.setItem('gantry-theme', theme)
    set({ theme })
  },
  setConnection: (connection) => set({ connection }),
  setInfo: (info) => set({ info }),
})
