// Saved model-server endpoints and their polling: each endpoint has its own poller (never
// overlapping itself, with its own deadline), so a hung or hostile endpoint never delays another.
// The previous /metrics scrape is kept per endpoint, so rates cover the poll interval.
import type { Db } from '../db/database'
import { GantryError } from '../errors'
import { createPoller, type Poller } from '../util/poller'
import type { ProbeResult, ServingEndpoint, ServingKind } from '../../../shared/serving'
import type { Scrape } from './metrics'
import { probeWithScrape } from './probe'

export interface EndpointService {
  list(): { endpoint: ServingEndpoint; latest: ProbeResult | null }[]
  add(input: { url: string; name?: string; kind?: ServingKind }): ServingEndpoint
  remove(id: number): void
  start(): void
  stop(): void
}

interface Row {
  id: number
  name: string
  url: string
  kind: string | null
  created_at: number
}

const toEndpoint = (r: Row): ServingEndpoint => ({
  id: r.id,
  name: r.name,
  url: r.url,
  kind: (r.kind as ServingKind | null) ?? null,
  createdAt: r.created_at,
})

export function createEndpointService(o: {
  db: Db
  intervalMs: number
  timeoutMs: number
  now: () => number
  publish: (endpoint: ServingEndpoint, result: ProbeResult) => void
}): EndpointService {
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
      run: () =>
        probeWithScrape(e.url, {
          kind: e.kind ?? undefined,
          limits: { timeoutMs: o.timeoutMs },
          previous: scrapes.get(e.id) ?? null,
        }),
      onOutcome: (out) => {
        if (!pollers.has(e.id)) return // removed meanwhile
        if (out.ok) {
          scrapes.set(e.id, out.value.scrape)
          latest.set(e.id, out.value.result)
          o.publish(e, out.value.result)
        }
      },
    })
    pollers.set(e.id, p)
    p.start()
  }

  return {
    list: () => all().map((endpoint) => ({ endpoint, latest: latest.get(endpoint.id) ?? null })),
    add(input) {
      const url = input.url.trim()
      const name = input.name?.trim() || new URL(url).host
      try {
        const info = o.db
          .prepare('INSERT INTO serving_endpoints (name, url, kind, created_at) VALUES (?, ?, ?, ?)')
          .run(name, url, input.kind ?? null, o.now())
        const e = toEndpoint(
          o.db.prepare('SELECT * FROM serving_endpoints WHERE id = ?').get(info.lastInsertRowid) as Row,
        )
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
    remove(id) {
      const changed = o.db.prepare('DELETE FROM serving_endpoints WHERE id = ?').run(id).changes
      if (changed === 0) throw new GantryError('serving/unknown-endpoint', `no endpoint with id ${id}`)
      pollers.get(id)?.stop()
      pollers.delete(id)
      latest.delete(id)
      scrapes.delete(id)
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
