// Alerts state: the alert list and its counts (the navigation badge and every screen's marks read
// them), refreshed when an evaluation changes something, and the notifications this window got.
import type { StateCreator } from 'zustand'
import type { Alert, AlertCounts, AlertList, AlertNotification, Subject } from '../../../../shared/alerts'
import type { Store } from '../../store'
import type { LoadState } from '../overview/slice'

export interface AlertsSlice {
  alerts: Alert[]
  alertCounts: AlertCounts | null
  alertsEvaluatedAt: number | null
  alertsState: LoadState
  alertsError: string | null
  /** Notifications received while this window was open, newest first (the in-app toasts). */
  notifications: AlertNotification[]
  setAlerts(list: AlertList): void
  setAlertsError(message: string): void
  addNotification(n: AlertNotification): void
  dismissNotification(id: number): void
}

export const createAlertsSlice: StateCreator<Store, [], [], AlertsSlice> = (set) => ({
  alerts: [],
  alertCounts: null,
  alertsEvaluatedAt: null,
  alertsState: 'loading',
  alertsError: null,
  notifications: [],
  setAlerts: (l) =>
    set({
      alerts: l.alerts,
      alertCounts: l.counts,
      alertsEvaluatedAt: l.evaluatedAt,
      alertsState: 'ready',
      alertsError: null,
    }),
  setAlertsError: (message) => set({ alertsState: 'error', alertsError: message }),
  addNotification: (n) =>
    set((st) => ({ notifications: [n, ...st.notifications.filter((x) => x.id !== n.id)].slice(0, 5) })),
  dismissNotification: (id) => set((st) => ({ notifications: st.notifications.filter((n) => n.id !== id) })),
})

const RANK = { critical: 3, warning: 2, info: 1 } as const

/** Firing alerts about a thing (a host, a GPU, a filesystem, an endpoint, a model), worst first. */
export function alertsAbout(alerts: Alert[], about: Partial<Omit<Subject, 'link'>>): Alert[] {
  return alerts
    .filter((a) => a.state === 'firing')
    .filter((a) =>
      (Object.keys(about) as (keyof typeof about)[]).every((k) => about[k] === undefined || a.subject[k] === about[k]),
    )
    .sort((x, y) => RANK[y.severity] - RANK[x.severity])
}

/** Whether an alert needs someone: firing, not acknowledged, silenced or inhibited. */
export const isOpen = (a: Alert): boolean =>
  a.state === 'firing' && !a.ack && a.silencedBy.length === 0 && a.inhibitedBy.length === 0
