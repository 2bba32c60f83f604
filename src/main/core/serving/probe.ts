// Probing a model server once: detect its runtime (or take the given kind), then ask what it
// really serves — per model and per version where the runtime has it (Triton's repository index,
// vLLM's /v1/models root, TGI's /info, Ollama's tags and loaded models, TorchServe's versions).
// Every request is bounded (http.ts); a failed check becomes a problem in the result, never a throw.
import type { ProbeCheck, ProbeResult, ServedModel, ServingKind, SmokeResult, SmokeSpec } from '../../../shared/serving'
import { boundedFetch, json, type HttpAnswer, type HttpLimits, type Tunnel } from './http'
import { metricsUrl, servingMetrics, type Scrape } from './metrics'
import { parsePrometheusText } from './prometheus'

type Obj = Record<string, unknown>
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x)
const str = (x: unknown): string | null => (typeof x === 'string' ? x : typeof x === 'number' ? String(x) : null)

interface Ctx {
  /** The URL as given (a generic endpoint is its own health URL). */
  url: string
  /** The URL as a base for the runtime's paths. */
  base: string
  limits: Partial<HttpLimits> & { via?: Tunnel }
  /** Authorization and the like, sent with every request. */
  headers: Record<string, string>
  checks: ProbeCheck[]
  problems: string[]
  /** Set when the first request got no answer (timeout, refused): the rest are skipped. */
  unreachable?: boolean
}

async function get(ctx: Ctx, path: string, method = 'GET', body?: unknown): Promise<HttpAnswer> {
  if (ctx.unreachable) {
    // The first request got no answer at all: asking again would only add a deadline per path.
    const check = { method, path, status: null, ms: 0, error: 'skipped: the server did not answer', body: '' }
    ctx.checks.push(check)
    return { check, status: null, text: null }
  }
  const a = await boundedFetch(path === '' ? ctx.url : ctx.base, path, {
    ...ctx.limits,
    method,
    body,
    headers: ctx.headers,
  })
  if (ctx.checks.length === 0 && a.status === null) ctx.unreachable = true
  ctx.checks.push(a.check)
  return a
}

function problem(ctx: Ctx, a: HttpAnswer, what: string): void {
  ctx.problems.push(`${what}: ${a.check.error ?? `HTTP ${a.status}`} (${a.check.method} ${a.check.path})`)
}

/** Reads a JSON body, noting a problem when it is not JSON. */
function body(ctx: Ctx, a: HttpAnswer, what: string): unknown {
  if (a.check.error !== null || a.status === null || a.status >= 400) {
    problem(ctx, a, what)
    return null
  }
  const j = json(a)
  if (j === null) ctx.problems.push(`${what}: not JSON (${a.check.method} ${a.check.path})`)
  return j
}

async function detect(ctx: Ctx): Promise<{ kind: ServingKind; by: string }> {
  const v2 = json(await get(ctx, '/v2'))
  if (isObj(v2) && v2.name === 'triton') return { kind: 'triton', by: 'GET /v2 names triton' }
  if (isObj(v2) && Array.isArray(v2.extensions)) return { kind: 'oip', by: 'GET /v2 answers server metadata' }
  const info = json(await get(ctx, '/info'))
  if (isObj(info) && typeof info.model_id === 'string') return { kind: 'tgi', by: 'GET /info has model_id' }
  const models = json(await get(ctx, '/v1/models'))
  if (isObj(models) && Array.isArray(models.data)) return { kind: 'vllm', by: 'GET /v1/models lists models' }
  const ollama = json(await get(ctx, '/api/version'))
  if (isObj(ollama) && typeof ollama.version === 'string') return { kind: 'ollama', by: 'GET /api/version' }
  const ping = json(await get(ctx, '/ping'))
  if (isObj(ping) && typeof ping.status === 'string') return { kind: 'torchserve', by: 'GET /ping has status' }
  return { kind: 'generic', by: 'no runtime recognised' }
}

const ok = (a: HttpAnswer): boolean | null =>
  a.status === null || a.check.error !== null ? null : a.status >= 200 && a.status < 300

async function probeTriton(ctx: Ctx, r: Partial<ProbeResult>): Promise<void> {
  const live = await get(ctx, '/v2/health/live')
  // Server-wide ready goes false while any model loads (explicit mode): kept, but per-version
  // readiness from the repository index is what the models table shows.
  const ready = await get(ctx, '/v2/health/ready')
  r.live = ok(live)
  r.ready = ok(ready)
  const meta = json(await get(ctx, '/v2'))
  r.runtimeVersion = isObj(meta) ? str(meta.version) : null
  const index = body(ctx, await get(ctx, '/v2/repository/index', 'POST', {}), 'repository index')
  const byName = new Map<string, ServedModel>()
  for (const row of Array.isArray(index) ? index : []) {
    if (!isObj(row) || typeof row.name !== 'string') continue
    const m = byName.get(row.name) ?? { name: row.name, source: null, versions: [] }
    const state = str(row.state) ?? 'UNKNOWN'
    m.versions.push({ version: str(row.version), state, ready: state === 'READY', reason: str(row.reason) })
    byName.set(row.name, m)
  }
  r.models = [...byName.values()]
}

async function probeVllm(ctx: Ctx, r: Partial<ProbeResult>): Promise<void> {
  const health = await get(ctx, '/health')
  r.live = ok(health)
  r.ready = r.live
  const v = json(await get(ctx, '/version'))
  r.runtimeVersion = isObj(v) ? str(v.version) : null
  const list = body(ctx, await get(ctx, '/v1/models'), 'model list')
  const data = isObj(list) && Array.isArray(list.data) ? list.data : []
  // The version handle is `root`: the weights path or HF id the server loaded.
  r.models = data.filter(isObj).map((m) => ({
    name: str(m.id) ?? '(unnamed)',
    source: str(m.root),
    versions: [
      {
        version: str(m.root),
        state: 'loaded',
        ready: r.live ?? null,
        reason: m.parent ? `adapter of ${str(m.parent)}` : null,
      },
    ],
  }))
}

async function probeTgi(ctx: Ctx, r: Partial<ProbeResult>): Promise<void> {
  const health = await get(ctx, '/health')
  r.live = ok(health)
  r.ready = r.live
  const info = body(ctx, await get(ctx, '/info'), 'model info')
  if (isObj(info)) {
    r.runtimeVersion = str(info.version)
    r.models = [
      {
        name: str(info.model_id) ?? '(unnamed)',
        source: str(info.model_id),
        versions: [{ version: str(info.model_sha), state: 'loaded', ready: r.live ?? null, reason: null }],
      },
    ]
  }
}

async function probeOllama(ctx: Ctx, r: Partial<ProbeResult>): Promise<void> {
  const root = await get(ctx, '/')
  r.live = ok(root)
  const v = json(await get(ctx, '/api/version'))
  r.runtimeVersion = isObj(v) ? str(v.version) : null
  const tags = body(ctx, await get(ctx, '/api/tags'), 'local models')
  const ps = body(ctx, await get(ctx, '/api/ps'), 'loaded models')
  const loaded = new Map<string, Obj>()
  for (const m of isObj(ps) && Array.isArray(ps.models) ? ps.models.filter(isObj) : []) loaded.set(String(m.name), m)
  const all = isObj(tags) && Array.isArray(tags.models) ? tags.models.filter(isObj) : []
  const names = new Set([...all.map((m) => String(m.name)), ...loaded.keys()])
  r.ready = r.live
  // A name:tag is a mutable alias: the digest is the version.
  r.models = [...names].map((name) => {
    const m = loaded.get(name) ?? all.find((t) => String(t.name) === name) ?? {}
    const isLoaded = loaded.has(name)
    const vram = isLoaded ? Number(loaded.get(name)?.size_vram ?? 0) : 0 // omitted when 0 (CPU only)
    return {
      name,
      source: str(m.digest),
      versions: [
        {
          version: str(m.digest)?.slice(0, 12) ?? null,
          state: isLoaded ? 'loaded' : 'available',
          ready: isLoaded,
          reason: isLoaded && vram === 0 ? 'loaded on CPU (no VRAM)' : null,
        },
      ],
    }
  })
}

async function probeTorchServe(ctx: Ctx, r: Partial<ProbeResult>): Promise<void> {
  const ping = await get(ctx, '/ping')
  const p = json(ping)
  r.live = ping.status !== null
  r.ready = isObj(p) ? p.status === 'Healthy' : ok(ping)
  // The management API usually listens on the next port (8081 beside 8080).
  const models = json(await get(ctx, '/models'))
  let mgmt: Ctx = ctx
  let list = models
  if (!isObj(list) || !Array.isArray(list.models)) {
    const u = new URL(ctx.base)
    if (u.port) {
      u.port = String(Number(u.port) + 1)
      mgmt = { ...ctx, base: u.toString() }
      list = json(await get(mgmt, '/models'))
    }
  }
  if (!isObj(list) || !Array.isArray(list.models)) {
    ctx.problems.push('management API not reachable (GET /models on this port and the next): versions unknown')
    return
  }
  const out: ServedModel[] = []
  for (const m of list.models.filter(isObj).slice(0, 50)) {
    const name = String(m.modelName)
    const all = json(await get(mgmt, `/models/${encodeURIComponent(name)}/all`))
    const versions = (Array.isArray(all) ? all.filter(isObj) : []).map((v) => {
      const workers = Array.isArray(v.workers) ? v.workers.filter(isObj) : []
      const states = [...new Set(workers.map((w) => String(w.status)))]
      return {
        version: str(v.modelVersion),
        state: states.join(', ') || 'no workers',
        ready: workers.length > 0 && workers.every((w) => w.status === 'READY'),
        reason: str(v.modelUrl),
      }
    })
    out.push({ name, source: str(m.modelUrl), versions })
  }
  r.models = out
}

async function probeOip(ctx: Ctx, r: Partial<ProbeResult>): Promise<void> {
  await probeTriton(ctx, r) // same v2 health and repository-index endpoints (MLServer implements both)
}

async function probeGeneric(ctx: Ctx, r: Partial<ProbeResult>): Promise<void> {
  const a = await get(ctx, '')
  r.live = ok(a)
  r.ready = r.live
  if (!r.live) problem(ctx, a, 'health URL')
}

const PROBES: Record<ServingKind, (ctx: Ctx, r: Partial<ProbeResult>) => Promise<void>> = {
  triton: probeTriton,
  oip: probeOip,
  vllm: probeVllm,
  tgi: probeTgi,
  ollama: probeOllama,
  torchserve: probeTorchServe,
  generic: probeGeneric,
}

export interface ProbeOptions {
  kind?: ServingKind
  /** Deadlines and caps; `via` reaches the server from another host (its SSH connection). */
  limits?: Partial<HttpLimits> & { via?: Tunnel }
  /** Scrape /metrics twice this far apart (a one-off probe). */
  metricsWindowMs?: number
  /** The scrape from the previous poll: rates then cover the poll interval (the poller's way). */
  previous?: Scrape | null
  /** Sent with every request (Authorization). */
  headers?: Record<string, string>
  /** A request that must succeed for a live server to count as really answering. */
  smoke?: SmokeSpec | null
}

export async function probeEndpoint(url: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  return (await probeWithScrape(url, opts)).result
}

export async function probeWithScrape(
  url: string,
  opts: ProbeOptions = {},
): Promise<{ result: ProbeResult; scrape: Scrape | null }> {
  const at = Date.now()
  const base = url.endsWith('/') ? url : `${url}/`
  const ctx: Ctx = { url, base, limits: opts.limits ?? {}, headers: opts.headers ?? {}, checks: [], problems: [] }
  const { kind, by } = opts.kind ? { kind: opts.kind, by: 'given' } : await detect(ctx)
  const r: Partial<ProbeResult> = { live: null, ready: null, runtimeVersion: null, models: [] }
  await PROBES[kind](ctx, r)
  if (kind !== 'generic' && r.live === null) {
    // Why, in the headline: a hung server "timed out", a closed port "refused" (the first check's own error).
    const why = ctx.checks.find((c) => c.error && !c.error.startsWith('skipped'))?.error
    ctx.problems.unshift(`the server did not answer${why ? `: ${why}` : ''}`)
  }
  const mUrl = metricsUrl(kind, base)
  let metrics: ProbeResult['metrics'] = null
  let latest: Scrape | null = null
  if (mUrl && r.live !== null) {
    // Two scrapes a window apart give rates and windowed percentiles; one gives lifetime totals.
    let prev = opts.previous ?? null
    latest = await scrape(ctx, mUrl)
    if (latest && !prev && opts.metricsWindowMs && opts.metricsWindowMs > 0) {
      await new Promise((res) => setTimeout(res, opts.metricsWindowMs))
      prev = latest
      latest = await scrape(ctx, mUrl)
    }
    if (latest) metrics = servingMetrics(kind, prev, latest)
  }
  let smoke: SmokeResult | null = null
  if (opts.smoke && r.live) {
    const sp = opts.smoke
    const a = await boundedFetch(base, sp.path, {
      ...ctx.limits,
      method: sp.method,
      body: sp.method === 'POST' ? (sp.body ?? {}) : undefined,
      headers: ctx.headers,
      timeoutMs: sp.timeoutMs,
    })
    ctx.checks.push({ ...a.check, path: `smoke: ${sp.path}` })
    const statusOk =
      a.status !== null && (sp.expectStatus ? a.status === sp.expectStatus : a.status >= 200 && a.status < 300)
    smoke = {
      ok: !a.check.error && statusOk,
      status: a.status,
      ms: a.check.ms,
      error:
        a.check.error ??
        (statusOk ? null : `HTTP ${a.status}${sp.expectStatus ? `, expected ${sp.expectStatus}` : ''}`),
    }
    if (!smoke.ok) ctx.problems.push(`smoke request ${sp.method} ${sp.path} failed: ${smoke.error}`)
  }
  const result: ProbeResult = {
    url,
    kind,
    detectedBy: by,
    at,
    durationMs: Date.now() - at,
    live: r.live ?? null,
    ready: r.ready ?? null,
    runtimeVersion: r.runtimeVersion ?? null,
    models: r.models ?? [],
    metrics,
    metricsUrl: mUrl,
    problems: ctx.problems,
    checks: ctx.checks,
    smoke,
  }
  return { result, scrape: latest }
}

async function scrape(ctx: Ctx, url: string): Promise<Scrape | null> {
  const a = await boundedFetch(url, '', {
    ...ctx.limits,
    headers: ctx.headers,
    maxBytes: Math.max(ctx.limits.maxBytes ?? 0, 8 * 1024 * 1024),
  })
  ctx.checks.push({ ...a.check, path: url })
  if (a.text === null || a.check.error || (a.status ?? 500) >= 400) {
    ctx.problems.push(`metrics: ${a.check.error ?? `HTTP ${a.status}`} (GET ${url})`)
    return null
  }
  const parsed = parsePrometheusText(a.text)
  if (parsed.families.size === 0) {
    ctx.problems.push(`metrics: no Prometheus metrics in the answer (GET ${url})`)
    return null
  }
  if (parsed.errors.length)
    ctx.problems.push(`metrics: ${parsed.errors.length} unreadable line(s), first: ${parsed.errors[0]}`)
  return { at: Date.now(), families: parsed.families }
}
