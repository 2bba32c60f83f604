// Validated IPC: the one channel the preload uses. The sender must be our own window's main
// frame at our own URL; then the core's api validates the input with the contract's zod schema.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron'
import { fail } from '../../shared/result'
import type { Gantry } from '../core'

export const CALL_CHANNEL = 'gantry:call'
export const EVENT_CHANNEL = 'gantry:event'

export function senderIsTrusted(event: IpcMainInvokeEvent, isOwnUrl: (url: string) => boolean): boolean {
  const frame = event.senderFrame
  if (!frame) return false
  if (frame !== event.sender.mainFrame) return false
  return isOwnUrl(frame.url)
}

export function registerIpc(gantry: Gantry, isOwnUrl: (url: string) => boolean): () => void {
  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, input: unknown) => {
    if (!senderIsTrusted(event, isOwnUrl)) return fail('auth/unauthorized', 'IPC from an untrusted frame')
    return gantry.api.call(String(method), input)
  })
  return () => ipcMain.removeHandler(CALL_CHANNEL)
}

export function forwardEvents(gantry: Gantry, contents: WebContents): () => void {
  return gantry.events.onAny((name, payload) => {
    if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, name, payload)
  })
}
