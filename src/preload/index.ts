// The preload: exposes one function per contract method plus on(event, cb) returning an
// unsubscribe, over the single validated IPC channel. Never exposes ipcRenderer itself, nor the
// credential it sends with every call.
import { contextBridge, ipcRenderer } from 'electron'
import { EVENT_NAMES, METHOD_NAMES } from '../shared/names'

const CALL_CHANNEL = 'gantry:call'
const EVENT_CHANNEL = 'gantry:event'
// The credential the main process handed this window (ipc.ts CREDENTIAL_ARG); sent with each call.
const CREDENTIAL = process.argv.find((a) => a.startsWith('--gantry-credential='))?.slice(20) ?? ''

const api: Record<string, unknown> = {}
for (const m of METHOD_NAMES) {
  api[m] = (input?: unknown) => ipcRenderer.invoke(CALL_CHANNEL, CREDENTIAL, m, input)
}
api.on = (event: string, cb: (payload: unknown) => void): (() => void) => {
  if (!(EVENT_NAMES as readonly string[]).includes(event)) throw new Error(`unknown event ${event}`)
  const listener = (_e: unknown, name: string, payload: unknown): void => {
    if (name === event) cb(payload)
  }
  ipcRenderer.on(EVENT_CHANNEL, listener)
  return () => {
    ipcRenderer.removeListener(EVENT_CHANNEL, listener)
  }
}

contextBridge.exposeInMainWorld('gantry', Object.freeze(api))
