// Host keys: a key's SHA256 fingerprint as OpenSSH prints it, and what ~/.ssh/known_hosts says of
// it — hashed entries (|1|salt|hash, HMAC-SHA1 of the host) included, `[host]:port` for other
// ports, wildcards, negations and @revoked as OpenSSH reads them. A known_hosts that knows another
// key of the same type for the host means the key changed.
import { createHash, createHmac } from 'node:crypto'
import { join } from 'node:path'
import { readSmallTextOrNull } from '../../util/small-file'

const KNOWN_HOSTS_MAX = 16 * 1024 * 1024

/** "SHA256:…" (base64, no padding) of a key blob, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** The key type a blob names ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown'
  const n = blob.readUInt32BE(0)
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.toString('latin1', 4, 4 + n) : 'unknown'
}

export type KnownHostsVerdict = 'match' | 'mismatch' | 'unknown'

/** How OpenSSH names a host in known_hosts: `host`, or `[host]:port` on another port than 22. */
export function hostEntry(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  )
  return re.test(text)
}

function hostMatches(field: string, entry: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|')
    if (!salt || !hash) return false
    const h = createHmac('sha1', Buffer.from(salt, 'base64')).update(entry).digest('base64')
    return h === hash
  }
  let matched = false
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), entry)) return false
    } else if (globMatch(p, entry)) matched = true
  }
  return matched
}

/** What known_hosts text says of `blob` for host:port. */
export function checkKnownHosts(text: string, host: string, port: number, blob: Buffer): KnownHostsVerdict {
  const entry = hostEntry(host, port)
  const type = keyTypeOf(blob)
  const b64 = blob.toString('base64')
  let sameTypeOther = false
  let match = false
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    let parts = line.split(/\s+/)
    let marker: string | null = null
    if (parts[0].startsWith('@')) {
      marker = parts[0]
      parts = parts.slice(1)
    }
    if (parts.length < 3 || marker === '@cert-authority') continue
    const [hosts, ktype, key] = parts
    if (!hostMatches(hosts, entry)) continue
    if (marker === '@revoked') {
      if (key === b64) return 'mismatch'
      continue
    }
    if (key === b64) match = true
    else if (ktype === type) sameTypeOther = true
  }
  if (match) return 'match'
  return sameTypeOther ? 'mismatch' : 'unknown'
}

/** The user's known_hosts files (UserKnownHostsFile's default, then the system-wide one). */
export function readKnownHosts(home: string, env: NodeJS.ProcessEnv = process.env): string {
  const files = env.GANTRY_KNOWN_HOSTS
    ? env.GANTRY_KNOWN_HOSTS.split(':')
    : [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2'), '/etc/ssh/ssh_known_hosts']
  // Never blocks on a FIFO or device put there; an unreadable file counts as empty.
  return files.map((f) => readSmallTextOrNull(f, KNOWN_HOSTS_MAX) ?? '').join('\n')
}
