// Renderer entry: one bridge, one store, the app shell.
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app/App'
import { createBridge } from './bridge'
import { connectStore } from './bridge/connect'
import { useStore } from './store'
import './styles.css'

connectStore(createBridge(), useStore)

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
