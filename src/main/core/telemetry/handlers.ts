// The telemetry area's methods: a host's latest (or a fresh) host and storage sample, its GPUs,
// and the stored series of any host.
import type { Handlers } from '../api'
import type { Fleet } from '../hosts/fleet'
import type { TimeSeriesStore } from './timeseries'

export type TelemetryMethods =
  'host.snapshot' | 'storage.list' | 'gpu.snapshot' | 'gpu.detail' | 'telemetry.query' | 'telemetry.listSeries'

export function telemetryHandlers(d: { fleet: Fleet; store: TimeSeriesStore }): Pick<Handlers, TelemetryMethods> {
  const { fleet, store } = d
  return {
    'host.snapshot': async (input) => {
      const h = fleet.get(input.host).host
      return input.fresh ? h.sampleNow() : h.latest()
    },
    'storage.list': async (input) => {
      const s = fleet.get(input.host).storage
      return input.fresh ? s.sampleNow() : s.latest()
    },
    'gpu.snapshot': (input) => fleet.get(input.host).gpu.snapshot(),
    'gpu.detail': (input) => fleet.get(input.host).gpu.detail(),
    'telemetry.query': (input) => {
      const { host, ...q } = input
      return store.query({ ...q, hostId: fleet.idOf(host) })
    },
    'telemetry.listSeries': (input) => store.listSeries(input.prefix, fleet.idOf(input.host)),
  }
}
