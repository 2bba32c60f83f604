// Alerts: rules on what Gantry knows (condition + for + keep_firing_for + severity + labels), each
// rule's instances with Prometheus's life (pending → firing → resolved) plus no-data and
// evaluation-error as states of their own, acknowledgements, Alertmanager-style silences, routing
// to owners, forwarding to an existing Alertmanager, and a model's retraining trigger.
import { z } from 'zod'
import { HostName } from './hosts'

export const Severity = z.enum(['critical', 'warning', 'info'])
export type Severity = z.infer<typeof Severity>

/** What a rule watches. Each kind reads one thing Gantry already computes; `promql` asks a source. */
export const RuleKind = z.enum([
  'gpu-health',
  'gpu-xid',
  'gpu-temp-margin',
  'fs-used',
  'fs-full-soon',
  'endpoint-down',
  'endpoint-error-rate',
  'endpoint-p95',
  'intent-mismatch',
  'drift-begun',
  'monitor-error',
  'realized-below-floor',
  'deploy-failed',
  'unowned-production',
  'host-unreachable',
  'promql',
  'heartbeat',
])
export type RuleKind = z.infer<typeof RuleKind>

/** What each kind's threshold means (null: the kind takes none). */
export const KIND_THRESHOLD: Record<RuleKind, { unit: string; means: string } | null> = {
  'gpu-health': null,
  'gpu-xid': null,
  'gpu-temp-margin': { unit: '°C', means: 'fires when the GPU is within this many °C of its own slowdown temperature' },
  'fs-used': { unit: '%', means: 'fires at this share of the filesystem used' },
  'fs-full-soon': { unit: 'days', means: 'fires when the trend fills the filesystem within this many days' },
  'endpoint-down': null,
  'endpoint-error-rate': { unit: '%', means: 'fires at this share of failed requests' },
  'endpoint-p95': { unit: 'ms', means: 'fires at this p95 latency (the average where there is no histogram)' },
  'intent-mismatch': null,
  'drift-begun': null,
  'monitor-error': null,
  'realized-below-floor': { unit: '', means: 'fires when the realized metric is below this floor' },
  'deploy-failed': null,
  'unowned-production': null,
  'host-unreachable': null,
  promql: { unit: '', means: 'compared with each series of the query by the rule’s operator' },
  heartbeat: null,
}

export const RuleName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"')

const LabelName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name ([a-zA-Z_][a-zA-Z0-9_]*)')
const LabelValue = z
  .string()
  .max(1000)
  .refine((v) => !/[\r\n\0]/.test(v), 'no line breaks')
export const Labels = z.record(LabelName, LabelValue)
export type Labels = z.infer<typeof Labels>

export const CompareOp = z.enum(['>', '>=', '<', '<=', '==', '!='])
export type CompareOp = z.infer<typeof CompareOp>

/** What a successful query that returned nothing counts as (Grafana's mapping; default its own state). */
export const NoDataMode = z.enum(['nodata', 'ok', 'alerting'])

const Duration = z
  .number()
  .int()
  .min(0)
  .max(7 * 24 * 3600_000)

export const AlertRule = z.object({
  name: RuleName,
  kind: RuleKind,
  enabled: z.boolean(),
  severity: Severity,
  /** How long the condition must hold at every evaluation before the alert fires. */
  forMs: Duration,
  /** How long it keeps firing after the condition was last true (against flapping and gaps). */
  keepFiringForMs: Duration,
  threshold: z.number().nullable(),
  /** Only this host's / model's things (absent: fleet-wide). */
  host: HostName.nullable(),
  model: z.string().max(200).nullable(),
  /** realized-below-floor: the metric (accuracy, f1, precision, recall, rocAuc; mae, rmse are lower-is-better). */
  metric: z.string().max(40).nullable(),
  /** promql: the source and query, each series compared with `op threshold`. */
  source: z.string().max(100).nullable(),
  expr: z.string().max(4000).nullable(),
  op: CompareOp.nullable(),
  labels: Labels,
  /** The notification's text: {{host}}, {{gpu}}, {{model}}, {{endpoint}}, {{value}}, {{threshold}}, any label. */
  summary: z.string().max(500),
  runbookUrl: z.string().max(2000).nullable(),
  noData: NoDataMode,
  /** Shipped with Gantry (can be changed or turned off, not removed). */
  builtIn: z.boolean(),
  updatedAt: z.number().nullable(),
  updatedBy: z.string().nullable(),
})
export type AlertRule = z.infer<typeof AlertRule>

/** A rule with its last evaluation. */
export const RuleStatus = AlertRule.extend({
  lastEvalAt: z.number().nullable(),
  lastEvalMs: z.number().nullable(),
  /** Why the last evaluation failed (the rule does not parse, the source is down), else null. */
  error: z.string().nullable(),
  /** Instances now pending or firing. */
  active: z.number().int(),
})
export type RuleStatus = z.infer<typeof RuleStatus>

export const AlertState = z.enum(['pending', 'firing', 'resolved', 'nodata', 'error'])
export type AlertState = z.infer<typeof AlertState>

/** Who an alert goes to: the model's owner team and on-call, the host's owner, or the default route. */
export const Route = z.object({
  receiver: z.string(),
  oncall: z.string().nullable(),
  contact: z.string().nullable(),
  /** Why this receiver ("owner team of fraud", "no owner: default route"). */
  why: z.string(),
  /** The default route: nobody owns the thing. */
  unowned: z.boolean(),
})
export type Route = z.infer<typeof Route>

export const Ack = z.object({ by: z.string(), at: z.number(), note: z.string() })

/** What an alert is about, and where in the console to act on it. */
export const Subject = z.object({
  host: z.string().nullable(),
  gpu: z.string().nullable(),
  endpoint: z.number().int().nullable(),
  model: z.string().nullable(),
  filesystem: z.string().nullable(),
  /** A console route: #/gpus/UUID?host=…, #/models/NAME … */
  link: z.string(),
})
export type Subject = z.infer<typeof Subject>

export const Alert = z.object({
  /** A stable id: the rule and the instance's labels (a fingerprint). */
  id: z.string(),
  rule: z.string(),
  kind: RuleKind,
  severity: Severity,
  state: AlertState,
  labels: Labels,
  summary: z.string(),
  value: z.number().nullable(),
  subject: Subject,
  /** When the condition was first seen (pending), when it fired, when it resolved. */
  activeAt: z.number(),
  firedAt: z.number().nullable(),
  resolvedAt: z.number().nullable(),
  /** Inside keep_firing_for: the condition is no longer true but the alert still fires. */
  recoveringSince: z.number().nullable(),
  lastEvalAt: z.number(),
  /** Why it is in this state (no data, the poll that failed, a series that vanished). */
  reason: z.string().nullable(),
  ack: Ack.nullable(),
  /** Silences (Gantry's, and an Alertmanager's as am:ID) that mute it now. */
  silencedBy: z.array(z.string()),
  /** Alerts that mute it now (a host unreachable mutes that host's other alerts). */
  inhibitedBy: z.array(z.string()),
  route: Route,
  runbookUrl: z.string().nullable(),
  lastNotifiedAt: z.number().nullable(),
})
export type Alert = z.infer<typeof Alert>

export const AlertCounts = z.object({
  firing: z.number().int(),
  /** Firing and neither acknowledged, silenced nor inhibited: what needs someone. */
  open: z.number().int(),
  acknowledged: z.number().int(),
  silenced: z.number().int(),
  pending: z.number().int(),
  /** Rules that could not be evaluated and no-data instances. */
  problems: z.number().int(),
  /** The worst severity among open alerts, or null. */
  worst: Severity.nullable(),
})
export type AlertCounts = z.infer<typeof AlertCounts>

export const AlertList = z.object({
  alerts: z.array(Alert),
  counts: AlertCounts,
  /** When a running console last evaluated the rules (null: none has; the CLI shows what was stored). */
  evaluatedAt: z.number().nullable(),
})
export type AlertList = z.infer<typeof AlertList>

export const Transition = z.object({
  id: z.number().int(),
  alert: z.string(),
  rule: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  at: z.number(),
  summary: z.string(),
  labels: Labels,
})
export type Transition = z.infer<typeof Transition>

/** Alertmanager's matcher: `=`, `!=`, `=~`, `!~`. */
export const Matcher = z
  .object({
    name: LabelName,
    value: z.string().max(1000),
    isRegex: z.boolean(),
    isEqual: z.boolean().default(true),
  })
  .strict()
export type Matcher = z.infer<typeof Matcher>

export const Silence = z.object({
  id: z.string(),
  matchers: z.array(Matcher),
  startsAt: z.number(),
  endsAt: z.number(),
  createdBy: z.string(),
  comment: z.string(),
  state: z.enum(['pending', 'active', 'expired']),
  /** Gantry's own, or read back from the Alertmanager alerts are forwarded to. */
  origin: z.enum(['gantry', 'alertmanager']),
})
export type Silence = z.infer<typeof Silence>

export const SilenceInput = z
  .object({
    matchers: z.array(Matcher).min(1).max(20),
    /** Default now. */
    startsAt: z.number().int().optional(),
    endsAt: z.number().int(),
    comment: z.string().trim().min(1, 'a silence needs a comment: why').max(1000),
  })
  .strict()

export const ForwardStatus = z.object({
  url: z.string().nullable(),
  state: z.enum(['off', 'ok', 'failing', 'starting']),
  lastSentAt: z.number().nullable(),
  lastError: z.string().nullable(),
  /** When the next try is (after a failure, with backoff). */
  nextTryAt: z.number().nullable(),
  sent: z.number().int(),
  silences: z.number().int(),
})
export type ForwardStatus = z.infer<typeof ForwardStatus>

export const RuleChange = z
  .object({
    name: RuleName,
    /** For a new rule only (promql, or another kind scoped to a host or model). */
    kind: RuleKind.optional(),
    enabled: z.boolean().optional(),
    severity: Severity.optional(),
    forMs: Duration.optional(),
    keepFiringForMs: Duration.optional(),
    threshold: z.number().finite().nullable().optional(),
    host: HostName.nullable().optional(),
    model: z.string().max(200).nullable().optional(),
    metric: z.string().max(40).nullable().optional(),
    source: z.string().max(100).nullable().optional(),
    expr: z.string().min(1).max(4000).nullable().optional(),
    op: CompareOp.nullable().optional(),
    labels: Labels.optional(),
    summary: z.string().min(1).max(500).optional(),
    runbookUrl: z
      .string()
      .max(2000)
      .regex(/^https?:\/\/[^\s]+$/, 'an http(s) link')
      .nullable()
      .optional(),
    noData: NoDataMode.optional(),
  })
  .strict()
export type RuleChange = z.infer<typeof RuleChange>

/** A model's retraining trigger: a command on a host (argv, no shell) or a webhook (POST JSON). */
export const RetrainTriggerInput = z
  .object({
    model: z.string().min(1).max(200),
    kind: z.enum(['command', 'webhook']),
    host: HostName.optional(),
    /** {model} {version} {reason} {window} {json} are replaced; without any, the JSON is the last argument. */
    command: z
      .array(
        z
          .string()
          .max(4096)
          .refine((a) => !a.includes('\0'), 'no NUL bytes'),
      )
      .min(1)
      .max(64)
      .optional(),
    url: z.string().max(2000).optional(),
    timeoutMs: z
      .number()
      .int()
      .min(1000)
      .max(24 * 3600_000)
      .default(10 * 60_000),
    /** Cron syntax (5 or 6 fields), in this machine's time zone. */
    schedule: z.string().max(100).nullable().optional(),
    /** Run when this rule starts firing for the model. */
    onRule: RuleName.nullable().optional(),
  })
  .strict()
export type RetrainTriggerInput = z.input<typeof RetrainTriggerInput>

export const RetrainTrigger = z.object({
  model: z.string(),
  kind: z.enum(['command', 'webhook']),
  host: z.string(),
  command: z.array(z.string()).nullable(),
  url: z.string().nullable(),
  timeoutMs: z.number().int(),
  schedule: z.string().nullable(),
  nextRunAt: z.number().nullable(),
  onRule: z.string().nullable(),
  updatedAt: z.number(),
  updatedBy: z.string(),
})
export type RetrainTrigger = z.infer<typeof RetrainTrigger>

export const RetrainRun = z.object({
  id: z.number().int(),
  model: z.string(),
  version: z.number().int().nullable(),
  reason: z.string(),
  /** by hand (who), schedule, or rule NAME. */
  cause: z.string(),
  /** What ran, verbatim: the argv on which host, or the URL. */
  what: z.string(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  state: z.enum(['running', 'ok', 'failed', 'timeout', 'interrupted']),
  exitCode: z.number().int().nullable(),
  /** The last 4 KiB of the output (stdout, then stderr; a webhook's answer). */
  outputTail: z.string(),
  error: z.string().nullable(),
})
export type RetrainRun = z.infer<typeof RetrainRun>

/** Pushed for each notification of a group of alerts (desktop and browser notifications show it). */
export const AlertNotification = z.object({
  id: z.number().int(),
  at: z.number(),
  receiver: z.string(),
  title: z.string(),
  body: z.string(),
  severity: Severity,
  /** Where clicking it leads: the one alert, or the alert center filtered to the group. */
  link: z.string(),
  alerts: z.array(z.string()),
  resolved: z.boolean(),
})
export type AlertNotification = z.infer<typeof AlertNotification>
