// Renderer entry: one bridge, one store, the app shell.
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app/App'
import { createBridge } from './bridge'
import { connectStore } from './bridge/connect'
import { BridgeContext } from './bridge/context'
import { useStore } from './store'
import './styles.css'

const bridge = createBridge()
const wiring = connectStore(bridge, useStore)

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <BridgeContext.Provider
      value={{ bridge, reloadEndpoints: wiring.reloadEndpoints, reloadAlerts: wiring.reloadAlerts }}
    >
      <App />
    </BridgeContext.Provider>
  </StrictMode>,
)
