// The Prometheus area's methods: sources (add — tested first —, list, test, remove), latched XID
// acknowledgement, and a model's KPIs. A URL is checked before use (http or https, no credentials
// in it), a CA bundle path through the file policy; credentials go to the secrets service. Every
// change is audited.
import type { Handlers } from '../api'
import { actorOr } from '../caller'
import { GantryError } from '../errors'
import type { FileAccess } from '../files/local-files'
import type { Registry } from '../registry/registry'
import type { SecretStore } from '../secrets'
import { PromSourceName, type PromAuthInput, type PromSourceInput } from '../../../shared/prometheus'
import { readCa, type PromService } from './service'
import type { PromStore, SourceRow } from './store'

export type PromMethods = Extract<keyof Handlers, `prometheus.${string}` | `kpi.${string}`>

export const DEFAULT_PROM_TIMEOUT_MS = 10_000

/** A source URL as given: http(s), a host, no user:password (use --auth), no query or fragment. */
export function checkSourceUrl(raw: string): string {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new GantryError('contract/invalid-input', `"${raw}" is not a URL (e.g. http://prometheus:9090/)`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new GantryError('contract/invalid-input', `${u.protocol} URLs are not Prometheus APIs (http or https)`)
  }
  if (u.username || u.password) {
    throw new GantryError(
      'contract/invalid-input',
      'credentials do not go in the URL: use --auth bearer|basic (kept by the secrets service)',
    )
  }
  if (u.search || u.hash) throw new GantryError('contract/invalid-input', 'the base URL takes no query or fragment')
  return u.toString()
}

const secretOf = (a: PromAuthInput | undefined): string | null =>
  !a ? null : a.type === 'bearer' ? a.token : a.password

export function prometheusHandlers(d: {
  prom: PromService
  store: PromStore
  secrets: SecretStore
  files: FileAccess
  registry: Registry
  now: () => number
  actor: string
}): Pick<Handlers, PromMethods> {
  const { prom, store, registry } = d
  const known = (model: string): void => {
    if (!registry.hasModel(model)) throw new GantryError('registry/unknown-model', `no model named "${model}"`)
  }
  const caPath = async (p: string | undefined): Promise<string | null> => {
    if (!p) return null
    const real = await d.files.resolve(p, { what: 'the CA bundle', kind: 'file' })
    readCa(real) // PEM, a regular file, at most CA_MAX_BYTES
    return real
  }
  const rowOf = async (
    input: Pick<PromSourceInput, 'url' | 'headers' | 'auth' | 'caFile' | 'timeoutMs'>,
    name: string,
  ): Promise<Omit<SourceRow, 'id' | 'createdAt' | 'updatedAt'>> => ({
    name,
    url: checkSourceUrl(input.url),
    headers: input.headers ?? {},
    authType: input.auth?.type ?? null,
    authUser: input.auth?.type === 'basic' ? input.auth.user : null,
    secretRef: null,
    caFile: await caPath(input.caFile),
    timeoutMs: input.timeoutMs ?? DEFAULT_PROM_TIMEOUT_MS,
  })

  return {
    'prometheus.list': () => prom.sources(),
    'prometheus.add': async (input) => {
      const url = checkSourceUrl(input.url)
      const derived = new URL(url).hostname
        .replace(/^\[|\]$/g, '')
        .replace(/[^A-Za-z0-9._-]+/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '')
        .slice(0, 100)
      const name = input.name ?? (PromSourceName.safeParse(derived).success ? derived : 'prometheus')
      if (store.source(name)) {
        throw new GantryError('prometheus/duplicate-source', `a Prometheus source named "${name}" exists already`)
      }
      const row = await rowOf(input, name)
      if (!input.force) {
        const t = await prom.test(row, secretOf(input.auth))
        if (!t.ok) {
          throw new GantryError(
            'prometheus/unreachable',
            `${url} did not answer as a Prometheus API: ${t.error} (save it anyway with --force)`,
          )
        }
      }
      let secretRef: string | null = null
      const secret = secretOf(input.auth)
      if (secret !== null) {
        secretRef = d.secrets.newRef()
        d.secrets.set(secretRef, secret)
      }
      store.addSource({ ...row, secretRef })
      registry.record('prometheus.add', null, {
        name,
        url,
        headers: Object.keys(row.headers),
        auth: row.authType ?? 'none',
        caFile: row.caFile,
        timeoutMs: row.timeoutMs,
        by: actorOr(d.actor),
      })
      prom.sync()
      await prom.source(name).poll()
      const status = prom.sources().find((s) => s.name === name)
      if (!status) throw new GantryError('core/internal', `source ${name} was saved but is not listed`)
      return status
    },
    'prometheus.test': async (input) => {
      if (input.name) {
        const row = store.source(input.name)
        if (!row) throw new GantryError('prometheus/unknown-source', `no Prometheus source named "${input.name}"`)
        return prom.test(row, row.secretRef ? d.secrets.get(row.secretRef) : null)
      }
      if (!input.url) throw new GantryError('contract/invalid-input', 'name a saved source or give a URL')
      return prom.test(await rowOf({ ...input, url: input.url }, 'test'), secretOf(input.auth))
    },
    'prometheus.remove': async (input) => {
      const kpis = store.kpis().filter((k) => k.source === input.name)
      if (kpis.length) {
        throw new GantryError(
          'hosts/in-use',
          `Prometheus source ${input.name} is used by ${kpis.map((k) => `the KPI "${k.name}" of ${k.model}`).join(', ')}: remove those first`,
        )
      }
      const row = store.removeSource(input.name)
      if (row.secretRef) d.secrets.remove(row.secretRef)
      registry.record('prometheus.remove', null, { name: input.name, url: row.url })
      prom.sync()
      return {}
    },
    'prometheus.ackXid': (input) => {
      const n = store.ack(input.uuid, actorOr(d.actor), input.note ?? null, d.now(), input.code)
      if (!n) {
        throw new GantryError('gpu/unknown-gpu', `no unacknowledged XID on ${input.host} GPU ${input.uuid}`)
      }
      registry.record('gpu.xid-acknowledged', null, {
        host: input.host,
        uuid: input.uuid,
        code: input.code ?? 'all',
        note: input.note ?? null,
      })
      return { acknowledged: n }
    },
    'kpi.list': async (input) => {
      known(input.model)
      const rows = store.kpis(input.model)
      return Promise.all(rows.map((r) => prom.kpi(r, input.rangeMs ?? 24 * 3600_000, input.maxPoints ?? 300)))
    },
    'kpi.set': async (input) => {
      known(input.model)
      if (!store.source(input.source)) {
        throw new GantryError(
          'prometheus/unknown-source',
          `no Prometheus source named "${input.source}" (gantry prometheus add URL)`,
        )
      }
      const before = store.kpis(input.model).find((k) => k.name === input.name) ?? null
      // A query Prometheus cannot parse is refused now, not found broken on the model page later.
      const probe = await prom.kpi({ ...input }, 3600_000, 10)
      if (probe.error && /bad_data|parse error/i.test(probe.error)) {
        throw new GantryError('prometheus/query-failed', `the KPI query does not run: ${probe.error}`)
      }
      store.setKpi(input, d.now())
      registry.record('model.kpi-set', input.model, { before, after: input })
      return prom.kpi({ ...input }, 24 * 3600_000, 300)
    },
    'kpi.remove': (input) => {
      if (!store.removeKpi(input.model, input.name)) {
        throw new GantryError('prometheus/unknown-kpi', `${input.model} has no KPI named "${input.name}"`)
      }
      registry.record('model.kpi-remove', input.model, { name: input.name })
      return {}
    },
  }
}
