// Browser notifications for the headless console (the desktop app's come from Electron's main
// process): shown only after the user allowed them; clicking one opens the alert or its group.
import type { AlertNotification } from '../../../shared/alerts'

export type NotifyPermission = 'granted' | 'denied' | 'default' | 'unsupported'

const api = (): typeof Notification | null => (typeof Notification === 'undefined' ? null : Notification)

export function notificationPermission(): NotifyPermission {
  const N = api()
  return N ? (N.permission as NotifyPermission) : 'unsupported'
}

/** Asks the browser (it must come from a click: browsers refuse a request without one). */
export async function requestNotifications(): Promise<NotifyPermission> {
  const N = api()
  if (!N) return 'unsupported'
  return (await N.requestPermission()) as NotifyPermission
}

/** Only links Gantry makes: #/alerts/<id> or #/alerts?host=… — anything else opens the center. */
export function safeLink(link: string): string {
  return /^#\/alerts(\/[0-9a-f]{16}|\?(host|model|rule)=[^#\s]*)?$/.test(link) ? link : '#/alerts'
}

export function showBrowserNotification(n: AlertNotification): void {
  const N = api()
  if (!N || N.permission !== 'granted') return
  try {
    const note = new N(n.title, { body: n.body, tag: `gantry-${n.id}`, requireInteraction: n.severity === 'critical' })
    note.onclick = () => {
      window.focus()
      window.location.hash = safeLink(n.link)
      note.close()
    }
  } catch {
    // Some browsers only allow notifications from a service worker: the in-app toast still shows.
  }
}
