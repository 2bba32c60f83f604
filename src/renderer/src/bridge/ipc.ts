// The Electron transport: calls the preload's one-function-per-method API.
import type { MethodName } from '../../../shared/contract'
import type { Bridge, PreloadApi } from './types'

export function createIpcBridge(api: PreloadApi): Bridge {
  return {
    transport: 'ipc',
    call(method, input) {
      const f = api[method as MethodName] as (i: unknown) => Promise<never>
      return f(input)
    },
    on(event, cb) {
      return api.on(event, cb as (p: unknown) => void)
    },
    onConnection(cb) {
      cb('open') // IPC is up for as long as the window exists
      return () => {}
    },
  }
}
