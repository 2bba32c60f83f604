// The access token the headless server requires when it listens beyond loopback: generated once,
// stored 0600 in the data directory, compared in constant time.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const TOKEN_FILE = 'server-token'

export function loadOrCreateToken(dataDir: string): { token: string; path: string; created: boolean } {
  const path = join(dataDir, TOKEN_FILE)
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
