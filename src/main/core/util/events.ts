// A small typed event bus: the core emits, doors subscribe; on() returns its own unsubscribe.
// A throwing listener is isolated so one bad subscriber never breaks the others or the poller.

export interface EventBus<M extends Record<string, unknown>> {
  on<K extends keyof M>(name: K, cb: (payload: M[K]) => void): () => void
  onAny(cb: <K extends keyof M>(name: K, payload: M[K]) => void): () => void
  emit<K extends keyof M>(name: K, payload: M[K]): void
  listenerCount(): number
}

export function createEventBus<M extends Record<string, unknown>>(
  onListenerError: (err: unknown) => void = () => {},
): EventBus<M> {
  const byName = new Map<keyof M, Set<(p: never) => void>>()
  const any = new Set<(name: keyof M, p: unknown) => void>()
  return {
    on(name, cb) {
      let set = byName.get(name)
      if (!set) byName.set(name, (set = new Set()))
      set.add(cb as (p: never) => void)
      return () => set.delete(cb as (p: never) => void)
    },
    onAny(cb) {
      const f = cb as (name: keyof M, p: unknown) => void
      any.add(f)
      return () => any.delete(f)
    },
    emit(name, payload) {
      for (const cb of byName.get(name) ?? []) {
        try {
          ;(cb as (p: M[typeof name]) => void)(payload)
        } catch (err) {
          onListenerError(err)
        }
      }
      for (const cb of any) {
        try {
          cb(name, payload)
        } catch (err) {
          onListenerError(err)
        }
      }
    },
    listenerCount() {
      let n = any.size
      for (const s of byName.values()) n += s.size
      return n
    },
  }
}
