// The normalized view of a model server, whatever its runtime: is it live and ready, which models
// and versions does it really serve, and what each check saw (for debugging). Metrics (rates,
// percentiles) are not part of this model yet: see README "What works today".
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
  problems: z.array(z.string()),
  checks: z.array(ProbeCheck),
})
export type ProbeResult = z.infer<typeof ProbeResult>
