// The bridge for components that call the core directly (one-off actions such as a probe); live
// data still flows through the store.
import { createContext, useContext } from 'react'
import type { Bridge } from './types'

export interface BridgeContextValue {
  bridge: Bridge
  /** Refetches the endpoint list after an add or remove (the store owns the list). */
  reloadEndpoints(): Promise<void>
  /** Refetches the alert list after an acknowledgement or a silence. */
  reloadAlerts?(): Promise<void>
}

export const BridgeContext = createContext<BridgeContextValue | null>(null)

export function useBridge(): BridgeContextValue {
  const b = useContext(BridgeContext)
  if (!b) throw new Error('no bridge: render inside <BridgeContext.Provider>')
  return b
}
