// createGantry: the composition root of the core for every door. It only composes: it builds the
// services, registers them in one lifecycle (started in order, stopped in reverse), and merges each
// area's handler table into the api. No SQL, no metric mapping, no timers of its own here. Plain
// Node: this folder never imports electron.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { EventName, EventPayload, GantryClient, ServiceStatus } from '../../shared/contract'
import { LOCAL_HOST } from '../../shared/hosts'
import { fail } from '../../shared/result'
import { createApi, typedClient, type Api, type Handlers } from './api'
import { appHandlers } from './app-handlers'
import { resolveConfig, type GantryConfig } from './config'
import { openDatabase, storageError, type Db } from './db/database'
import { createDeployer, type Deployer } from './deploy/deployer'
import { createMetricsExposition, type MetricsExposition } from './metrics/exposition'
import { createGuard, type Guard } from './deploy/guard'
import { deployHandlers } from './deploy/handlers'
import { driftHandlers } from './drift/handlers'
import { createDriftMonitor } from './drift/monitor'
import { GantryError } from './errors'
import { JOB_CONCURRENCY, JOB_QUEUE_LIMIT } from './files/limits'
import { createLocalFiles, type FileAccess } from './files/local-files'
import { configuredRoots, createPathPolicy, remoteRoots } from './files/policy'
import { createRootsStore } from './files/roots'
import { createFleet, type Connector, type Fleet } from './hosts/fleet'
import { hostsHandlers } from './hosts/handlers'
import { createHostServices } from './hosts/host-services'
import { createHostsStore } from './hosts/hosts-store'
import type { HostAccess } from './hosts/access'
import { createLocalAccess } from './hosts/local-access'
import { createSshConnector } from './hosts/ssh/connector'
import { createLifecycle, type Service } from './lifecycle'
import { registryHandlers } from './registry/handlers'
import { createRegistry, type Registry } from './registry/registry'
import { createSecretStore, type SecretStore } from './secrets'
import { prometheusHandlers } from './prometheus/handlers'
import { createPromService, type PromService } from './prometheus/service'
import { createPromStore } from './prometheus/store'
import type { ExternalHosts } from './hosts/fleet'
import { createEndpointService } from './serving/endpoints'
import type { Tunnel } from './serving/http'
import { servingHandlers } from './serving/handlers'
import { servingPoints } from './serving/points'
import { telemetryHandlers } from './telemetry/handlers'
import { probeHost, systemHostDeps, type HostProbeDeps } from './telemetry/host'
import { createProcProbes, localSource } from './telemetry/proc-probes'
import { createStreamSource } from './telemetry/proc-stream'
import { probeStorage, systemStorageDeps, type StorageProbeDeps } from './telemetry/storage'
import { createTimeSeriesStore, type TimeSeriesStore } from './telemetry/timeseries'
import { createEventBus, type EventBus } from './util/events'
import { createJobRunner, type JobRunner } from './util/jobs'
import { createPeriodic } from './util/periodic'
import { alertsHandlers } from './alerts/handlers'
import { createAlertService, type AlertService } from './alerts/service'
import { createAlertStore } from './alerts/store'
import { createForwarder } from './alerts/forward'
import { createRetrainer } from './alerts/retrain'
import type { AlertFacts } from './alerts/signals'
import type { Route, Silence } from '../../shared/alerts'
import { createReleaseService, type ReleaseService } from './release/service'
import { releaseHandlers } from './release/handlers'
import { createHealthService, type HealthService } from './health/service'
import { healthHandlers } from './health/handlers'

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
  /** Every host's services (this machine's always). */
  fleet: Fleet
  /** What Gantry knows in the Prometheus text format (the headless server's /metrics). */
  metrics: MetricsExposition
  /** The alert rules, their instances and notifications (evaluated while started). */
  alerts: AlertService
  /** nginx fronts and shadow / canary releases (carried forward while a console runs). */
  releases: ReleaseService
  /** The one health roll-up (the Overview card, the navigation badges, `gantry health`). */
  health: HealthService
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
  /** How hosts other than this machine are reached (default SSH through ssh2); null: this machine only. */
  connector?: Connector | null
  /** The environment SSH settings come from (HOME, SSH_AUTH_SOCK, GANTRY_SSH_CONFIG…; default process.env). */
  sshEnv?: NodeJS.ProcessEnv
  /** How long a TCP connect plus SSH handshake may take (default 10 s). */
  sshReadyTimeoutMs?: number
  /** How often buffered samples are written (default 10 s; stop() writes the rest). */
  flushIntervalMs?: number
  /** The console's address, for links in forwarded alerts (the headless server sets it). */
  consoleUrl?: () => string | null
}

/** GANTRY_SSH_TIMEOUT_MS: how long a connect plus handshake may take (slow links; default 10 s). */
function sshTimeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const v = Number(env.GANTRY_SSH_TIMEOUT_MS)
  return Number.isInteger(v) && v >= 1000 && v <= 300_000 ? v : undefined
}

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
  const events = createEventBus<GantryEvents>((err) => log(`gantry: event listener failed: ${String(err)}`))
  let stopped = false
  const emit = <E extends EventName>(name: E, payload: EventPayload<E>): void => {
    if (!stopped) events.emit(name, payload as GantryEvents[E])
  }
  const onStatus = (s: ServiceStatus): void => emit('service.status', s)

  // --- storage, files, jobs --------------------------------------------------------------------
  const store = createTimeSeriesStore(db, now)
  const roots = createRootsStore(db)
  const files = createLocalFiles(createPathPolicy(() => configuredRoots(config.dataDir, roots.get()), config.dataDir))
  const jobs = createJobRunner({ concurrency: JOB_CONCURRENCY, queueLimit: JOB_QUEUE_LIMIT })
  const secrets: SecretStore = options.secrets ?? createSecretStore(config.dataDir)

  // --- the registry ----------------------------------------------------------------------------
  const registry: Registry = createRegistry({
    db,
    files,
    dataDir: config.dataDir,
    actor: config.actor,
    now,
    staleCandidateDays: config.staleCandidateDays,
    reviewDays: config.reviewDays,
    onProgress: (p) => emit('registry.progress', p),
    onChanged: (name) => emit('registry.changed', { name }),
  })

  // --- hosts: this machine, and SSH hosts through the connector ----------------------------------
  const hostRows = createHostsStore(db, now)
  const localAccess = createLocalAccess(files)
  const connector =
    options.connector === undefined
      ? createSshConnector({
          hosts: hostRows,
          secrets,
          dataDir: config.dataDir,
          remotePolicy: () => createPathPolicy(() => remoteRoots(options.sshEnv), null),
          now,
          log,
          env: options.sshEnv,
          readyTimeoutMs: options.sshReadyTimeoutMs ?? sshTimeoutFromEnv(options.sshEnv ?? process.env),
        })
      : options.connector
  // An SSH host: one long-lived reading loop on one channel (proc-stream.ts), not a command per probe.
  const remoteProbes = (access: HostAccess) => {
    const every = config.hostIntervalMs || config.storageIntervalMs || 1000
    const source = createStreamSource(access, {
      intervalMs: every,
      storageEvery:
        config.hostIntervalMs && config.storageIntervalMs ? Math.round(config.storageIntervalMs / every) : 1,
      timeoutMs: Math.max(config.pollTimeoutMs, every + 5000),
      now,
    })
    return { ...createProcProbes(source, { now }), stop: () => source.stop() }
  }
  // This machine: /proc and statfs read directly on Linux (no process per probe), systeminformation
  // elsewhere (a macOS or Windows workstation) and where a test gives its own sources.
  const linux = process.platform === 'linux'
  const procLocal = createProcProbes(localSource(), { now })
  const localProbes = {
    host: () => (options.hostDeps || !linux ? probeHost(options.hostDeps ?? systemHostDeps) : procLocal.host()),
    storage: () =>
      options.storageDeps || !linux ? probeStorage(options.storageDeps ?? systemStorageDeps) : procLocal.storage(),
  }
  const servicesOf = (row: { id: number; name: string }, access = localAccess, remote = false) =>
    createHostServices({
      id: row.id,
      name: row.name,
      access,
      config,
      now,
      store,
      probes: remote ? remoteProbes(access) : localProbes,
      emitHost: (s) => emit('host.sample', s),
      emitStorage: (s) => emit('storage.sample', s),
      emitGpu: (s) => emit('gpu.sample', s),
      onStatus,
      log,
      readGpuXml: remote ? undefined : options.readGpuXml,
      gpuDetailTimeoutMs: options.gpuDetailTimeoutMs,
    })
  // Prometheus sources: their exporters' hosts stand in the fleet beside the rows (read, not reached).
  const promStore = createPromStore(db, now)
  const prom: PromService = createPromService({
    store: promStore,
    secrets,
    intervalMs: config.promIntervalMs,
    now,
    polled: (source) => emit('prometheus.polled', { source, at: now() }),
    log,
  })
  const external: ExternalHosts = {
    list: () =>
      prom.hosts().map((h) => ({
        name: h.name,
        // A host its exporters name is that name's machine; one known by its scrape address only, that address's.
        aliases: h.hostname ? [h.hostname, h.hostname.split('.')[0]] : h.addresses,
        source: `prometheus:${h.source}`,
        address: h.instances.join(', '),
        health: h.health,
        findings: h.findings,
        hostname: h.hostname,
        gpus: h.gpus,
        cpuPct: h.cpuPct,
        memPct: h.memPct,
        storage: h.fullest,
        at: h.at,
        detail: () => prom.detail(h),
        history: (q) => prom.history(h, q),
      })),
    ready: async () => {
      prom.sync()
      // A source that cannot be used (its CA or secret unreadable) is listed with why, not polled.
      await Promise.allSettled(
        prom
          .sources()
          .filter((s) => s.lastPollAt === null && s.state === 'starting')
          .map((s) => prom.source(s.name).poll()),
      )
    },
  }
  const fleet: Fleet = createFleet({
    external,
    hosts: hostRows,
    now,
    local: (row) => servicesOf(row),
    remote: (row, handle) => servicesOf(row, handle.access, true),
    connector,
    changed: (name) => emit('hosts.changed', { name }),
    log,
  })

  /** A host other than this machine reaches its servers itself: requests go through its connection. */
  const tunnelOf = (host: string | undefined): Tunnel | undefined => {
    if (!host || host === LOCAL_HOST) return undefined
    const access = fleet.get(host).access
    return (h, p) => access.forward(h, p)
  }

  // --- serving, deployments, drift -----------------------------------------------------------
  // eslint-disable-next-line prefer-const -- the guard needs the deployer, the deployer's publish the guard
  let guard: Guard
  const endpoints = createEndpointService({
    db,
    intervalMs: config.servingIntervalMs,
    timeoutMs: config.pollTimeoutMs,
    now,
    secrets,
    expected: (model, alias) => registry.expectedFor(model, alias),
    audit: (action, after) => registry.record(action, null, after),
    hosts: { idOf: (name) => fleet.idOf(name), nameOf: (id) => fleet.nameOf(id) },
    tunnelOf: (host) => tunnelOf(host),
    publish: (endpoint, result, status) => {
      if (stopped) return
      store.write(result.at, servingPoints(endpoint, result), fleet.idOf(endpoint.host))
      emit('serving.sample', { endpoint, result, status })
      guard.onSample(status)
    },
  })
  const deployer: Deployer = createDeployer({
    db,
    registry,
    accessOf: (host) => fleet.get(host).access,
    actor: config.actor,
    now,
    probe: (id) => endpoints.probeNow(id),
    publish: (d) => {
      if (stopped) return
      emit('deploy.progress', d)
      guard.onDeployment(d)
      // A finished deploy moved the registry (stage, alias, audit rows): screens showing it refresh.
      if (d.finishedAt !== null) emit('registry.changed', { name: d.model })
    },
    log,
    afterStep: options.deployAfterStep ? (step) => options.deployAfterStep?.(step) : undefined,
  })
  guard = createGuard({
    db,
    actor: config.actor,
    now,
    rollback: (model, targetId, why) => deployer.rollback(model, targetId, why),
    endpointsOf: (model) => {
      const verify = deployer
        .listTargets(model)
        .flatMap((t) => (t.config.kind === 'model-folder' ? [t.config.endpointId] : []))
      return [...new Set([...endpoints.boundTo(model), ...verify])]
    },
    publish: (s) => emit('deploy.guard', s),
    log,
  })
  const drift = createDriftMonitor({
    db,
    registry,
    files,
    filesOf: (host) => fleet.get(host).access.files,
    now,
    publish: (w) => {
      if (stopped) return
      emit('drift.window', w)
      guard.onDriftWindow(w)
    },
    crossed: (c) => emit('drift.crossed', c),
    log,
  })

  // --- alerts: rules on all of the above, routed to owners, forwarded, retraining triggers -------
  const alertStore = createAlertStore(db, now)
  const facts: AlertFacts = {
    hosts: () => fleet.summaries(),
    gpu: (host) => {
      try {
        return fleet.get(host).gpu.snapshot()
      } catch {
        return null // removed since the list was read
      }
    },
    storage: (host) => {
      try {
        return fleet.get(host).storage.latest()
      } catch {
        return null
      }
    },
    xidLatches: () => promStore.latches().filter((x) => x.ackedAt === null),
    endpoints: () => endpoints.list(),
    models: () =>
      registry.listModels({}).map((m) => ({ name: m.name, production: m.production, ownerTeam: m.ownerTeam })),
    monitors: () =>
      drift.monitored().map((model) => {
        const st = drift.status(model)
        return { model, problems: st.problems, latest: st.latest }
      }),
    lastDeploys: () =>
      deployer.lastFinished().map((d) => ({
        id: d.id,
        model: d.model,
        target: d.targetName,
        kind: d.kind,
        state: d.state,
        version: d.toVersion,
        error: d.reason,
        at: d.finishedAt ?? d.startedAt,
      })),
    promql: async (source, expr) => {
      const names = source ? [source] : prom.sources().map((x) => x.name)
      if (!names.length) throw new Error('no Prometheus source is configured (gantry prometheus add URL)')
      const out: { source: string; labels: Record<string, string>; value: number }[] = []
      for (const name of names) {
        const a = await prom.source(name).client.query(expr)
        for (const v of a.data) out.push({ source: name, labels: v.metric, value: v.value })
      }
      return out
    },
  }
  const routeOf = (labels: Record<string, string>): Route => {
    const model = labels.model
    if (model) {
      const o = registry.ownersOf(model)
      if (o?.team) {
        return { receiver: o.team, oncall: o.oncall, contact: o.contact, why: `owner team of ${model}`, unowned: false }
      }
    }
    const host = labels.host
    if (host) {
      const owner = hostRows.get(host)?.owner ?? null
      if (owner) return { receiver: owner, oncall: null, contact: null, why: `owner of host ${host}`, unowned: false }
    }
    const what = model ? `model ${model}` : host ? `host ${host}` : 'this'
    return {
      receiver: 'default',
      oncall: null,
      contact: null,
      why: `nobody owns ${what}: default route`,
      unowned: true,
    }
  }
  const forwarder = createForwarder({
    url: alertStore.get('forward_url'),
    consoleUrl: options.consoleUrl ?? (() => null),
    evalIntervalMs: config.alertIntervalMs,
    saveSilences: (list: Silence[]) => alertStore.set('am_silences', JSON.stringify(list)),
    log,
  })
  const retrainer = createRetrainer({
    store: alertStore,
    accessOf: (host) => fleet.get(host).access,
    productionOf: (model) => registry.productionVersion(model),
    hostExists: (host) => {
      try {
        fleet.idOf(host)
        return true
      } catch {
        return false
      }
    },
    now,
    log,
    published: (run) => emit('retrain.run', run),
  })
  // Rules are evaluated by a console (the desktop app or `gantry serve`), never by a CLI command
  // that starts the core for a moment (a deploy's recovery): it would resolve what it cannot see.
  const evaluates = config.door !== 'cli' && config.alertIntervalMs > 0
  const alerts: AlertService = createAlertService({
    store: alertStore,
    facts,
    routeOf,
    forwarder,
    intervalMs: evaluates ? config.alertIntervalMs : 0,
    timers: config.alertTimers,
    now,
    notify: (n) => emit('alerts.notification', n),
    changed: (c) => emit('alerts.changed', c),
    fired: (i) => {
      if (i.labels.model) retrainer.onFiring(i.rule, i.labels.model, i.summary)
    },
    log,
  })

  // --- releases: an nginx front per model, shadow / canary / ramp through it -------------------
  const releases = createReleaseService({
    db,
    registry,
    accessOf: (host) => fleet.get(host).access,
    hostExists: (name) => hostRows.get(name) !== null,
    tunnelOf: (host) => tunnelOf(host),
    gpusOf: (host) => {
      try {
        const snap = fleet.get(host).gpu.snapshot()
        return snap.state === 'ok' ? snap.gpus : null
      } catch {
        return null
      }
    },
    kpis: (model) => Promise.all(promStore.kpis(model).map((k) => prom.kpi(k, 60_000, 2))),
    now,
    actor: config.actor,
    runs: config.door !== 'cli',
    tickMs: config.releaseTickMs,
    publish: (e) => {
      if (!stopped) emit('release.changed', e)
    },
    log,
  })

  // --- the health roll-up: everything above, as one list of reasons per host ---------------------
  const services = (host: string) => {
    try {
      return hostRows.get(host) ? fleet.get(host) : null // a Prometheus-only host has no services here
    } catch {
      return null // removed since the list was read
    }
  }
  const health: HealthService = createHealthService({
    facts: {
      hosts: () => fleet.summaries(),
      host: (h) => services(h)?.host.latest() ?? null,
      storage: (h) => services(h)?.storage.latest() ?? null,
      gpu: (h) => services(h)?.gpu.snapshot() ?? null,
      endpoints: () => endpoints.list(),
      models: () => registry.listModels({}),
      approvals: () => registry.pendingApprovals(),
      monitors: () =>
        drift.monitored().map((model) => {
          const st = drift.status(model)
          return { model, problems: st.problems, lastError: st.lastError }
        }),
      lastDeploys: () => deployer.lastFinished(),
      releases: () => releases.active().map((r) => ({ model: r.model, state: r.state, reason: r.reason })),
      alerts: () => {
        const l = alerts.list()
        return { alerts: l.alerts, counts: l.counts }
      },
    },
    now,
    everyMs: config.door === 'cli' ? 0 : 3000,
    publish: (r) => {
      if (!stopped) emit('health.changed', r)
    },
    log,
  })
  for (const name of [
    'host.sample',
    'storage.sample',
    'gpu.sample',
    'serving.sample',
    'registry.changed',
    'deploy.progress',
    'drift.window',
    'alerts.changed',
    'hosts.changed',
    'release.changed',
  ] as const)
    events.on(name, () => health.changed())

  // --- the api: each area's handler table ------------------------------------------------------
  const handlers: Handlers = {
    ...appHandlers({ config, opened, startedAt: now(), version: appVersion(), fleet, jobs, roots, registry }),
    ...telemetryHandlers({ fleet, store }),
    ...hostsHandlers({ fleet, hosts: hostRows, connector, secrets, registry, store, db, actor: config.actor }),
    ...servingHandlers({ endpoints, tunnelOf }),
    ...registryHandlers({ registry, files, jobs }),
    ...deployHandlers({ deployer, guard }),
    ...driftHandlers({ drift, files, jobs }),
    ...prometheusHandlers({ prom, store: promStore, secrets, files, registry, now, actor: config.actor }),
    ...alertsHandlers({
      alerts,
      store: alertStore,
      retrainer,
      registry,
      promStore,
      tryQuery: async (source, expr) => (await facts.promql(source, expr)).length,
      hostExists: (name) => hostRows.get(name) !== null || prom.host(name) !== null,
      now,
      actor: config.actor,
    }),
    ...releaseHandlers({ releases, actor: config.actor }),
    ...healthHandlers({ health, fleet }),
  }
  const inner = createApi(handlers, {
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
  })
  // Once stopping, the database is closing: doors still holding this core get a clear answer.
  const api: Api = {
    call: (method, input, caller) =>
      stopped
        ? Promise.resolve(fail('core/unavailable', 'Gantry is shutting down'))
        : inner.call(method, input, caller),
  }

  // --- the lifecycle: started in this order, stopped in reverse ----------------------------------
  const lifecycle = createLifecycle(log)
  const quietly = (what: string, f: () => unknown) => async (): Promise<void> => {
    try {
      await f()
    } catch (err) {
      log(`gantry: ${what} failed: ${String(err)}`)
    }
  }
  // The store comes first and goes last: everything buffered is written on a clean stop.
  lifecycle.add(
    createPeriodic({
      name: 'sample writer',
      everyMs: options.flushIntervalMs ?? 10_000,
      run: () => void store.flush(),
      log,
    }),
  )
  lifecycle.add({
    name: 'final sample write',
    start: () => {},
    stop: quietly('writing the last samples', () => store.flush()),
  })
  lifecycle.add({ name: 'file jobs', start: () => {}, stop: () => jobs.stop() })
  lifecycle.add(fleet)
  lifecycle.add(prom)
  lifecycle.add(endpoints)
  // Deployments a stopped Gantry left half-way are finished or reverted, then the guard picks up
  // the watches and suggestions it left open.
  let recovered: Promise<void> | null = null
  lifecycle.add({
    name: 'deploy recovery',
    start: () => {
      recovered ??= deployer
        .recover()
        .then(
          () => undefined,
          (err: unknown) => log(`gantry: recovering deployments failed: ${String(err)}`),
        )
        .then(() => guard.resume())
    },
    stop: () => recovered ?? undefined,
  })
  // TorchServe forgets set-default on restart: a console re-applies it.
  lifecycle.add(
    createPeriodic({
      name: 'target reconcile',
      everyMs: config.servingIntervalMs > 0 ? Math.max(config.servingIntervalMs, 5000) : 0,
      run: () => deployer.reconcile(),
      log,
    }),
  )
  // A watched deploy whose rule names KPIs: they are asked of Prometheus every 15 s.
  lifecycle.add(
    createPeriodic({
      name: 'KPI guard',
      everyMs: config.servingIntervalMs > 0 ? 15_000 : 0,
      run: async () => {
        for (const model of guard.kpiWatched()) {
          const kpis = await Promise.all(promStore.kpis(model).map((k) => prom.kpi(k, 10 * 60_000, 10)))
          guard.onKpis(
            model,
            kpis
              .filter((k) => k.breached)
              .map(
                (k) =>
                  `KPI ${k.name} ${k.value} ${k.unit} ${k.direction === 'higher-is-better' ? '<' : '>'} ${k.threshold}`,
              ),
            kpis.filter((k) => k.value === null).map((k) => k.name),
          )
        }
      },
      log,
    }),
  )
  lifecycle.add(
    createPeriodic({ name: 'drift monitors', everyMs: config.driftIntervalMs, run: () => drift.pollAll(), log }),
  )
  // Rules are evaluated by a running console (after the others have started: a first evaluation
  // sees their first samples). A retraining run a stopped Gantry left says it was interrupted.
  lifecycle.add({
    name: 'retraining runs',
    start: () => {
      if (evaluates) alertStore.interruptRuns()
    },
    stop: () => retrainer.idle(),
  })
  lifecycle.add(alerts)
  lifecycle.add(releases)
  lifecycle.add(health)
  lifecycle.add(
    createPeriodic({
      name: 'alert settings',
      everyMs: evaluates ? 5000 : 0,
      run: () => {
        // `gantry alerts forward URL` from another process: picked up here.
        const url = alertStore.get('forward_url')
        if (forwarder.status().url !== url) forwarder.setUrl(url)
        const st = JSON.stringify(forwarder.status())
        if (alertStore.get('forward_status') !== st) alertStore.set('forward_status', st)
        retrainer.tickSchedules(now())
      },
      log,
    }),
  )
  lifecycle.add(
    createExternalChanges(
      db,
      () => emit('registry.changed', { name: '*' }),
      () => {
        fleet.sync()
        prom.sync()
        // An endpoint added with `gantry endpoint add` while the console runs is polled at once.
        endpoints.sync()
      },
      log,
    ),
  )
  lifecycle.add(
    createPeriodic({
      name: 'sample pruning',
      everyMs: 10 * 60_000,
      atStart: true,
      run: () => void store.prune(now()),
      log,
    }),
  )

  const metrics = createMetricsExposition({
    hosts: () => fleet.summaries(),
    gpus: (host) => {
      try {
        return fleet.get(host).gpu.snapshot()
      } catch {
        return null // removed between the two reads
      }
    },
    endpoints: () => endpoints.list(),
    models: () => registry.listModels({}),
    deployOutcomes: () => deployer.outcomes(),
  })

  let stopping: Promise<void> | null = null
  let starting: Promise<void> | null = null
  return {
    metrics,
    alerts,
    releases,
    health,
    api,
    client: typedClient(api),
    events,
    config,
    db,
    store,
    files,
    jobs,
    fleet,
    start() {
      if (stopped) throw new GantryError('core/unavailable', 'this Gantry core was stopped')
      starting ??= lifecycle.start()
    },
    stop() {
      stopping ??= (async () => {
        // Calls and events end first; the services stop in reverse order, each bounded; then the
        // database closes (a service still stuck by then can only fail its writes).
        stopped = true
        await lifecycle.stop(config.stopTimeoutMs)
        try {
          db.close()
        } catch (err) {
          log(`gantry: closing the database failed: ${String(err)}`)
        }
      })()
      return stopping
    },
    recovered: async () => {
      await starting
      await recovered
    },
  }
}

/**
 * Another process (the CLI, a training pipeline) may change the same database: SQLite's
 * data_version moves when another connection commits. A registry write (every one appends an
 * audit row) tells the UI; a change of the hosts table restarts what changed.
 */
function createExternalChanges(
  db: Db,
  registryChanged: () => void,
  hostsChanged: () => void,
  log: (line: string) => void,
): Service {
  let dataVersion = db.pragma('data_version', { simple: true }) as number
  const auditHead = db.prepare('SELECT MAX(seq) AS seq FROM audit_log')
  let lastSeq = (auditHead.get() as { seq: number | null }).seq
  return createPeriodic({
    name: 'external changes',
    everyMs: 1000,
    log,
    run: () => {
      const v = db.pragma('data_version', { simple: true }) as number
      if (v === dataVersion) return
      dataVersion = v
      hostsChanged()
      const seq = (auditHead.get() as { seq: number | null }).seq
      if (seq !== lastSeq) {
        lastSeq = seq
        registryChanged()
      }
    },
  })
}

export { GantryError } from './errors'
export { resolveConfig, defaultDataDir } from './config'
