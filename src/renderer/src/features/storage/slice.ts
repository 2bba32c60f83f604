// Storage state: the latest filesystem snapshot, the selected mount, the chart range and its history.
import type { StateCreator } from 'zustand'
import type { Series, StorageSnapshot } from '../../../../shared/contract'
import type { Store } from '../../store'
import type { LoadState } from '../overview/slice'

export const STORAGE_RANGES = [
  { label: '1 h', ms: 3600_000 },
  { label: '6 h', ms: 6 * 3600_000 },
  { label: '24 h', ms: 24 * 3600_000 },
  { label: '7 d', ms: 7 * 24 * 3600_000 },
  { label: '30 d', ms: 30 * 24 * 3600_000 },
] as const

export interface StorageSlice {
  storage: StorageSnapshot | null
  storageState: LoadState
  storageError: string | null
  selectedMount: string | null
  rangeMs: number
  mountHistory: Series | null
  mountHistoryState: LoadState | 'empty'
  mountHistoryError: string | null
  setStorage(s: StorageSnapshot | null): void
  setStorageError(message: string): void
  selectMount(mount: string | null): void
  setRange(ms: number): void
  setMountHistory(s: Series | null, error?: string): void
}

export const createStorageSlice: StateCreator<Store, [], [], StorageSlice> = (set) => ({
  storage: null,
  storageState: 'loading',
  storageError: null,
  selectedMount: null,
  rangeMs: STORAGE_RANGES[2].ms,
  mountHistory: null,
  mountHistoryState: 'loading',
  mountHistoryError: null,
  setStorage: (storage) =>
    set((st) => ({
      storage,
      storageState: 'ready',
      storageError: null,
      selectedMount:
        st.selectedMount ??
        storage?.filesystems.find((f) => f.mount === '/')?.mount ??
        storage?.filesystems[0]?.mount ??
        null,
    })),
  setStorageError: (message) => set({ storageState: 'error', storageError: message }),
  selectMount: (selectedMount) => set({ selectedMount, mountHistoryState: 'loading' }),
  setRange: (rangeMs) => set({ rangeMs, mountHistoryState: 'loading' }),
  setMountHistory: (s, error) =>
    set({
      mountHistory: s,
      mountHistoryError: error ?? null,
      mountHistoryState: error ? 'error' : s && s.points.length > 0 ? 'ready' : 'empty',
    }),
})
