// The one store, built from each feature's slice (zustand's slices pattern).
import { create } from 'zustand'
import { createAppSlice, type AppSlice } from '../app/slice'
import { createGpuSlice, type GpuSlice } from '../features/gpus/slice'
import { createHostSlice, type HostSlice } from '../features/overview/slice'
import { createServingSlice, type ServingSlice } from '../features/serving/slice'
import { createStorageSlice, type StorageSlice } from '../features/storage/slice'
import { createAlertsSlice, type AlertsSlice } from '../features/alerts/slice'

export type Store = AppSlice & HostSlice & StorageSlice & GpuSlice & ServingSlice & AlertsSlice

export const useStore = create<Store>()((...a) => ({
  ...createAppSlice(...a),
  ...createHostSlice(...a),
  ...createStorageSlice(...a),
  ...createGpuSlice(...a),
  ...createServingSlice(...a),
  ...createAlertsSlice(...a),
}))
