// The /proc probes used for SSH hosts, run here through this machine's own access (the same
// commands an SSH host runs): the facts agree with what this kernel says.
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { createLocalFiles } from '../../src/main/core/files/local-files'
import { createPathPolicy } from '../../src/main/core/files/policy'
import { createLocalAccess } from '../../src/main/core/hosts/local-access'
import type { HostAccess } from '../../src/main/core/hosts/access'
import {
  accessSource,
  createProcProbes,
  localSource,
  parseDf,
  parseMeminfo,
  parseMounts,
  parseProcStat,
} from '../../src/main/core/telemetry/proc-probes'
import { createStreamSource } from '../../src/main/core/telemetry/proc-stream'

const access = createLocalAccess(createLocalFiles(createPathPolicy(() => ['/tmp'], '/tmp/none')))

describe('/proc probes', () => {
  it('reads CPU, memory, load, uptime and names from this kernel', async () => {
    const p = createProcProbes(accessSource(access, 10_000))
    const f = await p.host()
    expect(f.problems).toEqual([])
    expect(f.hostname).toBe(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim())
    expect(f.hostname).toBe(hostname())
    expect(f.kernel).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim())
    const cores = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((l) => /^cpu\d+ /.test(l)).length
    expect(f.cpu?.cores).toBe(cores)
    expect(f.cpu?.perCorePct).toHaveLength(cores)
    expect(f.cpu!.loadPct).toBeGreaterThanOrEqual(0)
    expect(f.cpu!.loadPct).toBeLessThanOrEqual(100)
    const total = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024
    expect(f.memory?.total).toBe(total)
    expect(f.uptimeSec).toBeGreaterThan(0)
    // The second probe's rate is the delta since the first.
    const g = await p.host()
    expect(g.cpu?.cores).toBe(cores)
  })

  it('CPU busy share is the delta of two readings, not the average since boot', () => {
    const a = parseProcStat('cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\n')
    const b = parseProcStat('cpu  190 0 110 800 0 0 0 0 0 0\ncpu0 190 0 110 800 0 0 0 0 0 0\n')
    expect(a[0].total).toBe(1000)
    expect(b[0].total - a[0].total).toBe(100)
    // all 100 new ticks were busy: 100 % now, though since boot it was 30 %
    expect(b[0].total - b[0].idle - (a[0].total - a[0].idle)).toBe(100)
  })

  it('lists the filesystems df shows, with type and read-only from /proc/mounts', async () => {
    const p = createProcProbes(accessSource(access, 10_000))
    const s = await p.storage()
    expect(s.filesystems.map((f) => f.mount)).toContain('/')
    const root = s.filesystems.find((f) => f.mount === '/')!
    expect(root.size).toBeGreaterThan(0)
    expect(root.type).not.toBe('unknown')
    // rates need two readings: none on the first, numbers on the second
    expect(s.io?.readOpsPerSec ?? null).toBeNull()
    await new Promise((r) => setTimeout(r, 50))
    const t = await p.storage()
    if (t.io) expect(typeof t.io.readOpsPerSec).toBe('number')
  })

  it("reads this machine's files directly the same as through a shell (no process started)", async () => {
    const viaShell = createProcProbes(accessSource(access, 10_000))
    const direct = createProcProbes(localSource())
    const [a, b] = await Promise.all([viaShell.host(), direct.host()])
    expect(b.problems).toEqual([])
    expect(b.hostname).toBe(a.hostname)
    expect(b.kernel).toBe(a.kernel)
    expect(b.platform).toBe(a.platform)
    expect(b.cpu?.cores).toBe(a.cpu?.cores)
    expect(b.memory?.total).toBe(a.memory?.total)
    const [sa, sb] = await Promise.all([viaShell.storage(), direct.storage()])
    const rootA = sa.filesystems.find((f) => f.mount === '/')!
    const rootB = sb.filesystems.find((f) => f.mount === '/')!
    // statfs(2) and df agree on the size; used may move by a few blocks between the two readings.
    expect(rootB.size).toBe(rootA.size)
    expect(rootB.type).toBe(rootA.type)
    expect(Math.abs(rootB.used - rootA.used)).toBeLessThan(64 * 1024 * 1024)
    // df -l and the local reader leave out the same kinds: no proc, sysfs or cgroup mount.
    expect(sb.filesystems.some((f) => ['proc', 'sysfs', 'cgroup2'].includes(f.type))).toBe(false)
  })

  it('streams the same readings from one long-lived loop (head of every file, one write a block)', async () => {
    let spawns = 0
    let runs = 0
    const counting: HostAccess = {
      ...access,
      spawn: (argv, o) => (spawns++, access.spawn(argv, o)),
      run: (argv, o) => (runs++, access.run(argv, o)),
    }
    const stream = createStreamSource(counting, { intervalMs: 1000, storageEvery: 2, timeoutMs: 10_000 })
    try {
      const p = createProcProbes(stream)
      const direct = createProcProbes(localSource())
      const [a, b] = await Promise.all([p.host(), direct.host()])
      expect(a.problems).toEqual([])
      expect(a.hostname).toBe(b.hostname)
      expect(a.kernel).toBe(b.kernel)
      expect(a.platform).toBe(b.platform)
      expect(a.cpu?.cores).toBe(b.cpu?.cores)
      expect(a.memory?.total).toBe(b.memory?.total)
      expect(a.load).not.toBeNull()
      const st = await p.storage()
      expect(st.filesystems.map((f) => f.mount)).toContain('/')
      expect(st.filesystems.find((f) => f.mount === '/')?.type).toBe(
        (await direct.storage()).filesystems.find((f) => f.mount === '/')?.type,
      )
      // The loop runs as ONE process whatever the number of readings: no command per probe.
      await p.host()
      await p.host()
      expect(spawns).toBe(1)
      expect(runs).toBe(0)
    } finally {
      stream.stop()
    }
  })

  it('parses mounts with spaces (octal escapes) and old kernels without MemAvailable', () => {
    const mounts = parseMounts('/dev/sdb1 /mnt/my\\040disk ext4 ro,relatime 0 0\n')
    expect(mounts.get('/mnt/my disk')).toEqual({ type: 'ext4', readOnly: true })
    const df = parseDf(
      'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sdb1 100 40 60 40% /mnt/my disk\n',
      mounts,
    )
    expect(df).toEqual([
      {
        device: '/dev/sdb1',
        size: 102400,
        used: 40960,
        available: 61440,
        mount: '/mnt/my disk',
        type: 'ext4',
        readOnly: true,
      },
    ])
    const m = parseMeminfo(
      'MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n',
    )
    expect(m?.available).toBe(400 * 1024)
    expect(m?.usedPct).toBe(60)
  })

  it('says what failed when the host answers garbage or nothing', async () => {
    const garbage: HostAccess = {
      ...access,
      run: async () => ({
        code: 0,
        signal: null,
        stdout: '@@stat\nnonsense\n@@mem\n\n',
        stderr: '',
        notFound: false,
        timedOut: false,
        truncated: false,
        error: null,
      }),
    }
    const f = await createProcProbes(accessSource(garbage, 1000)).host()
    expect(f.cpu).toBeNull()
    expect(f.memory).toBeNull()
    expect(f.problems.join('; ')).toMatch(/CPU unavailable.*memory unavailable.*load average unavailable/)
    const hung: HostAccess = {
      ...access,
      run: async () => ({
        code: null,
        signal: 'SIGKILL',
        stdout: '',
        stderr: '',
        notFound: false,
        timedOut: true,
        truncated: false,
        error: null,
      }),
    }
    await expect(createProcProbes(accessSource(hung, 1000)).host()).rejects.toThrow(/did not answer within 1 s/)
    await expect(createProcProbes(accessSource(hung, 1000)).storage()).rejects.toThrow(/did not answer/)
    const mac: HostAccess = {
      ...access,
      run: async () => ({
        code: 1,
        signal: null,
        stdout: '@@os\nDarwin\n@@stat\n',
        stderr: 'cat: /proc/stat: No such file or directory',
        notFound: false,
        timedOut: false,
        truncated: false,
        error: null,
      }),
    }
    await expect(createProcProbes(accessSource(mac, 1000)).host()).rejects.toThrow(/runs Darwin, not Linux/)
  })
})
