// The Electron door's security decisions, checked in plain Node with electron mocked (the binary
// is absent here): hardened webPreferences, validated IPC senders, the openExternal allow-list,
// navigation and permission denials, and the preload's one-function-per-method surface.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { METHOD_NAMES } from '../../src/shared/names'

const handlers = new Map<string, (...a: unknown[]) => unknown>()
const exposed: Record<string, unknown> = {}
const invoke = vi.fn(async (..._a: unknown[]) => ({ ok: true, data: null }))
const openExternal = vi.fn()
const sessionHandlers: Record<string, unknown> = {}
const notes: { opts: Record<string, unknown>; shown: boolean; click?: () => void }[] = []

vi.mock('electron', () => ({
  Notification: class {
    static isSupported = () => true
    rec: (typeof notes)[number]
    constructor(opts: Record<string, unknown>) {
      this.rec = { opts, shown: false }
      notes.push(this.rec)
    }
    on(ev: string, f: () => void) {
      if (ev === 'click') this.rec.click = f
    }
    show() {
      this.rec.shown = true
    }
  },
  ipcMain: {
    handle: (ch: string, f: (...a: unknown[]) => unknown) => handlers.set(ch, f),
    removeHandler: (ch: string) => handlers.delete(ch),
  },
  ipcRenderer: { invoke, on: vi.fn(), removeListener: vi.fn() },
  contextBridge: { exposeInMainWorld: (k: string, v: unknown) => (exposed[k] = v) },
  shell: { openExternal },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (f: unknown) => (sessionHandlers.request = f),
      setPermissionCheckHandler: (f: unknown) => (sessionHandlers.check = f),
      webRequest: {
        onHeadersReceived: (f: unknown) => (sessionHandlers.headers = f),
        onBeforeRequest: (f: unknown) => (sessionHandlers.before = f),
      },
    },
  },
}))

beforeEach(() => {
  invoke.mockClear()
  openExternal.mockClear()
})

describe('Electron hardening', () => {
  it('uses context isolation, the sandbox and no Node integration', async () => {
    const { secureWebPreferences } = await import('../../src/main/electron/security')
    expect(secureWebPreferences('/app/preload.js')).toMatchObject({
      preload: '/app/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    })
  })

  it('opens only allow-listed https origins externally', async () => {
    const { isAllowedExternal } = await import('../../src/main/electron/security')
    expect(isAllowedExternal('https://github.com/org/repo')).toBe(true)
    expect(isAllowedExternal('http://github.com/org/repo')).toBe(false)
    expect(isAllowedExternal('https://github.com.evil.example/')).toBe(false)
    expect(isAllowedExternal('file:///etc/passwd')).toBe(false)
    expect(isAllowedExternal('javascript:alert(1)')).toBe(false)
    expect(isAllowedExternal('not a url')).toBe(false)
  })

  it('denies navigation away from the app, webviews and new windows', async () => {
    const { hardenContents } = await import('../../src/main/electron/security')
    const on: Record<string, (e: { preventDefault: () => void }, url?: string) => void> = {}
    let windowOpen: (d: { url: string }) => { action: string } = () => ({ action: 'allow' })
    const contents = {
      on: (ev: string, f: never) => (on[ev] = f),
      setWindowOpenHandler: (f: typeof windowOpen) => (windowOpen = f),
    }
    hardenContents(contents as never, (u) => u.startsWith('file:///app/'))
    const prevented = (ev: string, url: string) => {
      const e = { preventDefault: vi.fn() }
      on[ev](e, url)
      return e.preventDefault.mock.calls.length > 0
    }
    expect(prevented('will-navigate', 'https://attacker.example/')).toBe(true)
    expect(prevented('will-navigate', 'file:///app/index.html')).toBe(false)
    expect(prevented('will-redirect', 'http://127.0.0.1:9/')).toBe(true)
    expect(prevented('will-attach-webview', 'x')).toBe(true)
    expect(windowOpen({ url: 'https://attacker.example/' })).toEqual({ action: 'deny' })
    expect(openExternal).not.toHaveBeenCalled()
    expect(windowOpen({ url: 'https://github.com/x' })).toEqual({ action: 'deny' })
    expect(openExternal).toHaveBeenCalledWith('https://github.com/x')
  })

  it('denies every permission request, sets the CSP, and blocks requests beyond this machine', async () => {
    const { hardenSession } = await import('../../src/main/electron/security')
    hardenSession()
    const granted = vi.fn()
    ;(sessionHandlers.request as (a: unknown, b: string, c: (ok: boolean) => void) => void)(null, 'media', granted)
    expect(granted).toHaveBeenCalledWith(false)
    expect((sessionHandlers.check as () => boolean)()).toBe(false)
    let headers: Record<string, string[]> = {}
    ;(sessionHandlers.headers as (d: unknown, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void)(
      { responseHeaders: {} },
      (r) => (headers = r.responseHeaders),
    )
    expect(headers['Content-Security-Policy'][0]).toMatch(/default-src 'self'/)
    const cancelled = (url: string) => {
      let c = false
      ;(sessionHandlers.before as (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void)(
        { url },
        (r) => (c = r.cancel),
      )
      return c
    }
    expect(cancelled('app://gantry/index.html')).toBe(false)
    expect(cancelled('file:///etc/passwd')).toBe(true) // the UI no longer loads from file://
    expect(cancelled('app://other/index.html')).toBe(true)
    expect(cancelled('http://127.0.0.1:7300/api')).toBe(false)
    expect(cancelled('https://fonts.googleapis.com/css')).toBe(true)
    expect(cancelled('http://127.0.0.1.attacker.example/')).toBe(true)
  })
})

describe('validated IPC', () => {
  const CRED = 'c'.repeat(43)
  it('answers only our own main frame presenting this launch’s credential, then validates input', async () => {
    const { registerIpc, CALL_CHANNEL } = await import('../../src/main/electron/ipc')
    const call = vi.fn(async (m: string, i: unknown, caller: { actor: string }) => ({
      ok: true,
      data: [m, i, caller.actor],
    }))
    registerIpc({ api: { call }, config: { actor: 'alice' } } as never, (u) => u === 'app://gantry/index.html', CRED)
    const handler = handlers.get(CALL_CHANNEL) as (e: unknown, c: unknown, m: unknown, i: unknown) => Promise<unknown>
    const mainFrame = { url: 'app://gantry/index.html' }
    const sender = { mainFrame, once: vi.fn() }
    const ownEvent = { senderFrame: mainFrame, sender }
    expect(await handler(ownEvent, CRED, 'app.info', {})).toEqual({ ok: true, data: ['app.info', {}, 'alice'] })
    // The window going away aborts its calls' signal.
    expect(sender.once).toHaveBeenCalledWith('destroyed', expect.any(Function))

    const subFrame = { url: 'app://gantry/index.html' }
    const fromSubframe = { senderFrame: subFrame, sender }
    const foreign = { senderFrame: { url: 'https://attacker.example/' }, sender: { mainFrame: { url: 'x' } } }
    foreign.sender.mainFrame = foreign.senderFrame
    for (const ev of [fromSubframe, foreign, { senderFrame: null, sender }]) {
      expect(await handler(ev, CRED, 'app.info', {})).toMatchObject({ ok: false, error: { code: 'auth/unauthorized' } })
    }
    for (const wrong of ['', 'x'.repeat(43), undefined, 7]) {
      expect(await handler(ownEvent, wrong, 'app.info', {})).toMatchObject({
        ok: false,
        error: { code: 'auth/unauthorized' },
      })
    }
    expect(call).toHaveBeenCalledTimes(1)
  })
})

describe('the app:// origin', () => {
  it('maps app://gantry/ paths into the renderer folder and refuses everything else', async () => {
    const { appFilePath, isAppUrl } = await import('../../src/main/electron/protocol')
    const dir = '/opt/gantry/out/renderer'
    expect(appFilePath(dir, 'app://gantry/')).toBe(`${dir}/index.html`)
    expect(appFilePath(dir, 'app://gantry/index.html')).toBe(`${dir}/index.html`)
    expect(appFilePath(dir, 'app://gantry/assets/index-1.js?x=1#y')).toBe(`${dir}/assets/index-1.js`)
    // Dot segments, plain, encoded or hidden behind an encoded slash, never leave the folder.
    expect(appFilePath(dir, 'app://gantry/../../../etc/passwd')).toBe(`${dir}/etc/passwd`)
    expect(appFilePath(dir, 'app://gantry/%2e%2e/%2e%2e/etc/passwd')).toBe(`${dir}/etc/passwd`)
    expect(appFilePath(dir, 'app://gantry/assets/..%2f..%2f..%2fsecret')).toBe(`${dir}/secret`)
    expect(appFilePath(dir, 'app://gantry/a%00b')).toBeNull()
    expect(appFilePath(dir, 'app://gantry/%E0%A4%A')).toBeNull()
    expect(appFilePath(dir, 'app://other/index.html')).toBeNull()
    expect(appFilePath(dir, 'file:///etc/passwd')).toBeNull()
    expect(isAppUrl('app://gantry/index.html#/models')).toBe(true)
    expect(isAppUrl('app://gantry.attacker/index.html')).toBe(false)
    expect(isAppUrl('file:///opt/gantry/out/renderer/index.html')).toBe(false)
  })

  it('serves files with the console CSP, and 404 for what it refuses', async () => {
    const { serveApp } = await import('../../src/main/electron/protocol')
    let handler: (r: Request) => Promise<Response> | Response = () => new Response()
    const fetched: string[] = []
    serveApp(
      { handle: (_s, h) => (handler = h) },
      {
        fetch: async (u) => {
          fetched.push(u)
          return new Response('<html></html>')
        },
      },
      '/opt/r',
    )
    const ok = await handler(new Request('app://gantry/index.html'))
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toMatch(/text\/html/)
    expect(ok.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
    expect(fetched).toEqual(['file:///opt/r/index.html'])
    expect((await handler(new Request('app://gantry/a%00b'))).status).toBe(404)
    expect((await handler(new Request('app://elsewhere/index.html'))).status).toBe(404)
    expect(fetched).toHaveLength(1)
  })

  it('loads the window from app://gantry with the credential in the preload arguments', async () => {
    const { rendererUrl, isOwnUrl } = await import('../../src/main/electron/window')
    expect(rendererUrl()).toBe('app://gantry/index.html')
    expect(isOwnUrl('app://gantry/index.html')).toBe(true)
    expect(isOwnUrl('file:///anything/index.html')).toBe(false)
  })
})

describe('the preload', () => {
  it('exposes one function per contract method plus on(), and no ipcRenderer', async () => {
    await import('../../src/preload/index')
    const api = exposed.gantry as Record<string, unknown>
    expect(Object.keys(api).sort()).toEqual([...METHOD_NAMES, 'on'].sort())
    expect(Object.isFrozen(api)).toBe(true)
    await (api['telemetry.query'] as (i: unknown) => Promise<unknown>)({ key: 'k', rangeMs: 1 })
    // The credential comes from the arguments main handed the preload ('' in this test's process).
    expect(invoke).toHaveBeenCalledWith('gantry:call', '', 'telemetry.query', { key: 'k', rangeMs: 1 })
    expect(() => (api.on as (e: string, cb: () => void) => void)('not.an.event', () => {})).toThrow(/unknown event/)
    const off = (api.on as (e: string, cb: () => void) => () => void)('host.sample', () => {})
    expect(typeof off).toBe('function')
  })
})

describe('desktop alert notifications', () => {
  it('shows one Electron notification per alert notification; a click opens the alert, never another page', async () => {
    const { notifyOnAlerts, notificationLink } = await import('../../src/main/electron/notifications')
    const { createEventBus } = await import('../../src/main/core/util/events')
    const events = createEventBus<Record<string, unknown>>(() => {})
    const js: string[] = []
    const win = {
      isDestroyed: () => false,
      isMinimized: () => true,
      restore: vi.fn(),
      show: vi.fn(),
      focus: vi.fn(),
      webContents: { executeJavaScript: async (code: string) => void js.push(code) },
    }
    notifyOnAlerts({ events } as never, win as never)
    const n = {
      id: 1,
      at: 0,
      receiver: 'team-infra',
      title: '[CRITICAL] 3 alerts on gpu-07',
      body: 'critical: gpu-07 is unreachable',
      severity: 'critical',
      link: '#/alerts?host=gpu-07',
      alerts: ['a', 'b', 'c'],
      resolved: false,
    }
    events.emit('alerts.notification', n)
    expect(notes.at(-1)).toMatchObject({
      opts: { title: '[CRITICAL] 3 alerts on gpu-07', body: 'critical: gpu-07 is unreachable', urgency: 'critical' },
      shown: true,
    })
    notes.at(-1)?.click?.()
    expect(win.restore).toHaveBeenCalled()
    expect(win.focus).toHaveBeenCalled()
    expect(js).toEqual(['window.location.hash = "#/alerts?host=gpu-07"'])
    // Only the links Gantry makes: anything else opens the alert center.
    expect(notificationLink('#/alerts/0123456789abcdef')).toBe('#/alerts/0123456789abcdef')
    expect(notificationLink('javascript:alert(1)')).toBe('#/alerts')
    expect(notificationLink('#/alerts?host=x";alert(1);"')).toBe('#/alerts')
  })
})
