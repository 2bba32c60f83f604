// Serving state: the saved endpoints with their latest poll, refreshed by serving.sample events.
import type { StateCreator } from 'zustand'
import type { EndpointStatus, ProbeResult, ServingEndpoint } from '../../../../shared/contract'
import type { Store } from '../../store'
import type { LoadState } from '../overview/slice'

export interface ServingSlice {
  endpoints: EndpointStatus[]
  endpointsState: LoadState
  endpointsError: string | null
  setEndpoints(list: EndpointStatus[]): void
  setEndpointsError(message: string): void
  applyServingSample(endpoint: ServingEndpoint, result: ProbeResult): void
}

export const createServingSlice: StateCreator<Store, [], [], ServingSlice> = (set) => ({
  endpoints: [],
  endpointsState: 'loading',
  endpointsError: null,
  setEndpoints: (endpoints) => set({ endpoints, endpointsState: 'ready', endpointsError: null }),
  setEndpointsError: (message) => set({ endpointsState: 'error', endpointsError: message }),
  applyServingSample: (endpoint, result) =>
    set((st) => {
      const known = st.endpoints.some((e) => e.endpoint.id === endpoint.id)
      // A sample for an endpoint removed meanwhile is dropped, not resurrected.
      if (!known) return {}
      return { endpoints: st.endpoints.map((e) => (e.endpoint.id === endpoint.id ? { endpoint, latest: result } : e)) }
    }),
})
