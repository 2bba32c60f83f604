// createGantry: builds the whole core (database, time-series store, services, api, events) for any
// door. Plain Node: this folder never imports electron.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import type {
  EventName,
  EventPayload,
  FileRoots,
  GantryClient,
  HostSnapshot,
  ServiceStatus,
  StorageSnapshot,
} from '../../shared/contract'
import { fail } from '../../shared/result'
import { createApi, typedClient, type Api } from './api'
import { resolveConfig, type GantryConfig } from './config'
import { openDatabase, storageError, type Db } from './db/database'
import { GantryError } from './errors'
import { degradedHost, hostPoints, hostSnapshot, probeHost, systemHostDeps, type HostProbeDeps } from './telemetry/host'
import {
  probeStorage,
  storagePoints,
  storageSnapshot,
  systemStorageDeps,
  type StorageProbeDeps,
} from './telemetry/storage'
import { createTimeSeriesStore, type TimeSeriesStore } from './telemetry/timeseries'
import { createEndpointService } from './serving/endpoints'
import { probeEndpoint } from './serving/probe'
import { createGpuService, gpuPoints, type GpuService } from './telemetry/gpu/service'
import { createEventBus, type EventBus } from './util/events'
import { createRegistry, type Registry } from './registry/registry'
import { createSecretStore, type SecretStore } from './secrets'
import { createDeployer, type Deployer } from './deploy/deployer'
import { createGuard } from './deploy/guard'
import { driftReport } from './drift/report'
import { createDriftMonitor } from './drift/monitor'
import { importMlflowFile, scanTritonRepository } from './registry/importers'
import { createLocalFiles, type FileAccess } from './files/local-files'
import { NEVER_ROOTS, configuredRoots, createPathPolicy } from './files/policy'
import { createRootsStore } from './files/roots'
import { JOB_BUDGET, JOB_CONCURRENCY, JOB_QUEUE_LIMIT } from './files/limits'
import { createJobRunner, type JobRunner } from './util/jobs'
import { createSampledService, type SampledService } from './util/sampled-service'

export type GantryEvents = { [E in EventName]: EventPayload<E> }

export interface Gantry {
  api: Api
  /** The same api, typed by the contract. */
  client: GantryClient
  events: EventBus<GantryEvents>
  config: GantryConfig
  db: Db
  store: TimeSeriesStore
  /** How operator-supplied paths are read (the allowed roots, regular files only). */
  files: FileAccess
  /** The limiter every long file job runs through. */
  jobs: JobRunner
  start(): void
  /** Stops every service (bounded by stopTimeoutMs) and closes the database. */
  stop(): Promise<void>
  /** Resolves once deployments left in flight by a stopped Gantry were finished or reverted (after start()). */
  recovered(): Promise<void>
}

export interface GantryOptions extends Partial<GantryConfig> {
  hostDeps?: HostProbeDeps
  storageDeps?: StorageProbeDeps
  /** Replaces node-nvidia-smi for the on-demand `-q -x` reading (tests). */
  readGpuXml?: () => Promise<unknown>
  /** How long `nvidia-smi -q -x` may take (default 20 s: multi-GPU hosts are slow). */
  gpuDetailTimeoutMs?: number
  log?: (line: string) => void
  /** Where endpoint credentials go: the desktop passes Electron safeStorage; default a 0600 file. */
  secrets?: SecretStore
  /** Called after each journaled deploy step (the crash tests kill the process there). */
  deployAfterStep?: (step: string) => void
  /** Open the database without writing (read-only commands on a full or read-only disk). */
  readOnly?: boolean
}

const PRUNE_EVERY_MS = 10 * 60_000
const FORECAST_WINDOW_MS = 24 * 3600_000

export function appVersion(): string {
  for (const p of [join(__dirname, '..', '..', 'package.json'), join(__dirname, '..', '..', '..', 'package.json')]) {
    try {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'gantry' && pkg.version) return pkg.version
    } catch {
      // try the next candidate: the layout differs between sources and the build
    }
  }
  return '0.0.0'
}

export function createGantry(options: GantryOptions = {}): Gantry {
  const config = resolveConfig(options)
  const now = config.now ?? Date.now
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const opened = openDatabase(config.dataDir, undefined, { readOnly: options.readOnly })
  if (opened.backupPath) log(`gantry: upgraded the database schema; the previous copy is at ${opened.backupPath}`)
  const { db } = opened
  const store = createTimeSeriesStore(db, now)
  const roots = createRootsStore(db)
  const files = createLocalFiles(createPathPolicy(() => configuredRoots(config.dataDir, roots.get()), config.dataDir))
  const jobs = createJobRunner({ concurrency: JOB_CONCURRENCY, queueLimit: JOB_QUEUE_LIMIT })
  const rootsInfo = (): FileRoots => ({
    roots: configuredRoots(config.dataDir, roots.get()),
    source: process.env.GANTRY_ROOTS?.trim() ? 'env' : roots.get()?.length ? 'stored' : 'default',
    never: [...NEVER_ROOTS],
  })
  const events = createEventBus<GantryEvents>((err) => log(`gantry: event listener failed: ${String(err)}`))
  const startedAt = now()
  let stopped = false
  let stopping: Promise<void> | null = null

  const onStatus = (s: ServiceStatus): void => {
    if (!stopped) events.emit('service.status', s)
  }
  const safeWrite = (t: number, pts: [string, number | null, string][]): void => {
    if (stopped) return
    try {
      store.write(t, pts)
    } catch (err) {
      log(`gantry: could not store samples: ${String(err)}`)
    }
  }

  const hostDeps = options.hostDeps ?? systemHostDeps
  const host: SampledService<HostSnapshot> = createSampledService({
    name: 'host',
    intervalMs: config.hostIntervalMs,
    timeoutMs: config.pollTimeoutMs,
    now,
    probe: async () => {
      const t = now()
      const facts = await probeHost(hostDeps)
      return hostSnapshot(facts, t, now() - t)
    },
    degraded: degradedHost,
    problemOf: (s) => (s.problems.length ? s.problems.join('; ') : null),
    publish: (s) => {
      safeWrite(s.at, hostPoints(s))
      if (!stopped) events.emit('host.sample', s)
    },
    onStatus,
  })

  const history = (mount: string): (readonly [number, number])[] => {
    try {
      const series = store.query({ key: `fs.used:${mount}`, rangeMs: FORECAST_WINDOW_MS, maxPoints: 300 })
      return series.points.map((p) => [p[0], p[1]] as const)
    } catch {
      return [] // no history yet for a newly seen mount
    }
  }
  const storageDeps = options.storageDeps ?? systemStorageDeps
  const storage: SampledService<StorageSnapshot> = createSampledService({
    name: 'storage',
    intervalMs: config.storageIntervalMs,
    timeoutMs: config.pollTimeoutMs,
    now,
    probe: async () => {
      const t = now()
      const facts = await probeStorage(storageDeps)
      return storageSnapshot(facts, t, now() - t, history)
    },
    degraded: (reason, at, durationMs) =>
      storageSnapshot({ problems: [reason], filesystems: [], io: null }, at, durationMs, history),
    problemOf: (s) => (s.problems.length ? s.problems.join('; ') : null),
    publish: (s) => {
      safeWrite(s.at, storagePoints(s))
      if (!stopped) events.emit('storage.sample', s)
    },
    onStatus,
  })

  const gpu: GpuService = createGpuService({
    bin: config.nvidiaSmi,
    intervalMs: config.gpuIntervalMs,
    processIntervalMs: config.gpuProcessIntervalMs,
    detailTimeoutMs: options.gpuDetailTimeoutMs ?? 20_000,
    now,
    publish: (s) => {
      if (s.state === 'ok') safeWrite(s.at, gpuPoints(s.gpus))
      if (!stopped) events.emit('gpu.sample', s)
    },
    onStatus,
    readXml: options.readGpuXml,
  })

  const registry: Registry = createRegistry({
    db,
    files,
    dataDir: config.dataDir,
    actor: config.actor,
    now,
    staleCandidateDays: config.staleCandidateDays,
    reviewDays: config.reviewDays,
    onProgress: (p) => {
      if (!stopped) events.emit('registry.progress', p)
    },
    onChanged: (name) => {
      if (!stopped) events.emit('registry.changed', { name })
    },
  })
  const secrets = options.secrets ?? createSecretStore(config.dataDir)
  const endpoints = createEndpointService({
    db,
    intervalMs: config.servingIntervalMs,
    timeoutMs: config.pollTimeoutMs,
    now,
    secrets,
    expected: (model, alias) => registry.expectedFor(model, alias),
    audit: (action, after) => registry.record(action, null, after),
    publish: (endpoint, result, status) => {
      const m = result.metrics
      safeWrite(result.at, [
        [`serving.up:${endpoint.id}`, result.live === null ? 0 : result.live ? 1 : 0, ''],
        [`serving.rps:${endpoint.id}`, m?.requestRate ?? null, 'req/s'],
        [
          `serving.err_pct:${endpoint.id}`,
          m?.errorRate === null || m?.errorRate === undefined ? null : m.errorRate * 100,
          '%',
        ],
        [`serving.p95_ms:${endpoint.id}`, m?.p95Ms ?? m?.avgLatencyMs ?? null, 'ms'],
      ])
      if (!stopped) events.emit('serving.sample', { endpoint, result, status })
      if (!stopped) guard.onSample(status)
    },
  })

  const deployer: Deployer = createDeployer({
    db,
    registry,
    files,
    actor: config.actor,
    now,
    probe: (id) => endpoints.probeNow(id),
    publish: (d) => {
      if (stopped) return
      events.emit('deploy.progress', d)
      guard.onDeployment(d)
      // A finished deploy moved the registry (stage, alias, audit rows): screens showing it refresh.
      if (d.finishedAt !== null) events.emit('registry.changed', { name: d.model })
    },
    log,
    afterStep: options.deployAfterStep ? (step) => options.deployAfterStep?.(step) : undefined,
  })
  let recovered: Promise<unknown> | null = null
  const guard = createGuard({
    db,
    actor: config.actor,
    now,
    rollback: (model, targetId, why) => deployer.rollback(model, targetId, why),
    endpointsOf: (model) => {
      const bound = (
        db.prepare('SELECT endpoint_id FROM serving_bindings WHERE model = ?').all(model) as { endpoint_id: number }[]
      ).map((r) => r.endpoint_id)
      const verify = deployer
        .listTargets(model)
        .flatMap((t) => (t.config.kind === 'model-folder' ? [t.config.endpointId] : []))
      return [...new Set([...bound, ...verify])]
    },
    publish: (s) => {
      if (!stopped) events.emit('deploy.guard', s)
    },
    log,
  })

  const drift = createDriftMonitor({
    db,
    registry,
    files,
    now,
    publish: (w) => {
      if (stopped) return
      events.emit('drift.window', w)
      guard.onDriftWindow(w)
    },
    crossed: (c) => {
      if (!stopped) events.emit('drift.crossed', c)
    },
    log,
  })
  let driftTimer: ReturnType<typeof setInterval> | null = null

  let pruneTimer: ReturnType<typeof setInterval> | null = null
  // Another process (the CLI, a training pipeline) may change the registry in the same database:
  // SQLite's data_version moves when another connection commits, so the UI hears of it too.
  let externalTimer: ReturnType<typeof setInterval> | null = null
  let reconcileTimer: ReturnType<typeof setInterval> | null = null
  let dataVersion = db.pragma('data_version', { simple: true }) as number
  const auditHead = db.prepare('SELECT MAX(seq) AS seq FROM audit_log')
  let lastSeq = (auditHead.get() as { seq: number | null }).seq

  const inner = createApi(
    {
      'app.info': () => ({
        version: appVersion(),
        door: config.door,
        dataDir: config.dataDir,
        dbPath: opened.path,
        schemaVersion: opened.schemaVersion,
        sqliteVersion: opened.sqliteVersion,
        startedAt,
        pid: process.pid,
        hostname: os.hostname(),
        services: [host.status(), storage.status(), gpu.status()],
        jobs: jobs.status(),
      }),
      'host.snapshot': async (input) => {
        if (input.fresh) return host.sampleNow()
        return host.latest()
      },
      'storage.list': async (input) => {
        if (input.fresh) return storage.sampleNow()
        return storage.latest()
      },
      'gpu.snapshot': () => gpu.snapshot(),
      'gpu.detail': () => gpu.detail(),
      'serving.probe': (input) =>
        probeEndpoint(input.url, {
          kind: input.kind,
          limits: input.timeoutMs ? { timeoutMs: input.timeoutMs } : {},
          metricsWindowMs: input.metricsWindowMs,
        }),
      'serving.listEndpoints': () => endpoints.list(),
      'serving.addEndpoint': (input) => endpoints.add(input),
      'serving.configureEndpoint': (input) => endpoints.configure(input.id, input),
      'serving.removeEndpoint': (input) => {
        endpoints.remove(input.id)
        return {}
      },
      'registry.listModels': (input) => registry.listModels(input),
      'registry.getModel': (input) => registry.getModel(input.name),
      'registry.getVersion': (input) => registry.getVersion(input.name, input.version),
      'registry.createModel': (input) => registry.createModel(input),
      'registry.updateModel': (input) => registry.updateModel(input.name, input.revision, input.patch),
      'registry.reviewModel': (input) => registry.reviewModel(input.name, input.note),
      'registry.register': (input) =>
        jobs.run(`registering ${input.model}`, JOB_BUDGET.hash, () => registry.register(input)),
      'registry.setAlias': (input) => {
        registry.setAlias(input.name, input.alias, input.version)
        return {}
      },
      'registry.removeAlias': (input) => {
        registry.removeAlias(input.name, input.alias)
        return {}
      },
      'registry.transition': (input) => registry.transition(input.name, input.version, input.stage, input.comment),
      'registry.requestApproval': (input) => registry.requestApproval(input.name, input.version, input.comment),
      'registry.decideApproval': (input) => registry.decideApproval(input.id, input.decision, input.comment),
      'registry.commentApproval': (input) => registry.commentApproval(input.id, input.text),
      'registry.verifyArtifact': (input) =>
        jobs.run(`verifying ${input.name} v${input.version}`, JOB_BUDGET.hash, () =>
          registry.verifyArtifact(input.name, input.version),
        ),
      'registry.scanTriton': (input) =>
        jobs.run('scanning a Triton repository', JOB_BUDGET.scan, () =>
          scanTritonRepository(registry, files, input.path, { ownerTeam: input.ownerTeam }),
        ),
      'registry.importMlflow': (input) =>
        jobs.run('importing an MLflow export', JOB_BUDGET.import, () =>
          importMlflowFile(registry, files, input.path, { ownerTeam: input.ownerTeam }),
        ),
      'deploy.listTargets': (input) => deployer.listTargets(input.model),
      'deploy.addTarget': (input) => deployer.addTarget(input.model, input.name, input.config),
      'deploy.removeTarget': (input) => {
        deployer.removeTarget(input.id)
        return {}
      },
      'deploy.run': (input) => deployer.deploy(input.model, input.version, input.targetId),
      'deploy.rollbackPlan': (input) => deployer.rollbackPlan(input.model, input.targetId),
      'deploy.rollback': (input) => deployer.rollback(input.model, input.targetId),
      'deploy.list': (input) => deployer.list(input),
      'deploy.guard': (input) => guard.status(input.model),
      'deploy.setRule': (input) => guard.setRule(input.model, input.rule),
      'deploy.dismissSuggestion': (input) => guard.dismiss(input.model),
      'deploy.reconcile': () => deployer.reconcile(),
      'drift.report': (input) =>
        jobs.run('a drift report', JOB_BUDGET.report, (signal) =>
          driftReport(files, input.reference, input.current, { ...input, signal }),
        ),
      'drift.setMonitor': (input) => drift.setMonitor(input.model, input.config),
      'drift.monitor': (input) => drift.status(input.model),
      'drift.poll': (input) =>
        jobs.run(`reading ${input.model}'s log folder`, JOB_BUDGET.report, () => drift.poll(input.model)),
      'drift.windows': (input) => drift.windows(input.model, input.limit),
      'audit.list': (input) => registry.audit(input),
      'audit.verify': () => registry.verifyAudit(),
      'files.roots': () => rootsInfo(),
      'files.setRoots': (input) => {
        const before = rootsInfo()
        roots.set(input.roots)
        const after = rootsInfo()
        registry.record('files.roots', null, { before: before.roots, after: after.roots, source: after.source })
        return after
      },
      'telemetry.query': (input) => store.query(input),
      'telemetry.listSeries': (input) => store.listSeries(input.prefix),
    },
    {
      onInternalError: (err) =>
        log(`gantry: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
      translate: (err) => storageError(err, opened.path),
      // Who asked to read which files, and how it ended: an audit row per call (issue #13).
      onFileRead: (c) => {
        if (stopped || opened.readOnly) return
        registry.record(
          'file.read',
          c.model && registry.hasModel(c.model) ? c.model : null,
          { method: c.method, paths: c.paths, outcome: c.outcome },
          c.caller?.actor ?? config.actor,
        )
      },
    },
  )

  // Once stopping, the database is closing: doors still holding this core get a clear answer.
  const api: Api = {
    call: (method, input, caller) =>
      stopped
        ? Promise.resolve(fail('core/unavailable', 'Gantry is shutting down'))
        : inner.call(method, input, caller),
  }

  return {
    api,
    client: typedClient(api),
    events,
    config,
    db,
    store,
    files,
    jobs,
    start() {
      if (stopped) throw new GantryError('core/unavailable', 'this Gantry core was stopped')
      host.start()
      storage.start()
      gpu.start()
      endpoints.start()
      // Deployments a stopped Gantry left half-way are finished or reverted now, and logged.
      if (!recovered) {
        recovered = deployer
          .recover()
          .catch((err) => log(`gantry: recovering deployments failed: ${String(err)}`))
          // Then the guard picks up the watches and suggestions a stopped Gantry left open.
          .then(() => guard.resume())
      }
      if (!reconcileTimer && config.servingIntervalMs > 0) {
        let running = false
        reconcileTimer = setInterval(
          () => {
            if (stopped || running) return
            running = true
            void deployer
              .reconcile()
              .catch((err) => log(`gantry: reconciling targets failed: ${String(err)}`))
              .finally(() => (running = false))
          },
          Math.max(config.servingIntervalMs, 5000),
        )
        reconcileTimer.unref()
      }
      if (!driftTimer && config.driftIntervalMs > 0) {
        let busy = false
        driftTimer = setInterval(() => {
          if (stopped || busy) return
          busy = true
          void drift.pollAll().finally(() => (busy = false))
        }, config.driftIntervalMs)
        driftTimer.unref()
      }
      if (!externalTimer) {
        externalTimer = setInterval(() => {
          if (stopped) return
          try {
            const v = db.pragma('data_version', { simple: true }) as number
            if (v === dataVersion) return
            dataVersion = v
            // Only registry writes matter (every one appends an audit row), not another
            // process's telemetry samples.
            const seq = (auditHead.get() as { seq: number | null }).seq
            if (seq !== lastSeq) {
              lastSeq = seq
              events.emit('registry.changed', { name: '*' })
            }
          } catch {
            // closing
          }
        }, 1000)
        externalTimer.unref()
      }
      if (!pruneTimer) {
        const prune = (): void => {
          try {
            store.prune(now())
          } catch (err) {
            log(`gantry: pruning old samples failed: ${String(err)}`)
          }
        }
        prune()
        pruneTimer = setInterval(prune, PRUNE_EVERY_MS)
        pruneTimer.unref()
      }
    },
    stop() {
      if (!stopping) stopping = stopAll()
      return stopping
    },
    recovered: async () => {
      await recovered
    },
  }

  async function stopAll(): Promise<void> {
    jobs.stop()
    host.stop()
    storage.stop()
    endpoints.stop()
    if (pruneTimer) clearInterval(pruneTimer)
    if (externalTimer) clearInterval(externalTimer)
    if (reconcileTimer) clearInterval(reconcileTimer)
    if (driftTimer) clearInterval(driftTimer)
    stopped = true
    if (recovered) await Promise.race([recovered, new Promise((r) => setTimeout(r, config.stopTimeoutMs).unref())])
    // The GPU stream owns a child process: stop it, but never wait past the bound. In-flight
    // probes' results are dropped (stopped), so the database can close.
    let bound: ReturnType<typeof setTimeout> | undefined
    await Promise.race([gpu.stop(), new Promise((r) => (bound = setTimeout(r, config.stopTimeoutMs)))])
    clearTimeout(bound) // a pending timer would keep a CLI process alive for seconds
    try {
      db.close()
    } catch (err) {
      log(`gantry: closing the database failed: ${String(err)}`)
    }
  }
}

export { GantryError } from './errors'
export { resolveConfig, defaultDataDir } from './config'
