// Benchmark harness for bench/alerts.mjs (built into out/main/bench.js): the alert service the
// product runs (rules, engine, SQLite store, grouping), evaluated over synthetic facts — HOSTS
// hosts × 8 GPUs × 4 filesystems and one endpoint each — with RULES rules, on a simulated clock
// advanced by the evaluation interval. CPU is this process's own (process.cpuUsage) for the
// evaluations; latency is from the moment a condition becomes true (at a random time between two
// evaluations) to its notification, on the simulated clock.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AlertRule } from '../../shared/alerts'
import type { GpuSnapshot, StorageSnapshot } from '../../shared/contract'
import type { EndpointStatus } from '../../shared/serving'
import type { HostSummary } from '../../shared/hosts'
import { createAlertService } from '../core/alerts/service'
import { createAlertStore } from '../core/alerts/store'
import { newRule } from '../core/alerts/defaults'
import type { AlertFacts } from '../core/alerts/signals'
import { openDatabase } from '../core/db/database'

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

export async function measureAlerts(o: {
  hosts: number
  rules: number
  minutes: number
  intervalMs: number
  /** Each rule reads its own data (the baseline). */
  unshared: boolean
  /** How many conditions become true during the run (one host each). */
  conditions: number
  seed?: number
}) {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-alerts-'))
  const { db } = openDatabase(dir)
  let t = Date.parse('2026-12-01T00:00:00Z')
  const names = Array.from({ length: o.hosts }, (_, i) => `host-${String(i).padStart(4, '0')}`)
  // What the test controls: which hosts' /data is full (and since when, for the latency).
  const full = new Map<string, number>()
  const hostList: HostSummary[] = names.map((name) => ({
    name,
    kind: 'ssh',
    address: `ops@${name}:22`,
    owner: `team-${name.slice(-1)}`,
    enabled: true,
    connection: { state: 'up', since: t, lastError: null, attempts: 0, fingerprint: null, pinned: null },
    health: { level: 'ok', reasons: [] },
    hostname: name,
    gpus: { count: 8, avgUtilPct: 50, state: 'ok' },
    storage: null,
    cpuPct: 20,
    memPct: 40,
    lastUpdate: t,
    sources: ['ssh'],
  }))
  const gpuOf = new Map<string, GpuSnapshot>()
  for (const [h, name] of names.entries()) {
    gpuOf.set(name, {
      host: name,
      at: t,
      state: 'ok',
      reason: null,
      driverVersion: '550.54',
      gpus: Array.from({ length: 8 }, (_, g) => ({
        index: g,
        uuid: `GPU-${h}-${g}`,
        name: 'NVIDIA H100',
        busId: `00000000:${(g + 16).toString(16)}:00.0`,
        driverVersion: '550.54',
        pstate: 'P0',
        utilization: { gpuPct: 50, memoryPct: 30 },
        memory: { totalMiB: 81559, usedMiB: 40000, freeMiB: 41559 },
        temperature: { gpuC: 60 + ((h + g) % 15), memoryC: 50, slowdownC: 87, shutdownC: 92 },
        power: { drawW: 300, limitW: 700 },
        clocks: { smMHz: 1980, memoryMHz: 2619, maxSmMHz: 1980 },
        clockEventReasons: [],
        fanPct: null,
        ecc: { mode: 'Enabled', correctedVolatile: 0, uncorrectedVolatile: 0, uncorrectedAggregate: 0 },
        retiredPages: { singleBit: 0, doubleBit: 0, pending: false },
        remappedRows: { correctable: 0, uncorrectable: 0, pending: false, failure: false },
        pcie: { genCurrent: 5, genMax: 5, widthCurrent: 16, widthMax: 16 },
        mig: { mode: 'Disabled', devices: [] },
        unavailable: {},
      })) as never,
      health: [],
      processes: [],
      processesAt: null,
      xids: [],
    })
  }
  const fs = (mount: string, usedPct: number) => ({
    mount,
    device: `/dev/${mount.slice(1) || 'root'}`,
    type: 'ext4',
    size: 1e12,
    used: usedPct * 1e10,
    available: (100 - usedPct) * 1e10,
    usedPct,
    readOnly: false,
    forecast: { state: 'stable' as const, fullAt: null, bytesPerDay: 0, basisMs: 3600_000, points: 60, r2: 0.1 },
    health: { level: 'ok' as const, reasons: [] },
  })
  const storageOf = (name: string): StorageSnapshot => ({
    host: name,
    at: t,
    status: 'ok',
    problems: [],
    durationMs: 3,
    filesystems: [fs('/', 40), fs('/data', full.has(name) ? 97 : 70), fs('/scratch', 55), fs('/home', 20)],
    io: null,
    health: { level: 'ok', reasons: [] },
  })
  const endpoints: EndpointStatus[] = names.map((name, i) => ({
    endpoint: {
      id: i + 1,
      name: `llm-${name}`,
      url: `http://${name}:8000/`,
      host: name,
      kind: 'vllm',
      createdAt: t,
      auth: null,
      smoke: null,
      bindings: [{ model: `model-${i % 200}`, servedName: `model-${i % 200}`, alias: 'production' }],
    },
    latest: {
      url: `http://${name}:8000/`,
      kind: 'vllm',
      detectedBy: 'given',
      at: t,
      durationMs: 5,
      live: true,
      ready: true,
      runtimeVersion: '0.6.0',
      models: [],
      metrics: {
        windowMs: 5000,
        requests: 100,
        errors: 0,
        requestRate: 20,
        errorRate: 0.001,
        p50Ms: 120,
        p95Ms: 400,
        p99Ms: 800,
        avgLatencyMs: 150,
        latencySource: 'histogram',
        queueDepth: 0,
        kvCachePct: 30,
        ttftP95Ms: null,
        tokensPerSec: null,
      },
      metricsUrl: null,
      problems: [],
      checks: [],
      smoke: null,
    },
    verdict: 'up',
    intent: [],
  }))
  let factReads = 0
  const facts: AlertFacts = {
    hosts: () => {
      factReads++
      return hostList
    },
    gpu: (h) => gpuOf.get(h) ?? null,
    storage: (h) => storageOf(h),
    xidLatches: () => [],
    endpoints: () => endpoints,
    models: () => Array.from({ length: 200 }, (_, i) => ({ name: `model-${i}`, production: 3, ownerTeam: 'ml' })),
    monitors: () => [],
    lastDeploys: () => [],
    promql: async () => [],
  }
  const store = createAlertStore(db, () => t)
  // RULES rules: the defaults, then per-host rules of four kinds with their own thresholds.
  const kinds: Pick<AlertRule, 'kind' | 'threshold'>[] = [
    { kind: 'fs-used', threshold: 95 },
    { kind: 'gpu-temp-margin', threshold: 3 },
    { kind: 'endpoint-p95', threshold: 5000 },
    { kind: 'endpoint-error-rate', threshold: 10 },
  ]
  const defaults = store.rules().rules.length
  for (let k = 0; k < o.rules - defaults; k++) {
    const kind = kinds[k % kinds.length]
    store.saveRule(
      newRule(`r-${k}`, kind.kind, {
        threshold: kind.threshold,
        forMs: 60_000,
        host: names[Math.floor(k / kinds.length) % names.length],
        updatedAt: t,
        updatedBy: 'bench',
      }),
      'bench',
    )
  }
  const latencies: number[] = []
  const notifiedHosts = new Set<string>()
  const svc = createAlertService({
    store,
    facts,
    routeOf: (labels) => ({
      receiver: labels.host ? `team-${labels.host.slice(-1)}` : 'default',
      oncall: null,
      contact: null,
      why: '',
      unowned: !labels.host,
    }),
    forwarder: {
      status: () => ({
        url: null,
        state: 'off',
        lastSentAt: null,
        lastError: null,
        nextTryAt: null,
        sent: 0,
        silences: 0,
      }),
      tick: async () => {},
      silences: () => [],
      setUrl: () => {},
    },
    intervalMs: 0,
    now: () => t,
    notify: (n) => {
      const host = /host=(host-\d+)/.exec(n.link)?.[1] ?? null
      for (const [h, since] of full) {
        if (notifiedHosts.has(h)) continue
        if (host === h || n.title.includes(` on ${h} `) || n.body.includes(` on ${h} `)) {
          notifiedHosts.add(h)
          latencies.push(t - since)
        }
      }
    },
    changed: () => {},
    fired: () => {},
    log: (l) => process.stderr.write(`${l}\n`),
    unshared: o.unshared,
  })
  // Deterministic "random" condition times inside the run, not on evaluation boundaries.
  let seed = o.seed ?? 7
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  const evals = Math.round((o.minutes * 60_000) / o.intervalMs)
  const start = t
  const pending = Array.from({ length: o.conditions }, (_, k) => ({
    host: names[(k * 37) % names.length],
    at: start + Math.round(rand() * (evals - 8) * o.intervalMs) + 1,
  })).sort((a, b) => a.at - b.at)
  // A first evaluation outside the measurement (opens the store, compiles the code paths).
  await svc.evaluate()
  const c0 = cpuMs()
  const w0 = performance.now()
  let worstEvalMs = 0
  for (let e = 0; e < evals; e++) {
    const next = t + o.intervalMs
    while (pending.length && pending[0].at <= next) {
      const p = pending.shift() as { host: string; at: number }
      full.set(p.host, p.at)
    }
    t = next
    const e0 = performance.now()
    await svc.evaluate()
    worstEvalMs = Math.max(worstEvalMs, performance.now() - e0)
  }
  const cpu = cpuMs() - c0
  const wall = performance.now() - w0
  const instances = store.instances().length
  const rssMiB = process.memoryUsage().rss / 1024 ** 2
  db.close()
  rmSync(dir, { recursive: true, force: true })
  const ruleFor = 60_000
  return {
    evals,
    cpuMs: cpu,
    wallMs: wall,
    cpuPctOfCore: (cpu / (evals * o.intervalMs)) * 100,
    worstEvalMs,
    latencies,
    maxLatencyMs: latencies.length ? Math.max(...latencies) : null,
    boundMs: ruleFor + o.intervalMs,
    conditions: o.conditions,
    notified: notifiedHosts.size,
    instances,
    factReads,
    rssMiB,
  }
}
