// Hosts: the machines Gantry watches — this one ("local"), and servers reached over SSH with
// nothing installed on them. A host's connection state, key and health, as every door shows them.
import { z } from 'zod'
import { Health } from './contract-base'

/** The local machine's host name in Gantry (a row that always exists). */
export const LOCAL_HOST = 'local'

export const HostName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit')

/** prometheus: known from a Prometheus source's exporters only (read, never reached). */
export const HostKind = z.enum(['local', 'ssh', 'prometheus'])
export type HostKind = z.infer<typeof HostKind>

/** How an SSH host is reached, as resolved from what the operator gave (and ~/.ssh/config). */
export const SshSettings = z.object({
  /** What was given: `user@host[:port]`, or an alias from ~/.ssh/config. */
  target: z.string().min(1).max(500),
  hostname: z.string().min(1).max(255),
  user: z.string().min(1).max(100),
  port: z.number().int().min(1).max(65535),
  /** A private key file; null: the ssh-agent (SSH_AUTH_SOCK). */
  identityFile: z.string().max(4096).nullable(),
  /** Jump hosts, outermost first (ProxyJump), each `user@host:port`. */
  proxyJump: z.array(z.string().max(500)).max(8),
  /** The ~/.ssh/config alias the settings came from, if any. */
  alias: z.string().max(255).nullable(),
})
export type SshSettings = z.infer<typeof SshSettings>

export const ConnectionState = z.enum([
  'local',
  'connecting',
  'up',
  'auth-failed',
  'host-key-unknown',
  'host-key-changed',
  'unreachable',
  'disabled',
  /** Not connected to: read from a Prometheus source. */
  'external',
])
export type ConnectionState = z.infer<typeof ConnectionState>

export const HostConnection = z.object({
  state: ConnectionState,
  /** Since when it is in this state. */
  since: z.number(),
  lastError: z.string().nullable(),
  /** Connection attempts since it was last up. */
  attempts: z.number().int(),
  /** The host key's SHA256 fingerprint as last seen, and the one pinned (they differ when changed). */
  fingerprint: z.string().nullable(),
  pinned: z.string().nullable(),
})
export type HostConnection = z.infer<typeof HostConnection>

export const HostSummary = z.object({
  name: z.string(),
  kind: HostKind,
  /** `user@host:port` for an SSH host; null for this machine. */
  address: z.string().nullable(),
  /** Who answers for it (an owner team): its alerts go there. */
  owner: z.string().nullable(),
  enabled: z.boolean(),
  connection: HostConnection,
  /** The worst of its host, storage and GPU health, with the reasons. */
  health: Health,
  hostname: z.string().nullable(),
  gpus: z.object({ count: z.number().int(), avgUtilPct: z.number().nullable(), state: z.string() }),
  /** Its fullest filesystem. */
  storage: z.object({ mount: z.string(), usedPct: z.number() }).nullable(),
  cpuPct: z.number().nullable(),
  memPct: z.number().nullable(),
  lastUpdate: z.number().nullable(),
  /** Where Gantry knows it from: "local", "ssh", "prometheus:<source>" (a host seen both ways has both). */
  sources: z.array(z.string()),
})
export type HostSummary = z.infer<typeof HostSummary>

/** What `hosts.test` found: the key to confirm, and whether the host can be watched. */
export const HostProbe = z.object({
  settings: SshSettings,
  ok: z.boolean(),
  /** Where the connection got before it stopped, when it stopped. */
  error: z.string().nullable(),
  keyType: z.string().nullable(),
  fingerprint: z.string().nullable(),
  /** known_hosts says this key is right, says another key is, or knows nothing of the host. */
  knownHosts: z.enum(['match', 'mismatch', 'unknown']),
  os: z.string().nullable(),
  /** The tools Gantry uses there, and whether each is present. */
  tools: z.record(z.string(), z.boolean()),
})
export type HostProbe = z.infer<typeof HostProbe>
