// The model registry as every door sees it: models with their owners and policy, versions with
// artifact hashes and lineage, aliases, lifecycle stages, approvals, and the hash-chained audit
// history. Times are epoch ms; sizes bytes.
import { z } from 'zod'

export const STAGES = ['registered', 'staging', 'production', 'archived', 'retired'] as const
export const Stage = z.enum(STAGES)
export type Stage = z.infer<typeof Stage>

/** Which stage may follow which. Production is reached through staging (or restored from
 *  archived: a rollback); retired is final. */
export const TRANSITIONS: Record<Stage, readonly Stage[]> = {
  registered: ['staging', 'archived', 'retired'],
  staging: ['production', 'registered', 'archived'],
  production: ['staging', 'archived'],
  archived: ['staging', 'production', 'retired'],
  retired: [],
}

/** Model names: what Triton, TorchServe and MLflow (with its catalog.schema.model form) accept. */
export const ModelName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/:]*$/, 'letters, digits and . _ - / : (starting with a letter or digit)')

/** Alias names: MLflow's rules (`latest` and `v<digits>` are reserved). */
/** A version number: a positive integer Gantry and SQLite hold exactly (at most 10⁹). */
export const VersionNumber = z.number().int().positive().max(1_000_000_000)

export const AliasName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and -')
  .refine((a) => a.toLowerCase() !== 'latest' && !/^v\d+$/i.test(a), 'latest and v<digits> are reserved')

export const Policy = z.object({
  /** Promotion to production needs an approval by someone other than the requester. */
  productionNeedsApproval: z.boolean(),
})
export type Policy = z.infer<typeof Policy>

export const Model = z.object({
  name: ModelName,
  description: z.string(),
  ownerTeam: z.string().nullable(),
  ownerContact: z.string().nullable(),
  oncall: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  card: z.string(),
  policy: Policy,
  createdAt: z.number(),
  createdBy: z.string(),
  updatedAt: z.number(),
  /** Bumped on every change; an update names the revision it was based on (no lost update). */
  revision: z.number().int(),
  reviewedAt: z.number().nullable(),
  reviewedBy: z.string().nullable(),
})
export type Model = z.infer<typeof Model>

export const DatasetRole = z.enum(['training', 'validation', 'reference'])
export const Dataset = z.object({
  role: DatasetRole,
  /** A local path (hashed) or a URI (recorded as given, not hashed). */
  uri: z.string(),
  sha256: z.string().nullable(),
  sizeBytes: z.number().nullable(),
  /** Data rows for CSV (header excluded), JSONL and Parquet; null for other formats. */
  rows: z.number().int().nullable(),
})
export type Dataset = z.infer<typeof Dataset>

export const ArtifactFile = z.object({ path: z.string(), sizeBytes: z.number(), sha256: z.string() })

export const Version = z.object({
  model: z.string(),
  version: z.number().int().positive(),
  stage: Stage,
  artifact: z.object({
    location: z.string(),
    kind: z.enum(['file', 'dir', 'uri']),
    /** File: the content's sha256; folder: sha256 of its manifest (`sha256  path` lines, sorted).
     *  Null for a URI Gantry cannot read (an MLflow import of dbfs:/…): never deployable as is. */
    sha256: z.string().nullable(),
    sizeBytes: z.number().nullable(),
    files: z.number().int().nullable(),
    /** Copied into Gantry's managed store (data dir) rather than referenced where it was. */
    managed: z.boolean(),
  }),
  format: z.string().nullable(),
  createdAt: z.number(),
  createdBy: z.string(),
  sourceCommit: z.string().nullable(),
  parent: z.number().int().nullable(),
  params: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), z.number()),
  datasets: z.array(Dataset),
  description: z.string(),
  aliases: z.array(z.string()),
})
export type Version = z.infer<typeof Version>

export const ModelFlag = z.enum(['unowned', 'production-without-reference', 'stale-candidate', 'review-overdue'])
export type ModelFlag = z.infer<typeof ModelFlag>
export const FLAG_TEXT: Record<ModelFlag, string> = {
  unowned: 'no owner',
  'production-without-reference': 'production version has no drift reference',
  'stale-candidate': 'candidate waiting too long',
  'review-overdue': 'owner review overdue',
}

/** The flags that ask something of someone (the health roll-up and the Models list count these):
 *  every flag, except "no owner" on a model nobody runs in production. */
export function attentionFlags(m: { flags: readonly ModelFlag[]; production: number | null }): ModelFlag[] {
  return m.flags.filter((f) => f !== 'unowned' || m.production !== null)
}

export const ModelSummary = z.object({
  name: z.string(),
  description: z.string(),
  ownerTeam: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  versions: z.number().int(),
  latest: z.number().int().nullable(),
  production: z.number().int().nullable(),
  stages: z.record(Stage, z.number().int()),
  flags: z.array(ModelFlag),
  updatedAt: z.number(),
  /** The latest closed drift window, where the model is monitored. */
  drift: z.object({ drifted: z.boolean(), share: z.number(), at: z.number() }).nullable(),
  /** Rows of this model that could not be shown (left out, not fatal): an older bad import. */
  problems: z.array(z.string()).default([]),
  /** Approvals of its versions waiting for a decision. */
  pendingApprovals: z.number().int().default(0),
  /** Its drift monitor's last read error, until a read succeeds (null: none, or no monitor). */
  monitorError: z.string().nullable().default(null),
  /** Whether a drift monitor watches its inference logs. */
  monitored: z.boolean().default(false),
})
export type ModelSummary = z.infer<typeof ModelSummary>

export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected', 'applied', 'withdrawn'])
export const Approval = z.object({
  id: z.number().int(),
  model: z.string(),
  version: z.number().int(),
  status: ApprovalStatus,
  requestedBy: z.string(),
  requestedAt: z.number(),
  decidedBy: z.string().nullable(),
  decidedAt: z.number().nullable(),
  comments: z.array(z.object({ actor: z.string(), at: z.number(), text: z.string() })),
})
export type Approval = z.infer<typeof Approval>

export const AuditRow = z.object({
  seq: z.number().int(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  model: z.string().nullable(),
  version: z.number().int().nullable(),
  before: z.unknown(),
  after: z.unknown(),
  hash: z.string(),
})
export type AuditRow = z.infer<typeof AuditRow>

export const AuditVerdict = z.object({
  ok: z.boolean(),
  rows: z.number().int(),
  /** The first row that does not verify, and why (edited, deleted, reordered). */
  firstBad: z.object({ seq: z.number().int(), reason: z.string() }).nullable(),
  head: z.string().nullable(),
})
export type AuditVerdict = z.infer<typeof AuditVerdict>

export const ModelDetail = z.object({
  model: Model,
  versions: z.array(Version),
  aliases: z.array(z.object({ alias: z.string(), version: z.number().int(), at: z.number(), by: z.string() })),
  approvals: z.array(Approval),
  history: z.array(AuditRow),
  flags: z.array(ModelFlag),
  /** Rows of this model that could not be shown (left out, not fatal): an older bad import. */
  problems: z.array(z.string()).default([]),
})
export type ModelDetail = z.infer<typeof ModelDetail>

export const ArtifactCheck = z.object({
  model: z.string(),
  version: z.number().int(),
  location: z.string(),
  expected: z.string().nullable(),
  actual: z.string().nullable(),
  ok: z.boolean(),
  problem: z.string().nullable(),
})
export type ArtifactCheck = z.infer<typeof ArtifactCheck>

export const ImportReport = z.object({
  models: z.array(z.string()),
  registered: z.array(z.object({ model: z.string(), version: z.number().int() })),
  skipped: z.array(z.object({ model: z.string(), version: z.number().int().nullable(), reason: z.string() })),
})
export type ImportReport = z.infer<typeof ImportReport>

export const HashProgress = z.object({
  jobId: z.string(),
  bytesDone: z.number(),
  bytesTotal: z.number(),
  file: z.string().nullable(),
})
export type HashProgress = z.infer<typeof HashProgress>
