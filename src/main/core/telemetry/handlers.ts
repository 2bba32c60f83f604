// The telemetry area's methods: a host's latest (or a fresh) host and storage sample, its GPUs,
// and the series of any host — from the store, or asked of Prometheus for a host known from there.
import type { Handlers } from '../api'
import type { Fleet } from '../hosts/fleet'
import type { TimeSeriesStore } from './timeseries'

export type TelemetryMethods =
  'host.snapshot' | 'storage.list' | 'gpu.snapshot' | 'gpu.detail' | 'telemetry.query' | 'telemetry.listSeries'

export function telemetryHandlers(d: { fleet: Fleet; store: TimeSeriesStore }): Pick<Handlers, TelemetryMethods> {
  const { fleet, store } = d
  return {
    'host.snapshot': async (input) => (await fleet.view(input.host)).host(input.fresh),
    'storage.list': async (input) => (await fleet.view(input.host)).storage(input.fresh),
    'gpu.snapshot': async (input) => (await fleet.view(input.host)).gpu(),
    'gpu.detail': async (input) => (await fleet.view(input.host)).detail(),
    'telemetry.query': async (input) => {
      const { host, ...q } = input
      const view = await fleet.view(host)
      if (view.history) return view.history(q)
      return store.query({ ...q, hostId: fleet.idOf(host) })
    },
    'telemetry.listSeries': (input) => store.listSeries(input.prefix, fleet.idOf(input.host)),
  }
}
