// Electron hardening, per the official security checklist (notes/ecosystem.md §3): secure
// webPreferences, a CSP on every response, and navigation, new windows, permission requests
// and webviews denied. openExternal only for allow-listed https origins.
import { session, shell, type BrowserWindowConstructorOptions, type WebContents } from 'electron'
import { CSP } from '../../shared/csp'

/** https origins the app may open in the user's browser (documentation); nothing else. */
export const EXTERNAL_ALLOWLIST: readonly string[] = ['https://github.com']

export function secureWebPreferences(preload: string): BrowserWindowConstructorOptions['webPreferences'] {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
  }
}

export function isAllowedExternal(url: string): boolean {
  try {
    const u = new URL(url)
    return u.protocol === 'https:' && EXTERNAL_ALLOWLIST.includes(u.origin)
  } catch {
    return false
  }
}

export function hardenSession(): void {
  const ses = session.defaultSession
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  ses.setPermissionCheckHandler(() => false)
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  // Air-gapped sites: the app itself never reaches beyond this machine.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const u = details.url
    const local =
      u.startsWith('app://gantry/') ||
      u.startsWith('devtools:') ||
      /^(https?|wss?):\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/)/.test(u)
    callback({ cancel: !local })
  })
}

export function hardenContents(contents: WebContents, isOwnUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (event, url) => {
    if (!isOwnUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isOwnUrl(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
}
