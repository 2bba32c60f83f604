// The desktop app's alert notifications: Electron's Notification for each one the core sends
// (grouped already: one host going dark is one notification); clicking it brings the window
// forward on the alert, or on the alert center filtered to the group.
import { Notification, type BrowserWindow } from 'electron'
import type { Gantry } from '../core'

/** Only links Gantry makes reach the window: #/alerts/<id> or #/alerts?host|model|rule=…. */
export function notificationLink(link: string): string {
  return /^#\/alerts(\/[0-9a-f]{16}|\?(host|model|rule)=[A-Za-z0-9._%-]*)?$/.test(link) ? link : '#/alerts'
}

export function notifyOnAlerts(gantry: Gantry, win: BrowserWindow): () => void {
  if (!Notification.isSupported()) return () => {}
  return gantry.events.on('alerts.notification', (n) => {
    const note = new Notification({
      title: n.title,
      body: n.body,
      urgency: n.severity === 'critical' ? 'critical' : 'normal',
      silent: n.resolved,
    })
    note.on('click', () => {
      if (win.isDestroyed()) return
      if (win.isMinimized()) win.restore()
      win.show()
      win.focus()
      void win.webContents.executeJavaScript(`window.location.hash = ${JSON.stringify(notificationLink(n.link))}`)
    })
    note.show()
  })
}
