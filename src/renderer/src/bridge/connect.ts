// Wires the bridge to the store: pushes events into slices, loads what a screen needs when the
// connection opens, and refetches the storage history when its mount, range or data change.
// Components never subscribe to transport events themselves.
import { OVERVIEW_RANGE_MS } from '../features/overview/slice'
import type { useStore } from '../store'
import type { Bridge } from './types'

type StoreApi = typeof useStore

export function connectStore(bridge: Bridge, store: StoreApi): () => void {
  const s = (): ReturnType<StoreApi['getState']> => store.getState()

  async function loadInfo(): Promise<void> {
    const r = await bridge.call('app.info')
    if (r.ok) s().setInfo(r.data)
  }
  async function loadHost(): Promise<void> {
    const r = await bridge.call('host.snapshot')
    if (!r.ok) return s().setHostError(r.error.message)
    if (r.data) s().setHost(r.data)
    for (const key of ['host.cpu.load', 'host.mem.used_pct']) {
      const h = await bridge.call('telemetry.query', { key, rangeMs: OVERVIEW_RANGE_MS, maxPoints: 450 })
      if (h.ok) s().setHostHistory(key, h.data)
    }
  }
  async function loadStorage(): Promise<void> {
    const r = await bridge.call('storage.list')
    if (!r.ok) return s().setStorageError(r.error.message)
    if (r.data) s().setStorage(r.data)
  }
  let historySeq = 0
  async function loadMountHistory(): Promise<void> {
    const { selectedMount, rangeMs } = s()
    if (!selectedMount) return
    const seq = ++historySeq
    const r = await bridge.call('telemetry.query', { key: `fs.used_pct:${selectedMount}`, rangeMs, maxPoints: 1000 })
    if (seq !== historySeq) return // a newer selection is on its way
    if (r.ok) s().setMountHistory(r.data)
    else if (r.error.code === 'telemetry/unknown-series') s().setMountHistory(null)
    else s().setMountHistory(null, r.error.message)
  }

  const offs = [
    bridge.onConnection((state) => {
      s().setConnection(state)
      if (state === 'open') {
        void loadInfo()
        void loadHost()
        void loadStorage().then(loadMountHistory)
      }
    }),
    bridge.on('host.sample', (p) => s().setHost(p)),
    bridge.on('storage.sample', (p) => {
      s().setStorage(p)
      void loadMountHistory()
    }),
    bridge.on('service.status', () => void loadInfo()),
    store.subscribe((now, prev) => {
      if (now.selectedMount !== prev.selectedMount || now.rangeMs !== prev.rangeMs) void loadMountHistory()
    }),
  ]
  return () => offs.forEach((off) => off())
}
