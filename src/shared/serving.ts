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
})
export type ServingMetrics = z.infer<typeof ServingMetrics>

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
})
export type ProbeResult = z.infer<typeof ProbeResult>

/** A model-server endpoint Gantry polls. */
export const ServingEndpoint = z.object({
  id: z.number().int(),
  name: z.string(),
  url: z.string(),
  /** null: detect the runtime on each poll. */
  kind: ServingKind.nullable(),
  createdAt: z.number(),
})
export type ServingEndpoint = z.infer<typeof ServingEndpoint>

export const EndpointStatus = z.object({ endpoint: ServingEndpoint, latest: ProbeResult.nullable() })
export type EndpointStatus = z.infer<typeof EndpointStatus>
