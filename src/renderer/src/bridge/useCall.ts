// The console's one way to load data that is asked for (not pushed): a call to the core through
// the bridge, made again whenever the registry or anything behind it changes (the core's
// registry.changed event, whoever made the change: this window, the CLI, a pipeline). Pushed live
// data (samples, health) goes through the store's slices instead (bridge/connect.ts).
import { useCallback, useEffect, useState } from 'react'
import type { MethodInput, MethodName, MethodOutput } from '../../../shared/contract'
import { useBridge } from './context'

export interface Loaded<T> {
  data: T | null
  error: string | null
  loading: boolean
  reload(): void
}

export function useCall<M extends MethodName>(method: M, input: MethodInput<M>, key: string): Loaded<MethodOutput<M>> {
  const { bridge } = useBridge()
  const [data, setData] = useState<MethodOutput<M> | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const [tick, setTick] = useState(0)
  const reload = useCallback(() => setTick((t) => t + 1), [])

  useEffect(() => bridge.on('registry.changed', () => setTick((t) => t + 1)), [bridge])
  useEffect(() => {
    let alive = true
    void bridge.call(method, input).then((r) => {
      if (!alive) return
      setLoading(false)
      if (r.ok) {
        setData(r.data)
        setError(null)
      } else setError(r.error.message)
    })
    return () => {
      alive = false
    }
    // `key` stands for the input's content (objects are new on every render).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [bridge, method, key, tick])
  return { data, error, loading, reload }
}
