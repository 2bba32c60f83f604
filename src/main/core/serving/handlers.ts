// The serving area's methods: a one-off probe, and the saved endpoints the console polls.
import type { Handlers } from '../api'
import type { EndpointService } from './endpoints'
import { probeEndpoint } from './probe'

export type ServingMethods = Extract<keyof Handlers, `serving.${string}`>

export function servingHandlers(d: { endpoints: EndpointService }): Pick<Handlers, ServingMethods> {
  const { endpoints } = d
  return {
    'serving.probe': (input) =>
      probeEndpoint(input.url, {
        kind: input.kind,
        limits: input.timeoutMs ? { timeoutMs: input.timeoutMs } : {},
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
