// Saved model-server endpoints and their polling: each endpoint has its own poller (never
// overlapping itself, with its own deadline), so a hung or hostile endpoint never delays another.
// The previous /metrics scrape is kept per endpoint, so rates cover the poll interval.
import type { Db } from '../db/database'
import { GantryError } from '../errors'
import { createPoller, type Poller } from '../util/poller'
import type {
  EndpointAuthInput,
  EndpointStatus,
  EndpointVerdict,
  ProbeResult,
  ServingEndpoint,
  ServingKind,
  SmokeSpec,
} from '../../../shared/serving'
import type { SecretStore } from '../secrets'
import { checkIntent, type Expected } from './intent'
import type { Scrape } from './metrics'
import type { Tunnel } from './http'
import { probeWithScrape } from './probe'

export interface EndpointConfig {
  /** null removes the credentials. */
  auth?: EndpointAuthInput | null
  smoke?: SmokeSpec | null
  bindings?: ServingEndpoint['bindings']
}

export interface EndpointService {
  readonly name: string
  list(): EndpointStatus[]
  /** The endpoints a model is bound to (they should serve it). */
  boundTo(model: string): number[]
  add(input: { url: string; name?: string; host?: string; kind?: ServingKind } & EndpointConfig): ServingEndpoint
  configure(id: number, config: EndpointConfig): ServingEndpoint
  /** One probe now, with the endpoint's credentials and smoke request (deploy verification). */
  probeNow(id: number): Promise<ProbeResult>
  remove(id: number): void
  /** Polls endpoints another process (the CLI) added, and stops those it removed. */
  sync(): void
  start(): void
  stop(): void
}

interface Row {
  id: number
  host_id: number
  name: string
  url: string
  kind: string | null
  created_at: number
  auth_type: 'bearer' | 'basic' | null
  auth_user: string | null
  secret_ref: string | null
  smoke_json: string | null
}

/** The verdict an operator reads first. */
export function verdictOf(r: ProbeResult | null): EndpointVerdict {
  if (!r) return 'unknown'
  if (r.live !== true) return 'down'
  if (r.smoke && !r.smoke.ok) return 'hung'
  if (r.ready === false) return 'not-ready'
  return 'up'
}

export function createEndpointService(o: {
  db: Db
  intervalMs: number
  timeoutMs: number
  now: () => number
  publish: (endpoint: ServingEndpoint, result: ProbeResult, status: EndpointStatus) => void
  secrets: SecretStore
  /** The registry's intended version for a model and alias, or null. */
  expected: (model: string, alias: string) => Expected | null
  /** Records a change in the audit log (naming the caller); never given a secret. */
  audit?: (action: string, after: unknown) => void
  /** Which host an endpoint is reached from: its name and id (default this machine). */
  hosts?: { idOf(name?: string): number; nameOf(id: number): string }
  /** How an endpoint of a host other than this machine is reached (undefined: directly). */
  tunnelOf?: (host: string) => Tunnel | undefined
}): EndpointService {
  const hosts = o.hosts ?? { idOf: () => 1, nameOf: () => 'local' }
  /** What an audit row may say of a configuration: the kind of credential, never the secret. */
  const described = (c: {
    auth?: { type: string } | null
    smoke?: { method: string; path: string } | null
    bindings?: unknown
  }): Record<string, unknown> => ({
    ...(c.auth !== undefined ? { auth: c.auth ? c.auth.type : null } : {}),
    ...(c.smoke !== undefined ? { smoke: c.smoke ? `${c.smoke.method} ${c.smoke.path}` : null } : {}),
    ...(c.bindings !== undefined ? { bindings: c.bindings } : {}),
  })
  const bindingsOf = (id: number): ServingEndpoint['bindings'] =>
    (
      o.db
        .prepare('SELECT model, served_name, alias FROM serving_bindings WHERE endpoint_id = ? ORDER BY model')
        .all(id) as {
        model: string
        served_name: string
        alias: string
      }[]
    ).map((b) => ({ model: b.model, servedName: b.served_name, alias: b.alias }))
  const toEndpoint = (r: Row): ServingEndpoint => {
    let smoke: SmokeSpec | null = null
    try {
      smoke = r.smoke_json ? (JSON.parse(r.smoke_json) as SmokeSpec) : null
    } catch {
      smoke = null
    }
    return {
      id: r.id,
      name: r.name,
      url: r.url,
      host: hosts.nameOf(r.host_id ?? 1),
      kind: (r.kind as ServingKind | null) ?? null,
      createdAt: r.created_at,
      auth: r.auth_type ? { type: r.auth_type, user: r.auth_user } : null,
      smoke,
      bindings: bindingsOf(r.id),
    }
  }
  const rowOf = (id: number): Row | undefined =>
    o.db.prepare('SELECT * FROM serving_endpoints WHERE id = ?').get(id) as Row | undefined
  /** Authorization for a poll: a secret that cannot be read is a problem reported by the poll. */
  function headersFor(id: number): { headers: Record<string, string>; problem: string | null } {
    const r = rowOf(id)
    if (!r?.auth_type || !r.secret_ref) return { headers: {}, problem: null }
    try {
      const secret = o.secrets.get(r.secret_ref)
      if (secret === null) {
        return {
          headers: {},
          problem: `the ${r.auth_type} credentials for this endpoint are not in ${o.secrets.description}: enter them again`,
        }
      }
      const value =
        r.auth_type === 'bearer'
          ? `Bearer ${secret}`
          : `Basic ${Buffer.from(`${r.auth_user ?? ''}:${secret}`).toString('base64')}`
      return { headers: { authorization: value }, problem: null }
    } catch (err) {
      return { headers: {}, problem: (err as Error).message }
    }
  }
  /** One probe of an endpoint as saved: its credentials, its smoke request, the previous scrape. */
  async function probeOnce(e: ServingEndpoint, previous: Scrape | null) {
    const { headers, problem } = headersFor(e.id)
    const out = await probeWithScrape(e.url, {
      kind: e.kind ?? undefined,
      // An endpoint of another host is reached from that host, through its SSH connection.
      limits: { timeoutMs: o.timeoutMs, via: o.tunnelOf?.(e.host) },
      previous,
      headers,
      smoke: e.smoke,
    })
    if (problem) out.result.problems.unshift(problem)
    return { ...out, endpoint: e }
  }
  const statusOf = (endpoint: ServingEndpoint, result: ProbeResult | null): EndpointStatus => ({
    endpoint,
    latest: result,
    verdict: verdictOf(result),
    intent: endpoint.bindings.map((b) => {
      let exp: Expected | null = null
      try {
        exp = o.expected(b.model, b.alias)
      } catch {
        exp = null
      }
      return checkIntent(b, exp, result)
    }),
  })
  /** Stores credentials in the secrets service and only their reference in the database. */
  function applyAuth(id: number, auth: EndpointAuthInput | null): void {
    const r = rowOf(id)
    if (!r) return
    if (auth === null) {
      if (r.secret_ref) o.secrets.remove(r.secret_ref)
      o.db
        .prepare('UPDATE serving_endpoints SET auth_type = NULL, auth_user = NULL, secret_ref = NULL WHERE id = ?')
        .run(id)
      return
    }
    const ref = r.secret_ref ?? o.secrets.newRef()
    o.secrets.set(ref, auth.type === 'bearer' ? auth.token : auth.password)
    o.db
      .prepare('UPDATE serving_endpoints SET auth_type = ?, auth_user = ?, secret_ref = ? WHERE id = ?')
      .run(auth.type, auth.type === 'basic' ? auth.user : null, ref, id)
  }
  function applyConfig(id: number, c: EndpointConfig): void {
    if (c.auth !== undefined) applyAuth(id, c.auth)
    if (c.smoke !== undefined)
      o.db
        .prepare('UPDATE serving_endpoints SET smoke_json = ? WHERE id = ?')
        .run(c.smoke ? JSON.stringify(c.smoke) : null, id)
    if (c.bindings !== undefined) {
      const bindings = c.bindings
      o.db.transaction(() => {
        o.db.prepare('DELETE FROM serving_bindings WHERE endpoint_id = ?').run(id)
        const ins = o.db.prepare(
          'INSERT INTO serving_bindings (endpoint_id, model, served_name, alias) VALUES (?, ?, ?, ?)',
        )
        for (const b of bindings) ins.run(id, b.model, b.servedName || b.model, b.alias || 'production')
      })()
    }
  }
  const latest = new Map<number, ProbeResult>()
  const scrapes = new Map<number, Scrape | null>()
  const pollers = new Map<number, Poller>()
  let running = false

  const all = (): ServingEndpoint[] =>
    (o.db.prepare('SELECT * FROM serving_endpoints ORDER BY name').all() as Row[]).map(toEndpoint)

  function watch(e: ServingEndpoint): void {
    if (!running || pollers.has(e.id) || o.intervalMs <= 0) return
    const p = createPoller({
      name: `endpoint ${e.name}`,
      intervalMs: o.intervalMs,
      // The probe bounds each request itself; this outer bound covers a probe's several requests.
      timeoutMs: o.timeoutMs * 12,
      now: o.now,
      run: () => {
        // Read the endpoint each poll: its smoke request and credentials may have changed.
        const row = rowOf(e.id)
        return probeOnce(row ? toEndpoint(row) : e, scrapes.get(e.id) ?? null)
      },
      onOutcome: (out) => {
        if (!pollers.has(e.id)) return // removed meanwhile
        if (out.ok) {
          scrapes.set(e.id, out.value.scrape)
          latest.set(e.id, out.value.result)
          o.publish(out.value.endpoint, out.value.result, statusOf(out.value.endpoint, out.value.result))
        }
      },
    })
    pollers.set(e.id, p)
    p.start()
  }

  return {
    name: 'serving endpoints',
    list: () => all().map((endpoint) => statusOf(endpoint, latest.get(endpoint.id) ?? null)),
    boundTo: (model) =>
      (
        o.db.prepare('SELECT endpoint_id FROM serving_bindings WHERE model = ?').all(model) as { endpoint_id: number }[]
      ).map((r) => r.endpoint_id),
    add(input) {
      const url = input.url.trim()
      const name = input.name?.trim() || new URL(url).host
      try {
        // One transaction: an endpoint whose credentials cannot be stored is not saved at all.
        const id = o.db.transaction(() => {
          const info = o.db
            .prepare('INSERT INTO serving_endpoints (host_id, name, url, kind, created_at) VALUES (?, ?, ?, ?, ?)')
            .run(hosts.idOf(input.host), name, url, input.kind ?? null, o.now())
          const newId = Number(info.lastInsertRowid)
          applyConfig(newId, input)
          o.audit?.('endpoint.add', {
            id: newId,
            name,
            url,
            host: input.host ?? 'local',
            kind: input.kind ?? null,
            ...described(input),
          })
          return newId
        })()
        const e = toEndpoint(rowOf(id) as Row)
        watch(e)
        return e
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new GantryError(
            'serving/duplicate-endpoint',
            `an endpoint with this name or URL exists already (${name}, ${url})`,
          )
        }
        throw err
      }
    },
    async probeNow(id) {
      const row = rowOf(id)
      if (!row) throw new GantryError('serving/unknown-endpoint', `no endpoint with id ${id}`)
      return (await probeOnce(toEndpoint(row), null)).result
    },
    configure(id, config) {
      const before = rowOf(id)
      if (!before) throw new GantryError('serving/unknown-endpoint', `no endpoint with id ${id}`)
      o.db.transaction(() => {
        applyConfig(id, config)
        o.audit?.('endpoint.configure', { id, name: before.name, ...described(config) })
      })()
      return toEndpoint(rowOf(id) as Row)
    },
    remove(id) {
      const row = rowOf(id)
      const ref = row?.secret_ref
      const changed = o.db.transaction(() => {
        const n = o.db.prepare('DELETE FROM serving_endpoints WHERE id = ?').run(id).changes
        if (n) o.audit?.('endpoint.remove', { id, name: row?.name, url: row?.url })
        return n
      })()
      if (changed === 0) throw new GantryError('serving/unknown-endpoint', `no endpoint with id ${id}`)
      if (ref) o.secrets.remove(ref)
      pollers.get(id)?.stop()
      pollers.delete(id)
      latest.delete(id)
      scrapes.delete(id)
    },
    sync() {
      if (!running) return
      const now = all()
      const ids = new Set(now.map((e) => e.id))
      for (const e of now) watch(e)
      for (const [id, p] of pollers) {
        if (ids.has(id)) continue
        p.stop()
        pollers.delete(id)
        latest.delete(id)
        scrapes.delete(id)
      }
    },
    start() {
      running = true
      for (const e of all()) watch(e)
    },
    stop() {
      running = false
      for (const p of pollers.values()) p.stop()
      pollers.clear()
    },
  }
}
