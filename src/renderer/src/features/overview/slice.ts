// Host state for the Overview: the latest snapshot (pushed by host.sample) and short histories
// of CPU and memory, fetched once and then extended by live samples.
import type { StateCreator } from 'zustand'
import type { HostSnapshot, Series } from '../../../../shared/contract'
import { HOST_SERIES } from '../../../../shared/series'
import type { Store } from '../../store'

export type LoadState = 'loading' | 'ready' | 'error'
export const OVERVIEW_RANGE_MS = 15 * 60_000

export interface HostSlice {
  host: HostSnapshot | null
  hostState: LoadState
  hostError: string | null
  hostHistory: Record<string, Series>
  setHost(s: HostSnapshot | null): void
  setHostError(message: string): void
  setHostHistory(key: string, s: Series): void
}

/** Appends a live value to a series and drops what fell out of the window. */
export function extendSeries(s: Series, t: number, v: number | null | undefined, rangeMs: number): Series {
  if (v === null || v === undefined) return s
  const last = s.points.at(-1)
  if (last && t <= last[0]) return s
  const from = t - rangeMs
  const points = s.points.filter((p) => p[0] >= from)
  points.push([t, v, v, v])
  return { ...s, from, to: t, points }
}

export const createHostSlice: StateCreator<Store, [], [], HostSlice> = (set) => ({
  host: null,
  hostState: 'loading',
  hostError: null,
  hostHistory: {},
  setHost: (host) =>
    set((st) => {
      const hostHistory = { ...st.hostHistory }
      if (host) {
        const { cpuLoad, memUsedPct } = HOST_SERIES
        const cpu = hostHistory[cpuLoad.key]
        if (cpu) hostHistory[cpuLoad.key] = extendSeries(cpu, host.at, host.cpu?.loadPct, OVERVIEW_RANGE_MS)
        const mem = hostHistory[memUsedPct.key]
        if (mem) hostHistory[memUsedPct.key] = extendSeries(mem, host.at, host.memory?.usedPct, OVERVIEW_RANGE_MS)
      }
      return { host, hostState: 'ready', hostError: null, hostHistory }
    }),
  setHostError: (message) => set({ hostState: 'error', hostError: message }),
  setHostHistory: (key, s) => set((st) => ({ hostHistory: { ...st.hostHistory, [key]: s } })),
})
