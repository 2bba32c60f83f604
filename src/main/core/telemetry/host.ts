// Host health of this machine: CPU load, memory, load average and uptime, via systeminformation
// (which reads /proc here: no process is spawned per tick). Each part that cannot be read is
// null with its reason, so a partial sample still tells the truth about what it knows.
import os from 'node:os'
import si from 'systeminformation'
import type { HostSnapshot } from '../../../shared/contract'
import { HOST_SERIES, point, type SamplePoint } from '../../../shared/series'
import { errorMessage } from '../errors'
import { hostHealth } from './health'

export type HostFacts = Omit<HostSnapshot, 'health' | 'at' | 'durationMs' | 'status' | 'host'>

export interface HostProbeDeps {
  currentLoad: () => Promise<si.Systeminformation.CurrentLoadData>
  mem: () => Promise<si.Systeminformation.MemData>
  loadavg: () => number[]
  uptime: () => number
  hostname: () => string
  platform: () => string
  release: () => string
}

export const systemHostDeps: HostProbeDeps = {
  currentLoad: () => si.currentLoad(),
  mem: () => si.mem(),
  loadavg: () => os.loadavg(),
  uptime: () => os.uptime(),
  hostname: () => os.hostname(),
  platform: () => `${os.platform()}-${os.arch()}`,
  release: () => os.release(),
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d

export async function probeHost(deps: HostProbeDeps = systemHostDeps): Promise<HostFacts> {
  // Each part reports its own problem; they are listed in a fixed order whatever finishes first.
  const failures: Record<string, string> = {}
  const part = async <T>(what: string, f: () => Promise<T> | T): Promise<T | null> => {
    try {
      return await f()
    } catch (err) {
      failures[what] = `${what} unavailable: ${errorMessage(err)}`
      return null
    }
  }
  const [cpu, memory, load] = await Promise.all([
    part('CPU', async () => {
      const l = await deps.currentLoad()
      if (!Number.isFinite(l.currentLoad)) throw new Error('no CPU counters')
      return {
        loadPct: round(l.currentLoad),
        userPct: round(l.currentLoadUser),
        systemPct: round(l.currentLoadSystem),
        iowaitPct: null,
        cores: l.cpus.length,
        perCorePct: l.cpus.map((c) => round(c.load)),
      }
    }),
    part('memory', async () => {
      const m = await deps.mem()
      if (!(m.total > 0)) throw new Error('no memory counters')
      const used = m.total - m.available
      return {
        total: m.total,
        used,
        available: m.available,
        usedPct: round((used / m.total) * 100),
        swapTotal: m.swaptotal,
        swapUsed: m.swapused,
      }
    }),
    part('load average', () => {
      const [one, five, fifteen] = deps.loadavg()
      if (![one, five, fifteen].every(Number.isFinite)) throw new Error('no load average')
      return { one: round(one), five: round(five), fifteen: round(fifteen) }
    }),
  ])
  const problems = ['CPU', 'memory', 'load average'].flatMap((w) => (failures[w] ? [failures[w]] : []))
  return {
    problems,
    hostname: deps.hostname(),
    platform: deps.platform(),
    kernel: deps.release(),
    uptimeSec: Math.round(deps.uptime()),
    cpu,
    load,
    memory,
  }
}

export function hostSnapshot(facts: HostFacts, at: number, durationMs: number, host = 'local'): HostSnapshot {
  const status = facts.problems.length > 0 ? 'degraded' : 'ok'
  return { host, ...facts, at, durationMs, status, health: hostHealth(facts) }
}

export function degradedHost(reason: string, at: number, durationMs: number, host = 'local'): HostSnapshot {
  // Another host that did not answer: nothing of it is known, not even its name.
  const here = host === 'local'
  const facts: HostFacts = {
    problems: [reason],
    hostname: here ? os.hostname() : host,
    platform: here ? `${os.platform()}-${os.arch()}` : 'unknown',
    kernel: here ? os.release() : 'unknown',
    uptimeSec: here ? Math.round(os.uptime()) : 0,
    cpu: null,
    load: null,
    memory: null,
  }
  return { host, ...facts, at, durationMs, status: 'degraded', health: hostHealth(facts) }
}

/** The series a host sample writes to the time-series store. */
export function hostPoints(s: HostSnapshot): SamplePoint[] {
  const H = HOST_SERIES
  return [
    point(H.cpuLoad, s.cpu?.loadPct ?? null),
    point(H.cpuUser, s.cpu?.userPct ?? null),
    point(H.cpuSystem, s.cpu?.systemPct ?? null),
    point(H.memUsedPct, s.memory?.usedPct ?? null),
    point(H.memUsed, s.memory?.used ?? null),
    point(H.load1, s.load?.one ?? null),
    point(H.load5, s.load?.five ?? null),
    point(H.load15, s.load?.fifteen ?? null),
  ]
}
