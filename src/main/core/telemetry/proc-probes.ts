// Host and storage facts of a Linux host from /proc: on an SSH host one short command per probe
// (cat of /proc files, df) through its access, nothing installed there; on this machine the same
// files read directly and statfs(2) per filesystem, so the local probe starts no process (a
// workstation on macOS or Windows keeps systeminformation). CPU and disk rates are
// deltas between two readings: the previous probe's, or for the first probe two readings 0.2 s
// apart, so no rate is ever an average since boot.
import { readFileSync } from 'node:fs'
import { readdir, statfs } from 'node:fs/promises'
import { machine } from 'node:os'
import type { HostAccess } from '../hosts/access'
import type { HostFacts } from './host'
import type { RawFilesystem, StorageFacts } from './storage'

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d

interface CpuTimes {
  total: number
  idle: number
  iowait: number
  user: number
  system: number
}

/** The `cpu`/`cpuN` lines of /proc/stat: aggregate first, then one per core. */
export function parseProcStat(text: string): CpuTimes[] {
  const out: CpuTimes[] = []
  for (const line of text.split('\n')) {
    if (!/^cpu\d*\s/.test(line)) continue
    const v = line.trim().split(/\s+/).slice(1).map(Number)
    if (v.length < 4 || v.some((x) => !Number.isFinite(x) || x < 0)) continue
    const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = v
    // guest time is already counted in user (kernel docs), so the first eight fields are the total.
    out.push({
      total: user + nice + system + idle + iowait + irq + softirq + steal,
      idle,
      iowait,
      user: user + nice,
      system: system + irq + softirq,
    })
  }
  return out
}

function cpuUsage(before: CpuTimes[], after: CpuTimes[]): NonNullable<HostFacts['cpu']> {
  const pct = (a: CpuTimes, b: CpuTimes, f: (d: CpuTimes) => number): number => {
    const d: CpuTimes = {
      total: b.total - a.total,
      idle: b.idle - a.idle,
      iowait: b.iowait - a.iowait,
      user: b.user - a.user,
      system: b.system - a.system,
    }
    return d.total > 0 ? round(Math.min(100, Math.max(0, (f(d) / d.total) * 100))) : 0
  }
  const busy = (d: CpuTimes): number => d.total - d.idle - d.iowait
  const [a, b] = [before[0], after[0]]
  return {
    loadPct: pct(a, b, busy),
    userPct: pct(a, b, (d) => d.user),
    systemPct: pct(a, b, (d) => d.system),
    iowaitPct: pct(a, b, (d) => d.iowait),
    cores: after.length - 1,
    perCorePct: after.slice(1).map((c, i) => (before[i + 1] ? pct(before[i + 1], c, busy) : 0)),
  }
}

/** /proc/meminfo in bytes (its kB are KiB). */
export function parseMeminfo(text: string): NonNullable<HostFacts['memory']> | null {
  const kb = new Map<string, number>()
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)(?:\s+kB)?$/.exec(line.trim())
    if (m) kb.set(m[1], Number(m[2]) * 1024)
  }
  const total = kb.get('MemTotal')
  if (!total) return null
  // Kernels before 3.14 have no MemAvailable: free + page cache is the old estimate.
  const available =
    kb.get('MemAvailable') ?? (kb.get('MemFree') ?? 0) + (kb.get('Buffers') ?? 0) + (kb.get('Cached') ?? 0)
  const used = total - available
  const swapTotal = kb.get('SwapTotal') ?? 0
  return {
    total,
    used,
    available,
    usedPct: round((used / total) * 100),
    swapTotal,
    swapUsed: swapTotal - (kb.get('SwapFree') ?? swapTotal),
  }
}

/** `df -P -k` lines: device, 1K-blocks, used, available, capacity, mount (which may hold spaces). */
export function parseDf(text: string, mounts: Map<string, { type: string; readOnly: boolean }>): RawFilesystem[] {
  const out: RawFilesystem[] = []
  for (const line of text.split('\n').slice(1)) {
    const m = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+(\/.*)$/.exec(line.trimEnd())
    if (!m) continue
    const mount = m[5]
    const info = mounts.get(mount)
    out.push({
      device: m[1],
      size: Number(m[2]) * 1024,
      used: Number(m[3]) * 1024,
      available: Number(m[4]) * 1024,
      mount,
      type: info?.type ?? 'unknown',
      readOnly: info ? info.readOnly : null,
    })
  }
  return out
}

/** /proc/mounts: mount point → type and whether mounted read-only (the last mount of a point wins). */
export function parseMounts(text: string): Map<string, { type: string; readOnly: boolean }> {
  const out = new Map<string, { type: string; readOnly: boolean }>()
  const unescape = (s: string): string =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
  for (const line of text.split('\n')) {
    const f = line.split(' ')
    if (f.length < 4) continue
    out.set(unescape(f[1]), { type: f[2], readOnly: f[3].split(',').includes('ro') })
  }
  return out
}

interface DiskTotals {
  at: number
  readOps: number
  writeOps: number
  readBytes: number
  writeBytes: number
}

/** Whole disks of /proc/diskstats (those /sys/block lists, loop and ram devices left out). */
export function parseDiskstats(text: string, disks: Set<string>, at: number): DiskTotals {
  const t: DiskTotals = { at, readOps: 0, writeOps: 0, readBytes: 0, writeBytes: 0 }
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 10) continue
    const name = f[2]
    if (!disks.has(name) || /^(loop|ram|zram)\d/.test(name)) continue
    t.readOps += Number(f[3]) || 0
    t.readBytes += (Number(f[5]) || 0) * 512 // sectors are 512 bytes in diskstats, whatever the device
    t.writeOps += Number(f[7]) || 0
    t.writeBytes += (Number(f[9]) || 0) * 512
  }
  return t
}

/** Splits a script's output into its `@@name` sections. */
export function sections(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of text.split(/^@@/m).slice(1)) {
    const nl = part.indexOf('\n')
    out.set(nl < 0 ? part.trim() : part.slice(0, nl).trim(), nl < 0 ? '' : part.slice(nl + 1))
  }
  return out
}

export const HOST_SCRIPT = [
  'echo @@os; uname -s',
  'echo @@stat; cat /proc/stat',
  'echo @@mem; cat /proc/meminfo',
  'echo @@load; cat /proc/loadavg',
  'echo @@uptime; cat /proc/uptime',
  'echo @@hostname; cat /proc/sys/kernel/hostname',
  'echo @@release; cat /proc/sys/kernel/osrelease',
  'echo @@machine; uname -m',
].join('; ')

// df -l keeps network filesystems (a dead NFS server would hang df) out where df knows -l.
export const STORAGE_SCRIPT = [
  'echo @@os; uname -s',
  'echo @@df; df -P -k -l 2>/dev/null || df -P -k',
  'echo @@mounts; cat /proc/mounts',
  'echo @@disks; ls /sys/block 2>/dev/null',
  'echo @@diskstats; cat /proc/diskstats 2>/dev/null',
].join('; ')

/** Filesystems that are not storage anyone fills (df lists some of them with a size). */
const PSEUDO = new Set(['squashfs', 'devtmpfs', 'proc', 'sysfs', 'cgroup', 'cgroup2', 'overlay', 'nsfs', 'tracefs'])

/** Host and storage health read /proc: another OS is said so, not shown as garbage. */
function notLinux(s: Map<string, string>): void {
  const os = (s.get('os') ?? '').trim()
  if (os && os !== 'Linux')
    throw new Error(`the host runs ${os}, not Linux: its health is read from /proc, which it lacks`)
}

/** Where the /proc texts come from: a host's access (one shell command per probe), or this
 *  machine's own files read directly (no process started at all). */
export interface ProcSource {
  /** Sections os, stat, mem, load, uptime, hostname, release, machine. */
  host(): Promise<Map<string, string>>
  /** Sections os, mounts, disks, diskstats; the filesystems with their sizes (df, or statfs). */
  storage(): Promise<{ sections: Map<string, string>; filesystems: RawFilesystem[] }>
}

/** The /proc texts of a host through its access: `sh -c` with cat, uname and df there. */
export function accessSource(access: HostAccess, timeoutMs: number): ProcSource {
  async function sh(script: string, what: string): Promise<Map<string, string>> {
    const r = await access.run(['sh', '-c', script], { timeoutMs, maxBytes: 4 * 1024 * 1024 })
    if (r.error) throw new Error(r.error)
    if (r.timedOut) throw new Error(`${what} did not answer within ${timeoutMs / 1000} s`)
    if (r.truncated) throw new Error(`${what}: more output than expected`)
    return sections(r.stdout)
  }
  return {
    host: () => sh(HOST_SCRIPT, 'reading /proc'),
    async storage() {
      const s = await sh(STORAGE_SCRIPT, 'df')
      return { sections: s, filesystems: parseDf(s.get('df') ?? '', parseMounts(s.get('mounts') ?? '')) }
    },
  }
}

/** Network and automounted filesystems: not asked for their size (a dead server would hang statfs). */
const REMOTE_FS =
  /^(nfs4?|cifs|smb3?|smbfs|ncpfs|afs|ceph|glusterfs|lustre|gpfs|9p|autofs|fuse\.(sshfs|s3fs|rclone|glusterfs|ceph.*))$/

/** This machine's /proc and statfs(2), read directly: the local probe starts no process. */
export function localSource(o: { statfsTimeoutMs?: number } = {}): ProcSource {
  // /proc files are generated in memory when read: a synchronous read takes microseconds and never
  // waits on a disk, where an async one costs four thread-pool round trips per file.
  const read = (p: string): string => {
    try {
      return readFileSync(p, 'utf8')
    } catch {
      return ''
    }
  }
  const wait = o.statfsTimeoutMs ?? 2000
  async function sizeOf(mount: string): Promise<{ size: number; used: number; available: number } | null> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), wait)))
    try {
      const st = await Promise.race([statfs(mount).catch(() => null), late])
      if (!st) return null
      return { size: st.blocks * st.bsize, used: (st.blocks - st.bfree) * st.bsize, available: st.bavail * st.bsize }
    } finally {
      clearTimeout(timer)
    }
  }
  return {
    async host() {
      const [stat, mem, load, up, name, rel] = [
        '/proc/stat',
        '/proc/meminfo',
        '/proc/loadavg',
        '/proc/uptime',
        '/proc/sys/kernel/hostname',
        '/proc/sys/kernel/osrelease',
      ].map(read)

      return new Map([
        ['os', 'Linux'],
        ['stat', stat],
        ['mem', mem],
        ['load', load],
        ['uptime', up],
        ['hostname', name],
        ['release', rel],
        ['machine', machine()],
      ])
    },
    async storage() {
      const mountsText = read('/proc/mounts')
      const diskstats = read('/proc/diskstats')
      const disks = await readdir('/sys/block').catch(() => [] as string[])
      const mounts = parseMounts(mountsText)
      const devices = new Map<string, string>()
      for (const line of mountsText.split('\n')) {
        const f = line.split(' ')
        if (f.length > 2)
          devices.set(
            f[1].replace(/\\([0-7]{3})/g, (_, x: string) => String.fromCharCode(parseInt(x, 8))),
            f[0],
          )
      }
      const wanted = [...mounts.entries()].filter(([, m]) => !PSEUDO.has(m.type) && !REMOTE_FS.test(m.type))
      const sized = await Promise.all(wanted.map(([mount]) => sizeOf(mount)))
      const filesystems: RawFilesystem[] = []
      wanted.forEach(([mount, m], i) => {
        const z = sized[i]
        if (z)
          filesystems.push({ mount, device: devices.get(mount) ?? 'unknown', type: m.type, readOnly: m.readOnly, ...z })
      })
      return {
        sections: new Map([
          ['os', 'Linux'],
          ['mounts', mountsText],
          ['disks', disks.join('\n')],
          ['diskstats', diskstats],
        ]),
        filesystems,
      }
    },
  }
}

export interface ProcProbes {
  host(signal?: AbortSignal): Promise<HostFacts>
  storage(signal?: AbortSignal): Promise<StorageFacts>
}

export function createProcProbes(source: ProcSource, o: { now?: () => number } = {}): ProcProbes {
  const now = o.now ?? Date.now
  let prevCpu: { at: number; times: CpuTimes[] } | null = null
  let prevDisk: DiskTotals | null = null

  return {
    async host() {
      let s = await source.host()
      notLinux(s)
      let times = parseProcStat(s.get('stat') ?? '')
      // Without a recent reading the first rate comes from two readings 0.2 s apart.
      if (times.length && (!prevCpu || now() - prevCpu.at > 5 * 60_000 || prevCpu.times.length !== times.length)) {
        prevCpu = { at: now(), times }
        await new Promise((r) => setTimeout(r, 200))
        s = await source.host()
        times = parseProcStat(s.get('stat') ?? '')
      }
      const problems: string[] = []
      let cpu: HostFacts['cpu'] = null
      if (times.length > 1 && prevCpu && prevCpu.times.length === times.length) {
        cpu = cpuUsage(prevCpu.times, times)
      } else problems.push('CPU unavailable: /proc/stat shows no CPU counters')
      prevCpu = times.length ? { at: now(), times } : null
      const memory = parseMeminfo(s.get('mem') ?? '')
      if (!memory) problems.push('memory unavailable: /proc/meminfo shows no MemTotal')
      const la = (s.get('load') ?? '').trim().split(/\s+/).slice(0, 3).map(Number)
      const load = la.length === 3 && la.every(Number.isFinite) ? { one: la[0], five: la[1], fifteen: la[2] } : null
      if (!load) problems.push('load average unavailable: /proc/loadavg is unreadable')
      const uptime = Number((s.get('uptime') ?? '').trim().split(/\s+/)[0])
      return {
        problems,
        hostname: (s.get('hostname') ?? '').trim() || 'unknown',
        platform: `linux-${(s.get('machine') ?? '').trim() || 'unknown'}`,
        kernel: (s.get('release') ?? '').trim() || 'unknown',
        uptimeSec: Number.isFinite(uptime) ? Math.round(uptime) : 0,
        cpu,
        load,
        memory,
      }
    },

    async storage() {
      const at = now()
      const { sections: s, filesystems: listed } = await source.storage()
      notLinux(s)
      const problems: string[] = []
      const seen = new Set<string>()
      const filesystems = listed
        .filter((f) => f.size > 0 && !PSEUDO.has(f.type) && !seen.has(f.mount) && seen.add(f.mount))
        .sort((a, b) => a.mount.localeCompare(b.mount))
      if (!filesystems.length) problems.push('filesystems unavailable: df listed none')
      const disks = new Set((s.get('disks') ?? '').split(/\s+/).filter(Boolean))
      const totals = parseDiskstats(s.get('diskstats') ?? '', disks, at)
      let io: StorageFacts['io'] = null
      if (disks.size) {
        const p = prevDisk
        const dt = p ? (totals.at - p.at) / 1000 : 0
        const rate = (a: number, b: number): number | null => (p && dt > 0 && b >= a ? round((b - a) / dt) : null)
        io = {
          readOpsPerSec: rate(p?.readOps ?? 0, totals.readOps),
          writeOpsPerSec: rate(p?.writeOps ?? 0, totals.writeOps),
          readBytesPerSec: rate(p?.readBytes ?? 0, totals.readBytes),
          writeBytesPerSec: rate(p?.writeBytes ?? 0, totals.writeBytes),
        }
        prevDisk = totals
      }
      return { problems, filesystems, io }
    },
  }
}
