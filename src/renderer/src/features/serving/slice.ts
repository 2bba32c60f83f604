// Serving state: the saved endpoints with their latest poll, refreshed by serving.sample events.
import type { StateCreator } from 'zustand'
import type { EndpointStatus } from '../../../../shared/contract'
import type { Store } from '../../store'
import type { LoadState } from '../overview/slice'

export interface ServingSlice {
  endpoints: EndpointStatus[]
  endpointsState: LoadState
  endpointsError: string | null
  setEndpoints(list: EndpointStatus[]): void
  setEndpointsError(message: string): void
  applyServingSample(status: EndpointStatus): void
}

export const createServingSlice: StateCreator<Store, [], [], ServingSlice> = (set) => ({
  endpoints: [],
  endpointsState: 'loading',
  endpointsError: null,
  setEndpoints: (endpoints) => set({ endpoints, endpointsState: 'ready', endpointsError: null }),
  setEndpointsError: (message) => set({ endpointsState: 'error', endpointsError: message }),
  applyServingSample: (status) =>
    set((st) => {
      const id = status.endpoint.id
      // A sample for an endpoint removed meanwhile is dropped, not resurrected.
      if (!st.endpoints.some((e) => e.endpoint.id === id)) return {}
      return { endpoints: st.endpoints.map((e) => (e.endpoint.id === id ? status : e)) }
    }),
})
