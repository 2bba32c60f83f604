// The one bridge: Electron IPC when the preload is present, else WebSocket to `gantry serve`.
// Nothing else in the renderer touches window.gantry or WebSocket.
import { createIpcBridge } from './ipc'
import type { Bridge, PreloadApi } from './types'
import { createWsBridge } from './ws'

function tokenFromLocation(): string | null {
  const m = /(?:^|[#&])token=([^&]+)/.exec(window.location.hash)
  if (m) {
    const token = decodeURIComponent(m[1])
    sessionStorage.setItem('gantry-token', token)
    // Keep the token out of the address bar and history.
    history.replaceState(null, '', window.location.pathname + window.location.hash.replace(/token=[^&]+&?/, ''))
    return token
  }
  return sessionStorage.getItem('gantry-token')
}

export function createBridge(): Bridge {
  const preload = (window as unknown as { gantry?: PreloadApi }).gantry
  if (preload) return createIpcBridge(preload)
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const token = tokenFromLocation()
  const q = token ? `?token=${encodeURIComponent(token)}` : ''
  return createWsBridge(`${scheme}://${window.location.host}/ws${q}`)
}

export type { Bridge, ConnectionState } from './types'
