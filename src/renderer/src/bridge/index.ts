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

/** Whether the console accepts `token` (401 means no; anything else, including down, means try again). */
async function tokenAccepted(token: string): Promise<boolean> {
  const r = await fetch('/api/app.info', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  })
  return r.status !== 401
}

export function createBridge(): Bridge {
  const preload = (window as unknown as { gantry?: PreloadApi }).gantry
  if (preload) return createIpcBridge(preload)
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const token = tokenFromLocation()
  return createWsBridge(`${scheme}://${window.location.host}/ws`, {
    token,
    checkToken: token ? () => tokenAccepted(token) : undefined,
  })
}

export type { Bridge, ConnectionState } from './types'
