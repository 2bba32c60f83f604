// The access token the headless server requires of every API and WebSocket request (loopback
// included): generated once per data directory, stored 0600 there, compared in constant time.
// Also the record of where a running console listens, for `gantry url`.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const TOKEN_FILE = 'server-token'
/** The read-only scrape token: it opens GET /metrics and nothing else (Prometheus's
 *  `authorization.credentials_file` can hold a copy without giving the console away). */
export const METRICS_TOKEN_FILE = 'metrics-token'

export function loadOrCreateToken(
  dataDir: string,
  file: string = TOKEN_FILE,
): { token: string; path: string; created: boolean } {
  const path = join(dataDir, file)
  if (existsSync(path)) {
    // Tighten permissions a user or a copy may have loosened.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
    const token = readFileSync(path, 'utf8').trim()
    if (token.length >= 32) return { token, path, created: false }
  }
  const token = randomBytes(32).toString('base64url')
  writeFileSync(path, `${token}\n`, { mode: 0o600 })
  chmodSync(path, 0o600)
  return { token, path, created: true }
}

export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (!given) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h)
}

export const SERVER_FILE = 'server.json'

/** Where a running `gantry serve` listens (no secret in it), so `gantry url` can print its link. */
export function writeServerFile(dataDir: string, info: { url: string; pid: number; startedAt: number }): void {
  const path = join(dataDir, SERVER_FILE)
  writeFileSync(path, `${JSON.stringify(info)}\n`, { mode: 0o600 })
}

export function removeServerFile(dataDir: string, pid: number): void {
  const info = readServerFile(dataDir)
  if (info?.pid === pid) rmSync(join(dataDir, SERVER_FILE), { force: true })
}

export function readServerFile(dataDir: string): { url: string; pid: number; startedAt: number } | null {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, SERVER_FILE), 'utf8')) as { url?: unknown; pid?: unknown }
    if (typeof v.url === 'string' && typeof v.pid === 'number')
      return v as { url: string; pid: number; startedAt: number }
  } catch {
    // none, or unreadable: no console recorded
  }
  return null
}

/** The console's address with its token in the fragment (never sent to the server, kept out of its logs). */
export function consoleLink(url: string, token: string): string {
  return `${url}#token=${token}`
}
