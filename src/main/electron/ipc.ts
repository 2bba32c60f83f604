// Validated IPC: the one channel the preload uses. The sender must be our own window's main
// frame at our own URL and present the credential this launch handed its preload; then the
// core's api validates the input with the contract's zod schema. Calls run for the desktop's
// user, and are cancelled if the window goes away.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron'
import { fail } from '../../shared/result'
import type { Gantry } from '../core'
import { tokenMatches } from '../server/token'

export const CALL_CHANNEL = 'gantry:call'
export const EVENT_CHANNEL = 'gantry:event'
/** How the main process hands the window's preload its credential (webPreferences.additionalArguments). */
export const CREDENTIAL_ARG = '--gantry-credential='

export function senderIsTrusted(event: IpcMainInvokeEvent, isOwnUrl: (url: string) => boolean): boolean {
  const frame = event.senderFrame
  if (!frame) return false
  if (frame !== event.sender.mainFrame) return false
  return isOwnUrl(frame.url)
}

export function registerIpc(gantry: Gantry, isOwnUrl: (url: string) => boolean, credential: string): () => void {
  const gone = new WeakMap<WebContents, AbortController>()
  ipcMain.handle(CALL_CHANNEL, async (event, presented: unknown, method: unknown, input: unknown) => {
    if (!senderIsTrusted(event, isOwnUrl)) return fail('auth/unauthorized', 'IPC from an untrusted frame')
    if (typeof presented !== 'string' || !tokenMatches(credential, presented)) {
      return fail('auth/unauthorized', 'IPC without the credential of this launch')
    }
    let abort = gone.get(event.sender)
    if (!abort) {
      const a = new AbortController()
      event.sender.once('destroyed', () => a.abort(new Error('the window closed')))
      gone.set(event.sender, (abort = a))
    }
    return gantry.api.call(String(method), input, {
      actor: gantry.config.actor,
      signal: abort.signal,
      door: 'desktop',
    })
  })
  return () => ipcMain.removeHandler(CALL_CHANNEL)
}

export function forwardEvents(gantry: Gantry, contents: WebContents): () => void {
  return gantry.events.onAny((name, payload) => {
    if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, name, payload)
  })
}
