// What host-level code may do on a host — run a command, keep one running and read its output,
// read files, change links — through one small interface, so that the same GPU stream, probes,
// drift reader and deploy target work on this machine (local-access.ts: child_process and fs) and
// on a server reached over SSH (ssh/ssh-access.ts: exec channels and SFTP on one connection).
// Host-level code never calls child_process or fs itself.
import type { Duplex } from 'node:stream'
import type { FileAccess } from '../files/local-files'

export interface RunOptions {
  /** Killed (SIGKILL) after this long; the result says `timedOut`. */
  timeoutMs?: number
  /** Output kept per stream; past it the command is killed and the result says `truncated`. */
  maxBytes?: number
  /** Aborting kills the command. The promise still settles only once it is gone. */
  signal?: AbortSignal
  /** Extra environment (LC_ALL=C is always set). */
  env?: Record<string, string | undefined>
}

export interface RunResult {
  /** Exit code, or null when killed by a signal (or never started). */
  code: number | null
  signal: string | null
  stdout: string
  stderr: string
  /** The program does not exist on that host (ENOENT locally, exit 127 remotely). */
  notFound: boolean
  timedOut: boolean
  truncated: boolean
  /** Why it could not run at all (the connection is down, spawn failed), else null. */
  error: string | null
}

/** A long-running command (the GPU stream): its output as it comes, and a way to end it. */
export interface HostProcess {
  /** The local process id, where there is one (null for a command on another host). */
  readonly pid: number | null
  /** Whether it has ended (exited, killed, or its channel closed). */
  readonly ended: boolean
  onStdout(cb: (chunk: Buffer) => void): void
  onStderr(cb: (chunk: Buffer) => void): void
  /** Once, when it ended: exit code or signal; `notFound` when the program does not exist there,
   *  `error` when it could not be started at all (or its connection went). */
  onExit(cb: (code: number | null, signal: string | null, notFound: boolean, error: string | null) => void): void
  /** Ends it: SIGTERM asks, SIGKILL insists (remotely: the channel closes and a watcher kills it). */
  kill(signal?: 'SIGTERM' | 'SIGKILL'): void
}

export interface LinkStat {
  kind: 'file' | 'dir' | 'link' | 'other'
}

export interface HostAccess {
  readonly kind: 'local' | 'ssh'
  /** Files that paths given through the API lead to, under that host's allowed roots. */
  readonly files: FileAccess
  run(argv: string[], o?: RunOptions): Promise<RunResult>
  spawn(argv: string[], o?: { env?: Record<string, string | undefined> }): HostProcess
  /** lstat: what is at a path without following a link there; null when nothing is. */
  lstat(path: string): Promise<LinkStat | null>
  readlink(path: string): Promise<string | null>
  symlink(target: string, path: string): Promise<void>
  /** rename(2): atomic on one filesystem (a new link renamed over the old). */
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
  mkdirp(path: string): Promise<void>
  /** A byte stream to host:port as that host reaches it (a TCP connection from there): endpoints
   *  only the host can reach are probed through it. */
  forward(host: string, port: number): Promise<Duplex>
  /** The owner (an account name) and /proc/PID/cgroup of processes on that host, where /proc shows
   *  them; absent entries ended or live in another pid namespace. */
  processes(pids: number[]): Promise<Map<number, { user: string | null; cgroup: string | null }>>
}

/** "a: not found"-style result of a command that could not be started. */
export function notRun(error: string, notFound = false): RunResult {
  return { code: null, signal: null, stdout: '', stderr: '', notFound, timedOut: false, truncated: false, error }
}
