// The fleet: every host Gantry watches, each with its own services on its own access — this
// machine always, and each enabled SSH host through its one connection. A host's services start
// and stop with it; a dead or slow host never delays another (each has its own pollers and
// stream). Rows added, changed or removed by another process (the CLI) are picked up by sync().
import type { HostSummary, HostConnection, HostProbe, SshSettings } from '../../../shared/hosts'
import { LOCAL_HOST } from '../../../shared/hosts'
import type { Health, HealthLevel } from '../../../shared/contract-base'
import type { ServiceStatus } from '../../../shared/contract'
import { GantryError } from '../errors'
import type { Service } from '../lifecycle'
import type { HostAccess } from './access'
import type { HostRow, HostsStore } from './hosts-store'
import type { HostServices } from './host-services'

/** A host's open connection, as the SSH layer keeps it (reconnecting on its own). */
export interface RemoteHandle {
  readonly access: HostAccess
  connection(): HostConnection
  /** Told when the connection changes state (up, unreachable, key changed…). */
  onChange(cb: () => void): void
  close(): Promise<void>
}

/** How the fleet reaches hosts that are not this machine (ssh/connector.ts). */
export interface Connector {
  /** Settings from what the operator typed: `user@host[:port]` or an ~/.ssh/config alias. */
  resolve(target: string, identityFile?: string): SshSettings
  /** A key file named through the API, checked (absolute, in a folder keys live in): its path. */
  checkKeyFile(path: string): string
  open(row: HostRow): RemoteHandle
  /** One connection, not kept: the key to confirm (trusted if it is `trust`), the OS and tools. */
  test(settings: SshSettings, passphrase: string | null, trust?: string | null): Promise<HostProbe>
}

export interface Fleet extends Service {
  /** The services of a host (default this machine); hosts/unknown-host if there is none. */
  get(name?: string): HostServices
  /** The host row's id (series, endpoints and monitors are stored under it). */
  idOf(name?: string): number
  nameOf(id: number): string
  all(): HostServices[]
  summaries(): HostSummary[]
  summary(name: string): HostSummary
  connection(name: string): HostConnection
  /** Starts, stops or restarts hosts whose rows changed (here or in another process). */
  sync(): void
  /** Stops a host's services and closes its connection now (before it is removed). */
  release(name: string): Promise<void>
  statuses(): ServiceStatus[]
}

export interface FleetOptions {
  hosts: HostsStore
  now: () => number
  local: (row: HostRow) => HostServices
  /** Services of a host reached through a connection (same shape as this machine's). */
  remote: (row: HostRow, handle: RemoteHandle) => HostServices
  connector: Connector | null
  /** A host's connection or health changed: the doors are told. */
  changed(name: string): void
  log(line: string): void
}

const RANK: Record<HealthLevel, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 }

function worst(parts: (Health | undefined)[]): Health {
  let level: HealthLevel = 'ok'
  const reasons: string[] = []
  for (const h of parts) {
    if (!h) continue
    if (RANK[h.level] > RANK[level]) level = h.level
    reasons.push(...h.reasons)
  }
  return { level, reasons }
}

export function createFleet(o: FleetOptions): Fleet {
  interface Entry {
    row: HostRow
    services: HostServices
    handle: RemoteHandle | null
  }
  const entries = new Map<string, Entry>()
  let started = false
  let revision = ''

  function build(row: HostRow): Entry | null {
    if (row.kind === 'local') return { row, services: o.local(row), handle: null }
    if (!o.connector || !row.ssh) {
      o.log(`gantry: host ${row.name} cannot be reached: ${row.ssh ? 'no SSH support' : 'its settings are unreadable'}`)
      return null
    }
    const handle = o.connector.open(row)
    handle.onChange(() => o.changed(row.name))
    return { row, services: o.remote(row, handle), handle }
  }

  async function drop(e: Entry): Promise<void> {
    entries.delete(e.row.name)
    await e.services.stop()
    await e.handle?.close()
  }

  function sync(): void {
    const rows = o.hosts.list()
    revision = o.hosts.revision()
    const wanted = new Map(rows.filter((r) => r.enabled || r.kind === 'local').map((r) => [r.name, r]))
    for (const [name, e] of entries) {
      const r = wanted.get(name)
      // Gone, turned off, or reached differently now: stopped (and rebuilt below if still wanted).
      if (!r || r.updatedAt !== e.row.updatedAt || r.id !== e.row.id) {
        void drop(e).then(() => o.changed(name))
      }
    }
    for (const [name, r] of wanted) {
      const e = entries.get(name)
      if (e && e.row.updatedAt === r.updatedAt && e.row.id === r.id) continue
      const built = build(r)
      if (!built) continue
      entries.set(name, built)
      if (started) built.services.start()
      o.changed(name)
    }
  }

  /** A host's entry, built on first use (a CLI command asks for one host without starting the rest). */
  function entry(name = LOCAL_HOST): Entry {
    const e = entries.get(name)
    if (e) return e
    const row = o.hosts.get(name)
    if (!row) throw new GantryError('hosts/unknown-host', `no host named "${name}"`)
    if (!row.enabled && row.kind !== 'local') {
      throw new GantryError('hosts/unreachable', `host ${name} is turned off (gantry hosts update ${name} --on)`)
    }
    const built = build(row)
    if (!built) throw new GantryError('hosts/unsupported', `host ${name} cannot be reached by this build`)
    entries.set(name, built)
    if (started) built.services.start()
    return built
  }

  function connection(name: string): HostConnection {
    const e = entries.get(name)
    if (e?.handle) return e.handle.connection()
    const row = o.hosts.get(name)
    const state = row?.kind === 'local' ? 'local' : 'disabled'
    return {
      state,
      since: row?.updatedAt ?? o.now(),
      lastError: null,
      attempts: 0,
      fingerprint: row?.keyFingerprint ?? null,
      pinned: row?.keyFingerprint ?? null,
    }
  }

  function summaryOf(row: HostRow): HostSummary {
    const e = entries.get(row.name)
    const conn = connection(row.name)
    const h = e?.services.host.latest() ?? null
    const st = e?.services.storage.latest() ?? null
    const g = e?.services.gpu.snapshot() ?? null
    const gpuHealth = g?.health.length ? worst(g.health.map((x) => x.health)) : undefined
    const connHealth: Health | undefined =
      conn.state === 'local' || conn.state === 'up'
        ? undefined
        : conn.state === 'connecting'
          ? { level: 'unknown', reasons: ['connecting'] }
          : conn.state === 'disabled'
            ? { level: 'unknown', reasons: ['turned off'] }
            : {
                level: 'critical',
                reasons: [
                  `${conn.state.replace(/-/g, ' ')} since ${new Date(conn.since).toISOString().slice(11, 19)} UTC${conn.lastError ? `: ${conn.lastError}` : ''}`,
                ],
              }
    const fullest = st?.filesystems.reduce<{ mount: string; usedPct: number } | null>(
      (a, f) => (!a || f.usedPct > a.usedPct ? { mount: f.mount, usedPct: f.usedPct } : a),
      null,
    )
    const utils = (g?.gpus ?? []).map((x) => x.utilization.gpuPct).filter((x): x is number => x !== null)
    const stale = conn.state !== 'local' && conn.state !== 'up'
    return {
      name: row.name,
      kind: row.kind,
      address: row.ssh ? `${row.ssh.user}@${row.ssh.hostname}:${row.ssh.port}` : null,
      owner: row.owner,
      enabled: row.enabled,
      connection: conn,
      health: worst([
        connHealth,
        stale ? undefined : h?.health,
        stale ? undefined : st?.health,
        stale ? undefined : gpuHealth,
      ]),
      hostname: h?.hostname ?? null,
      gpus: {
        count: g?.gpus.length ?? 0,
        avgUtilPct: utils.length ? Math.round((utils.reduce((a, b) => a + b, 0) / utils.length) * 10) / 10 : null,
        state: g?.state ?? 'off',
      },
      storage: fullest ?? null,
      cpuPct: h?.cpu?.loadPct ?? null,
      memPct: h?.memory?.usedPct ?? null,
      lastUpdate: Math.max(h?.at ?? 0, st?.at ?? 0, g?.state === 'ok' ? g.at : 0) || null,
    }
  }

  return {
    name: 'hosts',
    start() {
      if (started) return
      started = true
      sync()
      for (const e of entries.values()) e.services.start()
    },
    async stop() {
      started = false
      await Promise.all([...entries.values()].map((e) => drop(e)))
    },
    get: (name) => entry(name).services,
    idOf(name = LOCAL_HOST) {
      const e = entries.get(name)
      if (e) return e.row.id
      const row = o.hosts.get(name)
      if (!row) throw new GantryError('hosts/unknown-host', `no host named "${name}"`)
      return row.id
    },
    nameOf(id) {
      for (const e of entries.values()) if (e.row.id === id) return e.row.name
      return o.hosts.byId(id)?.name ?? `host #${id}`
    },
    all: () => [...entries.values()].map((e) => e.services),
    summaries() {
      const list = o.hosts.list().map(summaryOf)
      return list.sort(
        (a, b) =>
          RANK[b.health.level] - RANK[a.health.level] ||
          (a.name === LOCAL_HOST ? -1 : b.name === LOCAL_HOST ? 1 : a.name.localeCompare(b.name)),
      )
    },
    summary(name) {
      const row = o.hosts.get(name)
      if (!row) throw new GantryError('hosts/unknown-host', `no host named "${name}"`)
      return summaryOf(row)
    },
    connection,
    sync() {
      if (o.hosts.revision() === revision && entries.size > 0) return
      sync()
    },
    statuses: () => [...entries.values()].flatMap((e) => e.services.statuses()),
    async release(name) {
      const e = entries.get(name)
      if (e) await drop(e)
    },
  }
}
