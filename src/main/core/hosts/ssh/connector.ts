// The fleet's way to SSH hosts: a target resolved to settings (~/.ssh/config applied), a host row
// opened into its one reconnecting connection and its access, and a one-off test connection that
// shows the host key to confirm, the OS and which of the tools Gantry uses are there.
//
// A key file named through the API must be a regular file in the folders keys live in (~/.ssh, the
// data dir's ssh/, GANTRY_SSH_KEY_DIRS): a caller cannot make Gantry read any file as a "key".
import { realpathSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import type { Client } from 'ssh2'
import type { HostProbe, SshSettings } from '../../../../shared/hosts'
import { GantryError } from '../../errors'
import type { PathPolicy } from '../../files/policy'
import type { SecretStore } from '../../secrets'
import type { Connector, RemoteHandle } from '../fleet'
import type { HostRow, HostsStore } from '../hosts-store'
import { connect, ConnectError, createSshConnection, type ConnectDeps, type SshConnection } from './connection'
import { readKnownHosts } from './known-hosts'
import { defaultSshEnv, resolveTarget } from './settings'
import { createSshAccess } from './ssh-access'

/** The tools Gantry runs on a host, checked by `hosts.test`. */
export const HOST_TOOLS = ['sh', 'cat', 'df', 'nvidia-smi', 'dmesg', 'sha256sum'] as const

export interface SshConnectorOptions {
  hosts: HostsStore
  secrets: SecretStore
  dataDir: string
  /** The allowed roots on an SSH host (asked on every check). */
  remotePolicy: (row: HostRow) => PathPolicy
  now: () => number
  log: (line: string) => void
  env?: NodeJS.ProcessEnv
  /** How long a TCP connect plus SSH handshake may take (default 10 s). */
  readyTimeoutMs?: number
  keepaliveMs?: number
}

const within = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep)

export function createSshConnector(o: SshConnectorOptions): Connector {
  const env = o.env ?? process.env
  const deps = (): ConnectDeps => {
    const home = defaultSshEnv(env).home
    return {
      knownHosts: () => readKnownHosts(home, env),
      agent: () => env.SSH_AUTH_SOCK || null,
      readyTimeoutMs: o.readyTimeoutMs ?? 10_000,
      keepaliveMs: o.keepaliveMs ?? 15_000,
    }
  }

  /** Where a key named through the API may be. */
  function keyDirs(): string[] {
    const home = defaultSshEnv(env).home
    const extra = (env.GANTRY_SSH_KEY_DIRS ?? '').split(':').filter((d) => d.startsWith('/'))
    return [join(home, '.ssh'), join(o.dataDir, 'ssh'), ...extra].map((d) => {
      try {
        return realpathSync(d)
      } catch {
        return resolve(d)
      }
    })
  }

  function checkKeyFile(path: string): string {
    if (!path.startsWith('/') && !path.startsWith('~')) {
      throw new GantryError('files/refused', `the key file must be an absolute path (${path} given)`)
    }
    const abs = resolve(path.replace(/^~(?=\/|$)/, defaultSshEnv(env).home))
    let real: string
    try {
      real = realpathSync(abs)
    } catch {
      throw new GantryError('files/missing', `the key file ${abs} does not exist`)
    }
    const dirs = keyDirs()
    if (!dirs.some((d) => within(real, d))) {
      throw new GantryError(
        'files/refused',
        `the key file ${abs} is outside the folders keys are read from (${dirs.join(', ')}; more with GANTRY_SSH_KEY_DIRS)`,
      )
    }
    return abs
  }

  function passphraseOf(name: string): string | null {
    const ref = o.hosts.get(name)?.secretRef
    return ref ? o.secrets.get(ref) : null
  }

  async function probe(
    client: Client,
    name: string,
    policy: PathPolicy,
  ): Promise<{ os: string | null; tools: Record<string, boolean> }> {
    // A connection that is up already, wrapped so the same access code runs the checks.
    const conn: SshConnection = {
      connection: () => {
        throw new Error('not used')
      },
      onChange: () => undefined,
      client: () => Promise.resolve(client),
      start: () => undefined,
      close: async () => undefined,
    }
    const access = createSshAccess({ name, connection: conn, policy })
    const script = `uname -sr; for t in ${HOST_TOOLS.join(' ')}; do if command -v "$t" >/dev/null 2>&1; then echo "$t yes"; else echo "$t no"; fi; done`
    const r = await access.run(['sh', '-c', script], { timeoutMs: 15_000, maxBytes: 64 * 1024 })
    if (r.error || r.timedOut || r.code !== 0) {
      return { os: null, tools: Object.fromEntries(HOST_TOOLS.map((t) => [t, false])) }
    }
    const lines = r.stdout.trim().split('\n')
    const tools: Record<string, boolean> = {}
    for (const line of lines.slice(1)) {
      const [t, yes] = line.split(' ')
      if ((HOST_TOOLS as readonly string[]).includes(t)) tools[t] = yes === 'yes'
    }
    return { os: lines[0]?.trim() || null, tools }
  }

  return {
    // An IdentityFile from ~/.ssh/config is the operator's own choice; one given through the API is
    // checked. Either is read at connect time without blocking (a FIFO there is refused).
    resolve: (target, identityFile) =>
      resolveTarget(target, defaultSshEnv(env), identityFile ? checkKeyFile(identityFile) : undefined),
    checkKeyFile,

    open(row: HostRow): RemoteHandle {
      if (!row.ssh) throw new GantryError('hosts/unsupported', `host ${row.name} has no SSH settings`)
      const connection = createSshConnection({
        name: row.name,
        settings: row.ssh,
        pinned: () => o.hosts.get(row.name)?.keyFingerprint ?? row.keyFingerprint,
        passphrase: () => passphraseOf(row.name),
        deps: deps(),
        now: o.now,
        log: o.log,
      })
      const access = createSshAccess({ name: row.name, connection, policy: o.remotePolicy(row) })
      connection.start()
      return {
        access,
        connection: () => connection.connection(),
        onChange: (cb) => connection.onChange(cb),
        close: () => connection.close(),
      }
    },

    async test(settings: SshSettings, passphrase: string | null, trust?: string | null): Promise<HostProbe> {
      const base = { settings, os: null, tools: {} as Record<string, boolean> }
      try {
        const c = await connect(settings, { pinned: null, trust: trust ?? null, passphrase, deps: deps() })
        try {
          const pseudo: HostRow = {
            id: 0,
            name: settings.alias ?? settings.hostname,
            kind: 'ssh',
            ssh: settings,
            owner: null,
            enabled: true,
            keyType: c.keyType,
            keyFingerprint: c.fingerprint,
            keyPinnedAt: null,
            keyPinnedBy: null,
            secretRef: null,
            createdAt: 0,
            updatedAt: 0,
          }
          const found = await probe(c.client, pseudo.name, o.remotePolicy(pseudo))
          return {
            ...base,
            ok: true,
            error: null,
            keyType: c.keyType,
            fingerprint: c.fingerprint,
            knownHosts: c.knownHosts,
            ...found,
          }
        } finally {
          c.client.end()
          for (const h of c.hops) h.end()
        }
      } catch (err) {
        const e = err instanceof ConnectError ? err : null
        return {
          ...base,
          ok: false,
          error: e?.message ?? (err as Error).message,
          keyType: e?.keyType ?? null,
          fingerprint: e?.fingerprint ?? null,
          knownHosts: e?.knownHosts ?? 'unknown',
        }
      }
    },
  }
}
