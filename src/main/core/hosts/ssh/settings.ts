// From what the operator typed to how a host is reached: `user@host[:port]`, or an alias of
// ~/.ssh/config resolved with the ssh-config parser (HostName, User, Port, IdentityFile,
// ProxyJump chains — each jump resolved the same way). Nothing here connects.
import { homedir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import SSHConfig from 'ssh-config'
import type { SshSettings } from '../../../../shared/hosts'
import { GantryError } from '../../errors'
import { readSmallTextOrNull } from '../../util/small-file'

export interface SshEnv {
  /** ~/.ssh/config's text (null: none). */
  config: string | null
  home: string
  user: string
}

export function defaultSshEnv(env: NodeJS.ProcessEnv = process.env): SshEnv {
  const home = env.HOME || homedir()
  const path = env.GANTRY_SSH_CONFIG || join(home, '.ssh', 'config')
  // Unreadable, or not a regular file: resolved as if there were none.
  const config = readSmallTextOrNull(path, 1024 * 1024)
  let user = env.USER || 'root'
  try {
    user = userInfo().username || user
  } catch {
    // no passwd entry: $USER
  }
  return { config, home, user }
}

/** `[user@]host[:port]` (an IPv6 address in brackets: `[::1]:2222`). */
export function parseTarget(target: string): { user: string | null; host: string; port: number | null } {
  const t = target.trim()
  const at = t.lastIndexOf('@')
  const user = at > 0 ? t.slice(0, at) : null
  const rest = at > 0 ? t.slice(at + 1) : t
  let host = rest
  let port: number | null = null
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest)
  if (bracket) {
    host = bracket[1]
    port = bracket[2] ? Number(bracket[2]) : null
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const [h, p] = rest.split(':')
    host = h
    port = Number(p)
  }
  if (!host || !/^[A-Za-z0-9._:%-]+$/.test(host)) {
    throw new GantryError('contract/invalid-input', `"${target}" is not user@host[:port] nor an ~/.ssh/config alias`)
  }
  if (port !== null && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
    throw new GantryError('contract/invalid-input', `"${target}": the port must be 1–65535`)
  }
  if (user !== null && !/^[A-Za-z0-9._-][A-Za-z0-9._@-]*$/.test(user)) {
    throw new GantryError('contract/invalid-input', `"${target}": "${user}" is not a user name`)
  }
  return { user, host, port }
}

const expand = (p: string, home: string): string => resolve(p.replace(/^~(?=\/|$)/, home))

/** The settings of a target, with ~/.ssh/config applied (an alias's HostName, User, Port…). */
export function resolveTarget(target: string, env: SshEnv, identityFile?: string, depth = 0): SshSettings {
  if (depth > 8) throw new GantryError('contract/invalid-input', `ProxyJump chain from "${target}" is longer than 8`)
  const t = parseTarget(target)
  const computed = env.config ? SSHConfig.parse(env.config).compute(t.host) : {}
  const one = (k: string): string | null => {
    const v = computed[k]
    return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? null) : null
  }
  const alias = one('HostName') !== null || Object.keys(computed).length > 1 ? t.host : null
  const hostname = one('HostName') ?? t.host
  const port = t.port ?? (one('Port') ? Number(one('Port')) : 22)
  const user = t.user ?? one('User') ?? env.user
  const id = identityFile ?? one('IdentityFile')
  const jump = one('ProxyJump')
  const proxyJump: string[] = []
  if (jump && jump.toLowerCase() !== 'none') {
    for (const hop of jump.split(',').map((h) => h.trim())) {
      // Each hop may itself be an alias (with a ProxyJump of its own: those hops come first).
      const s = resolveTarget(hop, env, undefined, depth + 1)
      proxyJump.push(...s.proxyJump, `${s.user}@${s.hostname}:${s.port}`)
    }
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new GantryError('contract/invalid-input', `${target}: Port ${port} in ~/.ssh/config is not 1–65535`)
  }
  return {
    target,
    hostname,
    user,
    port,
    identityFile: id ? expand(id, env.home) : null,
    proxyJump,
    alias,
  }
}
