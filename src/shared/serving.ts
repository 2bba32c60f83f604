// The normalized view of a model server, whatever its runtime: is it live and ready, which models
// and versions does it really serve, what each check saw (for debugging), and the metrics (rates,
// percentiles) computed from the runtime's Prometheus endpoint where it has one.
import { z } from 'zod'

export const SERVING_KINDS = ['triton', 'oip', 'vllm', 'tgi', 'ollama', 'torchserve', 'generic'] as const
export const ServingKind = z.enum(SERVING_KINDS)
export type ServingKind = z.infer<typeof ServingKind>

export const ModelVersionState = z.object({
  version: z.string().nullable(),
  /** The runtime's own word (READY, UNAVAILABLE, LOADING, loaded…). */
  state: z.string(),
  ready: z.boolean().nullable(),
  reason: z.string().nullable(),
})

export const ServedModel = z.object({
  name: z.string(),
  /** What identifies the weights: vLLM's root path, TGI's model_id, Ollama's digest, a .mar URL. */
  source: z.string().nullable(),
  versions: z.array(ModelVersionState),
})
export type ServedModel = z.infer<typeof ServedModel>

export const ProbeCheck = z.object({
  method: z.string(),
  path: z.string(),
  status: z.number().int().nullable(),
  ms: z.number(),
  error: z.string().nullable(),
  /** The first bytes of the body, for the endpoint page's "last raw responses". */
  body: z.string(),
})
export type ProbeCheck = z.infer<typeof ProbeCheck>

/** What the runtime's /metrics allowed Gantry to compute. Without a previous scrape, totals and
 *  latency cover the whole server lifetime and rates are null (windowMs null). */
export const ServingMetrics = z.object({
  windowMs: z.number().nullable(),
  requests: z.number().nullable(),
  errors: z.number().nullable(),
  /** Requests per second over the window. */
  requestRate: z.number().nullable(),
  /** Failed share of requests, 0–1, over the window (or lifetime). */
  errorRate: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  /** From cumulative duration counters where the runtime has no histogram (Triton, TorchServe). */
  avgLatencyMs: z.number().nullable(),
  latencySource: z.enum(['histogram', 'counters']).nullable(),
  queueDepth: z.number().nullable(),
  kvCachePct: z.number().nullable(),
  /** LLM servers: p95 time to first token over the window (or the lifetime), ms. */
  ttftP95Ms: z.number().nullable().default(null),
  /** LLM servers: generated tokens per second over the window. */
  tokensPerSec: z.number().nullable().default(null),
})
export type ServingMetrics = z.infer<typeof ServingMetrics>

/** A request that proves the model really answers (a one-token completion, a tiny tensor). */
export const SmokeSpec = z.object({
  method: z.enum(['GET', 'POST']),
  /** Relative to the endpoint URL, e.g. v1/completions or v2/models/m/infer. */
  path: z.string().max(1000),
  /** JSON body for POST. */
  body: z.unknown().optional(),
  timeoutMs: z.number().int().min(100).max(120_000),
  /** Status the answer must have (default: any 2xx). */
  expectStatus: z.number().int().min(100).max(599).optional(),
})
export type SmokeSpec = z.infer<typeof SmokeSpec>

export const SmokeResult = z.object({
  ok: z.boolean(),
  status: z.number().int().nullable(),
  ms: z.number(),
  error: z.string().nullable(),
})
export type SmokeResult = z.infer<typeof SmokeResult>

export const ProbeResult = z.object({
  url: z.string(),
  kind: ServingKind,
  /** How the kind was decided: "given", or the check that recognised it. */
  detectedBy: z.string(),
  at: z.number(),
  durationMs: z.number(),
  live: z.boolean().nullable(),
  ready: z.boolean().nullable(),
  runtimeVersion: z.string().nullable(),
  models: z.array(ServedModel),
  /** Null where the runtime has no metrics endpoint (Ollama) or it could not be read. */
  metrics: ServingMetrics.nullable(),
  /** Where the metrics were read from. */
  metricsUrl: z.string().nullable(),
  problems: z.array(z.string()),
  checks: z.array(ProbeCheck),
  /** The configured smoke request's outcome; null when none is configured or the server is down. */
  smoke: SmokeResult.nullable(),
})
export type ProbeResult = z.infer<typeof ProbeResult>

/** A model-server endpoint Gantry polls. */
export const ServingEndpoint = z.object({
  id: z.number().int(),
  name: z.string(),
  url: z.string(),
  /** The host it is reached from ("local"; or an SSH host, through its connection). */
  host: z.string().default('local'),
  /** null: detect the runtime on each poll. */
  kind: ServingKind.nullable(),
  createdAt: z.number(),
  /** How Gantry authenticates (the secret itself is in the secrets service, never here). */
  auth: z.object({ type: z.enum(['bearer', 'basic']), user: z.string().nullable() }).nullable(),
  smoke: SmokeSpec.nullable(),
  /** Registry models this endpoint should serve: model, the name it is served under, the alias. */
  bindings: z.array(z.object({ model: z.string(), servedName: z.string(), alias: z.string() })),
})
export type ServingEndpoint = z.infer<typeof ServingEndpoint>

/** Credentials as given to add or configure an endpoint (stored in the secrets service). */
export const EndpointAuthInput = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bearer'), token: z.string().min(1).max(8192) }).strict(),
  z.object({ type: z.literal('basic'), user: z.string().min(1).max(256), password: z.string().max(8192) }).strict(),
])
export type EndpointAuthInput = z.infer<typeof EndpointAuthInput>

/** up: live, ready, smoke fine · hung: says healthy but the smoke request fails or times out ·
 *  not-ready: live but not ready · down: no answer or not live · unknown: not polled yet. */
export const EndpointVerdict = z.enum(['up', 'hung', 'not-ready', 'down', 'unknown'])
export type EndpointVerdict = z.infer<typeof EndpointVerdict>

/** What the registry says should run here against what the endpoint really serves. */
export const IntentCheck = z.object({
  model: z.string(),
  servedName: z.string(),
  alias: z.string(),
  expectedVersion: z.number().int().nullable(),
  /** What the runtime reports: version numbers, or the weights' source where it has no versions. */
  served: z.array(z.string()),
  state: z.enum(['match', 'mismatch', 'missing', 'no-intent', 'unknown']),
  detail: z.string(),
})
export type IntentCheck = z.infer<typeof IntentCheck>

export const EndpointStatus = z.object({
  endpoint: ServingEndpoint,
  latest: ProbeResult.nullable(),
  verdict: EndpointVerdict,
  intent: z.array(IntentCheck),
})
export type EndpointStatus = z.infer<typeof EndpointStatus>
