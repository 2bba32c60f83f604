// The serving area's methods: a one-off probe, and the saved endpoints the console polls.
import type { Handlers } from '../api'
import type { EndpointService } from './endpoints'
import type { Tunnel } from './http'
import { probeEndpoint } from './probe'

export type ServingMethods = Extract<keyof Handlers, `serving.${string}`>

export function servingHandlers(d: {
  endpoints: EndpointService
  /** How a server only another host reaches is reached (through that host's connection). */
  tunnelOf: (host: string | undefined) => Tunnel | undefined
}): Pick<Handlers, ServingMethods> {
  const { endpoints } = d
  return {
    'serving.probe': (input) =>
      probeEndpoint(input.url, {
        kind: input.kind,
        limits: { ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}), via: d.tunnelOf(input.host) },
        metricsWindowMs: input.metricsWindowMs,
      }),
    'serving.listEndpoints': () => endpoints.list(),
    'serving.addEndpoint': (input) => endpoints.add(input),
    'serving.configureEndpoint': (input) => endpoints.configure(input.id, input),
    'serving.removeEndpoint': (input) => {
      endpoints.remove(input.id)
      return {}
    },
  }
}
