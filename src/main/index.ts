// The desktop door: composes the core, the hardened window and the validated IPC. No logic here.
import { app, BrowserWindow, dialog, net, protocol, safeStorage } from 'electron'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createGantry, type Gantry } from './core'
import { forwardEvents, registerIpc } from './electron/ipc'
import { notifyOnAlerts } from './electron/notifications'
import { createDesktopSecretStore } from './electron/secrets'
import { resolveConfig } from './core/config'
import { hardenSession } from './electron/security'
import { APP_SCHEME_PRIVILEGES, serveApp } from './electron/protocol'
import { createMainWindow, isOwnUrl } from './electron/window'

let gantry: Gantry | null = null

function dataDirFlag(): string | undefined {
  const i = process.argv.indexOf('--data-dir')
  return i > 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith('--data-dir='))?.slice(11)
}

if (!app.requestSingleInstanceLock()) app.quit()
// Before ready: app://gantry is a standard, secure origin of its own (not file://).
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES])

app.whenReady().then(() => {
  hardenSession()
  serveApp(protocol, net, join(__dirname, '../renderer'))
  try {
    const dataDir = resolveConfig({ dataDir: dataDirFlag() }).dataDir
    gantry = createGantry({ door: 'electron', dataDir, secrets: createDesktopSecretStore(dataDir, safeStorage) })
  } catch (err) {
    dialog.showErrorBox('Gantry cannot start', err instanceof Error ? err.message : String(err))
    app.exit(1)
    return
  }
  // A credential of this launch only, handed to the window's preload and asked of every call.
  const credential = randomBytes(32).toString('base64url')
  registerIpc(gantry, isOwnUrl, credential)
  const win = createMainWindow(credential)
  forwardEvents(gantry, win.webContents)
  notifyOnAlerts(gantry, win)
  gantry.start()
})

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault())
})

app.on('window-all-closed', () => app.quit())

let quitting = false
app.on('before-quit', (event) => {
  if (quitting || !gantry) return
  event.preventDefault()
  quitting = true
  const g = gantry
  // Bounded shutdown: stop services and close the database, or give up after a few seconds.
  void Promise.race([g.stop(), new Promise((r) => setTimeout(r, g.config.stopTimeoutMs))]).finally(() => app.quit())
})

app.on('second-instance', () => {
  const [win] = BrowserWindow.getAllWindows()
  if (win) {
    if (win.isMinimized()) win.restore()
    win.focus()
  }
})
