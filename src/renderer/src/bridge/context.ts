// The bridge for components that call the core directly (one-off actions such as a probe); live
// data still flows through the store.
import { createContext, useContext } from 'react'
import type { Bridge } from './types'

export const BridgeContext = createContext<Bridge | null>(null)

export function useBridge(): Bridge {
  const b = useContext(BridgeContext)
  if (!b) throw new Error('no bridge: render inside <BridgeContext.Provider>')
  return b
}
