// Deployments: where a model runs (targets), and every deploy or rollback as one journaled state
// machine — preflight, intent, switch, verify, commit — or revert, with each step's outcome.
import { z } from 'zod'
import { HostName } from './hosts'

export const TARGET_KINDS = ['model-folder', 'triton', 'torchserve', 'ollama'] as const
export const TargetKind = z.enum(TARGET_KINDS)
export type TargetKind = z.infer<typeof TargetKind>

const Url = z
  .string()
  .max(2048)
  .refine((u) => /^https?:\/\/[^\s]+$/i.test(u), 'an http:// or https:// URL')
const Timeout = z
  .number()
  .int()
  .min(100)
  .max(30 * 60_000)

export const TargetConfig = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('model-folder'),
      /** The host the folder and the server are on (an SSH host: the link is switched and the
       *  reload command run there); default this machine. */
      host: HostName.optional(),
      /** The folder that holds the link the server loads from. */
      folder: z.string().min(1).max(4096),
      /** The link's name inside the folder: a plain name, no path. */
      link: z
        .string()
        .min(1)
        .max(255)
        .refine((l) => !/[/\\\0]/.test(l) && l !== '.' && l !== '..', 'a plain name (no / and not . or ..)')
        .default('current'),
      /** Run after the switch (argv, no shell), e.g. ["systemctl", "restart", "vllm@m"]; shown
       *  verbatim before a deploy and in the audit. The program is an absolute path or a name on PATH. */
      reloadCommand: z
        .array(
          z
            .string()
            .max(4096)
            .refine((a) => !a.includes('\0'), 'no NUL bytes'),
        )
        .min(1)
        .max(64)
        .refine((argv) => argv[0].trim() !== '', 'the program to run')
        .optional(),
      /** Or call this URL after the switch (POST). */
      reloadUrl: Url.optional(),
      /** A saved serving endpoint whose probe must show the new version, ready. */
      endpointId: z.number().int().positive(),
      /** The name the server serves the model under (default: the model's name). */
      servedName: z.string().min(1).max(300).optional(),
      readyTimeoutMs: Timeout.default(120_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('triton'),
      url: Url,
      /** The model's name in the Triton repository (default: the registry model's name). */
      servedName: z.string().min(1).max(300).optional(),
      readyTimeoutMs: Timeout.default(300_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('torchserve'),
      /** The management API (port 8081). */
      managementUrl: Url,
      servedName: z.string().min(1).max(300).optional(),
      readyTimeoutMs: Timeout.default(60_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('ollama'),
      url: Url,
      /** The tag clients use, e.g. mymodel:prod; versions are pinned tags (param ollama.tag). */
      servingTag: z.string().min(1).max(300),
      readyTimeoutMs: Timeout.default(60_000),
    })
    .strict(),
])
export type TargetConfig = z.infer<typeof TargetConfig>
export type TargetConfigInput = z.input<typeof TargetConfig>

export const DeployTarget = z.object({
  id: z.number().int(),
  model: z.string(),
  name: z.string(),
  config: TargetConfig,
  createdAt: z.number(),
})
export type DeployTarget = z.infer<typeof DeployTarget>

export const STEP_NAMES = ['preflight', 'intent', 'switch', 'reload', 'verify', 'commit', 'revert'] as const
export const DeployStep = z.object({
  name: z.enum(STEP_NAMES),
  state: z.enum(['running', 'ok', 'failed', 'skipped']),
  at: z.number(),
  ms: z.number().nullable(),
  detail: z.string(),
})
export type DeployStep = z.infer<typeof DeployStep>

export const DeploymentState = z.enum([
  'intent',
  'switching',
  'verifying',
  'reverting',
  'succeeded',
  'reverted',
  'failed',
  'abandoned',
])
export type DeploymentState = z.infer<typeof DeploymentState>
export const TERMINAL: readonly DeploymentState[] = ['succeeded', 'reverted', 'failed', 'abandoned']

export const Deployment = z.object({
  id: z.number().int(),
  model: z.string(),
  targetId: z.number().int(),
  targetName: z.string(),
  kind: z.enum(['deploy', 'rollback']),
  fromVersion: z.number().int().nullable(),
  toVersion: z.number().int(),
  state: DeploymentState,
  steps: z.array(DeployStep),
  actor: z.string(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  /** Why it ended as it did (the failure, the revert, the restart that finished it). */
  reason: z.string().nullable(),
  /** Reverted, but the previous version did not verify: the target may serve nothing right. */
  revertUnverified: z.boolean().default(false),
})
export type Deployment = z.infer<typeof Deployment>

/** What the rollback confirm dialog shows: the version it would put back, and the one it replaces. */
export const RollbackPlan = z.object({
  model: z.string(),
  target: DeployTarget,
  current: z.object({ version: z.number().int(), sha256: z.string().nullable(), location: z.string() }).nullable(),
  to: z.object({
    version: z.number().int(),
    sha256: z.string().nullable(),
    location: z.string(),
    deployedBy: z.string().nullable(),
    deployedAt: z.number().nullable(),
    /** How Gantry knows it was good: a verified deploy, or only the alias history. */
    evidence: z.string(),
    /** What the verification saw when it was deployed (ready, version served, smoke). */
    healthAtDeploy: z.string().nullable(),
    /** The last drift window while it was in production, if its logs were monitored. */
    driftAtTheTime: z.object({ drifted: z.boolean(), share: z.number(), at: z.number() }).nullable(),
  }),
})
export type RollbackPlan = z.infer<typeof RollbackPlan>

/** Automatic rollback after a deploy: watch the model's endpoints for `watchMinutes`; a breach
 *  that lasts `forMinutes` rolls back (or asks first). Thresholds left out are not checked. */
export const RollbackRule = z
  .object({
    enabled: z.boolean(),
    /** Error share of requests, percent. */
    errorRatePct: z.number().min(0).max(100).optional(),
    /** p95 latency (or the average where the runtime has no histogram), ms. */
    p95Ms: z.number().positive().optional(),
    /** A closed drift window whose share of drifted features reaches this (0–1) is a breach. */
    driftShare: z.number().min(0).max(1).optional(),
    /** Down, hung (smoke failing) or not ready counts as a breach. */
    readiness: z.boolean().default(true),
    /** A business KPI of the model (kpi.set) on the wrong side of its threshold counts as a breach. */
    kpis: z.boolean().default(false),
    forMinutes: z
      .number()
      .min(0)
      .max(24 * 60)
      .default(5),
    watchMinutes: z
      .number()
      .positive()
      .max(7 * 24 * 60)
      .default(60),
    action: z.enum(['rollback', 'ask']).default('rollback'),
  })
  .strict()
export type RollbackRule = z.infer<typeof RollbackRule>

export const GuardStatus = z.object({
  model: z.string(),
  rule: RollbackRule.nullable(),
  /** The deploy being watched, if any. */
  watching: z
    .object({
      deploymentId: z.number().int(),
      until: z.number(),
      breachSince: z.number().nullable(),
      lastBreach: z.string().nullable(),
    })
    .nullable(),
  /** An "ask first" rule that fired: the reason, waiting for someone to roll back (or not). */
  suggestion: z.object({ deploymentId: z.number().int(), at: z.number(), reason: z.string() }).nullable(),
})
export type GuardStatus = z.infer<typeof GuardStatus>
