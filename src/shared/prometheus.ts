// Prometheus sources: a Prometheus-compatible API (Prometheus, Thanos, Mimir, VictoriaMetrics) that
// Gantry asks aggregated questions of — the hosts and GPUs its exporters describe, and a model's
// business KPIs. Nothing a source answers is copied into Gantry's own series store.
import { z } from 'zod'
import { HostName } from './hosts'

export const PromSourceName = HostName

export const PromAuthInput = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bearer'), token: z.string().min(1).max(8192) }).strict(),
  z.object({ type: z.literal('basic'), user: z.string().min(1).max(256), password: z.string().max(8192) }).strict(),
])
export type PromAuthInput = z.infer<typeof PromAuthInput>

const RESERVED_HEADERS = [
  'host',
  'content-length',
  'content-type',
  'accept',
  'authorization',
  'proxy-authorization',
  'cookie',
  'transfer-encoding',
  'connection',
]

/** A header name as HTTP allows it; those Gantry sets itself, and credentials, cannot be given here. */
export const HeaderName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'a header name (letters, digits, "-")')
  .refine((h) => !RESERVED_HEADERS.includes(h.toLowerCase()), {
    message: 'Gantry sets this header itself, or it carries a credential (use --auth: kept by the secrets service)',
  })
/** Header values: printable, no CR/LF (no header injection). */
export const HeaderValue = z
  .string()
  .max(4096)
  .regex(/^[\t\x20-\x7e\x80-\uffff]*$/, 'printable characters only (no line breaks)')

export const PromSourceInput = z
  .object({
    url: z.string().min(1).max(2048),
    name: PromSourceName.optional(),
    headers: z.record(HeaderName, HeaderValue).optional(),
    auth: PromAuthInput.optional(),
    /** A PEM file of CA certificates for an https URL signed by the site's own CA. */
    caFile: z.string().min(1).max(4096).optional(),
    timeoutMs: z.number().int().min(200).max(120_000).optional(),
    /** Save it even if it does not answer now (it is polled, and says why it fails). */
    force: z.boolean().optional(),
  })
  .strict()
export type PromSourceInput = z.infer<typeof PromSourceInput>

/** Which exporters a source has series of, counted by instance. */
export const PromExporters = z.object({
  dcgm: z.number().int(),
  /** utkuozdemir/nvidia_gpu_exporter (`nvidia_smi_*` names). */
  nvidiaGpuExporter: z.number().int(),
  node: z.number().int(),
})
export type PromExporters = z.infer<typeof PromExporters>

export const PromSourceStatus = z.object({
  name: z.string(),
  url: z.string(),
  /** Header names only: values may be tenant ids, shown on demand in the CLI's --json. */
  headers: z.record(z.string(), z.string()),
  auth: z.enum(['none', 'bearer', 'basic']),
  caFile: z.string().nullable(),
  timeoutMs: z.number().int(),
  state: z.enum(['starting', 'ok', 'partial', 'error']),
  /** Why it is not ok: the API's error envelope, a timeout, a size cap, a TLS failure. */
  error: z.string().nullable(),
  /** The API's warnings on the last poll (partial responses from Thanos/Mimir, limits hit). */
  warnings: z.array(z.string()),
  /** What is missing, in words ("no node_exporter series: no CPU, memory or filesystems"). */
  missing: z.array(z.string()),
  version: z.string().nullable(),
  exporters: PromExporters,
  hosts: z.number().int(),
  gpus: z.number().int(),
  lastPollAt: z.number().nullable(),
  lastPollMs: z.number().nullable(),
  lastOkAt: z.number().nullable(),
})
export type PromSourceStatus = z.infer<typeof PromSourceStatus>

/** What `prometheus.test` found, without saving anything. */
export const PromTestResult = z.object({
  ok: z.boolean(),
  url: z.string(),
  version: z.string().nullable(),
  error: z.string().nullable(),
  ms: z.number(),
  exporters: PromExporters,
  missing: z.array(z.string()),
})
export type PromTestResult = z.infer<typeof PromTestResult>

/** A business KPI of a model: a PromQL query, which way is good, and the line not to cross. */
export const KpiInput = z
  .object({
    model: z.string().min(1).max(200),
    name: z
      .string()
      .min(1)
      .max(80)
      .regex(/^[A-Za-z0-9][A-Za-z0-9 ._/%-]*$/, 'letters, digits, spaces, ".", "_", "/", "%" and "-"'),
    source: PromSourceName,
    query: z.string().min(1).max(4000),
    direction: z.enum(['higher-is-better', 'lower-is-better']),
    threshold: z.number().finite().nullable(),
    unit: z.string().max(20).default(''),
  })
  .strict()
export type KpiInput = z.infer<typeof KpiInput>

export const Kpi = z.object({
  model: z.string(),
  name: z.string(),
  source: z.string(),
  query: z.string(),
  direction: z.enum(['higher-is-better', 'lower-is-better']),
  threshold: z.number().nullable(),
  unit: z.string(),
  /** The query's value now (one series; several are summed with a warning), null when it has none. */
  value: z.number().nullable(),
  at: z.number().nullable(),
  /** The value is on the wrong side of the threshold. */
  breached: z.boolean(),
  error: z.string().nullable(),
  /** History from query_range, step fitted to the chart. */
  points: z.array(z.tuple([z.number(), z.number().nullable()])),
  stepMs: z.number(),
})
export type Kpi = z.infer<typeof Kpi>
