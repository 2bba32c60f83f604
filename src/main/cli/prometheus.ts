// `gantry prometheus`: Prometheus-compatible sources (Prometheus, Thanos, Mimir, VictoriaMetrics)
// whose exporters' hosts join the fleet — add (tested first), list, test, remove, and acknowledging
// a latched XID; `gantry kpi`: a model's business KPIs as PromQL. A credential comes from the
// environment ($GANTRY_PROM_TOKEN for bearer, $GANTRY_PROM_PASSWORD for basic), never from the
// command line (it would sit in the shell history), and is kept by the secrets service.
import type { Command } from 'commander'
import type { Kpi, PromAuthInput, PromSourceStatus, PromTestResult } from '../../shared/prometheus'
import type { Gantry } from '../core'
import { GantryError } from '../core/errors'

type WithCore = (f: (g: Gantry) => Promise<void>, opts?: { readOnly?: boolean }) => Promise<void>

async function call<T>(g: Gantry, method: string, input: unknown): Promise<T> {
  const r = await g.api.call(method as never, input)
  if (!r.ok) throw new GantryError(r.error.code, r.error.message)
  return r.data as T
}

const collect = (v: string, all: string[]): string[] => [...all, v]

/** `K: V` headers from the command line. */
export function parseHeaders(list: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const h of list) {
    const i = h.indexOf(':')
    if (i <= 0) throw new GantryError('contract/invalid-input', `--header "${h}": expected "Name: value"`)
    out[h.slice(0, i).trim()] = h.slice(i + 1).trim()
  }
  return out
}

function authFrom(kind: string | undefined, user: string | undefined): PromAuthInput | undefined {
  if (!kind) return undefined
  if (kind === 'bearer') {
    const token = process.env.GANTRY_PROM_TOKEN
    if (!token) throw new GantryError('contract/invalid-input', '--auth bearer takes its token from $GANTRY_PROM_TOKEN')
    return { type: 'bearer', token }
  }
  if (kind === 'basic') {
    const password = process.env.GANTRY_PROM_PASSWORD
    if (!user || password === undefined) {
      throw new GantryError('contract/invalid-input', '--auth basic needs --user NAME and $GANTRY_PROM_PASSWORD')
    }
    return { type: 'basic', user, password }
  }
  throw new GantryError('contract/invalid-input', `--auth ${kind}: bearer or basic`)
}

const ago = (t: number | null): string => {
  if (!t) return 'never'
  const s = Math.max(0, Math.round((Date.now() - t) / 1000))
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`
}

export function formatSources(list: PromSourceStatus[]): string {
  if (!list.length) return 'no Prometheus sources (gantry prometheus add URL)\n'
  const out: string[] = []
  for (const s of list) {
    const e = s.exporters
    out.push(
      `${s.name}  ${s.state.toUpperCase()}  ${s.url}  ${s.version ? `v${s.version}` : ''}`.trimEnd(),
      `  ${s.hosts} hosts, ${s.gpus} GPUs — dcgm-exporter on ${e.dcgm}, nvidia_gpu_exporter on ${e.nvidiaGpuExporter}, node_exporter on ${e.node} instances; polled ${ago(s.lastPollAt)}${s.lastPollMs !== null ? ` in ${s.lastPollMs} ms` : ''}`,
    )
    if (s.auth !== 'none' || Object.keys(s.headers).length || s.caFile) {
      out.push(
        `  auth ${s.auth}${Object.keys(s.headers).length ? `, headers ${Object.keys(s.headers).join(', ')}` : ''}${s.caFile ? `, CA ${s.caFile}` : ''}`,
      )
    }
    if (s.error) out.push(`  ! ${s.error}`)
    for (const w of s.warnings) out.push(`  warning: ${w}`)
    for (const m of s.missing) out.push(`  missing: ${m}`)
  }
  return `${out.join('\n')}\n`
}

function formatTest(t: PromTestResult): string {
  const lines = [
    `${t.url}: ${t.ok ? 'answers' : 'DOES NOT ANSWER'}${t.version ? ` (Prometheus ${t.version})` : ''} in ${t.ms} ms`,
  ]
  if (t.error) lines.push(`  ! ${t.error}`)
  if (t.ok) {
    lines.push(
      `  dcgm-exporter on ${t.exporters.dcgm}, nvidia_gpu_exporter on ${t.exporters.nvidiaGpuExporter}, node_exporter on ${t.exporters.node} instances`,
    )
  }
  for (const m of t.missing) lines.push(`  missing: ${m}`)
  return `${lines.join('\n')}\n`
}

const num =
  (what: string) =>
  (v: string): number => {
    const n = Number(v)
    if (!Number.isFinite(n)) throw new GantryError('contract/invalid-input', `${what} is a number`)
    return n
  }

export function addPrometheusCommands(program: Command, withCore: WithCore): void {
  const cmd = program
    .command('prometheus')
    .description('Prometheus-compatible sources whose exporters (dcgm, nvidia_gpu, node) become hosts of the fleet')
  cmd
    .command('list', { isDefault: true })
    .description('every source: state, exporters found, hosts and GPUs, what is missing')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      await withCore(async (g) => {
        // A CLI starts no pollers: each source is asked once now.
        await g.fleet.externalReady()
        const list = await call<PromSourceStatus[]>(g, 'prometheus.list', {})
        process.stdout.write(o.json ? `${JSON.stringify(list, null, 2)}\n` : formatSources(list))
        if (list.some((s) => s.state === 'error')) process.exitCode = 1
      })
    })
  cmd
    .command('add <url>')
    .description('add a source (asked first: it must answer as a Prometheus API, or give --force)')
    .option('--name <name>', 'its name in Gantry (default: the URL host)')
    .option(
      '--header <header>',
      'a header sent with every request, "Name: value" (repeatable), e.g. X-Scope-OrgID',
      collect,
      [],
    )
    .option('--auth <kind>', 'bearer ($GANTRY_PROM_TOKEN) or basic (--user, $GANTRY_PROM_PASSWORD)')
    .option('--user <name>', 'the basic-auth user')
    .option('--ca <file>', 'PEM CA bundle for an https URL signed by the site CA')
    .option('--timeout <ms>', 'per-request deadline (default 10000)', num('--timeout'))
    .option('--force', 'save it even if it does not answer now')
    .option('--json', 'print as JSON')
    .action(
      async (
        url: string,
        o: {
          name?: string
          header: string[]
          auth?: string
          user?: string
          ca?: string
          timeout?: number
          force?: boolean
          json?: boolean
        },
      ) => {
        await withCore(async (g) => {
          const s = await call<PromSourceStatus>(g, 'prometheus.add', {
            url,
            name: o.name,
            headers: o.header.length ? parseHeaders(o.header) : undefined,
            auth: authFrom(o.auth, o.user),
            caFile: o.ca,
            timeoutMs: o.timeout,
            force: o.force,
          })
          process.stdout.write(
            o.json ? `${JSON.stringify(s, null, 2)}\n` : `added Prometheus source ${s.name}\n${formatSources([s])}`,
          )
        })
      },
    )
  cmd
    .command('test <nameOrUrl>')
    .description('ask a saved source, or a URL (nothing saved): version, exporters, what is missing')
    .option('--header <header>', '"Name: value" (repeatable)', collect, [])
    .option('--auth <kind>', 'bearer ($GANTRY_PROM_TOKEN) or basic (--user, $GANTRY_PROM_PASSWORD)')
    .option('--user <name>', 'the basic-auth user')
    .option('--ca <file>', 'PEM CA bundle')
    .option('--timeout <ms>', 'per-request deadline', num('--timeout'))
    .option('--json', 'print as JSON')
    .action(
      async (
        target: string,
        o: { header: string[]; auth?: string; user?: string; ca?: string; timeout?: number; json?: boolean },
      ) => {
        await withCore(async (g) => {
          const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(target)
          const t = await call<PromTestResult>(
            g,
            'prometheus.test',
            isUrl
              ? {
                  url: target,
                  headers: o.header.length ? parseHeaders(o.header) : undefined,
                  auth: authFrom(o.auth, o.user),
                  caFile: o.ca,
                  timeoutMs: o.timeout,
                }
              : { name: target },
          )
          process.stdout.write(o.json ? `${JSON.stringify(t, null, 2)}\n` : formatTest(t))
          if (!t.ok) process.exitCode = 1
        })
      },
    )
  cmd
    .command('remove <name>')
    .description('forget a source and its credential (refused while a KPI uses it)')
    .action(async (name: string) => {
      await withCore(async (g) => {
        await call(g, 'prometheus.remove', { name })
        process.stdout.write(`removed Prometheus source ${name}\n`)
      })
    })
  cmd
    .command('ack-xid <host> <uuid>')
    .description('acknowledge the XIDs latched on a GPU (dcgm-exporter keeps only the last; Gantry keeps each)')
    .option('--code <n>', 'only this XID code', num('--code'))
    .option('--note <text>', 'what was done (audited)')
    .action(async (host: string, uuid: string, o: { code?: number; note?: string }) => {
      await withCore(async (g) => {
        const r = await call<{ acknowledged: number }>(g, 'prometheus.ackXid', {
          host,
          uuid,
          code: o.code,
          note: o.note,
        })
        process.stdout.write(
          `acknowledged ${r.acknowledged} XID${r.acknowledged === 1 ? '' : 's'} on ${host} ${uuid}\n`,
        )
      })
    })

  const kpi = program.command('kpi').description("a model's business KPIs: PromQL with a direction and a threshold")
  kpi
    .command('list <model>', { isDefault: true })
    .description('each KPI with its value now, whether it is past its threshold')
    .option('--json', 'print as JSON (with the last 24 h of points)')
    .action(async (model: string, o: { json?: boolean }) => {
      await withCore(async (g) => {
        await g.fleet.externalReady()
        const list = await call<Kpi[]>(g, 'kpi.list', { model })
        if (o.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
        else if (!list.length)
          process.stdout.write(`${model} has no KPIs (gantry kpi set ${model} NAME --source S --query Q …)\n`)
        else {
          for (const k of list) {
            const dir = k.direction === 'higher-is-better' ? '≥' : '≤'
            process.stdout.write(
              `${k.name}  ${k.value === null ? '—' : `${k.value}${k.unit ? ` ${k.unit}` : ''}`}  ${k.breached ? 'PAST THRESHOLD' : 'ok'}${k.threshold !== null ? ` (wants ${dir} ${k.threshold})` : ''}  [${k.source}] ${k.query}${k.error ? `\n  ! ${k.error}` : ''}\n`,
            )
          }
        }
        if (list.some((k) => k.breached)) process.exitCode = 1
      })
    })
  kpi
    .command('set <model> <name>')
    .description('add or change a KPI (the query is run once first: one that does not parse is refused)')
    .requiredOption('--source <name>', 'a Prometheus source of `gantry prometheus list`')
    .requiredOption('--query <promql>', 'PromQL giving one value (aggregate it: sum, avg)')
    .option('--lower-is-better', 'a value above the threshold is bad (default: below it is)')
    .option('--threshold <x>', 'the line not to cross', num('--threshold'))
    .option('--unit <unit>', 'shown with the value', '')
    .option('--json', 'print as JSON')
    .action(
      async (
        model: string,
        name: string,
        o: { source: string; query: string; lowerIsBetter?: boolean; threshold?: number; unit: string; json?: boolean },
      ) => {
        await withCore(async (g) => {
          await g.fleet.externalReady()
          const k = await call<Kpi>(g, 'kpi.set', {
            model,
            name,
            source: o.source,
            query: o.query,
            direction: o.lowerIsBetter ? 'lower-is-better' : 'higher-is-better',
            threshold: o.threshold ?? null,
            unit: o.unit,
          })
          process.stdout.write(
            o.json
              ? `${JSON.stringify(k, null, 2)}\n`
              : `KPI ${k.name} of ${model} set: now ${k.value ?? '—'}${k.breached ? ' (past its threshold)' : ''}\n`,
          )
        })
      },
    )
  kpi
    .command('remove <model> <name>')
    .description('forget a KPI')
    .action(async (model: string, name: string) => {
      await withCore(async (g) => {
        await call(g, 'kpi.remove', { model, name })
        process.stdout.write(`removed KPI ${name} of ${model}\n`)
      })
    })
}
