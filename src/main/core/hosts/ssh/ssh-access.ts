// A host's access over its SSH connection: commands on exec channels (argv quoted for the remote
// shell, LC_ALL=C, output capped), each wrapped so that closing its channel kills it (a watcher
// reads the channel's stdin and SIGKILLs the command at EOF — also when the connection drops), files
// and links through SFTP, process owners and cgroups through one small script. Nothing is installed
// on the host: only sh, cat, kill and the tools asked for.
import type { ClientChannel, SFTPWrapper } from 'ssh2'
import {
  boundedRun,
  notRun,
  procStatFacts,
  type HostAccess,
  type HostProcess,
  type ProcFacts,
  type RunOptions,
  type RunResult,
} from '../access'
import type { PathPolicy } from '../../files/policy'
import type { SshConnection } from './connection'
import { createSftpFiles } from './sftp-files'

/** A word for a POSIX shell, quoted so that nothing in it is interpreted. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** The command line an exec channel runs (through the login's shell): the watcher wrapper around
 *  `env LC_ALL=C argv…`. */
export function remoteCommand(argv: string[], env: Record<string, string | undefined> = {}): string {
  const vars = Object.entries({ LC_ALL: 'C', ...env })
    .filter((kv): kv is [string, string] => kv[1] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(kv[0]))
    .map(([k, v]) => `${k}=${v}`)
  // fd 3 keeps the channel's stdin for the watcher; the command itself gets none. When the channel
  // closes, cat sees EOF and the command is killed; sh exits with the command's status.
  const script =
    'exec 3<&0; "$@" 3<&- </dev/null & p=$!; (cat <&3 >/dev/null 2>&1; kill -9 "$p" 2>/dev/null) >/dev/null 2>&1 & exec 3<&-; wait "$p"'
  // `exec`: the login shell sshd starts becomes the wrapper instead of waiting on it.
  return `exec ${['sh', '-c', script, 'sh', 'env', ...vars, ...argv].map(shellQuote).join(' ')}`
}

const DEFAULT_MAX = 16 * 1024 * 1024

export function createSshAccess(o: { name: string; connection: SshConnection; policy: PathPolicy }): HostAccess {
  let sftpSession: Promise<SFTPWrapper> | null = null
  const sftp = (): Promise<SFTPWrapper> => {
    sftpSession ??= o.connection.client().then(
      (c) =>
        new Promise<SFTPWrapper>((resolve, reject) =>
          c.sftp((err, s) => {
            if (err) return reject(err)
            // A session that ends (the connection dropped) is opened again on the next use.
            s.once('close', () => (sftpSession = null))
            resolve(s)
          }),
        ),
    )
    sftpSession.catch(() => (sftpSession = null))
    return sftpSession
  }

  function exec(argv: string[], env?: Record<string, string | undefined>): Promise<ClientChannel> {
    return o.connection
      .client()
      .then(
        (c) =>
          new Promise<ClientChannel>((resolve, reject) =>
            c.exec(remoteCommand(argv, env), (err, ch) => (err ? reject(err) : resolve(ch))),
          ),
      )
  }

  async function run(argv: string[], ro: RunOptions = {}): Promise<RunResult> {
    let ch: ClientChannel
    try {
      ch = await exec(argv, ro.env)
    } catch (err) {
      return notRun(`cannot run ${argv[0]} on ${o.name}: ${(err as Error).message}`)
    }
    return new Promise((resolve) => {
      const r = boundedRun(
        ro,
        DEFAULT_MAX,
        () => {
          ch.signal?.('KILL')
          ch.close()
        },
        resolve,
      )
      ch.on('data', r.stdout)
      ch.stderr.on('data', r.stderr)
      ch.once('close', (code: number | null, signal?: string) =>
        r.finish((stderr) => ({
          code: typeof code === 'number' ? code : null,
          signal: signal ?? null,
          // sh says "not found" and exits 127 where the program does not exist on that host.
          notFound: code === 127 && /not found|No such file/i.test(stderr),
          error: null,
        })),
      )
    })
  }

  function spawn(argv: string[], so: { env?: Record<string, string | undefined> } = {}): HostProcess {
    let ended = false
    let channel: ClientChannel | null = null
    let killRequested = false
    const outs: ((b: Buffer) => void)[] = []
    const errs: ((b: Buffer) => void)[] = []
    const exits: ((code: number | null, signal: string | null, notFound: boolean, error: string | null) => void)[] = []
    let stderrTail = ''
    const end = (code: number | null, signal: string | null, notFound: boolean, error: string | null): void => {
      if (ended) return
      ended = true
      for (const cb of exits) cb(code, signal, notFound, error)
    }
    exec(argv, so.env).then(
      (ch) => {
        channel = ch
        if (killRequested) ch.close()
        ch.on('data', (d: Buffer) => outs.forEach((cb) => cb(d)))
        ch.stderr.on('data', (d: Buffer) => {
          stderrTail = (stderrTail + d.toString()).slice(-500)
          errs.forEach((cb) => cb(d))
        })
        ch.once('close', (code: number | null, signal?: string) =>
          end(
            typeof code === 'number' ? code : null,
            signal ?? null,
            code === 127 && /not found|No such file/i.test(stderrTail),
            null,
          ),
        )
      },
      (err: Error) => end(null, null, false, `${argv[0]} on ${o.name}: ${err.message}`),
    )
    return {
      pid: null,
      get ended() {
        return ended
      },
      onStdout: (cb) => void outs.push(cb),
      onStderr: (cb) => void errs.push(cb),
      onExit: (cb) => void exits.push(cb),
      kill(signal = 'SIGTERM') {
        killRequested = true
        if (!channel) return
        channel.signal?.(signal === 'SIGKILL' ? 'KILL' : 'TERM')
        // Closing the channel makes the watcher kill it, whatever the server does with signals.
        if (signal === 'SIGKILL') channel.close()
        else setTimeout(() => channel?.close(), 1000).unref?.()
      },
    }
  }

  const sftpCall = <T>(f: (s: SFTPWrapper, cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> =>
    sftp().then((s) => new Promise<T>((resolve, reject) => f(s, (err, v) => (err ? reject(err) : resolve(v as T)))))

  return {
    kind: 'ssh',
    files: createSftpFiles(o.name, sftp, o.policy),
    run,
    spawn,
    async lstat(path) {
      try {
        const st = await sftpCall<{ mode: number }>((s, cb) => s.lstat(path, cb))
        const t = st.mode & 0o170000
        return { kind: t === 0o120000 ? 'link' : t === 0o040000 ? 'dir' : t === 0o100000 ? 'file' : 'other' }
      } catch {
        return null
      }
    },
    readlink: (path) => sftpCall<string>((s, cb) => s.readlink(path, cb)).catch(() => null),
    symlink: (target, path) => sftpCall<void>((s, cb) => s.symlink(target, path, cb)),
    // SFTP's own rename refuses an existing target: OpenSSH's posix-rename replaces it atomically.
    rename: (from, to) => sftpCall<void>((s, cb) => s.ext_openssh_rename(from, to, cb)),
    unlink: (path) => sftpCall<void>((s, cb) => s.unlink(path, cb)),
    async mkdirp(path) {
      const r = await run(['mkdir', '-p', '--', path], { timeoutMs: 15_000 })
      if (r.code !== 0)
        throw new Error(`mkdir -p ${path} on ${o.name}: ${(r.error ?? r.stderr.trim()) || `exit ${r.code}`}`)
    },
    async writeFile(path, data) {
      const tmp = `${path}.gantry-${process.pid}.tmp`
      await sftpCall<void>((s, cb) => s.writeFile(tmp, data, { mode: 0o644 }, cb))
      await sftpCall<void>((s, cb) => s.ext_openssh_rename(tmp, path, cb)).catch(async (err: unknown) => {
        await sftpCall<void>((s, cb) => s.unlink(tmp, cb)).catch(() => {})
        throw err
      })
    },
    // A direct-tcpip channel: the host opens the TCP connection (sshd's AllowTcpForwarding).
    forward: (host, port) =>
      o.connection
        .client()
        .then(
          (c) =>
            new Promise((resolve, reject) =>
              c.forwardOut('127.0.0.1', 0, host, port, (err, stream) =>
                err ? reject(new Error(`${o.name} cannot reach ${host}:${port}: ${err.message}`)) : resolve(stream),
              ),
            ),
        ),
    async processes(pids) {
      const out = new Map<number, ProcFacts>()
      const safe = [...new Set(pids.filter((p) => Number.isInteger(p) && p > 0))].slice(0, 500)
      if (!safe.length) return out
      // Two programs for all the owners and cgroups together (stat names the owners, grep -H
      // prefixes each cgroup line with its file), the boot time and each process's stat and
      // status read by the shell itself, and one tr per process for its NUL-separated command
      // line. Ended processes are simply absent.
      const script = [
        'cd /proc || exit 1',
        'while read -r k v _; do [ "$k" = btime ] && echo "@@btime $v"; done < stat',
        'stat -c "@@user %n %U" -- "$@" 2>/dev/null',
        'grep -H "" -- $(printf "%s/cgroup " "$@") 2>/dev/null | sed "s/^/@@cg /"',
        'for p in "$@"; do [ -r "$p/stat" ] || continue',
        // Never echo what a process chose (its name is in stat): dash's echo expands backslash
        // escapes, so a name with "\\n@@btime 1" would forge a line. printf %s and tr frame it.
        '  printf "@@stat %s " "$p"; tr "\\n" " " < "$p/stat"; echo',
        '  while read -r k v _; do [ "$k" = VmRSS: ] && printf "@@rss %s %s\\n" "$p" "$v"; done < "$p/status"',
        '  printf "@@cmd %s " "$p"; tr "\\000\\n" "  " < "$p/cmdline" | head -c 4096; echo',
        'done 2>/dev/null',
        'exit 0',
      ].join('\n')
      const r = await run(['sh', '-c', script, 'sh', ...safe.map(String)], {
        timeoutMs: 10_000,
        maxBytes: 4 * 1024 * 1024,
      })
      let bootSec: number | null = null
      const users = new Map<number, string>()
      const cgroups = new Map<number, string>()
      const stats = new Map<number, string>()
      const rss = new Map<number, string>()
      const cmds = new Map<number, string>()
      for (const line of r.stdout.split('\n')) {
        let m: RegExpExecArray | null
        // The first of each: a later line claiming the same key is not the script's own.
        if ((m = /^@@btime (\d+)/.exec(line))) bootSec ??= Number(m[1])
        else if ((m = /^@@user (\d+) (.*)$/.exec(line))) {
          if (!users.has(Number(m[1]))) users.set(Number(m[1]), m[2].trim())
        } else if ((m = /^@@cg (\d+)\/cgroup:(.*)$/.exec(line)))
          cgroups.set(Number(m[1]), (cgroups.get(Number(m[1])) ?? '') + m[2] + '\n')
        else if ((m = /^@@stat (\d+) (.*)$/.exec(line))) {
          if (!stats.has(Number(m[1]))) stats.set(Number(m[1]), m[2])
        } else if ((m = /^@@rss (\d+) (\d+)/.exec(line))) {
          if (!rss.has(Number(m[1]))) rss.set(Number(m[1]), `VmRSS: ${m[2]} kB`)
        } else if ((m = /^@@cmd (\d+) (.*)$/.exec(line))) {
          if (!cmds.has(Number(m[1]))) cmds.set(Number(m[1]), m[2].trim())
        }
      }
      for (const pid of safe) {
        if (!users.has(pid) && !cgroups.has(pid) && !stats.has(pid)) continue
        out.set(pid, {
          user: users.get(pid) || null,
          cgroup: cgroups.get(pid) ?? null,
          cmdline: cmds.get(pid) || null,
          ...procStatFacts(stats.get(pid) ?? null, rss.get(pid) ?? null, bootSec),
        })
      }
      return out
    },
  }
}
