// The main window: hardened, loading the built renderer (or the dev server under `electron-vite dev`).
import { BrowserWindow } from 'electron'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { hardenContents, secureWebPreferences } from './security'

export function rendererUrl(): string {
  const dev = process.env.ELECTRON_RENDERER_URL
  if (dev && /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/?$/.test(dev)) return dev
  return pathToFileURL(join(__dirname, '../renderer/index.html')).toString()
}

export function isOwnUrl(url: string): boolean {
  const base = rendererUrl()
  if (base.startsWith('file:')) return url.split('#')[0] === base
  return new URL(url).origin === new URL(base).origin
}

export function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Gantry',
    backgroundColor: '#0f1218',
    webPreferences: secureWebPreferences(join(__dirname, '../preload/index.js')),
  })
  hardenContents(win.webContents, isOwnUrl)
  win.once('ready-to-show', () => win.show())
  void win.loadURL(rendererUrl())
  return win
}
