// One SSH connection per host (ssh2), every channel of that host multiplexed on it: connected
// through its ProxyJump chain, the host key checked before anything is sent (the key pinned in the
// database, else ~/.ssh/known_hosts; an unknown key is never trusted silently, a changed one is
// refused until accepted), authenticated by the ssh-agent or a key file, kept alive, and
// reconnected with backoff and jitter when it drops. Its state (connecting, up, auth failed, host
// key changed, unreachable: since when, the last error) is visible; a caller while it is down is
// told at once instead of waiting — a dead host never delays another.
import { Client, type ConnectConfig } from 'ssh2'
import type { HostConnection, SshSettings } from '../../../../shared/hosts'
import { GantryError } from '../../errors'
import { readSmallFileSync } from '../../util/small-file'
import { checkKnownHosts, fingerprintOf, keyTypeOf, type KnownHostsVerdict } from './known-hosts'
import { parseTarget } from './settings'

export interface ConnectDeps {
  /** ~/.ssh/known_hosts text (read each time: an operator may add a key meanwhile). */
  knownHosts(): string
  /** The ssh-agent's socket (SSH_AUTH_SOCK), or null. */
  agent(): string | null
  readyTimeoutMs: number
  keepaliveMs: number
}

export interface Connected {
  client: Client
  /** The clients of the jump hosts (closed with it). */
  hops: Client[]
  keyType: string
  fingerprint: string
  knownHosts: KnownHostsVerdict
}

/** Why a connection attempt stopped, as a state of its own. */
export class ConnectError extends Error {
  constructor(
    readonly state: 'auth-failed' | 'host-key-unknown' | 'host-key-changed' | 'unreachable',
    message: string,
    readonly fingerprint: string | null = null,
    readonly keyType: string | null = null,
    readonly knownHosts: KnownHostsVerdict = 'unknown',
  ) {
    super(message)
  }
}

function auth(settings: SshSettings, passphrase: string | null, deps: ConnectDeps): Partial<ConnectConfig> {
  if (settings.identityFile) {
    let key: Buffer
    try {
      // A key is a few KiB; a FIFO or device put in its place must not hold the process.
      key = readSmallFileSync(settings.identityFile, 256 * 1024)
    } catch (err) {
      throw new ConnectError('auth-failed', `cannot read the key file: ${(err as Error).message}`)
    }
    return { privateKey: key, ...(passphrase ? { passphrase } : {}) }
  }
  const agent = deps.agent()
  // Without any credential the host is still reached (its key is shown and checked); the login
  // then fails with this reason.
  return agent ? { agent } : {}
}

const NO_CREDENTIALS = 'no key file given and no ssh-agent (SSH_AUTH_SOCK is not set)'

function classify(err: Error & { level?: string; code?: string }): ConnectError {
  if (err instanceof ConnectError) return err
  const m = err.message
  if (err.level === 'client-authentication' || /authentication methods failed|permission denied/i.test(m)) {
    return new ConnectError('auth-failed', `authentication failed (${m})`)
  }
  if (/passphrase|encrypted private/i.test(m)) return new ConnectError('auth-failed', `the key file: ${m}`)
  if (/Cannot parse privateKey|Unsupported key format/i.test(m))
    return new ConnectError('auth-failed', `the key file: ${m}`)
  if (/handshake|timed out/i.test(m))
    return new ConnectError('unreachable', `no SSH handshake within the deadline (${m})`)
  return new ConnectError('unreachable', err.code ? `${err.code}: ${m}` : m)
}

/** One attempt at one hop: TCP (or a forwarded channel), the key check, authentication. */
function connectHop(
  config: ConnectConfig,
  verify: (blob: Buffer) => { ok: true } | { ok: false; error: ConnectError },
): Promise<{ client: Client; blob: Buffer }> {
  return new Promise((resolve, reject) => {
    const client = new Client()
    let blob: Buffer | null = null
    let refused: ConnectError | null = null
    let settled = false
    const fail = (err: Error): void => {
      if (settled) return
      settled = true
      client.end()
      reject(refused ?? classify(err))
    }
    client.once('ready', () => {
      if (settled) return
      settled = true
      resolve({ client, blob: blob as Buffer })
    })
    // Kept: ssh2 may report a second error (the socket lost) after the first ended the attempt.
    client.on('error', fail)
    client.once('close', () => fail(new Error('the connection closed during the handshake')))
    client.connect({
      ...config,
      hostVerifier: (key: Buffer) => {
        blob = key
        const v = verify(key)
        if (!v.ok) refused = v.error
        return v.ok
      },
    })
  })
}

/**
 * Connects to a host through its jump hosts. The target's key must be the pinned one, else known
 * to known_hosts, else exactly `trust` (a fingerprint the operator confirmed); jump hosts must be
 * known to known_hosts. Nothing is authenticated with a host whose key is not trusted.
 */
export async function connect(
  settings: SshSettings,
  o: { pinned: string | null; trust?: string | null; passphrase: string | null; deps: ConnectDeps },
): Promise<Connected> {
  const hops: Client[] = []
  /** The target's key as it showed it (kept for the error of a login that fails after it). */
  let seen: Buffer | null = null
  let seenVerdict: KnownHostsVerdict = 'unknown'
  const credentials = auth(settings, o.passphrase, o.deps)
  const base: Partial<ConnectConfig> = {
    readyTimeout: o.deps.readyTimeoutMs,
    keepaliveInterval: o.deps.keepaliveMs,
    keepaliveCountMax: 3,
    ...credentials,
  }
  try {
    let sock: ConnectConfig['sock'] | undefined
    for (const hop of settings.proxyJump) {
      const t = parseTarget(hop)
      const port = t.port ?? 22
      const prev = hops[hops.length - 1]
      if (prev) sock = await forward(prev, t.host, port)
      const { client } = await connectHop(
        { ...base, host: t.host, port, username: t.user ?? settings.user, ...(sock ? { sock } : {}) },
        (blob) => {
          const v = checkKnownHosts(o.deps.knownHosts(), t.host, port, blob)
          if (v === 'match') return { ok: true }
          return {
            ok: false,
            error: new ConnectError(
              v === 'mismatch' ? 'host-key-changed' : 'host-key-unknown',
              `jump host ${t.host}:${port} ${v === 'mismatch' ? 'shows a key that differs from known_hosts' : 'is not in known_hosts'} (${fingerprintOf(blob)}): add its key to ~/.ssh/known_hosts`,
              fingerprintOf(blob),
              keyTypeOf(blob),
              v,
            ),
          }
        },
      )
      hops.push(client)
    }
    const last = hops[hops.length - 1]
    sock = last ? await forward(last, settings.hostname, settings.port) : undefined
    let verdict: KnownHostsVerdict = 'unknown'
    const { client, blob } = await connectHop(
      { ...base, host: settings.hostname, port: settings.port, username: settings.user, ...(sock ? { sock } : {}) },
      (key) => {
        seen = key
        const fp = fingerprintOf(key)
        verdict = checkKnownHosts(o.deps.knownHosts(), settings.hostname, settings.port, key)
        seenVerdict = verdict
        const err = (state: ConnectError['state'], message: string) => ({
          ok: false as const,
          error: new ConnectError(state, message, fp, keyTypeOf(key), verdict),
        })
        if (o.pinned) {
          return o.pinned === fp
            ? { ok: true }
            : err(
                'host-key-changed',
                `the host key changed: it was ${o.pinned}, it is now ${fp}. Refused until someone who checked accepts the new one`,
              )
        }
        if (verdict === 'match' || (o.trust && o.trust === fp)) return { ok: true }
        if (verdict === 'mismatch') {
          return err(
            'host-key-changed',
            `the host key ${fp} differs from the one ~/.ssh/known_hosts has for it: refused`,
          )
        }
        return err('host-key-unknown', `the host key ${fp} is not known yet: confirm it to trust it`)
      },
    )
    return { client, hops, keyType: keyTypeOf(blob), fingerprint: fingerprintOf(blob), knownHosts: verdict }
  } catch (err) {
    for (const h of hops) h.end()
    const e = err instanceof ConnectError ? err : classify(err as Error)
    if (e.state === 'auth-failed' && seen) {
      // The key was shown and trusted; the login failed: say so with the key.
      const why = !credentials.agent && !credentials.privateKey ? NO_CREDENTIALS : e.message
      throw new ConnectError('auth-failed', why, fingerprintOf(seen), keyTypeOf(seen), seenVerdict)
    }
    throw e
  }
}

function forward(via: Client, host: string, port: number): Promise<ConnectConfig['sock']> {
  return new Promise((resolve, reject) =>
    via.forwardOut('127.0.0.1', 0, host, port, (err, stream) =>
      err
        ? reject(new ConnectError('unreachable', `the jump host cannot reach ${host}:${port}: ${err.message}`))
        : resolve(stream),
    ),
  )
}

export interface SshConnection {
  connection(): HostConnection
  onChange(cb: () => void): void
  /** The connected client; waits at most `waitMs` while connecting, else fails at once. */
  client(waitMs?: number): Promise<Client>
  start(): void
  close(): Promise<void>
}

export function createSshConnection(o: {
  name: string
  settings: SshSettings
  pinned: () => string | null
  passphrase: () => string | null
  deps: ConnectDeps
  now: () => number
  log: (line: string) => void
  /** The key pinned or accepted changed: the fleet rebuilds the host. */
  onConnected?: (c: Connected) => void
}): SshConnection {
  let state: HostConnection = {
    state: 'connecting',
    since: o.now(),
    lastError: null,
    attempts: 0,
    fingerprint: null,
    pinned: o.pinned(),
  }
  let current: Connected | null = null
  let closed = true
  let timer: ReturnType<typeof setTimeout> | null = null
  const listeners: (() => void)[] = []
  const waiters: { resolve: (c: Client) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }[] =
    []

  function set(patch: Partial<HostConnection>): void {
    const next = { ...state, ...patch, pinned: o.pinned() }
    const changed = next.state !== state.state || next.lastError !== state.lastError
    state = changed && next.state !== state.state ? { ...next, since: o.now() } : next
    if (changed) for (const l of listeners) l()
  }

  function refuseWaiters(err: Error): void {
    for (const w of waiters.splice(0)) {
      clearTimeout(w.timer)
      w.reject(err)
    }
  }

  function unavailable(): GantryError {
    const why = state.lastError ? `: ${state.lastError}` : ''
    const code =
      state.state === 'auth-failed'
        ? 'hosts/auth-failed'
        : state.state === 'host-key-changed'
          ? 'hosts/host-key-changed'
          : state.state === 'host-key-unknown'
            ? 'hosts/host-key-unknown'
            : 'hosts/unreachable'
    return new GantryError(code, `host ${o.name} is ${state.state.replace(/-/g, ' ')}${why}`)
  }

  function schedule(): void {
    if (closed) return
    if (state.state === 'host-key-changed' || state.state === 'host-key-unknown') return // a person must act
    const base = state.state === 'auth-failed' ? 60_000 : Math.min(60_000, 1000 * 2 ** Math.min(state.attempts, 6))
    const jitter = base * (0.8 + Math.random() * 0.4)
    timer = setTimeout(() => {
      timer = null
      attempt()
    }, jitter)
    timer.unref?.()
  }

  function attempt(): void {
    if (closed) return
    set({ state: 'connecting', attempts: state.attempts + 1 })
    connect(o.settings, { pinned: o.pinned(), passphrase: o.passphrase(), deps: o.deps }).then(
      (c) => {
        if (closed) {
          c.client.end()
          for (const h of c.hops) h.end()
          return
        }
        current = c
        c.client.on('error', (err) => o.log(`gantry: ssh ${o.name}: ${err.message}`))
        c.client.once('close', () => {
          if (current !== c) return
          current = null
          for (const h of c.hops) h.end()
          if (closed) return
          set({ state: 'unreachable', lastError: 'the connection dropped; reconnecting' })
          schedule()
        })
        set({ state: 'up', lastError: null, attempts: 0, fingerprint: c.fingerprint })
        o.onConnected?.(c)
        for (const w of waiters.splice(0)) {
          clearTimeout(w.timer)
          w.resolve(c.client)
        }
      },
      (err: unknown) => {
        if (closed) return
        const e = err instanceof ConnectError ? err : classify(err as Error)
        set({ state: e.state, lastError: e.message, fingerprint: e.fingerprint ?? state.fingerprint })
        refuseWaiters(unavailable())
        schedule()
      },
    )
  }

  return {
    connection: () => ({ ...state, pinned: o.pinned() }),
    onChange: (cb) => void listeners.push(cb),
    client(waitMs = 5000) {
      if (current) return Promise.resolve(current.client)
      if (closed || state.state !== 'connecting') return Promise.reject(unavailable())
      return new Promise((resolve, reject) => {
        const w = {
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.splice(waiters.indexOf(w), 1)
            reject(new GantryError('hosts/unreachable', `host ${o.name} is still connecting after ${waitMs / 1000} s`))
          }, waitMs),
        }
        waiters.push(w)
      })
    },
    start() {
      if (!closed) return
      closed = false
      attempt()
    },
    async close() {
      closed = true
      if (timer) clearTimeout(timer)
      timer = null
      refuseWaiters(new GantryError('hosts/unreachable', `host ${o.name} was disconnected`))
      const c = current
      current = null
      if (c) {
        await new Promise<void>((r) => {
          c.client.once('close', () => r())
          c.client.end()
          setTimeout(r, 2000).unref?.()
        })
        for (const h of c.hops) h.end()
      }
    },
  }
}
