// The main window: hardened, loading the built renderer from app://gantry (or the dev server under
// `electron-vite dev`), its preload handed this launch's IPC credential.
import { BrowserWindow } from 'electron'
import { join } from 'node:path'
import { CREDENTIAL_ARG } from './ipc'
import { APP_INDEX_URL, isAppUrl } from './protocol'
import { hardenContents, secureWebPreferences } from './security'

function devUrl(): string | null {
  const dev = process.env.ELECTRON_RENDERER_URL
  return dev && /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/?$/.test(dev) ? dev : null
}

export function rendererUrl(): string {
  return devUrl() ?? APP_INDEX_URL
}

export function isOwnUrl(url: string): boolean {
  const dev = devUrl()
  if (!dev) return isAppUrl(url)
  try {
    return new URL(url).origin === new URL(dev).origin
  } catch {
    return false
  }
}

export function createMainWindow(credential: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Gantry',
    backgroundColor: '#0f1218',
    webPreferences: {
      ...secureWebPreferences(join(__dirname, '../preload/index.js')),
      additionalArguments: [`${CREDENTIAL_ARG}${credential}`],
    },
  })
  hardenContents(win.webContents, isOwnUrl)
  win.once('ready-to-show', () => win.show())
  void win.loadURL(rendererUrl())
  return win
}
