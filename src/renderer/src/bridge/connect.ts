// Wires the bridge to the store: pushes events into slices, loads what a screen needs when the
// connection opens, and refetches the storage history when its mount, range or data change.
// Host-level screens show one host (the store's hostName): its calls name it, other hosts'
// samples are not applied, and choosing another host loads its data afresh.
// Components never subscribe to transport events themselves.
import { GPU_CHARTS } from '../features/gpus/slice'
import { OVERVIEW_RANGE_MS } from '../features/overview/slice'
import { HOST_SERIES, STORAGE_SERIES, seriesKey } from '../../../shared/series'
import type { useStore } from '../store'
import type { Bridge } from './types'
import { showBrowserNotification } from './notify'

type StoreApi = typeof useStore

export function connectStore(
  bridge: Bridge,
  store: StoreApi,
): { reloadEndpoints(): Promise<void>; reloadHosts(): Promise<void>; reloadAlerts(): Promise<void>; off(): void } {
  const s = (): ReturnType<StoreApi['getState']> => store.getState()
  /** The host the screens show (undefined: this machine, as every call defaults to). */
  const scope = (): { host?: string } => (s().hostName === 'local' ? {} : { host: s().hostName })
  const mine = (p: { host?: string }): boolean => (p.host ?? 'local') === s().hostName
  /** A call that failed because the core went away (the connection dropped, the core is stopping):
   *  the screens keep their last values under the banner, not an error of their own. */
  const gone = (r: { ok: boolean; error?: { code: string } }): boolean => !r.ok && r.error?.code === 'core/unavailable'

  async function loadInfo(): Promise<void> {
    const r = await bridge.call('app.info')
    if (r.ok) s().setInfo(r.data)
  }
  async function loadHost(): Promise<void> {
    const host = s().hostName
    const r = await bridge.call('host.snapshot', scope())
    if (host !== s().hostName) return
    if (!r.ok) return gone(r) ? undefined : s().setHostError(r.error.message)
    if (r.data) s().setHost(r.data)
    for (const { key } of [HOST_SERIES.cpuLoad, HOST_SERIES.memUsedPct]) {
      const h = await bridge.call('telemetry.query', { key, rangeMs: OVERVIEW_RANGE_MS, maxPoints: 450, ...scope() })
      if (host !== s().hostName) return
      if (h.ok) s().setHostHistory(key, h.data)
    }
  }
  async function loadStorage(): Promise<void> {
    const host = s().hostName
    const r = await bridge.call('storage.list', scope())
    if (host !== s().hostName) return
    if (!r.ok) return gone(r) ? undefined : s().setStorageError(r.error.message)
    if (r.data) s().setStorage(r.data)
  }
  async function loadHosts(): Promise<void> {
    const r = await bridge.call('hosts.list')
    if (gone(r)) return
    s().setHosts(r.ok ? r.data : null, r.ok ? undefined : r.error.message)
  }
  let historySeq = 0
  async function loadMountHistory(): Promise<void> {
    const { selectedMount, rangeMs } = s()
    if (!selectedMount) return
    const seq = ++historySeq
    const r = await bridge.call('telemetry.query', {
      key: seriesKey(STORAGE_SERIES.fsUsedPct, selectedMount),
      rangeMs,
      maxPoints: 1000,
      ...scope(),
    })
    if (seq !== historySeq) return // a newer selection is on its way
    if (r.ok) s().setMountHistory(r.data)
    else if (r.error.code === 'telemetry/unknown-series') s().setMountHistory(null)
    else s().setMountHistory(null, r.error.message)
  }

  async function loadGpu(): Promise<void> {
    const host = s().hostName
    const r = await bridge.call('gpu.snapshot', scope())
    if (host !== s().hostName) return
    if (r.ok) s().setGpu(r.data)
    else if (!gone(r)) s().setGpuError(r.error.message)
  }
  let gpuSeq = 0
  async function loadGpuHistory(): Promise<void> {
    const { route, routeParam, gpuRangeMs } = s()
    if (route !== 'gpus' || !routeParam) return
    const seq = ++gpuSeq
    for (const series of GPU_CHARTS) {
      const key = seriesKey(series, routeParam)
      const r = await bridge.call('telemetry.query', { key, rangeMs: gpuRangeMs, maxPoints: 600, ...scope() })
      if (seq !== gpuSeq) return
      s().setGpuHistory(key, r.ok ? r.data : null)
    }
  }
  async function loadGpuDetail(): Promise<void> {
    s().setGpuDetail(s().gpuDetail, 'loading')
    const host = s().hostName
    const r = await bridge.call('gpu.detail', scope())
    if (host !== s().hostName) return
    if (r.ok) s().setGpuDetail(r.data, 'ready')
    else s().setGpuDetail(null, 'error', r.error.message)
  }
  let lastGpuHistoryAt = 0
  async function loadAlerts(): Promise<void> {
    const r = await bridge.call('alerts.list', {})
    if (r.ok) s().setAlerts(r.data)
    else if (!gone(r)) s().setAlertsError(r.error.message)
  }
  let alertsTimer: ReturnType<typeof setTimeout> | null = null
  /** Many changes in one evaluation: one reload. */
  const reloadAlertsSoon = (): void => {
    alertsTimer ??= setTimeout(() => {
      alertsTimer = null
      void loadAlerts()
    }, 200)
  }
  async function loadHealth(): Promise<void> {
    const r = await bridge.call('health.get', scope())
    if (r.ok) s().setHealth(r.data)
  }
  async function loadEndpoints(): Promise<void> {
    const r = await bridge.call('serving.listEndpoints')
    if (r.ok) s().setEndpoints(r.data)
    else if (!gone(r)) s().setEndpointsError(r.error.message)
  }

  const offs = [
    bridge.onConnection((state) => {
      s().setConnection(state)
      if (state === 'open') {
        void loadInfo()
        void loadHosts()
        void loadHost()
        void loadStorage().then(loadMountHistory)
        void loadGpu().then(loadGpuHistory)
        void loadEndpoints()
        void loadAlerts()
        void loadHealth()
      }
    }),
    bridge.on('health.changed', (h) => s().setHealth(h)),
    bridge.on('alerts.changed', reloadAlertsSoon),
    bridge.on('alerts.notification', (n) => {
      s().addNotification(n)
      reloadAlertsSoon()
      // The desktop app shows its own (Electron's Notification, from the main process).
      if (bridge.transport === 'ws') showBrowserNotification(n)
    }),
    bridge.on('host.sample', (p) => {
      if (mine(p)) s().setHost(p)
    }),
    bridge.on('storage.sample', (p) => {
      if (!mine(p)) return
      s().setStorage(p)
      void loadMountHistory()
    }),
    bridge.on('gpu.sample', (p) => {
      if (!mine(p)) return
      s().setGpu(p)
      // Refresh the open GPU's charts every few seconds, not on every 1 Hz sample.
      if (Date.now() - lastGpuHistoryAt > 5000) {
        lastGpuHistoryAt = Date.now()
        void loadGpuHistory()
      }
    }),
    bridge.on('serving.sample', (p) => {
      // An endpoint this screen does not know was added by another process (the CLI, a pipeline):
      // the list is read again, so it shows as polled with this very sample.
      if (!s().endpoints.some((e) => e.endpoint.id === p.endpoint.id)) void loadEndpoints()
      else s().applyServingSample(p.status)
    }),
    bridge.on('service.status', () => void loadInfo()),
    bridge.on('hosts.changed', () => void loadHosts()),
    // A Prometheus host pushes no samples: its last poll is read when its source was asked again.
    bridge.on('prometheus.polled', () => {
      void loadHosts()
      const shown = s().hosts.find((h) => h.name === s().hostName)
      if (shown?.kind !== 'prometheus') return
      void loadHost()
      void loadStorage()
      void loadGpu()
      if (Date.now() - lastGpuHistoryAt > 5000) {
        lastGpuHistoryAt = Date.now()
        void loadGpuHistory()
      }
    }),
    store.subscribe((now, prev) => {
      if (now.hostName !== prev.hostName) {
        void loadHealth()
        void loadHost()
        void loadStorage().then(loadMountHistory)
        void loadGpu().then(loadGpuHistory)
        if (now.route === 'gpus' && now.routeParam) void loadGpuDetail()
        return
      }
      if (now.selectedMount !== prev.selectedMount || now.rangeMs !== prev.rangeMs) void loadMountHistory()
      const gpuPageChanged = now.routeParam !== prev.routeParam || now.route !== prev.route
      if (gpuPageChanged || now.gpuRangeMs !== prev.gpuRangeMs) void loadGpuHistory()
      if (gpuPageChanged && now.route === 'gpus' && now.routeParam && now.gpuDetailState !== 'loading')
        void loadGpuDetail()
    }),
  ]
  // Health and usage of every host change with their samples: the fleet list is refreshed every few
  // seconds (one small call), not on each of fifty hosts' samples.
  const fleetTimer = setInterval(() => {
    if (s().connection === 'open') void loadHosts()
  }, 5000)
  // The roll-up is pushed when its reasons change; its raw values (a temperature) and the core's
  // interest in this host (it recomputes a host asked for in the last 10 minutes) are renewed here.
  const healthPoll = setInterval(() => {
    if (s().connection === 'open') void loadHealth()
  }, 60_000)
  // Acknowledgements and silences made elsewhere (the CLI) show within a few seconds.
  const alertsPoll = setInterval(() => {
    if (s().connection === 'open') void loadAlerts()
  }, 15_000)
  return {
    reloadEndpoints: loadEndpoints,
    reloadAlerts: loadAlerts,
    reloadHosts: loadHosts,
    off: () => {
      clearInterval(fleetTimer)
      clearInterval(healthPoll)
      clearInterval(alertsPoll)
      offs.forEach((off) => off())
    },
  }
}
