// The /proc texts of an SSH host from ONE long-lived command instead of one command per probe: a
// shell loop on the host prints the host readings every interval and the storage readings every
// few intervals, each block ended by a marker, on a single exec channel. Opening a channel and
// starting a command costs both sides far more than a few lines on an open one (measured in
// bench/ssh-fleet), and a fleet of fifty hosts polled at 1 Hz is fifty of them a second.
// The loop ends with its channel (the access's watcher kills it when the channel closes); a loop
// that ended is started again on the next probe, at most once a second.
import type { HostAccess, HostProcess } from '../hosts/access'
import { parseDf, parseMounts, sections, type ProcSource } from './proc-probes'
import type { RawFilesystem } from './storage'

const END = '@@end'
/** The files of a host reading, and the section each becomes (as proc-probes.ts names them). */
const FILE_SECTIONS: Record<string, string> = {
  '/proc/stat': 'stat',
  '/proc/meminfo': 'mem',
  '/proc/loadavg': 'load',
  '/proc/uptime': 'uptime',
  '/proc/sys/kernel/hostname': 'hostname',
  '/proc/mounts': 'mounts',
  '/proc/diskstats': 'diskstats',
}
const HOST_FILES = ['/proc/stat', '/proc/meminfo', '/proc/loadavg', '/proc/uptime', '/proc/sys/kernel/hostname']
const STORAGE_FILES = ['/proc/mounts', '/proc/diskstats']

/** A block's sections: `@@name` lines, and head's `==> /proc/file <==` headers turned into sections. */
export function blockSections(text: string): Map<string, string> {
  const named = text.replace(/^==> (\S+) <==$/gm, (_, f: string) => `@@${FILE_SECTIONS[f] ?? f}`)
  const s = sections(named)
  // head separates files with an empty line: not part of the file.
  for (const [k, v] of s) s.set(k, v.replace(/\n\n$/, '\n'))
  return s
}
const MAX_BLOCK = 4 * 1024 * 1024

interface Block {
  seq: number
  at: number
  s: Map<string, string>
  storage: boolean
}

export interface StreamSource extends ProcSource {
  stop(): void
}

export function createStreamSource(
  access: HostAccess,
  o: { intervalMs: number; storageEvery: number; timeoutMs: number; now?: () => number },
): StreamSource {
  const now = o.now ?? Date.now
  const sec = Math.max(1, Math.round(o.intervalMs / 1000))
  const every = Math.max(1, o.storageEvery)
  // The first block right away (storage too), then host every `sec`, storage every `every` blocks.
  // Per block ONE process reads every /proc file (head prints each file under a "==> name <=="
  // line), the names that never change are read once before the loop, and the block is collected
  // first and written at once: one write, one SSH packet, one wake-up here. Storage adds df and
  // two more files every few blocks. So a host at 1 Hz costs itself two short processes a second.
  const script =
    'os=$(uname -s); m=$(uname -m); r=$(cat /proc/sys/kernel/osrelease 2>/dev/null); i=0; ' +
    'while :; do b=$({ printf "@@os\\n%s\\n@@machine\\n%s\\n@@release\\n%s\\n" "$os" "$m" "$r"; ' +
    `head -c 1000000 ${HOST_FILES.join(' ')}; ` +
    `if [ $((i % ${every})) -eq 0 ]; then echo @@df; df -P -k -l 2>/dev/null || df -P -k; ` +
    `head -c 4000000 ${STORAGE_FILES.join(' ')}; echo @@disks; ls /sys/block; echo @@stored; fi; } 2>/dev/null); ` +
    `printf '%s\\n${END}\\n' "$b"; i=$((i+1)); sleep ${sec}; done`
  let proc: HostProcess | null = null
  let startedAt = 0
  let seq = 0
  let buf = ''
  let latest: Block | null = null
  let latestStorage: Block | null = null
  let consumedHost = 0
  let consumedStorage = 0
  let stopped = false
  let lastError: string | null = null
  const waiters: { storage: boolean; resolve: (b: Block) => void; reject: (e: Error) => void }[] = []

  function deliver(b: Block): void {
    latest = b
    if (b.storage) latestStorage = b
    for (const w of waiters.splice(0)) {
      if (w.storage && !b.storage) waiters.push(w)
      else w.resolve(b)
    }
  }

  function start(): void {
    if (proc && !proc.ended) return
    if (now() - startedAt < 1000) return // a loop that keeps dying is not restarted in a spin
    startedAt = now()
    buf = ''
    const p = access.spawn(['sh', '-c', script])
    proc = p
    p.onStdout((chunk) => {
      buf += chunk.toString('utf8')
      if (buf.length > MAX_BLOCK) {
        lastError = 'the host printed more than expected for one reading'
        p.kill('SIGKILL')
        return
      }
      let i: number
      while ((i = buf.indexOf(`${END}\n`)) >= 0) {
        const text = buf.slice(0, i)
        buf = buf.slice(i + END.length + 1)
        const s = blockSections(text)
        deliver({ seq: ++seq, at: now(), s, storage: s.has('stored') })
      }
    })
    p.onExit((code, signal, notFound, error) => {
      if (proc === p) proc = null
      lastError =
        error ?? (notFound ? 'sh is not available on the host' : `the reading loop ended (${signal ?? `exit ${code}`})`)
      const err = new Error(lastError)
      for (const w of waiters.splice(0)) w.reject(err)
    })
  }

  /** The next block not yet used for this kind (waiting for it within the deadline). */
  function next(storage: boolean): Promise<Block> {
    if (stopped) return Promise.reject(new Error('stopped'))
    const have = storage ? latestStorage : latest
    const used = storage ? consumedStorage : consumedHost
    // A block not yet used, and recent enough to stand for "now".
    if (have && have.seq > used && now() - have.at < o.intervalMs * (storage ? every : 1) + 1000) {
      return Promise.resolve(have)
    }
    start()
    return new Promise<Block>((resolve, reject) => {
      const w = { storage, resolve, reject }
      waiters.push(w)
      const timer = setTimeout(() => {
        const k = waiters.indexOf(w)
        if (k >= 0) waiters.splice(k, 1)
        reject(
          new Error(
            `no reading from the host within ${o.timeoutMs / 1000} s${lastError && !proc ? ` (${lastError})` : ''}`,
          ),
        )
      }, o.timeoutMs)
      const done =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer)
          f(v)
        }
      w.resolve = done(resolve)
      w.reject = done(reject)
    })
  }

  return {
    async host() {
      const b = await next(false)
      consumedHost = b.seq
      return b.s
    },
    async storage() {
      const b = await next(true)
      consumedStorage = b.seq
      const filesystems: RawFilesystem[] = parseDf(b.s.get('df') ?? '', parseMounts(b.s.get('mounts') ?? ''))
      return { sections: b.s, filesystems }
    },
    stop() {
      stopped = true
      proc?.kill('SIGKILL')
      proc = null
      for (const w of waiters.splice(0)) w.reject(new Error('stopped'))
    },
  }
}
