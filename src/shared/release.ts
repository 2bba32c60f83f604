// Releases through the site's own proxy: an nginx front per model (Gantry owns one include file in
// the operator's nginx), and shadow / canary / ramp releases driven through it — steps, gates that
// compare challenger with champion in the same window, evidence per arm, pause / resume / abort /
// promote. What every door shows and sends.
import { z } from 'zod'
import { HostName } from './hosts'
import { ModelName } from './registry'

const Url = z
  .string()
  .max(2048)
  .refine(
    (u) => {
      if (!/^http:\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}\/?$/.test(u)) return false
      try {
        const p = Number(new URL(u).port)
        return p >= 1 && p <= 65535
      } catch {
        return false
      }
    },
    { message: 'http://HOST:PORT with a port 1–65535 (nginx proxies to it; no path, no https)' },
  )

const Argv = z
  .array(
    z
      .string()
      .max(4096)
      .refine((a) => !a.includes('\0'), 'no NUL bytes'),
  )
  .min(1)
  .max(64)
  .refine((argv) => argv[0].trim() !== '', 'the program to run')

/** host:port or [v6]:port or port: what nginx listens on. */
export const ListenAddr = z
  .string()
  .max(300)
  .refine((a) => /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|localhost):)?\d{1,5}$/.test(a), {
    message: 'ADDRESS:PORT, e.g. 127.0.0.1:8080 (or a port)',
  })

/** A request header name (the sticky key). */
const HeaderName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9-]+$/, 'a header name: letters, digits and -')

export const FrontInput = z
  .object({
    model: ModelName,
    host: HostName.optional(),
    /** The folder nginx includes (`include DIR/*.conf;` inside `http {}`); under the host's allowed roots. */
    nginxDir: z.string().min(1).max(4096),
    listen: ListenAddr,
    champion: Url,
    /** Requests with the same value of this header stay on one arm; absent: each request is drawn anew. */
    key: HeaderName.optional(),
    /** Default `nginx -s reload`. */
    reloadCommand: Argv.optional(),
    /** Default `nginx -t` (or the reload command with `-s reload` turned into `-t`). */
    testCommand: Argv.optional(),
  })
  .strict()
export type FrontInput = z.input<typeof FrontInput>

export const Front = z.object({
  model: z.string(),
  host: z.string(),
  dir: z.string(),
  /** The include file Gantry owns, and the log files nginx writes for it. */
  file: z.string(),
  accessLog: z.string(),
  shadowLog: z.string(),
  listen: z.string(),
  champion: z.string(),
  key: z.string().nullable(),
  reloadCommand: z.array(z.string()),
  testCommand: z.array(z.string()),
  createdAt: z.number(),
  /** The last write of the file: when, whether nginx took it, what nginx said. */
  applied: z.object({ at: z.number(), ok: z.boolean(), rev: z.number(), message: z.string() }).nullable(),
})
export type Front = z.infer<typeof Front>

export const ReleaseMode = z.enum(['shadow', 'canary'])
export type ReleaseMode = z.infer<typeof ReleaseMode>

export const RELEASE_STATES = ['warming', 'running', 'paused', 'promoted', 'aborted', 'passed', 'failed'] as const
export const ReleaseState = z.enum(RELEASE_STATES)
export type ReleaseState = z.infer<typeof ReleaseState>
export const RELEASE_TERMINAL: ReleaseState[] = ['promoted', 'aborted', 'passed', 'failed']

export const GateSettings = z
  .object({
    /** Challenger's error rate may exceed the champion's by this much (0.02: 2 percentage points). */
    maxErrorRise: z.number().min(0).max(1).default(0.02),
    /** "Slow" is slower than the champion's p95 × (1 + this), in the same window… */
    latencySlack: z.number().min(0).max(10).default(0.2),
    /** …and the challenger's share of slow requests may exceed the champion's by this much. */
    maxSlowRise: z.number().min(0).max(1).default(0.1),
    /** Shadow: the share of joined requests whose outputs agree, at least this. */
    minAgreement: z.number().min(0).max(1).default(0.95),
    /** Numeric outputs agree when within this (absolute). */
    agreeWithin: z.number().min(0).default(1e-6),
    /** The KS distance between the arms' output distributions, at most this (canary, per step). */
    maxOutputShift: z.number().min(0).max(1).default(0.2),
    /** Fewer challenger requests than this in a window: the gate is not judged yet. */
    minRequests: z.number().int().min(1).max(1_000_000).default(50),
    /** Each gate's error rate: its confidence sequences hold together with 1 − α (α/2 per arm where two are compared). */
    alpha: z.number().min(1e-6).max(0.2).default(0.05),
  })
  .strict()
export type GateSettings = z.infer<typeof GateSettings>

export const InferenceLogs = z
  .object({
    /** JSONL files the model servers write: one object per request with the request id and the output. */
    champion: z.string().min(1).max(4096),
    challenger: z.string().min(1).max(4096),
    idField: z.string().min(1).max(100).default('request_id'),
    outputField: z.string().min(1).max(100).default('prediction'),
  })
  .strict()

const Duration = z
  .number()
  .int()
  .min(1000)
  .max(7 * 86_400_000)

export const ReleaseInput = z
  .object({
    model: ModelName,
    mode: ReleaseMode,
    /** The registry version the challenger serves. */
    version: z.number().int().positive(),
    challenger: Url,
    /** Canary: the challenger's share at each step, rising, the last 100. */
    steps: z.array(z.number().min(0.01).max(100)).min(1).max(20).optional(),
    /** Shadow: the share of requests mirrored. */
    share: z.number().min(0.01).max(100).optional(),
    /** How long each step (or the shadow) is held and judged. */
    holdMs: Duration.default(5 * 60_000),
    /** How often the gates look at the evidence. */
    gateIntervalMs: z.number().int().min(500).max(3600_000).default(10_000),
    /** Before each increase: this many successful GETs of `warmupPath` on the challenger. */
    warmupRequests: z.number().int().min(0).max(100).default(3),
    warmupPath: z
      .string()
      .max(500)
      // A path on the challenger, never another address ("/http://…" or "//host" would be one).
      .regex(/^\/(?!\/)[A-Za-z0-9._~%!$&'()*+,;=@/?-]*$/, 'a path on the challenger starting with / (no host)')
      .refine((p) => !/^\/[A-Za-z][A-Za-z0-9+.-]*:/.test(p), 'a path on the challenger, not a URL')
      .default('/health'),
    /** Shadow: the methods the operator says are safe to send twice. */
    idempotent: z
      .array(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']))
      .max(7)
      .default(['GET', 'HEAD']),
    /** Shadow: bodies larger than this are not mirrored (counted as skipped). */
    maxMirrorBody: z
      .number()
      .int()
      .min(1)
      .max(64 << 20)
      .default(1 << 20),
    /** Shadow: a mirrored request is cut after this (a slow challenger must not hold the champion). */
    mirrorTimeoutMs: z.number().int().min(100).max(600_000).default(5000),
    gates: GateSettings.partial().optional(),
    logs: InferenceLogs.optional(),
    /** Start although the GPU headroom check asks to cap the share. */
    force: z.boolean().optional(),
  })
  .strict()
export type ReleaseInput = z.input<typeof ReleaseInput>

export const Quantiles = z.object({ p50: z.number(), p90: z.number(), p95: z.number(), p99: z.number() })

export const ArmEvidence = z.object({
  requests: z.number(),
  errors: z.number(),
  /** Seconds, from nginx's $upstream_response_time (null: no requests yet). */
  latency: Quantiles.nullable(),
  /** Requests slower than the window's slow line, of `sampled` counted since the line was fixed. */
  slow: z.number(),
  sampled: z.number(),
})
export type ArmEvidence = z.infer<typeof ArmEvidence>

export const GateVerdict = z.enum(['pass', 'fail', 'inconclusive', 'pending', 'not-measured'])
export type GateVerdict = z.infer<typeof GateVerdict>

export const GateResult = z.object({
  gate: z.enum(['errors', 'latency', 'agreement', 'output-shift', 'kpi']),
  verdict: GateVerdict,
  /** In words with the numbers: "challenger 12.0 % [9.1, 15.4] vs champion 0.1 % [0.0, 0.3]". */
  detail: z.string(),
  numbers: z.record(z.string(), z.number().nullable()),
})
export type GateResult = z.infer<typeof GateResult>

export const StepEvidence = z.object({
  index: z.number(),
  /** The challenger's share in this step (shadow: the mirrored share). */
  weight: z.number(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  verdict: GateVerdict.nullable(),
  champion: ArmEvidence,
  challenger: ArmEvidence,
  /** Shadow: mirrors nginx skipped (method not marked idempotent, body over the limit). */
  skipped: z.object({ method: z.number(), size: z.number() }),
  /** Joined on the request id (both inference logs): how many pairs, how many agree. */
  joined: z.number(),
  agreed: z.number(),
  /** Numeric outputs: |challenger − champion| quantiles over the joined pairs. */
  differences: Quantiles.nullable(),
  /** The slow threshold this window used (seconds). */
  slowAbove: z.number().nullable(),
  gates: z.array(GateResult),
})
export type StepEvidence = z.infer<typeof StepEvidence>

export const Headroom = z.object({
  /** Per GPU of the serving host, as its last sample showed it. */
  gpus: z.array(z.object({ index: z.number(), util: z.number().nullable(), memFreeMiB: z.number().nullable() })),
  /** The share the check allows (null: no limit found). */
  allowedShare: z.number().nullable(),
  note: z.string(),
})
export type Headroom = z.infer<typeof Headroom>

export const ReleaseEvent = z.object({
  at: z.number(),
  kind: z.string(),
  actor: z.string(),
  detail: z.string(),
})
export type ReleaseEvent = z.infer<typeof ReleaseEvent>

/** What a release started with: its mode, both arms, its steps, timings and gates. */
export const ReleaseSettings = z.object({
  mode: ReleaseMode,
  version: z.number(),
  champion: z.string(),
  challenger: z.string(),
  steps: z.array(z.number()),
  holdMs: z.number(),
  gateIntervalMs: z.number(),
  warmupRequests: z.number(),
  warmupPath: z.string(),
  idempotent: z.array(z.string()),
  maxMirrorBody: z.number(),
  mirrorTimeoutMs: z.number(),
  gates: GateSettings,
  logs: InferenceLogs.nullable(),
})
export type ReleaseSettings = z.infer<typeof ReleaseSettings>

export const Release = ReleaseSettings.extend({
  id: z.number(),
  model: z.string(),
  /** The production version when it started (the champion's), if the registry had one. */
  championVersion: z.number().nullable(),
  state: ReleaseState,
  /** The step now (index into steps), and the challenger's share nginx has now. */
  step: z.number(),
  weight: z.number(),
  stepStartedAt: z.number().nullable(),
  /** Why it paused, aborted or failed; what promotion did. */
  reason: z.string().nullable(),
  headroom: Headroom.nullable(),
  actor: z.string(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  rev: z.number(),
  evidence: z.array(StepEvidence),
  events: z.array(ReleaseEvent),
})
export type Release = z.infer<typeof Release>

export const ReleaseStatus = z.object({
  front: Front.nullable(),
  release: Release.nullable(),
  /** Earlier releases of the model, newest first (without their evidence). */
  past: z.array(Release.omit({ evidence: true, events: true })),
})
export type ReleaseStatus = z.infer<typeof ReleaseStatus>

/** What a new release would do, before it starts: the dialog shows it. */
export const ReleasePlan = z.object({
  front: Front,
  championVersion: z.number().nullable(),
  steps: z.array(z.number()),
  headroom: Headroom,
  /** The include file as it would be written at the first step. */
  file: z.string(),
  warnings: z.array(z.string()),
})
export type ReleasePlan = z.infer<typeof ReleasePlan>
