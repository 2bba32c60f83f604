// Types of sshd.cjs (the real OpenSSH servers of the SSH-host tests and the fleet benchmark).
export const SSHD: string
export const STANDIN_BIN: string
/** Why SSH tests cannot run here, or null. */
export function sshdUnavailable(): string | null
export function freePort(): Promise<number>
export function makeKey(dir: string, name: string, passphrase?: string): { path: string; pub: string }
export function fingerprint(pubFile: string): string
/** The processes descending from `root` (per-connection sshd and what they run). */
export function descendants(root: number): number[]

export interface Login {
  user: string
  home: string
  /** A folder of the test's (keys, known_hosts, ssh config), in GANTRY_SSH_KEY_DIRS. */
  keys: string
  key: string
  encryptedKey: string
  passphrase: string
  /** The stand-in nvidia-smi's folder (for the login's PATH). */
  bin: string
  remove(): void
}
export function createLogin(): Login

export interface Sshd {
  port: number
  dir: string
  /** The listener's pid (null once killed). */
  readonly pid: number | null
  /** The host key's public file, its SHA256 fingerprint, and a known_hosts line for it. */
  hostPub: string
  readonly fingerprint: string
  readonly knownHostsLine: string
  /** Stops the server and every session it forked (SIGKILL: a host that dies). */
  kill(): void
  /** Starts it again on the same port (with a new host key if asked: a reinstalled server). */
  restart(o?: { newHostKey?: boolean }): Promise<void>
  stop(): Promise<void>
  /** Processes the server forked (per-connection sshd and the commands they run). */
  sessions(): number[]
}

export interface SshdOptions {
  users: string[]
  /** Variables every session gets (PATH to the stand-in, STANDIN_*), through SetEnv. */
  env?: Record<string, string>
  allowTcpForwarding?: boolean
  port?: number
}
export function startSshd(o: SshdOptions): Promise<Sshd>
