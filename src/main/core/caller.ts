// Who is calling, for the length of one api call: the door sets it (the OS user of a loopback web
// client, the desktop user, the CLI's user) and the audit names it; the caller's abort signal
// (the browser tab closed, the HTTP client gave up) cancels the file jobs the call started.
// AsyncLocalStorage carries it through every await, so no service takes it as a parameter.
import { AsyncLocalStorage } from 'node:async_hooks'

export interface Caller {
  /** Who the audit names: "alice", "alice via web" (absent: Gantry's own user). */
  actor?: string
  /** Aborted when the caller has gone away: work done for it alone should stop. */
  signal?: AbortSignal
  /** The door it came through; absent for the CLI, which runs as the data directory's owner. */
  door?: 'web' | 'desktop'
}

const current = new AsyncLocalStorage<Caller>()

export function withCaller<T>(caller: Caller | undefined, f: () => T): T {
  return caller ? current.run(caller, f) : f()
}

/** The caller of the api call in progress, or undefined outside one (a poller, a timer). */
export function currentCaller(): Caller | undefined {
  return current.getStore()
}

/** The actor to record: the current caller's, else `fallback` (Gantry's own user, for its own acts). */
export function actorOr(fallback: string): string {
  return current.getStore()?.actor ?? fallback
}

/** The current caller's abort signal, if it has one. */
export function callerSignal(): AbortSignal | undefined {
  return current.getStore()?.signal
}

export { personOf } from '../../shared/actor'
