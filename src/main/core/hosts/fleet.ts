// The fleet: every host Gantry watches, each with its own services on its own access — this
// machine always, and each enabled SSH host through its one connection. A host's services start
// and stop with it; a dead or slow host never delays another (each has its own pollers and
// stream). Rows added, changed or removed by another process (the CLI) are picked up by sync().
// Hosts read from elsewhere (a Prometheus source's exporters) stand beside the rows: one that is a
// row's machine (same hostname or address) is that host with both sources, the others are hosts of
// their own that can be read (view) but not reached (get).
import type { HostSnapshot, Series, StorageSnapshot } from '../../../shared/contract'
import type { GpuDetail, GpuSnapshot } from '../../../shared/gpu'
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

/** A host Gantry reads from another system (a Prometheus source), never connects to. */
export interface ExternalHost {
  name: string
  /** Lowercased hostnames and addresses it is known by: a row host with one of them is this machine. */
  aliases: string[]
  /** Where it comes from, as `prometheus:<source>`. */
  source: string
  /** Its scrape instances, for the address column. */
  address: string
  health: Health
  /** What only this source knows, merged into a row host it is the twin of (latched XIDs, exporters down). */
  findings: Health
  hostname: string | null
  gpus: HostSummary['gpus']
  cpuPct: number | null
  memPct: number | null
  storage: HostSummary['storage']
  at: number
  /** Its page: GPUs, host and storage facts (asked of the source when wanted). */
  detail(): Promise<{ host: HostSnapshot | null; storage: StorageSnapshot | null; gpu: GpuSnapshot }>
  /** A stored-series key answered by the source itself (query_range). */
  history(q: { key: string; rangeMs: number; to?: number; maxPoints?: number }): Promise<Series>
}

export interface ExternalHosts {
  list(): ExternalHost[]
  /** Reads every source once if none has answered yet (a CLI command that starts no poller). */
  ready(): Promise<void>
}

/** What can be read of any host, row or external: the telemetry methods' view. */
export interface HostView {
  name: string
  host(fresh?: boolean): Promise<HostSnapshot | null>
  storage(fresh?: boolean): Promise<StorageSnapshot | null>
  gpu(): GpuSnapshot | Promise<GpuSnapshot>
  detail(): Promise<GpuDetail>
  /** null: the series store answers (under idOf(name)). */
  history: ExternalHost['history'] | null
}

export interface Fleet extends Service {
  /** The services of a host (default this machine); hosts/unknown-host if there is none. */
  get(name?: string): HostServices
  /** What can be read of a host, whichever way Gantry knows it (external hosts too). */
  view(name?: string): Promise<HostView>
  /** Waits for every external source to have answered once (a CLI command runs no pollers). */
  externalReady(): Promise<void>
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
  /** Hosts from Prometheus sources (none by default). */
  external?: ExternalHosts
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

  const externals = (): ExternalHost[] => o.external?.list() ?? []
  /** Names and addresses a row host is known by (lowercased), to find its external twin. */
  function aliasesOf(row: HostRow): string[] {
    const e = entries.get(row.name)
    const reported = e?.services.host.latest()?.hostname
    return [row.name, row.ssh?.hostname, row.ssh?.alias, reported, reported?.split('.')[0]]
      .filter((x): x is string => !!x)
      .map((x) => x.toLowerCase())
  }
  /** Each external host that is a row's machine, by the row's name. */
  function twins(rows: HostRow[], ext: ExternalHost[]): Map<string, ExternalHost[]> {
    const out = new Map<string, ExternalHost[]>()
    if (!ext.length) return out
    for (const row of rows) {
      const mine = new Set(aliasesOf(row))
      const found = ext.filter((x) => x.aliases.some((a) => mine.has(a)))
      if (found.length) out.set(row.name, found)
    }
    return out
  }
  /** External hosts that are no row's machine, named so they collide with no row. */
  function loneExternals(rows: HostRow[], ext: ExternalHost[], tw: Map<string, ExternalHost[]>): ExternalHost[] {
    const paired = new Set([...tw.values()].flat())
    const names = new Set(rows.map((r) => r.name.toLowerCase()))
    return ext
      .filter((x) => !paired.has(x))
      .map((x) =>
        names.has(x.name.toLowerCase()) ? { ...x, name: `${x.name}-${x.source.replace(/^prometheus:/, '')}` } : x,
      )
  }
  function externalSummary(x: ExternalHost): HostSummary {
    return {
      name: x.name,
      kind: 'prometheus',
      address: x.address,
      owner: null,
      enabled: true,
      connection: { state: 'external', since: x.at, lastError: null, attempts: 0, fingerprint: null, pinned: null },
      health: x.health,
      hostname: x.hostname ?? x.aliases[0] ?? null,
      gpus: x.gpus,
      storage: x.storage,
      cpuPct: x.cpuPct,
      memPct: x.memPct,
      lastUpdate: x.at,
      sources: [x.source],
    }
  }

  function summaryOf(row: HostRow, tw: ExternalHost[] = []): HostSummary {
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
        // What its exporters say that the direct reading does not (a latched XID, an exporter down).
        ...tw.map((x) => ({ ...x.findings, reasons: x.findings.reasons.map((r) => `${x.source}: ${r}`) })),
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
      sources: [row.kind, ...tw.map((x) => x.source)],
    }
  }

  function externalView(x: ExternalHost): HostView {
    return {
      name: x.name,
      host: async () => (await x.detail()).host,
      storage: async () => (await x.detail()).storage,
      gpu: async () => (await x.detail()).gpu,
      detail: () =>
        Promise.reject(
          new GantryError(
            'hosts/unsupported',
            `${x.name} is known from ${x.source} only: the full nvidia-smi reading needs the host itself (gantry hosts add user@${x.aliases[0] ?? x.name})`,
          ),
        ),
      history: (q) => x.history(q),
    }
  }
  function findExternal(name: string): ExternalHost | null {
    const rows = o.hosts.list()
    const ext = externals()
    return loneExternals(rows, ext, twins(rows, ext)).find((x) => x.name === name) ?? null
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
    get(name) {
      if (name && !o.hosts.get(name) && findExternal(name)) {
        throw new GantryError(
          'hosts/unsupported',
          `${name} is known from Prometheus only: Gantry reads its metrics there but cannot run anything on it (add it over SSH: gantry hosts add user@${name})`,
        )
      }
      return entry(name).services
    },
    externalReady: () => o.external?.ready() ?? Promise.resolve(),
    async view(name = LOCAL_HOST) {
      if (!o.hosts.get(name) && o.external) {
        let x = findExternal(name)
        if (!x) {
          await o.external.ready()
          x = findExternal(name)
        }
        if (x) return externalView(x)
      }
      const s = entry(name).services
      return {
        name,
        host: async (fresh) => (fresh ? s.host.sampleNow() : s.host.latest()),
        storage: async (fresh) => (fresh ? s.storage.sampleNow() : s.storage.latest()),
        gpu: () => s.gpu.snapshot(),
        detail: () => s.gpu.detail(),
        history: null,
      }
    },
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
      const rows = o.hosts.list()
      const ext = externals()
      const tw = twins(rows, ext)
      const list = [
        ...rows.map((r) => summaryOf(r, tw.get(r.name))),
        ...loneExternals(rows, ext, tw).map(externalSummary),
      ]
      return list.sort(
        (a, b) =>
          RANK[b.health.level] - RANK[a.health.level] ||
          (a.name === LOCAL_HOST ? -1 : b.name === LOCAL_HOST ? 1 : a.name.localeCompare(b.name)),
      )
    },
    summary(name) {
      const row = o.hosts.get(name)
      if (!row) {
        const x = findExternal(name)
        if (x) return externalSummary(x)
        throw new GantryError('hosts/unknown-host', `no host named "${name}"`)
      }
      return summaryOf(row, twins([row], externals()).get(row.name))
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
