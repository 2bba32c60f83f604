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
  /** Writes a whole file (mode 0644): a temporary file beside it, synced, then renamed over it. */
  writeFile(path: string, data: string): Promise<void>
  /** A byte stream to host:port as that host reaches it (a TCP connection from there): endpoints
   *  only the host can reach are probed through it. */
  forward(host: string, port: number): Promise<Duplex>
  /** The owner (an account name) and /proc/PID/cgroup of processes on that host, where /proc shows
   *  them; absent entries ended or live in another pid namespace. */
  processes(pids: number[]): Promise<Map<number, ProcFacts>>
}

/** What a host's /proc says of one process (each null where not readable). */
export interface ProcFacts {
  user: string | null
  cgroup: string | null
  /** argv joined by spaces (NULs and newlines as spaces), at most 4 KiB. */
  cmdline?: string | null
  rssBytes?: number | null
  /** utime + stime, seconds. */
  cpuSeconds?: number | null
  /** Epoch ms: boot time + its start time. */
  startedAt?: number | null
}

/** USER_HZ: the clock ticks /proc/PID/stat counts in (100 on every mainstream Linux). */
export const PROC_TICKS = 100

/** Facts from the text of /proc/PID/stat (the command name may hold spaces and parentheses:
 *  the fields are counted after its last ")") and /proc/PID/status. */
export function procStatFacts(
  stat: string | null,
  status: string | null,
  bootSec: number | null,
): Pick<ProcFacts, 'cpuSeconds' | 'startedAt' | 'rssBytes'> {
  let cpuSeconds: number | null = null
  let startedAt: number | null = null
  if (stat) {
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .trim()
      .split(/\s+/)
    const ut = Number(f[11])
    const st = Number(f[12])
    const start = Number(f[19])
    if (Number.isFinite(ut) && Number.isFinite(st)) cpuSeconds = (ut + st) / PROC_TICKS
    if (Number.isFinite(start) && bootSec !== null) startedAt = Math.round((bootSec + start / PROC_TICKS) * 1000)
  }
  const rss = status ? /^VmRSS:\s+(\d+)\s*kB/m.exec(status) : null
  return { cpuSeconds, startedAt, rssBytes: rss ? Number(rss[1]) * 1024 : null }
}

/** The bounded part of running a command, the same on every host: the deadline and the abort
 *  signal kill it, stdout past `maxBytes` kills it (`truncated`), stderr is kept up to the cap.
 *  `kill` ends it the transport's way; `finish` settles the result once, given what the transport
 *  knows at its end (and the stderr, for telling "not found" by the shell's words). */
export function boundedRun(
  o: RunOptions,
  defaultMax: number,
  kill: () => void,
  resolve: (r: RunResult) => void,
): {
  stdout(d: Buffer): void
  stderr(d: Buffer): void
  finish(end: (stderr: string) => Omit<RunResult, 'stdout' | 'stderr' | 'timedOut' | 'truncated'>): void
} {
  const max = o.maxBytes ?? defaultMax
  const out: Buffer[] = []
  const err: Buffer[] = []
  let outBytes = 0
  let errBytes = 0
  let timedOut = false
  let truncated = false
  let settled = false
  const timer = o.timeoutMs
    ? setTimeout(() => {
        timedOut = true
        kill()
      }, o.timeoutMs)
    : null
  const onAbort = (): void => kill()
  if (o.signal?.aborted) kill()
  else o.signal?.addEventListener('abort', onAbort, { once: true })
  return {
    stdout(d) {
      const room = max - outBytes
      outBytes += d.length
      if (outBytes > max) {
        if (!truncated) {
          if (room > 0) out.push(d.subarray(0, room)) // what fit under the cap
          kill()
        }
        truncated = true
      } else out.push(d)
    },
    stderr(d) {
      errBytes += d.length
      if (errBytes <= max) err.push(d)
    },
    finish(end) {
      if (settled) return
      settled = true
      if (timer) clearTimeout(timer)
      o.signal?.removeEventListener('abort', onAbort)
      const stderr = Buffer.concat(err).toString('utf8')
      resolve({ ...end(stderr), stdout: Buffer.concat(out).toString('utf8'), stderr, timedOut, truncated })
    },
  }
}

/** "a: not found"-style result of a command that could not be started. */
export function notRun(error: string, notFound = false): RunResult {
  return { code: null, signal: null, stdout: '', stderr: '', notFound, timedOut: false, truncated: false, error }
}
