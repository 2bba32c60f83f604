// What the renderer sees of the core: the typed contract over whichever transport is present.
import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput } from '../../../shared/contract'
import type { Result } from '../../../shared/result'

/** 'unauthorized': the console refused this page's access token (or it has none). */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'unauthorized'

export interface Bridge {
  readonly transport: 'ipc' | 'ws'
  call<M extends MethodName>(method: M, input?: MethodInput<M>): Promise<Result<MethodOutput<M>>>
  on<E extends EventName>(event: E, cb: (payload: EventPayload<E>) => void): () => void
  onConnection(cb: (state: ConnectionState) => void): () => void
  /** Closes the transport for good (no reconnect). */
  close?(): void
}

/** The object the Electron preload exposes as window.gantry. */
export type PreloadApi = {
  [M in MethodName]: (input?: MethodInput<M>) => Promise<Result<MethodOutput<M>>>
} & { on(event: string, cb: (payload: unknown) => void): () => void }
