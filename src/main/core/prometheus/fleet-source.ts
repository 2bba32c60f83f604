// One Prometheus source as hosts of the fleet: a poll asks its aggregated questions (queries.ts) in
// a few parallel requests, and turns the answers into the same snapshots an SSH host produces —
// GpuSnapshot, HostSnapshot, StorageSnapshot — so every screen, the CLI and /metrics read them
// alike. A host is named by dcgm-exporter's Hostname label, else node_exporter's nodename, else
// the instance's address; a node_exporter and a dcgm-exporter of one machine are one host. XIDs
// are latched in SQLite until acknowledged (dcgm-exporter keeps only the last one). Nothing here
// writes to the series store: history is asked of Prometheus (query_range) when a chart wants it.
import type { Filesystem, HostSnapshot, StorageSnapshot } from '../../../shared/contract'
import type { Health } from '../../../shared/contract-base'
import type { Gpu, GpuSnapshot } from '../../../shared/gpu'
import type { PromExporters, PromSourceStatus } from '../../../shared/prometheus'
import { HealthBuilder, filesystemHealth, hostHealth } from '../telemetry/health'
import { diagnoseGpu } from '../telemetry/gpu/diagnose'
import { clockReasonsFromMask } from '../telemetry/gpu/fields'
import { XID_MEANINGS } from '../telemetry/gpu/xid'
import { PromError, type PromClient, type VectorSample } from './client'
import {
  DCGM,
  LEGACY,
  NODE,
  SUMMARY_QUERIES,
  detailQueries,
  instanceMatcher,
  type DcgmField,
  type LegacyField,
} from './queries'
import type { PromStore, XidLatch } from './store'

/** A host in the fleet overview: per-host aggregates, and only the problems (asked of the whole
 *  fleet in a few small queries). Its GPUs, filesystems and history come with detail(). */
export interface PromHost {
  name: string
  hostname: string | null
  instances: string[]
  addresses: string[]
  source: string
  exporters: { dcgm: ExporterState; nvidiaGpuExporter: ExporterState; node: ExporterState }
  gpus: { count: number; avgUtilPct: number | null; state: GpuSnapshot['state'] }
  cpuPct: number | null
  memPct: number | null
  fullest: { mount: string; usedPct: number } | null
  health: Health
  /** What only the exporters know, for a host Gantry also reads directly: latched XIDs, an exporter down. */
  findings: Health
  at: number
}

/** One host's full picture (its page), asked of Prometheus filtered to its instances. */
export interface PromHostDetail {
  /** Gantry's name of the host (a valid host name, unique within the source). */
  name: string
  /** What the exporters call the machine (Hostname / nodename), lowercased; null if only an address. */
  hostname: string | null
  /** The scrape instances it was seen through, and their addresses (host part, lowercased). */
  instances: string[]
  addresses: string[]
  source: string
  exporters: { dcgm: ExporterState; nvidiaGpuExporter: ExporterState; node: ExporterState }
  gpu: GpuSnapshot
  host: HostSnapshot | null
  storage: StorageSnapshot | null
  /** Per GPU uuid: which exporter's names its history is asked with. */
  gpuFlavor: Record<string, 'dcgm' | 'legacy'>
  /** The node_exporter instance (host and storage history). */
  nodeInstance: string | null
  health: Health
  at: number
}

export type ExporterState = 'up' | 'down' | 'absent'

export interface FleetSource {
  readonly name: string
  readonly client: PromClient
  hosts(): PromHost[]
  /** A host's GPUs, host and storage facts (cached for a poll interval); null if the source has no such host. */
  detail(name: string): Promise<PromHostDetail | null>
  status(): PromSourceStatus
  /** Polls now (or joins the poll in flight). */
  poll(): Promise<void>
  start(): void
  stop(): void
}

export interface FleetSourceOptions {
  name: string
  client: PromClient
  describe: Pick<PromSourceStatus, 'url' | 'headers' | 'auth' | 'caFile' | 'timeoutMs'>
  store: PromStore
  intervalMs: number
  now: () => number
  /** A poll finished: the doors are told (one small event, not a snapshot per host). */
  polled(source: string): void
  log(line: string): void
}

/** The host part of an instance label (`10.0.0.5:9400` → `10.0.0.5`, `[::1]:9100` → `::1`). */
export function addressOf(instance: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(instance)
  if (v6) return v6[1].toLowerCase()
  return instance.replace(/:\d+$/, '').toLowerCase()
}

/** The group of a node_exporter no GPU group took: its nodename, or with its address when another
 *  machine has that nodename already (cloned VMs), or its address. */
function nodeKey(nodename: string | null, instance: string, nameTaken: boolean): string {
  if (!nodename) return addressOf(instance)
  return nameTaken ? `${nodename.toLowerCase()}@${addressOf(instance)}` : nodename.toLowerCase()
}

/** Where a node_exporter goes (the overview and a host's page place it alike, so names agree): the
 *  GPU group of its nodename if that has no node yet, else a GPU group without Hostname at its
 *  address, else a group of its own. */
function placeNode<G extends { node: unknown }>(
  groups: Map<string, G>,
  nodename: string | null,
  instance: string,
  make: (key: string) => G,
): G {
  const sameName = nodename ? groups.get(nodename.toLowerCase()) : undefined
  const byName = sameName && !sameName.node ? sameName : undefined
  const byAddress = byName ? undefined : groups.get(addressOf(instance))
  return byName ?? (byAddress && !byAddress.node ? byAddress : make(nodeKey(nodename, instance, !!sameName)))
}

/** Each group with its host name, in key order; a name taken already gets a number. */
function named<G extends { key: string; hostname: string | null }>(groups: Map<string, G>): [string, G][] {
  const taken = new Set<string>()
  return [...groups.values()]
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((g) => {
      let name = hostNameFrom(g.hostname ?? g.key)
      if (taken.has(name.toLowerCase())) name = `${name}-${taken.size}`
      taken.add(name.toLowerCase())
      return [name, g]
    })
}

/** A valid Gantry host name from whatever an exporter calls the machine. */
export function hostNameFrom(s: string): string {
  const cleaned = s
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100)
  return cleaned || 'host'
}

const finite = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v)
const round1 = (v: number): number => Math.round(v * 10) / 10

interface GpuFacts {
  flavor: 'dcgm' | 'legacy'
  instance: string
  uuid: string
  index: number
  name: string
  hostname: string | null
  values: Partial<Record<string, number>>
}

interface NodeFacts {
  instance: string
  nodename: string | null
  sysname: string
  release: string
  values: Partial<Record<string, number>>
  cpu: Partial<Record<string, number>>
  cores: number | null
  fs: Map<string, { device: string; fstype: string; v: Partial<Record<string, number>>; trend: number | null }>
}

export function createFleetSource(o: FleetSourceOptions): FleetSource {
  let hosts: PromHost[] = []
  /** Host pages asked for since the last poll (one request per page per poll interval). */
  const details = new Map<string, Promise<PromHostDetail | null>>()
  /** The GPU counts last seen per exporter instance (and Hostname): a host whose exporter went down stays. */
  const lastGpuCounts = new Map<string, { metric: Record<string, string>; count: number; flavor: 'dcgm' | 'legacy' }>()
  /** Each summary question's last answer, kept for a poll in which it fails. */
  const lastGood = new Map<string, VectorSample[]>()
  /** node_exporter instances last seen, with their nodename: one that goes down stays, marked down. */
  const lastNodes = new Map<string, string | null>()
  let presentAt: number | null = null
  let versionAskedAt: number | null = null
  let identity: { at: number; targets: string; dcgm: VectorSample[]; legacy: VectorSample[] } | null = null
  let targetsSeen = ''
  let presentNames = new Set<string>()
  let timer: ReturnType<typeof setTimeout> | null = null
  let running = false
  let inflight: Promise<void> | null = null
  /** The GPUs last seen on each instance: a host whose exporter went down keeps showing them (stale). */
  const lastGpus = new Map<string, GpuFacts[]>()
  const downSince = new Map<string, number>()
  let status: PromSourceStatus = initialStatus(o.name, o.describe, 'starting', null)

  /** Instant queries that never throw: an answer, or null with the reason kept (and the API's warnings). */
  function asker(): { ask(q: string): Promise<VectorSample[] | null>; errors: string[]; warnings: Set<string> } {
    const errors: string[] = []
    const warnings = new Set<string>()
    return {
      errors,
      warnings,
      async ask(q) {
        try {
          const a = await o.client.query(q)
          for (const w of a.warnings) warnings.add(w)
          return a.data
        } catch (err) {
          errors.push(err instanceof Error ? err.message : String(err))
          return null
        }
      },
    }
  }

  interface Collected {
    hosts: PromHostDetail[]
    errors: string[]
    warnings: string[]
  }

  /** Everything about the instances `filter` selects ('' : all), built into per-host details. */
  async function collect(filter: string): Promise<Collected> {
    const { ask, errors, warnings } = asker()
    const Q = detailQueries(filter)
    const [up, dcgmGpus, legacyGpus, uname, nodeFields, nodeCpu, nodeCores, fs, fsTrend, ...fields] = await Promise.all(
      [
        ask(Q.up),
        ask(Q.dcgmGpus),
        ask(Q.legacyGpus),
        ask(Q.nodeUname),
        ask(Q.nodeFields),
        ask(Q.nodeCpu),
        ask(Q.nodeCores),
        ask(Q.fs),
        ask(Q.fsTrend),
        ...Q.dcgmFields.map(ask),
        ...Q.legacyFields.map(ask),
      ],
    )
    const at = o.now()
    const answered = [up, dcgmGpus, legacyGpus, uname, nodeFields, nodeCpu, nodeCores, fs, fsTrend, ...fields]
    if (answered.every((a) => a === null)) return { hosts: [], errors, warnings: [...warnings] }

    // --- facts per instance -----------------------------------------------------------------
    const upOf = new Map<string, boolean>()
    for (const s of up ?? [])
      if (s.metric.instance) upOf.set(s.metric.instance, (upOf.get(s.metric.instance) ?? false) || s.value === 1)

    const gpus = new Map<string, GpuFacts>() // by instance + uuid
    const dcgmByName = Object.fromEntries(Object.entries(DCGM).map(([k, v]) => [v, k])) as Record<string, DcgmField>
    const legacyByName = Object.fromEntries(Object.entries(LEGACY).map(([k, v]) => [v, k])) as Record<
      string,
      LegacyField
    >
    for (const s of dcgmGpus ?? []) {
      const { instance = '', UUID, gpu, modelName, Hostname } = s.metric
      if (!UUID) continue
      gpus.set(`${instance}\u0000${UUID}`, {
        flavor: 'dcgm',
        instance,
        uuid: UUID,
        index: Number.isInteger(Number(gpu)) ? Number(gpu) : 0,
        name: modelName || 'NVIDIA GPU',
        hostname: Hostname ? Hostname : null,
        values: {},
      })
    }
    for (const s of legacyGpus ?? []) {
      const { instance = '', uuid, name } = s.metric
      if (!uuid) continue
      const key = `${instance}\u0000${uuid}`
      const known = gpus.get(key)
      if (known) {
        if (name && known.name === 'NVIDIA GPU') known.name = name
        continue
      }
      gpus.set(key, {
        flavor: 'legacy',
        instance,
        uuid,
        index: 0,
        name: name || 'NVIDIA GPU',
        hostname: null,
        values: {},
      })
    }
    for (const answer of fields) {
      for (const s of answer ?? []) {
        const n = s.metric.__name__
        const uuid = s.metric.UUID ?? s.metric.uuid
        const g = gpus.get(`${s.metric.instance ?? ''}\u0000${uuid}`)
        if (!g || !n) continue
        const f = g.flavor === 'dcgm' ? dcgmByName[n] : legacyByName[n]
        if (f) g.values[f] = s.value
      }
    }
    // Legacy exporters number GPUs by their order on the instance.
    const perInstance = new Map<string, GpuFacts[]>()
    for (const g of gpus.values()) perInstance.set(g.instance, [...(perInstance.get(g.instance) ?? []), g])
    for (const list of perInstance.values()) {
      list
        .filter((g) => g.flavor === 'legacy')
        .sort((a, b) => a.uuid.localeCompare(b.uuid))
        .forEach((g, i) => (g.index = i))
    }
    // An instance that was exporting GPUs and is down now keeps its last GPUs (values unknown).
    for (const [instance, list] of lastGpus) {
      if (perInstance.has(instance) || upOf.get(instance) !== false) continue
      for (const g of list) gpus.set(`${instance}\u0000${g.uuid}`, { ...g, values: {} })
      perInstance.set(instance, list)
    }
    for (const [instance, list] of perInstance) lastGpus.set(instance, list)

    const nodes = new Map<string, NodeFacts>()
    const node = (instance: string): NodeFacts => {
      let n = nodes.get(instance)
      if (!n) {
        n = { instance, nodename: null, sysname: 'Linux', release: '', values: {}, cpu: {}, cores: null, fs: new Map() }
        nodes.set(instance, n)
      }
      return n
    }
    for (const s of uname ?? []) {
      const n = node(s.metric.instance ?? '')
      n.nodename = s.metric.nodename || null
      n.sysname = s.metric.sysname || 'Linux'
      n.release = s.metric.release || ''
    }
    for (const s of nodeFields ?? []) {
      const name = s.metric.__name__
      const key = Object.entries(NODE).find(([, v]) => v === name)?.[0]
      if (key) node(s.metric.instance ?? '').values[key] = s.value
    }
    for (const s of nodeCpu ?? []) if (s.metric.mode) node(s.metric.instance ?? '').cpu[s.metric.mode] = s.value
    for (const s of nodeCores ?? []) node(s.metric.instance ?? '').cores = finite(s.value)
    for (const s of fs ?? []) {
      const { instance = '', mountpoint, device = '', fstype = '', __name__: name } = s.metric
      if (!mountpoint || !name) continue
      const n = node(instance)
      const f = n.fs.get(mountpoint) ?? { device, fstype, v: {}, trend: null }
      f.v[name.replace(/^node_filesystem_/, '')] = s.value
      n.fs.set(mountpoint, f)
    }
    for (const s of fsTrend ?? []) {
      const f = nodes.get(s.metric.instance ?? '')?.fs.get(s.metric.mountpoint ?? '')
      if (f) f.trend = finite(s.value)
    }

    // --- instances into hosts ------------------------------------------------------------------
    interface Group {
      key: string
      hostname: string | null
      instances: Set<string>
      gpus: GpuFacts[]
      node: NodeFacts | null
    }
    const groups = new Map<string, Group>()
    const group = (key: string, hostname: string | null): Group => {
      let g = groups.get(key)
      if (!g) {
        g = { key, hostname, instances: new Set(), gpus: [], node: null }
        groups.set(key, g)
      }
      return g
    }
    for (const g of gpus.values()) {
      const key = (g.hostname ?? addressOf(g.instance)).toLowerCase()
      const grp = group(key, g.hostname?.toLowerCase() ?? null)
      grp.instances.add(g.instance)
      grp.gpus.push(g)
    }
    for (const n of nodes.values()) {
      if (!n.instance) continue
      const grp = placeNode(groups, n.nodename, n.instance, (k) => group(k, null))
      if (n.nodename && !grp.hostname) grp.hostname = n.nodename.toLowerCase()
      grp.instances.add(n.instance)
      grp.node = n
    }

    const latches = o.store.latches()
    const built: PromHostDetail[] = []
    for (const [name, grp] of named(groups)) built.push(buildHost(name, grp, upOf, latches, at))
    return { hosts: built, errors, warnings: [...warnings] }
  }

  function buildHost(
    name: string,
    grp: { hostname: string | null; instances: Set<string>; gpus: GpuFacts[]; node: NodeFacts | null },
    upOf: Map<string, boolean>,
    latches: ReturnType<PromStore['latches']>,
    at: number,
  ): PromHostDetail {
    const stateOf = (instances: string[]): ExporterState => {
      if (!instances.length) return 'absent'
      return instances.every((i) => upOf.get(i) !== false) ? 'up' : 'down'
    }
    const dcgmInstances = [...new Set(grp.gpus.filter((g) => g.flavor === 'dcgm').map((g) => g.instance))]
    const legacyInstances = [...new Set(grp.gpus.filter((g) => g.flavor === 'legacy').map((g) => g.instance))]
    const exporters = {
      dcgm: stateOf(dcgmInstances),
      nvidiaGpuExporter: stateOf(legacyInstances),
      node: stateOf(grp.node ? [grp.node.instance] : []),
    }
    for (const i of grp.instances) {
      if (upOf.get(i) === false) {
        if (!downSince.has(i)) downSince.set(i, at)
      } else downSince.delete(i)
    }
    const gpuDown = exporters.dcgm === 'down' || exporters.nvidiaGpuExporter === 'down'
    const gpusSorted = [...grp.gpus].sort((a, b) => a.index - b.index || a.uuid.localeCompare(b.uuid))
    const list: Gpu[] = []
    const health: GpuSnapshot['health'] = []
    for (const g of gpusSorted) {
      const gpu = gpuOf(g)
      list.push(gpu)
      const code = g.flavor === 'dcgm' ? finite(g.values.xid) : null
      if (code !== null && code > 0) {
        if (o.store.latch({ host: name, uuid: g.uuid, code, source: o.name, at })) {
          o.log(`gantry: ${name} GPU ${g.index} (${g.uuid}) reported XID ${code} (latched until acknowledged)`)
          latches.push({
            host: name,
            uuid: g.uuid,
            code,
            source: o.name,
            firstSeen: at,
            ackedAt: null,
            ackedBy: null,
            note: null,
          })
        }
      }
      const h = new HealthBuilder()
      const base = diagnoseGpu(gpu)
      for (const r of base.reasons) h.add(base.level, r)
      for (const l of latches) {
        if (l.host !== name || l.uuid !== g.uuid || l.ackedAt !== null) continue
        const m = XID_MEANINGS[l.code]
        h.add(
          m?.severity ?? 'warning',
          `XID ${l.code}${m ? `: ${m.meaning}` : ''} (seen ${new Date(l.firstSeen).toISOString().slice(0, 16).replace('T', ' ')} UTC; latched until acknowledged)`,
        )
      }
      if (gpuDown) h.add('unknown', 'GPU exporter down: values unknown')
      health.push({ uuid: g.uuid, health: h.build() })
    }
    const gpuInstance = dcgmInstances[0] ?? legacyInstances[0]
    const gpuReason = !grp.gpus.length
      ? 'no GPU exporter (dcgm-exporter or nvidia_gpu_exporter) for this host in Prometheus'
      : gpuDown
        ? `GPU exporter ${gpuInstance} down since ${time(downSince.get(gpuInstance) ?? at)} (Prometheus up == 0)`
        : null
    const gpu: GpuSnapshot = {
      host: name,
      at,
      state: !grp.gpus.length ? 'no-driver' : gpuDown ? 'not-responding' : 'ok',
      reason: gpuReason,
      driverVersion: null,
      gpus: list,
      health,
      processes: [],
      processesAt: null,
      xids: null,
    }
    const n = grp.node
    const host = n ? hostOf(name, n, exporters.node === 'down', at) : null
    const storage = n ? storageOf(name, n, exporters.node === 'down', at) : null
    const hb = new HealthBuilder()
    for (const d of health)
      for (const r of d.health.reasons)
        hb.add(d.health.level, `GPU ${list.find((x) => x.uuid === d.uuid)?.index ?? '?'}: ${r}`)
    if (host) for (const r of host.health.reasons) hb.add(host.health.level, r)
    if (storage) for (const r of storage.health.reasons) hb.add(storage.health.level, r)
    return {
      name,
      hostname: grp.hostname,
      instances: [...grp.instances].sort(),
      addresses: [...new Set([...grp.instances].map(addressOf))],
      source: o.name,
      exporters,
      gpu,
      host,
      storage,
      gpuFlavor: Object.fromEntries(grp.gpus.map((g) => [g.uuid, g.flavor])),
      nodeInstance: n?.instance ?? null,
      health: hb.build(),
      at,
    }
  }

  /** Records an XID a GPU reports (once per host, GPU and code), keeping the list the caller holds current. */
  function latchXid(
    host: string,
    uuid: string,
    index: number | string,
    code: number,
    at: number,
    latches: XidLatch[],
  ): void {
    if (!o.store.latch({ host, uuid, code, source: o.name, at })) return
    o.log(`gantry: ${host} GPU ${index} (${uuid}) reported XID ${code} (latched until acknowledged)`)
    latches.push({ host, uuid, code, source: o.name, firstSeen: at, ackedAt: null, ackedBy: null, note: null })
  }

  /** The fleet overview: a handful of aggregated queries, whatever the fleet's size. */
  async function pollOnce(): Promise<void> {
    const started = o.now()
    const { ask: askNow, errors, warnings } = asker()
    // A question that fails this time keeps its last answer (marked by the source's state
    // "partial"), so one timed-out query does not strip every host of its GPUs or its name.
    const fresh = new Set<string>()
    const ask = async (q: string): Promise<VectorSample[] | null> => {
      const a = await askNow(q)
      if (a) {
        lastGood.set(q, a)
        fresh.add(q)
        return a
      }
      return lastGood.get(q) ?? null
    }
    const S = SUMMARY_QUERIES
    const askPresent = presentAt === null || started - presentAt > 60_000
    // Which GPUs exist changes rarely and is the costliest question: asked every 30 s, or when the
    // set of scrape targets changed; how they are is asked every poll.
    const askIdentity = identity === null || started - identity.at > 30_000 || identity.targets !== targetsSeen
    const [
      up,
      dcgmCountNow,
      legacyCountNow,
      dcgmUtil,
      legacyUtil,
      xid,
      hot,
      hotSlowdown,
      legacyHot,
      faults,
      uname,
      cpu,
      mem,
      fullest,
      filling,
      present,
    ] = await Promise.all([
      ask(S.up),
      askIdentity ? ask(S.dcgmGpus) : Promise.resolve(identity?.dcgm ?? null),
      askIdentity ? ask(S.legacyGpus) : Promise.resolve(identity?.legacy ?? null),
      ask(S.dcgmUtil),
      ask(S.legacyUtil),
      ask(S.xid),
      ask(S.hot),
      ask(S.hotSlowdown),
      ask(S.legacyHot),
      ask(S.faults),
      ask(S.uname),
      ask(S.cpu),
      ask(S.mem),
      ask(S.fullest),
      ask(S.filling),
      askPresent ? ask(S.present) : Promise.resolve(null),
    ])
    const at = o.now()
    const targets = (up ?? [])
      .map((x) => x.metric.instance)
      .sort()
      .join(',')
    targetsSeen = targets
    if (askIdentity && dcgmCountNow && legacyCountNow)
      identity = { at: started, targets, dcgm: dcgmCountNow, legacy: legacyCountNow }
    // One row per GPU → GPUs per exporter (and Hostname), and which host each GPU is on.
    const perKey = (rows: VectorSample[] | null, uuidLabel: string): VectorSample[] | null => {
      if (!rows) return null
      const by = new Map<string, VectorSample>()
      for (const r of rows) {
        const m = { instance: r.metric.instance ?? '', ...(r.metric.Hostname ? { Hostname: r.metric.Hostname } : {}) }
        const k = `${m.instance}\u0000${m.Hostname ?? ''}`
        const c = by.get(k) ?? { metric: m, t: r.t, value: 0 }
        c.value++
        by.set(k, c)
        if (r.metric[uuidLabel]) uuidKey.set(r.metric[uuidLabel], (m.Hostname || addressOf(m.instance)).toLowerCase())
      }
      return [...by.values()]
    }
    const uuidKey = new Map<string, string>()
    const dcgmCount = perKey(dcgmCountNow, 'UUID')
    const legacyCount = perKey(legacyCountNow, 'uuid')
    if (fresh.size === 0) {
      // Nothing answered: the hosts stay as last seen, marked with why they are not current.
      status = {
        ...status,
        state: 'error',
        error: [...new Set(errors)].slice(0, 3).join('; '),
        warnings: [...warnings],
        lastPollAt: at,
        lastPollMs: at - started,
      }
      hosts = hosts.map((h) => staleHost(h, `Prometheus ${o.name} is not answering: ${status.error}`))
      details.clear()
      return
    }
    if (present) {
      presentAt = started
      presentNames = new Set(present.map((p) => p.metric.__name__ ?? ''))
    }

    const upOf = new Map<string, boolean>()
    for (const x of up ?? []) {
      const i = x.metric.instance
      if (i) upOf.set(i, (upOf.get(i) ?? false) || x.value === 1)
    }
    // A target no longer in Prometheus' configuration is gone, not down: what was kept of it goes.
    if (fresh.has(S.up)) {
      for (const [k, v] of lastGpuCounts) if (!upOf.has(v.metric.instance ?? '')) lastGpuCounts.delete(k)
      for (const i of lastNodes.keys()) if (!upOf.has(i)) lastNodes.delete(i)
      for (const i of downSince.keys()) if (!upOf.has(i)) downSince.delete(i)
    }
    interface Group {
      key: string
      hostname: string | null
      gpuInstances: Map<string, 'dcgm' | 'legacy'>
      count: number
      utilSum: number
      utilN: number
      gpuFacts: { uuid: string; index: string; gpu: Gpu }[]
      node: string | null
    }
    const groups = new Map<string, Group>()
    const group = (key: string, hostname: string | null): Group => {
      let g = groups.get(key)
      if (!g) {
        g = { key, hostname, gpuInstances: new Map(), count: 0, utilSum: 0, utilN: 0, gpuFacts: [], node: null }
        groups.set(key, g)
      }
      return g
    }
    const keyOf = (m: Record<string, string>): string => (m.Hostname || addressOf(m.instance ?? '')).toLowerCase()
    const seenGpuKeys = new Set<string>()
    for (const x of dcgmCount ?? []) {
      const g = group(keyOf(x.metric), x.metric.Hostname?.toLowerCase() || null)
      g.gpuInstances.set(x.metric.instance ?? '', 'dcgm')
      g.count += x.value
      seenGpuKeys.add(`${x.metric.instance}\u0000${x.metric.Hostname ?? ''}`)
      lastGpuCounts.set(`${x.metric.instance}\u0000${x.metric.Hostname ?? ''}`, {
        metric: x.metric,
        count: x.value,
        flavor: 'dcgm',
      })
    }
    for (const x of legacyCount ?? []) {
      const g = group(keyOf(x.metric), null)
      g.gpuInstances.set(x.metric.instance ?? '', 'legacy')
      g.count += x.value
      seenGpuKeys.add(`${x.metric.instance}\u0000`)
      lastGpuCounts.set(`${x.metric.instance}\u0000`, { metric: x.metric, count: x.value, flavor: 'legacy' })
    }
    // An exporter that was reporting GPUs and is down now: its host stays, with its last count.
    for (const [k, last] of lastGpuCounts) {
      if (seenGpuKeys.has(k) || upOf.get(last.metric.instance ?? '') !== false) continue
      const g = group(keyOf(last.metric), last.metric.Hostname?.toLowerCase() || null)
      g.gpuInstances.set(last.metric.instance ?? '', last.flavor)
      g.count += last.count
    }
    for (const x of [...(dcgmUtil ?? []), ...(legacyUtil ?? [])]) {
      const g = groups.get(keyOf(x.metric))
      if (!g || !Number.isFinite(x.value)) continue
      g.utilSum += x.value
      g.utilN++
    }
    // The GPUs with something to say, as GPUs the diagnosis reads (the same words as a host's page).
    const facts = new Map<string, { group: Group; gpu: Gpu }>()
    const gpuAt = (m: Record<string, string>, uuidLabel = 'UUID'): { group: Group; gpu: Gpu } | null => {
      const g = groups.get(keyOf(m))
      const uuid = m[uuidLabel]
      if (!g || !uuid) return null
      const k = `${m.instance}\u0000${uuid}`
      let f = facts.get(k)
      if (!f) {
        const gpu = emptyGpu(
          {
            flavor: 'dcgm',
            instance: m.instance ?? '',
            uuid,
            index: Number(m.gpu) || 0,
            name: '',
            hostname: null,
            values: {},
          },
          {},
        )
        f = { group: g, gpu }
        facts.set(k, f)
        g.gpuFacts.push({ uuid, index: m.gpu ?? '?', gpu })
      }
      return f
    }
    const slowOf = new Map((hotSlowdown ?? []).map((x) => [`${x.metric.instance}\u0000${x.metric.UUID}`, x.value]))
    for (const x of hot ?? []) {
      const f = gpuAt(x.metric)
      if (!f) continue
      f.gpu.temperature.gpuC = x.value
      f.gpu.temperature.slowdownC = finite(slowOf.get(`${x.metric.instance}\u0000${x.metric.UUID}`))
    }
    for (const x of legacyHot ?? []) {
      const f = gpuAt(x.metric, 'uuid')
      if (f) f.gpu.temperature.gpuC = x.value
    }
    for (const x of faults ?? []) {
      const f = gpuAt(x.metric)
      if (!f) continue
      if (x.metric.__name__ === DCGM.remapFailure) f.gpu.remappedRows.failure = true
      else f.gpu.ecc.uncorrectedVolatile = x.value
    }

    // node_exporter instances join the host of their nodename, or of their address (a dcgm-exporter without Hostname).
    const nodeOf = new Map<string, string | null>()
    for (const x of uname ?? []) if (x.metric.instance) nodeOf.set(x.metric.instance, x.metric.nodename || null)
    for (const x of [...(cpu ?? []), ...(mem ?? [])])
      if (x.metric.instance && !nodeOf.has(x.metric.instance)) nodeOf.set(x.metric.instance, null)
    // A node_exporter that went down stops answering at once: it stays, named as it was, marked down.
    for (const [instance, nodename] of lastNodes)
      if (!nodeOf.has(instance) && upOf.get(instance) === false) nodeOf.set(instance, nodename)
    for (const [instance, nodename] of nodeOf) lastNodes.set(instance, nodename)
    for (const [instance, nodename] of nodeOf) {
      const g = placeNode(groups, nodename, instance, (k) => group(k, null))
      if (nodename && !g.hostname) g.hostname = nodename.toLowerCase()
      g.node = instance
    }
    const byInstance = (a: VectorSample[] | null): Map<string, VectorSample> =>
      new Map((a ?? []).map((x) => [x.metric.instance ?? '', x]))
    const cpuOf = byInstance(cpu)
    const memOf = byInstance(mem)
    const fullestOf = byInstance(fullest)
    const fillingOf = new Map<string, VectorSample[]>()
    for (const x of filling ?? [])
      fillingOf.set(x.metric.instance ?? '', [...(fillingOf.get(x.metric.instance ?? '') ?? []), x])

    const latches = o.store.latches()
    const built: PromHost[] = []
    for (const [name, g] of named(groups)) {
      const instances = [...new Set([...g.gpuInstances.keys(), ...(g.node ? [g.node] : [])])].sort()
      for (const i of instances) {
        if (upOf.get(i) === false) {
          if (!downSince.has(i)) downSince.set(i, at)
        } else downSince.delete(i)
      }
      const stateOf = (flavor: 'dcgm' | 'legacy'): ExporterState => {
        const list = [...g.gpuInstances].filter(([, f]) => f === flavor).map(([i]) => i)
        return !list.length ? 'absent' : list.every((i) => upOf.get(i) !== false) ? 'up' : 'down'
      }
      const exporters = {
        dcgm: stateOf('dcgm'),
        nvidiaGpuExporter: stateOf('legacy'),
        node: !g.node ? ('absent' as const) : upOf.get(g.node) === false ? ('down' as const) : ('up' as const),
      }
      const h = new HealthBuilder()
      const own = new HealthBuilder()
      for (const x of xid ?? []) {
        if (keyOf(x.metric) === g.key && x.metric.UUID && Number.isFinite(x.value) && x.value > 0) {
          latchXid(name, x.metric.UUID, x.metric.gpu ?? '?', x.value, at, latches)
        }
      }
      for (const f of g.gpuFacts) {
        const d = diagnoseGpu(f.gpu)
        for (const r of d.reasons) h.add(d.level, `GPU ${f.index}: ${r}`)
      }
      for (const l of latches) {
        if (l.ackedAt !== null) continue
        const on = uuidKey.get(l.uuid)
        if (on !== undefined ? on !== g.key : l.host !== name) continue
        const m = XID_MEANINGS[l.code]
        const why = `GPU ${l.uuid}: XID ${l.code}${m ? `: ${m.meaning}` : ''} (latched until acknowledged)`
        h.add(m?.severity ?? 'warning', why)
        own.add(m?.severity ?? 'warning', why)
      }
      const gpuDown = exporters.dcgm === 'down' || exporters.nvidiaGpuExporter === 'down'
      if (gpuDown) {
        const i = [...g.gpuInstances.keys()].find((x) => upOf.get(x) === false) ?? ''
        const why = `GPU exporter ${i} down since ${time(downSince.get(i) ?? at)} (Prometheus up == 0)`
        h.add('critical', why)
        own.add('warning', why)
      }
      if (exporters.node === 'down') {
        const why = `node_exporter ${g.node} down since ${time(downSince.get(g.node ?? '') ?? at)}`
        h.add('critical', why)
        own.add('warning', why)
      }
      const memPct = g.node ? finite(memOf.get(g.node)?.value) : null
      if (memPct !== null) {
        const m = hostHealth({
          problems: [],
          memory: { total: 100, used: memPct, available: 100 - memPct, usedPct: memPct, swapTotal: 0, swapUsed: 0 },
          load: null,
          cpu: null,
        })
        for (const r of m.reasons) h.add(m.level, r)
      }
      const full = g.node ? fullestOf.get(g.node) : undefined
      const fullestFs =
        full && Number.isFinite(full.value)
          ? { mount: full.metric.mountpoint ?? '?', usedPct: Math.round(full.value * 100) / 100 }
          : null
      if (fullestFs) {
        const fh = filesystemHealth({ ...fullestFs, readOnly: null }, NO_TREND, at)
        for (const r of fh.reasons) h.add(fh.level, r)
      }
      for (const x of (g.node ? fillingOf.get(g.node) : undefined) ?? []) {
        const fh = filesystemHealth(
          { mount: x.metric.mountpoint ?? '?', usedPct: 0, readOnly: null },
          { ...NO_TREND, state: 'filling', fullAt: at + x.value * DAY_MS },
          at,
        )
        for (const r of fh.reasons) h.add(fh.level, r)
      }
      built.push({
        name,
        hostname: g.hostname,
        instances,
        addresses: [...new Set(instances.map(addressOf))],
        source: o.name,
        exporters,
        gpus: {
          count: g.count,
          avgUtilPct: g.utilN ? round1(g.utilSum / g.utilN) : null,
          state: !g.count ? 'no-driver' : gpuDown ? 'not-responding' : 'ok',
        },
        cpuPct: g.node ? finite(cpuOf.get(g.node)?.value) : null,
        memPct: memPct === null ? null : round1(memPct),
        fullest: fullestFs,
        health: h.build(),
        findings: own.build(),
        at,
      })
    }
    // An acknowledged XID its GPU no longer reports (the exporter restarted, or another code came):
    // forgotten, so the same code coming back is a new one to acknowledge.
    if (fresh.has(S.xid)) {
      const now = new Set((xid ?? []).map((x) => `${x.metric.UUID}\u0000${x.value}`))
      for (const l of latches) {
        if (l.ackedAt !== null && l.source === o.name && !now.has(`${l.uuid}\u0000${l.code}`))
          o.store.forget(l.uuid, l.code)
      }
    }
    hosts = built
    details.clear()
    const instancesOf = (flavor: 'dcgm' | 'legacy'): number =>
      new Set(
        built.flatMap((b) =>
          b.instances.filter(() => b.exporters[flavor === 'dcgm' ? 'dcgm' : 'nvidiaGpuExporter'] !== 'absent'),
        ),
      ).size
    const exporters: PromExporters = {
      dcgm: new Set((dcgmCount ?? []).map((x) => x.metric.instance)).size,
      nvidiaGpuExporter: new Set((legacyCount ?? []).map((x) => x.metric.instance)).size,
      node: nodeOf.size,
    }
    void instancesOf
    status = {
      ...status,
      state: errors.length ? 'partial' : 'ok',
      error: errors.length ? [...new Set(errors)].slice(0, 3).join('; ') : null,
      warnings: [...warnings].slice(0, 20),
      missing: missingOf(exporters, presentNames),
      exporters,
      hosts: built.length,
      gpus: built.reduce((a, b) => a + b.gpus.count, 0),
      lastPollAt: at,
      lastPollMs: at - started,
      lastOkAt: at,
    }
    // Asked once per 10 minutes at most: a Thanos without buildinfo is not asked on every poll.
    if (!status.version && (versionAskedAt === null || at - versionAskedAt > 600_000)) {
      versionAskedAt = at
      try {
        status = { ...status, version: (await o.client.buildinfo()).version }
      } catch {
        // the version is a nicety: a Thanos without buildinfo still serves the fleet
      }
    }
  }

  function staleHost(h: PromHost, why: string): PromHost {
    return {
      ...h,
      gpus: { ...h.gpus, state: h.gpus.count ? 'not-responding' : h.gpus.state },
      health: { level: 'unknown', reasons: [why] },
      findings: { level: 'ok', reasons: [] },
    }
  }

  /** A host's page: its instances asked about in full, cached until the next poll. */
  async function detailOf(name: string): Promise<PromHostDetail | null> {
    const h = hosts.find((x) => x.name === name)
    if (!h) return null
    const cached = details.get(name)
    if (cached) return cached
    const p = collect(instanceMatcher(h.instances)).then((c) => {
      const d =
        c.hosts.find((x) => x.name === name) ?? c.hosts.find((x) => x.hostname !== null && x.hostname === h.hostname)
      if (!d && c.errors.length) throw new PromError(c.errors[0], 'detail', null)
      if (!d) return { ...emptyDetail(h), health: h.health }
      // The overview knows a GPU exporter that went down, and how many GPUs it had; the page says so.
      if (h.gpus.state === 'not-responding' && d.gpu.gpus.length === 0) {
        const why = h.findings.reasons.find((r) => r.startsWith('GPU exporter')) ?? 'GPU exporter down'
        return { ...d, name, gpu: { ...d.gpu, host: name, state: 'not-responding' as const, reason: why } }
      }
      // The overview's name is the host's name (a page asked for fewer instances numbers collisions differently).
      return {
        ...d,
        name,
        gpu: { ...d.gpu, host: name },
        host: d.host ? { ...d.host, host: name } : null,
        storage: d.storage ? { ...d.storage, host: name } : null,
      }
    })
    details.set(name, p)
    p.catch(() => details.delete(name))
    return p
  }

  const schedule = (): void => {
    if (!running) return
    timer = setTimeout(() => {
      timer = null
      void api.poll().finally(schedule)
    }, o.intervalMs)
    timer.unref?.()
  }

  const api: FleetSource = {
    name: o.name,
    client: o.client,
    hosts: () => hosts,
    detail: detailOf,
    status: () => status,
    poll() {
      if (inflight) return inflight
      inflight = pollOnce()
        .catch((err) => o.log(`gantry: Prometheus ${o.name} poll failed: ${String(err)}`))
        .finally(() => {
          inflight = null
          o.polled(o.name)
        })
      return inflight
    },
    start() {
      if (running) return
      running = true
      void api.poll().finally(schedule)
    },
    stop() {
      running = false
      if (timer) clearTimeout(timer)
      timer = null
    },
  }
  return api
}

/** A source's status before (or without) a poll. */
export function initialStatus(
  name: string,
  describe: FleetSourceOptions['describe'],
  state: PromSourceStatus['state'],
  error: string | null,
): PromSourceStatus {
  return {
    name,
    ...describe,
    state,
    error,
    warnings: [],
    missing: [],
    version: null,
    exporters: { dcgm: 0, nvidiaGpuExporter: 0, node: 0 },
    hosts: 0,
    gpus: 0,
    lastPollAt: null,
    lastPollMs: null,
    lastOkAt: null,
  }
}

function time(at: number): string {
  return `${new Date(at).toISOString().slice(11, 19)} UTC`
}

const MIB = 1024 * 1024

/** A GPU as the rest of Gantry knows it; what the exporter does not export is null, with why. */
export function gpuOf(g: GpuFacts): Gpu {
  const v = g.values
  const unavailable: Record<string, string> = {}
  const read = (field: string, key: string, metric: string): number | null => {
    const x = v[key]
    if (x === undefined) {
      unavailable[field] = `not exported (${metric})`
      return null
    }
    if (!Number.isFinite(x)) {
      unavailable[field] = `${String(x)} from ${metric}`
      return null
    }
    return x
  }
  if (g.flavor === 'legacy') {
    const L = LEGACY
    const util = read('utilization.gpuPct', 'util', L.util)
    const memUtil = read('utilization.memoryPct', 'memUtil', L.memUtil)
    const used = read('memory.usedMiB', 'memUsed', L.memUsed)
    const total = read('memory.totalMiB', 'memTotal', L.memTotal)
    const free = read('memory.freeMiB', 'memFree', L.memFree)
    const clock = read('clocks.smMHz', 'smClock', L.smClock)
    const fan = read('fanPct', 'fan', L.fan)
    return {
      ...emptyGpu(g, unavailable),
      utilization: {
        gpuPct: util === null ? null : round1(util * 100),
        memoryPct: memUtil === null ? null : round1(memUtil * 100),
      },
      memory: {
        totalMiB: total === null ? null : Math.round(total / MIB),
        usedMiB: used === null ? null : Math.round(used / MIB),
        freeMiB: free === null ? null : Math.round(free / MIB),
      },
      temperature: { gpuC: read('temperature.gpuC', 'temp', L.temp), memoryC: null, slowdownC: null, shutdownC: null },
      power: { drawW: read('power.drawW', 'power', L.power), limitW: read('power.limitW', 'powerLimit', L.powerLimit) },
      clocks: { smMHz: clock === null ? null : Math.round(clock / 1e6), memoryMHz: null, maxSmMHz: null },
      fanPct: fan === null ? null : round1(fan * 100),
    }
  }
  const D = DCGM
  const used = read('memory.usedMiB', 'fbUsed', D.fbUsed)
  const free = read('memory.freeMiB', 'fbFree', D.fbFree)
  const reserved = finite(v.fbReserved)
  const totalRead = finite(v.fbTotal)
  const total = totalRead ?? (used !== null && free !== null ? used + free + (reserved ?? 0) : null)
  if (total !== null) delete unavailable['memory.totalMiB']
  else unavailable['memory.totalMiB'] = `not exported (${D.fbTotal}, or ${D.fbUsed} + ${D.fbFree})`
  const throttle = finite(v.throttle)
  const pstate = finite(v.pstate)
  const uncorrectable = read('remappedRows.uncorrectable', 'remapUncorrectable', D.remapUncorrectable)
  const failure = finite(v.remapFailure)
  return {
    ...emptyGpu(g, unavailable),
    pstate: pstate === null ? null : `P${pstate}`,
    utilization: {
      gpuPct: read('utilization.gpuPct', 'util', D.util),
      memoryPct: read('utilization.memoryPct', 'memCopyUtil', D.memCopyUtil),
    },
    memory: { totalMiB: total, usedMiB: used, freeMiB: free },
    temperature: {
      gpuC: read('temperature.gpuC', 'temp', D.temp),
      memoryC: read('temperature.memoryC', 'memTemp', D.memTemp),
      slowdownC: read('temperature.slowdownC', 'slowdownTemp', D.slowdownTemp),
      shutdownC: read('temperature.shutdownC', 'shutdownTemp', D.shutdownTemp),
    },
    power: { drawW: read('power.drawW', 'power', D.power), limitW: read('power.limitW', 'powerLimit', D.powerLimit) },
    clocks: {
      smMHz: read('clocks.smMHz', 'smClock', D.smClock),
      memoryMHz: read('clocks.memoryMHz', 'memClock', D.memClock),
      maxSmMHz: null,
    },
    clockEventReasons: throttle === null ? null : clockReasonsFromMask(throttle),
    fanPct: read('fanPct', 'fan', D.fan),
    ecc: {
      mode: null,
      correctedVolatile: read('ecc.correctedVolatile', 'eccSbeVolatile', D.eccSbeVolatile),
      uncorrectedVolatile: read('ecc.uncorrectedVolatile', 'eccDbeVolatile', D.eccDbeVolatile),
      uncorrectedAggregate: null,
    },
    remappedRows: {
      correctable: read('remappedRows.correctable', 'remapCorrectable', D.remapCorrectable),
      uncorrectable,
      pending: null,
      failure: failure === null ? null : failure > 0,
    },
  }
}

function emptyGpu(g: GpuFacts, unavailable: Record<string, string>): Gpu {
  return {
    index: g.index,
    uuid: g.uuid,
    name: g.name,
    busId: null,
    driverVersion: null,
    pstate: null,
    utilization: { gpuPct: null, memoryPct: null },
    memory: { totalMiB: null, usedMiB: null, freeMiB: null },
    temperature: { gpuC: null, memoryC: null, slowdownC: null, shutdownC: null },
    power: { drawW: null, limitW: null },
    clocks: { smMHz: null, memoryMHz: null, maxSmMHz: null },
    clockEventReasons: null,
    fanPct: null,
    ecc: { mode: null, correctedVolatile: null, uncorrectedVolatile: null, uncorrectedAggregate: null },
    retiredPages: { singleBit: null, doubleBit: null, pending: null },
    remappedRows: { correctable: null, uncorrectable: null, pending: null, failure: null },
    pcie: { genCurrent: null, genMax: null, widthCurrent: null, widthMax: null },
    mig: { mode: null, devices: [] },
    unavailable,
  }
}

function hostOf(name: string, n: NodeFacts, down: boolean, at: number): HostSnapshot {
  const problems: string[] = []
  if (down)
    problems.push(`node_exporter ${n.instance} is down (Prometheus up == 0): values are the last known or missing`)
  const v = n.values
  const idle = finite(n.cpu.idle)
  const cpu =
    idle === null
      ? null
      : {
          loadPct: round1(Math.max(0, 100 - idle)),
          userPct: round1(finite(n.cpu.user) ?? 0),
          systemPct: round1(finite(n.cpu.system) ?? 0),
          iowaitPct: finite(n.cpu.iowait) === null ? null : round1(n.cpu.iowait as number),
          cores: n.cores ?? 0,
          perCorePct: [],
        }
  if (!cpu) problems.push('CPU: no rate of node_cpu_seconds_total yet (needs two scrapes)')
  const total = finite(v.memTotal)
  const avail = finite(v.memAvailable)
  const memory =
    total !== null && avail !== null && total > 0
      ? {
          total,
          available: avail,
          used: total - avail,
          usedPct: round1(((total - avail) / total) * 100),
          swapTotal: finite(v.swapTotal) ?? 0,
          swapUsed: Math.max(0, (finite(v.swapTotal) ?? 0) - (finite(v.swapFree) ?? 0)),
        }
      : null
  if (!memory) problems.push('memory: node_memory_MemTotal_bytes / MemAvailable_bytes not exported')
  const l1 = finite(v.load1)
  const load = l1 === null ? null : { one: l1, five: finite(v.load5) ?? 0, fifteen: finite(v.load15) ?? 0 }
  const boot = finite(v.bootTime)
  const facts = { problems, cpu, memory, load }
  return {
    host: name,
    at,
    status: problems.length ? 'degraded' : 'ok',
    problems,
    durationMs: 0,
    hostname: n.nodename ?? addressOf(n.instance),
    platform: n.sysname.toLowerCase(),
    kernel: n.release,
    uptimeSec: boot === null ? 0 : Math.max(0, Math.round(at / 1000 - boot)),
    cpu,
    load,
    memory,
    health: hostHealth(facts),
  }
}

const DAY_MS = 24 * 3600_000

function storageOf(name: string, n: NodeFacts, down: boolean, at: number): StorageSnapshot {
  const problems = down ? [`node_exporter ${n.instance} is down: filesystems as last known`] : []
  const filesystems: Filesystem[] = []
  for (const [mount, f] of [...n.fs].sort((a, b) => a[0].localeCompare(b[0]))) {
    const size = finite(f.v.size_bytes)
    const avail = finite(f.v.avail_bytes)
    const free = finite(f.v.free_bytes)
    if (size === null || avail === null || free === null || size <= 0) continue
    const used = Math.max(0, size - free)
    const usable = used + avail
    const usedPct = usable > 0 ? Math.round((used / usable) * 100 * 100) / 100 : 0
    const perDay = f.trend === null ? null : avail - f.trend
    const forecast =
      perDay === null
        ? {
            state: 'insufficient-history' as const,
            fullAt: null,
            bytesPerDay: null,
            basisMs: 6 * 3600_000,
            points: 0,
            r2: null,
          }
        : {
            state: perDay > 0 ? ('filling' as const) : perDay < 0 ? ('shrinking' as const) : ('stable' as const),
            fullAt: perDay > 0 ? Math.round(at + (avail / perDay) * DAY_MS) : null,
            bytesPerDay: perDay,
            basisMs: 6 * 3600_000,
            points: 0,
            r2: null,
          }
    const readOnly = f.v.readonly === undefined ? null : f.v.readonly === 1
    const fsFacts = { mount, usedPct, readOnly }
    filesystems.push({
      mount,
      device: f.device,
      type: f.fstype,
      size,
      used,
      available: avail,
      usedPct,
      readOnly,
      forecast,
      health: filesystemHealth(fsFacts, forecast, at),
    })
  }
  const h = new HealthBuilder()
  for (const p of problems) h.add('unknown', p)
  for (const f of filesystems) for (const r of f.health.reasons) h.add(f.health.level, r)
  return {
    host: name,
    at,
    status: problems.length ? 'degraded' : 'ok',
    problems,
    durationMs: 0,
    filesystems,
    io: null,
    health: h.build(),
  }
}

function missingOf(e: PromExporters, present: Set<string>): string[] {
  const out: string[] = []
  if (!e.dcgm && !e.nvidiaGpuExporter) {
    out.push('no dcgm-exporter (DCGM_FI_*) or nvidia_gpu_exporter (nvidia_smi_*) series: no GPUs from this source')
  }
  if (!e.node) out.push('no node_exporter series (node_uname_info): no CPU, memory or filesystems for its hosts')
  if (e.dcgm) {
    if (!present.has(DCGM.slowdownTemp)) {
      out.push(
        `no ${DCGM.slowdownTemp} (not in dcgm-exporter's default counters): temperature margin judged from 85 °C`,
      )
    }
    if (!present.has(DCGM.powerLimit)) out.push(`no ${DCGM.powerLimit}: power is shown without its limit`)
    if (!present.has(DCGM.xid)) out.push(`no ${DCGM.xid}: XID errors cannot be seen`)
  }
  return out
}

const NO_TREND = {
  state: 'insufficient-history' as const,
  fullAt: null,
  bytesPerDay: null,
  basisMs: 6 * 3600_000,
  points: 0,
  r2: null,
}

function emptyDetail(h: PromHost): PromHostDetail {
  return {
    name: h.name,
    hostname: h.hostname,
    instances: h.instances,
    addresses: h.addresses,
    source: h.source,
    exporters: h.exporters,
    gpu: {
      host: h.name,
      at: h.at,
      state: h.gpus.state,
      reason: null,
      driverVersion: null,
      gpus: [],
      health: [],
      processes: [],
      processesAt: null,
      xids: null,
    },
    host: null,
    storage: null,
    gpuFlavor: {},
    nodeInstance: null,
    health: h.health,
    at: h.at,
  }
}
