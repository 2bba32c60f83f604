// This machine's access: commands through child_process (argv, no shell, LC_ALL=C, output capped,
// killed on timeout or abort and settled only once the child is gone), files through the file
// access with its allowed roots, links through fs.
import { spawn } from 'node:child_process'
import { connect as netConnect } from 'node:net'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { lstat, mkdir, open, readlink, rename, symlink, unlink } from 'node:fs/promises'
import { userName } from '../util/users'
import type { FileAccess } from '../files/local-files'
import {
  boundedRun,
  procStatFacts,
  type HostAccess,
  type HostProcess,
  type LinkStat,
  type ProcFacts,
  type RunOptions,
  type RunResult,
} from './access'

const DEFAULT_MAX = 16 * 1024 * 1024

/** Every process below `pid` (Linux /proc; elsewhere none are found and only the child is killed). */
export function descendants(pid: number): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  const children = new Map<number, number[]>()
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8')
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(e))
      children.set(ppid, list)
    } catch {
      // ended meanwhile
    }
  }
  const out: number[] = []
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c)
      walk(c)
    }
  }
  walk(pid)
  return out
}

export function createLocalAccess(
  files: FileAccess,
  baseEnv: NodeJS.ProcessEnv = process.env,
  proc = '/proc',
): HostAccess {
  const envOf = (extra?: Record<string, string | undefined>): NodeJS.ProcessEnv => ({
    ...baseEnv,
    ...extra,
    LC_ALL: 'C',
  })

  function run(argv: string[], o: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      // A deadline kills what it started too: `sh -c 'train …'` leaves a child holding the output
      // pipes open, so its descendants (read from /proc) go with it. It stays in Gantry's process
      // group and session: Ctrl-C on `gantry retrain` still reaches it.
      const child = spawn(argv[0], argv.slice(1), { env: envOf(o.env), stdio: ['ignore', 'pipe', 'pipe'] })
      let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null
      let killed = false
      const settleAfterKill = (): void => {
        // Something that escaped (setsid) may still hold the pipes: do not wait on it.
        setTimeout(() => {
          if (exited) r.finish(() => ({ ...exited!, notFound: false, error: null }))
        }, 2000).unref()
      }
      const kill = (): void => {
        if (killed) return
        killed = true
        const family = child.pid !== undefined ? descendants(child.pid) : []
        child.kill('SIGKILL')
        for (const pid of family) {
          try {
            process.kill(pid, 'SIGKILL')
          } catch {
            // gone already
          }
        }
        settleAfterKill()
      }
      const r = boundedRun(o, DEFAULT_MAX, kill, resolve)
      child.on('exit', (code, signal) => {
        exited = { code, signal }
        if (killed) settleAfterKill()
      })
      child.stdout.on('data', r.stdout)
      child.stderr.on('data', r.stderr)
      child.on('error', (e: NodeJS.ErrnoException) => {
        // A spawn that failed (ENOENT, EACCES, EMFILE) never runs: no 'close' is guaranteed.
        if (child.pid === undefined) {
          r.finish(() => ({
            code: null,
            signal: null,
            notFound: e.code === 'ENOENT',
            error: `cannot run ${argv[0]}: ${e.message}`,
          }))
        }
      })
      child.on('close', (code, signal) => r.finish(() => ({ code, signal, notFound: false, error: null })))
    })
  }

  function spawnProcess(argv: string[], o: { env?: Record<string, string | undefined> } = {}): HostProcess {
    const child = spawn(argv[0], argv.slice(1), { env: envOf(o.env), stdio: ['ignore', 'pipe', 'pipe'] })
    let ended = false
    const exits: ((code: number | null, signal: string | null, notFound: boolean, error: string | null) => void)[] = []
    const end = (code: number | null, signal: string | null, notFound: boolean, error: string | null): void => {
      if (ended) return
      ended = true
      for (const cb of exits) cb(code, signal, notFound, error)
    }
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined) end(null, null, e.code === 'ENOENT', e.message)
    })
    child.on('exit', (code, signal) => end(code, signal, false, null))
    return {
      get pid() {
        return child.pid ?? null
      },
      get ended() {
        return ended
      },
      onStdout: (cb) => void child.stdout.on('data', cb),
      onStderr: (cb) => void child.stderr.on('data', cb),
      onExit: (cb) => {
        exits.push(cb)
      },
      kill: (signal = 'SIGTERM') => {
        if (!ended) child.kill(signal)
      },
    }
  }

  return {
    kind: 'local',
    files,
    run,
    spawn: spawnProcess,
    async lstat(path): Promise<LinkStat | null> {
      const st = await lstat(path).catch(() => null)
      if (!st) return null
      return { kind: st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other' }
    },
    readlink: (path) => readlink(path).catch(() => null),
    symlink: (target, path) => symlink(target, path),
    rename: (from, to) => rename(from, to),
    unlink: (path) => unlink(path),
    mkdirp: async (path) => {
      await mkdir(path, { recursive: true })
    },
    async writeFile(path, data) {
      const tmp = `${path}.gantry-${process.pid}.tmp`
      // O_EXCL: a link planted at the temporary name is never followed.
      const fh = await open(tmp, 'wx', 0o644)
      try {
        await fh.writeFile(data)
        await fh.sync()
      } finally {
        await fh.close()
      }
      await rename(tmp, path).catch(async (err: unknown) => {
        await unlink(tmp).catch(() => {})
        throw err
      })
    },
    forward: (host, port) =>
      new Promise((resolve, reject) => {
        const s = netConnect({ host, port })
        s.once('connect', () => {
          s.off('error', reject)
          resolve(s)
        })
        s.once('error', reject)
      }),
    async processes(pids) {
      // procfs answers from memory: these reads do not wait on a disk.
      const out = new Map<number, ProcFacts>()
      const read = (path: string): string | null => {
        try {
          return readFileSync(path, 'utf8')
        } catch {
          return null // ended, in another pid namespace, or not readable
        }
      }
      const btime = /^btime (\d+)/m.exec(read(`${proc}/stat`) ?? '')
      const bootSec = btime ? Number(btime[1]) : null
      for (const pid of pids) {
        let user: string | null = null
        try {
          user = userName(statSync(`${proc}/${pid}`).uid)
        } catch {
          // ended, or in another pid namespace
        }
        const cgroup = read(`${proc}/${pid}/cgroup`)
        const stat = read(`${proc}/${pid}/stat`)
        if (user === null && cgroup === null && stat === null) continue
        const cmd = read(`${proc}/${pid}/cmdline`)
        out.set(pid, {
          user,
          cgroup,
          cmdline: cmd
            ? cmd
                .replace(/[\0\n]+/g, ' ')
                .trim()
                .slice(0, 4096) || null
            : null,
          ...procStatFacts(stat, read(`${proc}/${pid}/status`), bootSec),
        })
      }
      return out
    },
  }
}
