// The headless transport: the contract over one WebSocket to the serving Gantry, with request
// ids, a per-call timeout, and reconnection with backoff. Calls made while disconnected wait
// for the connection (bounded by the same timeout) instead of failing at once. The access token
// travels as a subprotocol (a browser cannot set headers on a WebSocket, and a URL would leak it
// into logs); a connection the server refuses is checked once, and a refused token ends in
// 'unauthorized' instead of retrying forever.
import type { EventName } from '../../../shared/contract'
import { fail, type Result } from '../../../shared/result'
import type { Bridge, ConnectionState } from './types'

const CALL_TIMEOUT_MS = 15_000

export interface WsBridgeOptions {
  callTimeoutMs?: number
  /** The console's access token; without one the bridge does not connect at all. */
  token?: string | null
  /** Asks the server whether the token is accepted (an HTTP call): false ends in 'unauthorized'. */
  checkToken?: () => Promise<boolean>
}

export function createWsBridge(url: string, opts: WsBridgeOptions = {}): Bridge {
  const callTimeoutMs = opts.callTimeoutMs ?? CALL_TIMEOUT_MS
  let ws: WebSocket | null = null
  let state: ConnectionState = 'connecting'
  let nextId = 1
  let backoff = 500
  const pending = new Map<number, { resolve: (r: Result<never>) => void; timer: ReturnType<typeof setTimeout> }>()
  // Frames waiting for the connection, by call id: a call that times out while queued is dropped
  // from here so it never runs after its caller was told it failed.
  const queue = new Map<number, string>()
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  const connListeners = new Set<(s: ConnectionState) => void>()
  let closed = false

  function setState(s: ConnectionState): void {
    state = s
    for (const cb of connListeners) cb(s)
  }

  function connect(): void {
    if (opts.token === null) {
      setState('unauthorized')
      return
    }
    setState('connecting')
    const sock = new WebSocket(url, opts.token ? ['gantry', `gantry.token.${opts.token}`] : ['gantry'])
    let opened = false
    ws = sock
    sock.onopen = () => {
      opened = true
      backoff = 500
      setState('open')
      for (const frame of queue.values()) sock.send(frame)
      queue.clear()
    }
    sock.onmessage = (ev) => {
      let msg: { type?: string; id?: number; result?: Result<never>; name?: string; payload?: unknown }
      try {
        msg = JSON.parse(String(ev.data))
      } catch {
        return
      }
      if (msg.type === 'result' && typeof msg.id === 'number') {
        const p = pending.get(msg.id)
        if (p && msg.result) {
          clearTimeout(p.timer)
          pending.delete(msg.id)
          p.resolve(msg.result)
        }
      } else if (msg.type === 'event' && msg.name) {
        for (const cb of listeners.get(msg.name) ?? []) cb(msg.payload)
      }
    }
    // The close event that follows an error does the work; this only keeps the error from being
    // reported as unhandled (Node's ws, used by the tests, throws on an unheard 'error').
    sock.onerror = () => {}
    sock.onclose = () => {
      if (ws !== sock) return
      ws = null
      // Calls sent on this socket can no longer be answered: fail them now, not after the timeout.
      for (const [id, p] of pending) {
        if (queue.has(id)) continue
        clearTimeout(p.timer)
        pending.delete(id)
        p.resolve(fail('core/unavailable', 'lost the connection to the console server; try again'))
      }
      const retry = (): void => {
        setState('closed')
        if (!closed) setTimeout(connect, backoff)
        backoff = Math.min(backoff * 2, 5000)
      }
      // Refused before it opened: a refused token, or the server is down. Ask which, once.
      if (!opened && opts.checkToken) {
        void opts.checkToken().then(
          (accepted) => (accepted ? retry() : unauthorized()),
          () => retry(),
        )
      } else retry()
    }
  }
  function unauthorized(): void {
    for (const [id, p] of pending) {
      clearTimeout(p.timer)
      pending.delete(id)
      queue.delete(id)
      p.resolve(fail('auth/unauthorized', 'the console refused this page’s access token'))
    }
    setState('unauthorized')
  }
  connect()

  return {
    transport: 'ws',
    call(method, input) {
      const id = nextId++
      const frame = JSON.stringify({ id, method, input })
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          queue.delete(id)
          resolve(fail('core/timeout', `${method}: no answer from the console server within ${callTimeoutMs / 1000} s`))
        }, callTimeoutMs)
        pending.set(id, { resolve: resolve as (r: Result<never>) => void, timer })
        if (ws && state === 'open') ws.send(frame)
        else queue.set(id, frame)
      })
    },
    on(event: EventName, cb) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      const f = cb as (p: unknown) => void
      set.add(f)
      return () => set.delete(f)
    },
    onConnection(cb) {
      connListeners.add(cb)
      cb(state)
      return () => connListeners.delete(cb)
    },
    close() {
      closed = true
      ws?.close()
    },
  }
}
