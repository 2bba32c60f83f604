// GPU state: the live snapshot (pushed by gpu.sample), the open GPU's history and its full
// `-q -x` detail, fetched when a GPU page opens.
import type { StateCreator } from 'zustand'
import type { GpuDetail, GpuSnapshot, Series } from '../../../../shared/contract'
import type { Store } from '../../store'
import type { LoadState } from '../overview/slice'
import { GPU_SERIES } from '../../../../shared/series'

export const GPU_RANGES = [
  { label: '15 min', ms: 15 * 60_000 },
  { label: '1 h', ms: 3600_000 },
  { label: '6 h', ms: 6 * 3600_000 },
  { label: '24 h', ms: 24 * 3600_000 },
  { label: '7 d', ms: 7 * 24 * 3600_000 },
] as const

/** The charts of a GPU's page, in order: the series the core writes (src/shared/series.ts). */
export const GPU_CHARTS = [GPU_SERIES.util, GPU_SERIES.memUsedPct, GPU_SERIES.temp, GPU_SERIES.power] as const

export const TREND_SAMPLES = 60

export interface GpuSlice {
  gpu: GpuSnapshot | null
  gpuState: LoadState
  gpuError: string | null
  gpuRangeMs: number
  gpuHistory: Record<string, Series | null>
  gpuDetail: GpuDetail | null
  gpuDetailState: LoadState | 'idle'
  gpuDetailError: string | null
  /** Each GPU's utilization over its last TREND_SAMPLES live samples (the tiles' sparklines). */
  gpuTrend: Record<string, [number, number | null][]>
  setGpu(s: GpuSnapshot): void
  setGpuError(message: string): void
  setGpuRange(ms: number): void
  setGpuHistory(key: string, s: Series | null): void
  setGpuDetail(d: GpuDetail | null, state: GpuSlice['gpuDetailState'], error?: string): void
}

export const createGpuSlice: StateCreator<Store, [], [], GpuSlice> = (set) => ({
  gpu: null,
  gpuState: 'loading',
  gpuError: null,
  gpuRangeMs: GPU_RANGES[0].ms,
  gpuHistory: {},
  gpuDetail: null,
  gpuDetailState: 'idle',
  gpuDetailError: null,
  gpuTrend: {},
  setGpu: (gpu) =>
    set((st) => {
      const gpuTrend: GpuSlice['gpuTrend'] = {}
      for (const g of gpu.gpus) {
        const before = st.gpuTrend[g.uuid] ?? []
        const last = before[before.length - 1]
        gpuTrend[g.uuid] =
          last && last[0] >= gpu.at ? before : [...before.slice(-(TREND_SAMPLES - 1)), [gpu.at, g.utilization.gpuPct]]
      }
      return { gpu, gpuState: 'ready', gpuError: null, gpuTrend }
    }),
  setGpuError: (message) => set({ gpuState: 'error', gpuError: message }),
  setGpuRange: (gpuRangeMs) => set({ gpuRangeMs }),
  setGpuHistory: (key, s) => set((st) => ({ gpuHistory: { ...st.gpuHistory, [key]: s } })),
  setGpuDetail: (gpuDetail, gpuDetailState, error) => set({ gpuDetail, gpuDetailState, gpuDetailError: error ?? null }),
})
