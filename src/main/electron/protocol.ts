// The desktop renderer's own origin, app://gantry, instead of file:// (which would give the page
// the file system's origin and every file:// URL as same-origin). Registered privileged (standard,
// secure, fetch) before the app is ready; each request is mapped into the built renderer folder
// and refused if it would step outside it. Responses carry the console's CSP.
import { extname, join, normalize, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CSP } from '../../shared/csp'

export const APP_SCHEME = 'app'
export const APP_HOST = 'gantry'
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

/** The privileges of the scheme (protocol.registerSchemesAsPrivileged, before app ready). */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: true },
} as const

/** Whether `url` is this app's origin (URL.origin is "null" for schemes WHATWG does not know). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url)
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST
  } catch {
    return false
  }
}

/** The file under `rendererDir` that `url` names, or null for another host or a path outside it. */
export function appFilePath(rendererDir: string, url: string): string | null {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return null
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null
  let path: string
  try {
    path = decodeURIComponent(u.pathname)
  } catch {
    return null
  }
  if (path.includes('\0')) return null
  const rel = normalize(path === '/' ? '/index.html' : path).replace(/^[/\\]+/, '')
  const root = normalize(rendererDir)
  const file = join(root, rel)
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : null
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

export interface ProtocolLike {
  handle(scheme: string, handler: (req: Request) => Promise<Response> | Response): void
}
export interface NetLike {
  fetch(url: string): Promise<Response>
}

/** Serves the built renderer on app://gantry/ (protocol.handle, after app ready). */
export function serveApp(protocol: ProtocolLike, net: NetLike, rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (req) => {
    const file = appFilePath(rendererDir, req.url)
    if (!file) return new Response('not found', { status: 404 })
    const res = await net.fetch(pathToFileURL(file).toString())
    if (!res.ok) return new Response('not found', { status: 404 })
    return new Response(res.body, {
      status: 200,
      headers: {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
      },
    })
  })
}
