// Which OS account is on the other end of a loopback TCP connection: Linux lists every socket in
// /proc/net/tcp{,6} with the uid that opened it, so the client's socket (local = its address and
// port, remote = ours) names the caller the audit records. Null where that cannot be told
// (another OS, another network namespace, a connection from beyond this machine).
import { readFile } from 'node:fs/promises'
import { isIPv4 } from 'node:net'
import { userName } from '../core/util/users'

/** /proc's hex form of an address: IPv4 as one little-endian word, IPv6 as four. */
export function procAddress(ip: string): string | null {
  const v4 = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : isIPv4(ip) ? ip : null
  const word = (bytes: number[]): string =>
    bytes
      .slice()
      .reverse()
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase()
  if (v4) {
    const b = v4.split('.').map(Number)
    return ip.startsWith('::ffff:') ? `0000000000000000FFFF0000${word(b)}` : word(b)
  }
  if (ip === '::1') return '00000000000000000000000001000000'
  return null
}

/** The uid of the socket whose local end is `client` and remote end is `server`, from /proc's table text. */
export function socketUid(
  table: string,
  client: { address: string; port: number },
  server: { address: string; port: number },
): number | null {
  const local = `${procAddress(client.address)}:${client.port.toString(16).toUpperCase().padStart(4, '0')}`
  const remote = `${procAddress(server.address)}:${server.port.toString(16).toUpperCase().padStart(4, '0')}`
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length > 7 && f[1] === local && f[2] === remote) {
      const uid = Number(f[7])
      return Number.isInteger(uid) ? uid : null
    }
  }
  return null
}

/** The account name of a loopback client, or null. */
export async function peerUser(sock: {
  remoteAddress?: string
  remotePort?: number
  localAddress?: string
  localPort?: number
}): Promise<string | null> {
  const { remoteAddress, remotePort, localAddress, localPort } = sock
  if (!remoteAddress || !remotePort || !localAddress || !localPort) return null
  const plain = (ip: string): string => (ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip)
  // An IPv4 client of a dual-stack listener is seen as ::ffff:a.b.c.d here but listed under tcp.
  const tries: [string, string, string][] = isIPv4(plain(remoteAddress))
    ? [
        ['tcp', plain(remoteAddress), plain(localAddress)],
        ['tcp6', `::ffff:${plain(remoteAddress)}`, `::ffff:${plain(localAddress)}`],
      ]
    : [['tcp6', remoteAddress, localAddress]]
  for (const [file, client, server] of tries) {
    if (procAddress(client) === null || procAddress(server) === null) continue
    try {
      const uid = socketUid(
        await readFile(`/proc/net/${file}`, 'utf8'),
        { address: client, port: remotePort },
        { address: server, port: localPort },
      )
      if (uid !== null) return userName(uid)
    } catch {
      // no /proc (not Linux): the caller stays unnamed
    }
  }
  return null
}
