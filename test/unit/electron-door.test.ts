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

vi.mock('electron', () => ({
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
    expect(cancelled('file:///app/index.html')).toBe(false)
    expect(cancelled('http://127.0.0.1:7300/api')).toBe(false)
    expect(cancelled('https://fonts.googleapis.com/css')).toBe(true)
    expect(cancelled('http://127.0.0.1.attacker.example/')).toBe(true)
  })
})

describe('validated IPC', () => {
  it('answers only our own main frame, then validates input with the contract', async () => {
    const { registerIpc, CALL_CHANNEL } = await import('../../src/main/electron/ipc')
    const call = vi.fn(async (m: string, i: unknown) => ({ ok: true, data: [m, i] }))
    registerIpc({ api: { call } } as never, (u) => u === 'file:///app/index.html')
    const handler = handlers.get(CALL_CHANNEL) as (e: unknown, m: unknown, i: unknown) => Promise<unknown>
    const mainFrame = { url: 'file:///app/index.html' }
    const ownEvent = { senderFrame: mainFrame, sender: { mainFrame } }
    expect(await handler(ownEvent, 'app.info', {})).toEqual({ ok: true, data: ['app.info', {}] })

    const subFrame = { url: 'file:///app/index.html' }
    const fromSubframe = { senderFrame: subFrame, sender: { mainFrame } }
    const foreign = { senderFrame: { url: 'https://attacker.example/' }, sender: { mainFrame: { url: 'x' } } }
    foreign.sender.mainFrame = foreign.senderFrame
    for (const ev of [fromSubframe, foreign, { senderFrame: null, sender: { mainFrame } }]) {
      expect(await handler(ev, 'app.info', {})).toMatchObject({ ok: false, error: { code: 'auth/unauthorized' } })
    }
    expect(call).toHaveBeenCalledTimes(1)
  })
})

describe('the preload', () => {
  it('exposes one function per contract method plus on(), and no ipcRenderer', async () => {
    await import('../../src/preload/index')
    const api = exposed.gantry as Record<string, unknown>
    expect(Object.keys(api).sort()).toEqual([...METHOD_NAMES, 'on'].sort())
    expect(Object.isFrozen(api)).toBe(true)
    await (api['telemetry.query'] as (i: unknown) => Promise<unknown>)({ key: 'k', rangeMs: 1 })
    expect(invoke).toHaveBeenCalledWith('gantry:call', 'telemetry.query', { key: 'k', rangeMs: 1 })
    expect(() => (api.on as (e: string, cb: () => void) => void)('not.an.event', () => {})).toThrow(/unknown event/)
    const off = (api.on as (e: string, cb: () => void) => () => void)('host.sample', () => {})
    expect(typeof off).toBe('function')
  })
})
