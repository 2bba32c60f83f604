// The one typed contract between the core and every door (Electron IPC, HTTP/WebSocket, CLI):
// each method with its zod input and output schema, each event with its payload schema.
// Times are UTC epoch milliseconds; sizes are bytes; percentages are 0–100.
import { z } from 'zod'
import { Health, HealthItem, HealthLevel } from './contract-base'
import { GpuDetail, GpuSnapshot } from './gpu'
import { EndpointAuthInput, EndpointStatus, ProbeResult, ServingEndpoint, ServingKind, SmokeSpec } from './serving'
import {
  AliasName,
  Approval,
  ArtifactCheck,
  AuditRow,
  AuditVerdict,
  DatasetRole,
  HashProgress,
  ImportReport,
  Model,
  ModelDetail,
  ModelName,
  ModelSummary,
  Policy,
  Stage,
  Version,
  VersionNumber,
} from './registry'
import { DeployTarget, Deployment, GuardStatus, RollbackPlan, RollbackRule, TargetConfig } from './deploy'
import {
  ColumnTypeSchema,
  DriftMethod,
  DriftMonitorConfig,
  DriftReport,
  DriftWindow,
  DriftCrossing,
  GroundTruth,
  MonitorStatus,
} from './drift'
import { HostName, HostProbe, HostSummary } from './hosts'
import {
  HeaderName,
  HeaderValue,
  Kpi,
  KpiInput,
  PromAuthInput,
  PromSourceInput,
  PromSourceName,
  PromSourceStatus,
  PromTestResult,
} from './prometheus'
import {
  Alert,
  AlertCounts,
  AlertList,
  AlertNotification,
  ForwardStatus,
  RetrainRun,
  RetrainTrigger,
  RetrainTriggerInput,
  RuleChange,
  RuleName,
  RuleStatus,
  Silence,
  SilenceInput,
  Transition,
} from './alerts'
import { Front, FrontInput, Release, ReleaseInput, ReleasePlan, ReleaseState, ReleaseStatus } from './release'
import { HealthRollup } from './health'
import type { EventName, MethodName } from './names'
import type { Result } from './result'

export { Health, HealthItem, HealthLevel }
export type { Gpu, GpuDetail, GpuProcess, GpuSnapshot, MigDevice } from './gpu'
export type { Approval, AuditRow, AuditVerdict, Model, ModelDetail, ModelSummary, Stage, Version } from './registry'
export type { EndpointStatus, ProbeResult, ServedModel, ServingEndpoint, ServingKind } from './serving'

/** Whether the poll that produced a sample fully succeeded; degraded samples carry the reason. */
export const SampleStatus = z.enum(['ok', 'degraded'])

export const CpuUsage = z.object({
  loadPct: z.number(),
  userPct: z.number(),
  systemPct: z.number(),
  iowaitPct: z.number().nullable(),
  cores: z.number().int(),
  perCorePct: z.array(z.number()),
})

export const MemoryUsage = z.object({
  total: z.number(),
  used: z.number(),
  available: z.number(),
  usedPct: z.number(),
  swapTotal: z.number(),
  swapUsed: z.number(),
})

export const LoadAverage = z.object({ one: z.number(), five: z.number(), fifteen: z.number() })

export const DiskIo = z.object({
  readBytesPerSec: z.number().nullable(),
  writeBytesPerSec: z.number().nullable(),
  readOpsPerSec: z.number().nullable(),
  writeOpsPerSec: z.number().nullable(),
})
export type DiskIo = z.infer<typeof DiskIo>

/** One poll of a host: each part is null when it could not be read, with the reason in `problems`. */
export const HostSnapshot = z.object({
  /** Gantry's name of the host ("local" for this machine); `hostname` is what the machine says. */
  host: z.string().default('local'),
  at: z.number(),
  status: SampleStatus,
  problems: z.array(z.string()),
  durationMs: z.number(),
  hostname: z.string(),
  platform: z.string(),
  kernel: z.string(),
  uptimeSec: z.number(),
  cpu: CpuUsage.nullable(),
  load: LoadAverage.nullable(),
  memory: MemoryUsage.nullable(),
  health: Health,
})
export type HostSnapshot = z.infer<typeof HostSnapshot>

/** Time-to-full forecast from the usage trend (least squares over the recent history). */
export const Forecast = z.object({
  state: z.enum(['filling', 'stable', 'shrinking', 'insufficient-history']),
  /** When the filesystem is projected to be full, if filling. */
  fullAt: z.number().nullable(),
  /** Trend in bytes per day (negative when shrinking); null without enough history. */
  bytesPerDay: z.number().nullable(),
  /** How much history the trend was fitted on. */
  basisMs: z.number(),
  points: z.number().int(),
  /** Coefficient of determination of the fit, 0–1; a low value means a noisy trend. */
  r2: z.number().nullable(),
})
export type Forecast = z.infer<typeof Forecast>

export const Filesystem = z.object({
  mount: z.string(),
  device: z.string(),
  type: z.string(),
  size: z.number(),
  used: z.number(),
  available: z.number(),
  usedPct: z.number(),
  readOnly: z.boolean().nullable(),
  forecast: Forecast,
  health: Health,
})
export type Filesystem = z.infer<typeof Filesystem>

export const StorageSnapshot = z.object({
  host: z.string().default('local'),
  at: z.number(),
  status: SampleStatus,
  problems: z.array(z.string()),
  durationMs: z.number(),
  filesystems: z.array(Filesystem),
  /** Disk IO rates across block devices since the previous storage poll (null on the first). */
  io: DiskIo.nullable(),
  health: Health,
})
export type StorageSnapshot = z.infer<typeof StorageSnapshot>

export const ServiceState = z.enum(['starting', 'ok', 'degraded', 'stopped'])
export const ServiceStatus = z.object({
  name: z.string(),
  state: ServiceState,
  reason: z.string().nullable(),
  at: z.number(),
  intervalMs: z.number(),
})
export type ServiceStatus = z.infer<typeof ServiceStatus>

export const AppInfo = z.object({
  version: z.string(),
  door: z.enum(['electron', 'server', 'cli']),
  dataDir: z.string(),
  dbPath: z.string(),
  schemaVersion: z.number().int(),
  sqliteVersion: z.string(),
  startedAt: z.number(),
  pid: z.number().int(),
  hostname: z.string(),
  /** Who this caller is to the core (what the audit names): approvals are not offered to their requester. */
  actor: z.string(),
  services: z.array(ServiceStatus),
  /** The long file jobs (hashes, scans, reports, imports) running now and waiting. */
  jobs: z.object({ running: z.array(z.string()), queued: z.number().int(), limit: z.number().int() }),
})
export type AppInfo = z.infer<typeof AppInfo>

/** The folders paths arriving through the API may lead into, and where that list comes from. */
export const FileRoots = z.object({
  roots: z.array(z.string()),
  /** GANTRY_ROOTS, `gantry roots` (stored), or the built-in defaults. */
  source: z.enum(['env', 'stored', 'default']),
  /** Never read whatever the roots say. */
  never: z.array(z.string()),
})
export type FileRoots = z.infer<typeof FileRoots>

/** A downsampled series: at most `maxPoints` buckets of [t, avg, min, max]. */
export const SeriesPoint = z.tuple([z.number(), z.number(), z.number(), z.number()])
export const Series = z.object({
  key: z.string(),
  unit: z.string().nullable(),
  from: z.number(),
  to: z.number(),
  /** Bucket width in ms actually used. */
  stepMs: z.number(),
  /** Which store answered: raw samples or a rollup of the given resolution. */
  source: z.enum(['raw', 'rollup-1m', 'rollup-1h', 'prometheus']),
  points: z.array(SeriesPoint),
})
export type Series = z.infer<typeof Series>

export const SeriesInfo = z.object({
  key: z.string(),
  unit: z.string().nullable(),
  lastAt: z.number().nullable(),
})

const Empty = z.object({}).strict().optional()
const ReleaseAction = z.object({ model: ModelName, reason: z.string().trim().min(1).max(1000).optional() }).strict()
const AlertId = z.string().regex(/^[0-9a-f]{16}$/, 'an alert id (16 hex digits, as `gantry alerts` shows)')
/** Which host a host-level call is about; omitted: this machine ("local"). */
const OnHost = z.object({ host: HostName.optional() }).strict().optional()

const HttpUrl = z
  .string()
  .max(2048)
  .refine((u) => /^https?:\/\/[^\s]+$/i.test(u), 'an http:// or https:// URL')

/** Longest history range a query may ask for: 400 days. */
export const MAX_RANGE_MS = 400 * 24 * 3600 * 1000

const LocalPath = z.string().min(1).max(4096)
const ShortText = z.string().max(2000)
const StringMap = z.record(z.string().max(250), z.string().max(5000))
const ModelFields = z.object({
  description: z.string().max(10_000).optional(),
  ownerTeam: z.string().max(200).nullable().optional(),
  ownerContact: z.string().max(500).nullable().optional(),
  oncall: z.string().max(500).nullable().optional(),
  tags: StringMap.optional(),
  /** Markdown. */
  card: z.string().max(200_000).optional(),
  policy: Policy.optional(),
})

const EndpointBindings = z
  .array(
    z
      .object({
        model: ModelName,
        servedName: z.string().min(1).max(300),
        alias: AliasName.or(z.literal('production')),
      })
      .strict(),
  )
  .max(100)

/** A method's schemas, and what the dispatcher must know of it beyond them. */
export interface MethodSpec {
  input: z.ZodType
  output: z.ZodType
  /** Input fields naming files the method reads on the core's machine ("a.b", "list.*.path"):
   *  every call is audited with them and its caller. */
  reads?: readonly string[]
  /** A successful call writes its own audit row naming those files (registry.register's
   *  version.register): then only a failed call gets a file.read row. */
  recordsReadsItself?: true
  /** Only the data directory's owner at the command line may call it (not the web or desktop UI). */
  ownerOnly?: true
}

/** Every method a door can call. */
export const methods = {
  /** Version, data directory, schema and service states of the running core. */
  'app.info': { input: Empty, output: AppInfo },
  /** The latest host sample; with `fresh`, a new probe run now (the CLI's one-shot). */
  'host.snapshot': {
    input: z.object({ host: HostName.optional(), fresh: z.boolean().optional() }).strict().optional(),
    output: HostSnapshot.nullable(),
  },
  /** Every mounted filesystem with usage, forecast and health; with `fresh`, probed now. */
  'storage.list': {
    input: z.object({ host: HostName.optional(), fresh: z.boolean().optional() }).strict().optional(),
    output: StorageSnapshot.nullable(),
  },
  /** A series from the time-series store, downsampled to at most `maxPoints` points. */
  'telemetry.query': {
    input: z
      .object({
        host: HostName.optional(),
        key: z.string().min(1).max(512),
        rangeMs: z.number().int().positive().max(MAX_RANGE_MS),
        /** End of the range; default now. */
        to: z.number().int().positive().optional(),
        maxPoints: z.number().int().min(2).max(5000).optional(),
      })
      .strict(),
    output: Series,
  },
  /** The live GPU picture from the streaming collector: GPUs, diagnosis, processes, XIDs. */
  'gpu.snapshot': { input: OnHost, output: GpuSnapshot },
  /** A full `nvidia-smi -q -x` reading (MIG devices, ECC and remap detail, thresholds), on demand. */
  'gpu.detail': { input: OnHost, output: GpuDetail },
  /** Probes a model server once (runtime detection, liveness, readiness, served models and versions). */
  'serving.probe': {
    input: z
      .object({
        url: HttpUrl,
        kind: ServingKind.optional(),
        /** Probe from this host (through its SSH connection): for a server only it can reach. */
        host: HostName.optional(),
        timeoutMs: z.number().int().min(100).max(60_000).optional(),
        /** Scrape /metrics twice this far apart for rates and windowed percentiles (0: once). */
        metricsWindowMs: z.number().int().min(0).max(60_000).optional(),
      })
      .strict(),
    output: ProbeResult,
  },
  /** Saved endpoints with their latest poll. */
  'serving.listEndpoints': { input: Empty, output: z.array(EndpointStatus) },
  /** Saves an endpoint and starts polling it; credentials go to the secrets service. */
  'serving.addEndpoint': {
    input: z
      .object({
        url: HttpUrl,
        name: z.string().min(1).max(200).optional(),
        /** Reached from this host (through its SSH connection); default this machine. */
        host: HostName.optional(),
        kind: ServingKind.optional(),
        auth: EndpointAuthInput.optional(),
        smoke: SmokeSpec.optional(),
        bindings: EndpointBindings.optional(),
      })
      .strict(),
    output: ServingEndpoint,
  },
  /** Changes an endpoint's credentials (null: none), smoke request (null: none) or registry bindings. */
  'serving.configureEndpoint': {
    input: z
      .object({
        id: z.number().int().positive(),
        auth: EndpointAuthInput.nullable().optional(),
        smoke: SmokeSpec.nullable().optional(),
        bindings: EndpointBindings.optional(),
      })
      .strict(),
    output: ServingEndpoint,
  },
  /** Stops polling an endpoint and forgets it. */
  'serving.removeEndpoint': { input: z.object({ id: z.number().int().positive() }).strict(), output: z.object({}) },
  /** Models with version counts per stage and their flags; search by name, description, owner, tags. */
  'registry.listModels': {
    input: z
      .object({ query: z.string().max(200).optional(), owner: z.string().max(200).optional(), stage: Stage.optional() })
      .strict()
      .optional(),
    output: z.array(ModelSummary),
  },
  /** One model: versions, aliases, approvals, its audit history, flags. */
  'registry.getModel': { input: z.object({ name: ModelName }).strict(), output: ModelDetail },
  /** One version and its parent (for the diff). */
  'registry.getVersion': {
    input: z.object({ name: ModelName, version: VersionNumber }).strict(),
    output: z.object({ version: Version, parent: Version.nullable() }),
  },
  'registry.createModel': { input: ModelFields.extend({ name: ModelName }).strict(), output: Model },
  /** Edits a model; `revision` is the one the edit was based on (a newer one refuses: no lost update). */
  'registry.updateModel': {
    input: z.object({ name: ModelName, revision: z.number().int(), patch: ModelFields.strict() }).strict(),
    output: Model,
  },
  /** The owner's periodic review (clears the review-overdue flag). */
  'registry.reviewModel': { input: z.object({ name: ModelName, note: ShortText.optional() }).strict(), output: Model },
  /** Hashes an artifact (file or folder, on the machine running the core) and registers it as a new version. */
  'registry.register': {
    input: z
      .object({
        model: ModelName,
        artifact: LocalPath,
        version: VersionNumber.optional(),
        format: z.string().max(100).optional(),
        datasets: z
          .array(z.object({ role: DatasetRole, path: LocalPath }))
          .max(50)
          .optional(),
        commit: z.string().max(200).optional(),
        params: StringMap.optional(),
        metrics: z.record(z.string().max(250), z.number()).optional(),
        parent: VersionNumber.optional(),
        description: z.string().max(10_000).optional(),
        expectSha256: z
          .string()
          .regex(/^[0-9a-fA-F]{64}$/)
          .optional(),
        copy: z.boolean().optional(),
        ownerTeam: z.string().max(200).optional(),
        /** Names the registry.progress events of this registration. */
        jobId: z.string().max(100).optional(),
      })
      .strict(),
    output: Version,
    reads: ['artifact', 'datasets.*.path'],
    recordsReadsItself: true,
  },
  /** Points an alias at a version (`production` promotes, with the model's approval policy). */
  'registry.setAlias': {
    input: z.object({ name: ModelName, alias: AliasName, version: VersionNumber }).strict(),
    output: z.object({}),
  },
  'registry.removeAlias': { input: z.object({ name: ModelName, alias: AliasName }).strict(), output: z.object({}) },
  /** Moves a version through its lifecycle (registered → staging → production → archived/retired). */
  'registry.transition': {
    input: z.object({ name: ModelName, version: VersionNumber, stage: Stage, comment: ShortText.optional() }).strict(),
    output: Version,
  },
  'registry.requestApproval': {
    input: z.object({ name: ModelName, version: VersionNumber, comment: ShortText.optional() }).strict(),
    output: Approval,
  },
  /** Approve or reject (someone other than the requester), or withdraw (the requester). */
  'registry.decideApproval': {
    input: z
      .object({
        id: z.number().int().positive(),
        decision: z.enum(['approve', 'reject', 'withdraw']),
        comment: ShortText.optional(),
      })
      .strict(),
    output: Approval,
  },
  'registry.commentApproval': {
    input: z.object({ id: z.number().int().positive(), text: ShortText.min(1) }).strict(),
    output: Approval,
  },
  /** Re-hashes a version's artifact against the registered sha256. */
  'registry.verifyArtifact': {
    input: z.object({ name: ModelName, version: VersionNumber }).strict(),
    output: ArtifactCheck,
  },
  /** Registers every `<repo>/<model>/<N>/` folder of a Triton-style model repository not yet known. */
  'registry.scanTriton': {
    input: z.object({ path: LocalPath, ownerTeam: z.string().max(200).optional() }).strict(),
    output: ImportReport,
    reads: ['path'],
  },
  /** Imports an MLflow registered-model export (mlflow-export-import model.json / version.json). */
  'registry.importMlflow': {
    input: z.object({ path: LocalPath, ownerTeam: z.string().max(200).optional() }).strict(),
    output: ImportReport,
    reads: ['path'],
  },
  /** Deployment targets (model folder, Triton, TorchServe, Ollama), of one model or all. */
  'deploy.listTargets': {
    input: z.object({ model: ModelName.optional() }).strict().optional(),
    output: z.array(DeployTarget),
  },
  'deploy.addTarget': {
    input: z.object({ model: ModelName, name: z.string().min(1).max(100), config: TargetConfig }).strict(),
    output: DeployTarget,
  },
  'deploy.removeTarget': { input: z.object({ id: z.number().int().positive() }).strict(), output: z.object({}) },
  /** Deploys a version to a target through the journaled state machine; resolves when it ends. */
  'deploy.run': {
    input: z.object({ model: ModelName, version: VersionNumber, targetId: z.number().int().positive() }).strict(),
    output: Deployment,
  },
  /** What "Roll back" would do: the version it puts back, with the evidence it was good. */
  'deploy.rollbackPlan': {
    input: z.object({ model: ModelName, targetId: z.number().int().positive().optional() }).strict(),
    output: RollbackPlan,
  },
  'deploy.rollback': {
    input: z.object({ model: ModelName, targetId: z.number().int().positive().optional() }).strict(),
    output: Deployment,
  },
  /** Deployment history, newest first. */
  'deploy.list': {
    input: z
      .object({
        model: ModelName.optional(),
        targetId: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict()
      .optional(),
    output: z.array(Deployment),
  },
  /** The model's automatic-rollback rule, the deploy it is watching, and any pending suggestion. */
  'deploy.guard': { input: z.object({ model: ModelName }).strict(), output: GuardStatus },
  /** Sets (or, with null, removes) the model's automatic-rollback rule. */
  'deploy.setRule': {
    input: z.object({ model: ModelName, rule: RollbackRule.nullable() }).strict(),
    output: GuardStatus,
  },
  /** Clears an "ask first" suggestion without rolling back. */
  'deploy.dismissSuggestion': { input: z.object({ model: ModelName }).strict(), output: GuardStatus },
  /** Re-applies what targets forget (TorchServe's default after a restart); a console does it periodically. */
  'deploy.reconcile': { input: Empty, output: z.array(z.string()) },
  /** A one-off drift report between two files on the core's machine (CSV, JSONL or Parquet), streamed. */
  'drift.report': {
    input: z
      .object({
        reference: LocalPath,
        current: LocalPath,
        idColumn: z.string().max(300).optional(),
        predictionColumns: z.array(z.string().max(300)).max(50).optional(),
        methods: z.record(z.string().max(300), DriftMethod).optional(),
        thresholds: z.record(z.string().max(300), z.number().min(0)).optional(),
        types: z.record(z.string().max(300), ColumnTypeSchema).optional(),
        driftShare: z.number().min(0).max(1).optional(),
        groundTruth: GroundTruth.optional(),
      })
      .strict(),
    output: DriftReport,
    reads: ['reference', 'current', 'groundTruth.path'],
  },
  /** Watches a model's inference-log folder (null stops): windows compared with the production reference. */
  'drift.setMonitor': {
    input: z.object({ model: ModelName, config: DriftMonitorConfig.nullable() }).strict(),
    output: MonitorStatus,
    reads: ['config.folder', 'config.performance.groundTruth'],
  },
  'drift.monitor': { input: z.object({ model: ModelName }).strict(), output: MonitorStatus },
  /** Reads what is new in the folder now; returns the windows that closed. */
  'drift.poll': { input: z.object({ model: ModelName }).strict(), output: z.array(DriftWindow) },
  /** Closed windows, newest first. */
  'drift.windows': {
    input: z.object({ model: ModelName, limit: z.number().int().min(1).max(1000).optional() }).strict(),
    output: z.array(DriftWindow),
  },
  /** The audit history, newest first. */
  'audit.list': {
    input: z
      .object({
        model: ModelName.optional(),
        limit: z.number().int().min(1).max(5000).optional(),
        before: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    output: z.array(AuditRow),
  },
  /** Walks the hash chain; names the first row that does not verify. */
  'audit.verify': { input: Empty, output: AuditVerdict },
  /** The folders API paths may lead into (read-only here: the UI shows them). */
  'files.roots': { input: Empty, output: FileRoots },
  /** Sets the allowed folders (absolute paths). Only `gantry roots` at the command line, as the
   *  data directory's owner: a browser or desktop session cannot widen what it may read. */
  'files.setRoots': {
    input: z
      .object({
        roots: z
          .array(
            z
              .string()
              .min(1)
              .max(4096)
              .refine((p) => p.startsWith('/'), 'an absolute path'),
          )
          .max(100),
      })
      .strict(),
    output: FileRoots,
    ownerOnly: true,
  },
  /** Every series the store holds, optionally filtered by key prefix. */
  'telemetry.listSeries': {
    input: z
      .object({ host: HostName.optional(), prefix: z.string().max(512).optional() })
      .strict()
      .optional(),
    output: z.array(SeriesInfo),
  },
  /** The one health roll-up (the Overview card and every navigation badge) as seen from a host. */
  'health.get': {
    input: z.object({ host: HostName.optional() }).strict().optional(),
    output: HealthRollup,
  },
  /** Every host with its connection, health, GPUs and storage, worst first. */
  'hosts.list': { input: Empty, output: z.array(HostSummary) },
  /** Connects to an SSH target once, without saving it: its key to confirm, its OS and tools. */
  'hosts.test': {
    input: z
      .object({
        target: z.string().min(1).max(500),
        identityFile: z.string().min(1).max(4096).optional(),
        /** The key file's passphrase (kept by the secrets service if the host is added). */
        passphrase: z.string().max(1000).optional(),
      })
      .strict(),
    output: HostProbe,
  },
  /** Adds an SSH host. Its key must be in known_hosts, or its fingerprint given (trust on first use, pinned). */
  'hosts.add': {
    input: z
      .object({
        target: z.string().min(1).max(500),
        name: HostName.optional(),
        identityFile: z.string().min(1).max(4096).optional(),
        passphrase: z.string().max(1000).optional(),
        owner: z.string().max(200).optional(),
        /** The SHA256 fingerprint `hosts.test` showed, confirmed by the operator. */
        acceptFingerprint: z.string().max(200).optional(),
      })
      .strict(),
    output: HostSummary,
  },
  /** Changes a host's owner, key file, or turns it off and on. */
  'hosts.update': {
    input: z
      .object({
        name: HostName,
        owner: z.string().max(200).nullable().optional(),
        enabled: z.boolean().optional(),
        identityFile: z.string().min(1).max(4096).nullable().optional(),
        passphrase: z.string().max(1000).nullable().optional(),
      })
      .strict(),
    output: HostSummary,
  },
  /** Accepts a host's changed key (audited): only the fingerprint it now shows is accepted. */
  'hosts.acceptKey': {
    input: z.object({ name: HostName, fingerprint: z.string().min(1).max(200) }).strict(),
    output: HostSummary,
  },
  'hosts.remove': { input: z.object({ name: HostName }).strict(), output: z.object({}) },
  /** Every Prometheus source with its last poll: state, exporters found, what is missing. */
  'prometheus.list': { input: Empty, output: z.array(PromSourceStatus) },
  /** Saves a source (tested first unless `force`); its credential goes to the secrets service. */
  'prometheus.add': { input: PromSourceInput, output: PromSourceStatus },
  /** Asks a saved source (by name) or a URL not saved: version, exporters, what is missing. */
  'prometheus.test': {
    input: z
      .object({
        name: PromSourceName.optional(),
        url: z.string().min(1).max(2048).optional(),
        headers: z.record(HeaderName, HeaderValue).optional(),
        auth: PromAuthInput.optional(),
        caFile: z.string().min(1).max(4096).optional(),
        timeoutMs: z.number().int().min(200).max(120_000).optional(),
      })
      .strict(),
    output: PromTestResult,
  },
  'prometheus.remove': { input: z.object({ name: PromSourceName }).strict(), output: z.object({}) },
  /** Acknowledges the latched XIDs of a GPU (dcgm-exporter keeps only the last one; Gantry keeps each). */
  'prometheus.ackXid': {
    input: z
      .object({
        host: HostName,
        uuid: z.string().min(1).max(200),
        code: z.number().int().positive().optional(),
        note: z.string().max(2000).optional(),
      })
      .strict(),
    output: z.object({ acknowledged: z.number().int() }),
  },
  /** A model's business KPIs, each with its value now and its history (query_range). */
  'kpi.list': {
    input: z
      .object({
        model: z.string().min(1).max(200),
        rangeMs: z.number().int().positive().max(MAX_RANGE_MS).optional(),
        maxPoints: z.number().int().min(2).max(2000).optional(),
      })
      .strict(),
    output: z.array(Kpi),
  },
  'kpi.set': { input: KpiInput, output: Kpi },
  'kpi.remove': {
    input: z.object({ model: z.string().min(1).max(200), name: z.string().min(1).max(80) }).strict(),
    output: z.object({}),
  },
  /** Alerts now: firing, pending, acknowledged, silenced, no-data and errors (resolved ones for 15 min). */
  'alerts.list': { input: z.object({ all: z.boolean().optional() }).strict().optional(), output: AlertList },
  /** One alert with its transitions. */
  'alerts.get': {
    input: z.object({ id: AlertId }).strict(),
    output: z.object({ alert: Alert, transitions: z.array(Transition) }),
  },
  /** Every transition, newest first (the history view). */
  'alerts.history': {
    input: z
      .object({ limit: z.number().int().min(1).max(5000).optional(), since: z.number().int().optional() })
      .strict()
      .optional(),
    output: z.array(Transition),
  },
  /** Acknowledges a firing alert for its current episode: it stops notifying, stays listed. */
  'alerts.ack': {
    input: z.object({ id: AlertId, note: z.string().trim().min(1, 'say what is being done').max(1000) }).strict(),
    output: Alert,
  },
  'alerts.rules': { input: Empty, output: z.object({ rules: z.array(RuleStatus), problems: z.array(z.string()) }) },
  /** Changes a rule (for, severity, threshold, on/off…) or adds one (with its kind). */
  'alerts.setRule': { input: RuleChange, output: RuleStatus.extend({ note: z.string().nullable() }) },
  'alerts.removeRule': { input: z.object({ name: RuleName }).strict(), output: z.object({}) },
  'alerts.silences': { input: Empty, output: z.array(Silence) },
  'alerts.silence': { input: SilenceInput, output: Silence },
  'alerts.expireSilence': { input: z.object({ id: z.string().min(1).max(100) }).strict(), output: Silence },
  /** Forwards to an Alertmanager (its base URL), or stops (null). */
  'alerts.forward': {
    input: z.object({ url: z.string().min(1).max(2000).nullable() }).strict(),
    output: ForwardStatus,
  },
  'alerts.forwardStatus': { input: Empty, output: ForwardStatus },
  'alerts.notifications': {
    input: z
      .object({ limit: z.number().int().min(1).max(500).optional() })
      .strict()
      .optional(),
    output: z.array(AlertNotification),
  },
  'retrain.trigger': { input: z.object({ model: ModelName }).strict(), output: RetrainTrigger.nullable() },
  'retrain.setTrigger': { input: RetrainTriggerInput, output: RetrainTrigger },
  'retrain.removeTrigger': { input: z.object({ model: ModelName }).strict(), output: z.object({}) },
  /** Runs a model's trigger now and waits for it (its timeout bounds the wait). */
  'retrain.run': {
    input: z.object({ model: ModelName, reason: z.string().trim().min(1).max(1000).optional() }).strict(),
    output: RetrainRun,
  },
  'retrain.runs': {
    input: z.object({ model: ModelName, limit: z.number().int().min(1).max(500).optional() }).strict(),
    output: z.array(RetrainRun),
  },
  /** An nginx front for a model: Gantry's include file written, checked by nginx -t, reloaded. */
  'front.add': { input: FrontInput, output: z.object({ front: Front, warnings: z.array(z.string()) }) },
  'front.list': { input: Empty, output: z.array(Front) },
  'front.remove': { input: z.object({ model: ModelName }).strict(), output: z.object({}) },
  /** What a release would do (the dialog): steps, GPU headroom, the file it writes. Starts nothing. */
  'release.plan': { input: ReleaseInput, output: ReleasePlan },
  'release.start': { input: ReleaseInput, output: z.object({ release: Release, warnings: z.array(z.string()) }) },
  'release.status': { input: z.object({ model: ModelName }).strict(), output: ReleaseStatus },
  /** Releases in flight (warming, running, paused). */
  'release.list': { input: Empty, output: z.array(Release) },
  'release.pause': { input: ReleaseAction, output: Release },
  'release.resume': { input: z.object({ model: ModelName }).strict(), output: Release },
  'release.abort': { input: ReleaseAction, output: Release },
  'release.promote': { input: z.object({ model: ModelName }).strict(), output: Release },
} as const satisfies Record<MethodName, MethodSpec>

/** Every event the core pushes to subscribers. */
export const events = {
  /** The health roll-up of a host changed (pushed only when its reasons did). */
  'health.changed': HealthRollup,
  /** A host poll finished (ok or degraded). */
  'host.sample': HostSnapshot,
  /** A storage poll finished (ok or degraded). */
  'storage.sample': StorageSnapshot,
  /** A GPU stream sample, or a change of the stream's state (no driver, not responding…). */
  'gpu.sample': GpuSnapshot,
  /** An endpoint poll finished. */
  'serving.sample': z.object({ endpoint: ServingEndpoint, result: ProbeResult, status: EndpointStatus }),
  /** A service changed state (started, degraded with a reason, recovered, stopped). */
  'service.status': ServiceStatus,
  /** Hashing progress of a registration (throttled to ~10 a second). */
  'registry.progress': HashProgress,
  /** A deployment moved a step (or ended). */
  'deploy.progress': Deployment,
  /** A drift window closed (its report and verdict). */
  'drift.window': DriftWindow,
  /** A window's verdict differs from the one before it: drift began, or ended. */
  'drift.crossed': DriftCrossing,
  /** The automatic-rollback guard of a model changed (watching, breaching, fired, suggesting). */
  'deploy.guard': GuardStatus,
  /** A model changed (any registry write); name '*' when another process wrote to the database. */
  'registry.changed': z.object({ name: z.string() }),
  /** A host's connection, health or settings changed (or '*': the list itself changed). */
  'hosts.changed': z.object({ name: z.string() }),
  /** A Prometheus source was polled: screens showing one of its hosts reload it. */
  'prometheus.polled': z.object({ source: z.string(), at: z.number() }),
  /** An evaluation changed an alert's state: the counts the navigation badge shows. */
  'alerts.changed': AlertCounts,
  /** A notification of a group of alerts (desktop and browser notifications show it). */
  'alerts.notification': AlertNotification,
  /** A retraining run ended. */
  'retrain.run': RetrainRun,
  /** A release or a front changed (a step, a gate, a pause, an abort, a promotion). */
  'release.changed': z.object({ model: z.string(), id: z.number().nullable(), state: ReleaseState.nullable() }),
} as const satisfies Record<EventName, z.ZodType>

export type Methods = typeof methods
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>
/** What a handler receives: the parsed input, `{}` where the input was optional and omitted. */
export type HandlerInput<M extends MethodName> = NonNullable<z.output<Methods[M]['input']>>
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>

/** The contract as a typed client: what the renderer bridge and the CLI call. */
export type GantryClient = {
  [M in MethodName]: (input?: MethodInput<M>) => Promise<Result<MethodOutput<M>>>
}

export type { EventName, MethodName }
export { METHOD_NAMES, EVENT_NAMES } from './names'
