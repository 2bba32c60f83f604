// The `gantry` command line: the same core as the desktop and the headless console, for field
// engineers and scripts. Every subcommand is a thin call into createGantry's api.
import { Command, InvalidArgumentError } from 'commander'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { HostSnapshot, ProbeResult, ServingEndpoint, StorageSnapshot } from '../../shared/contract'
import { SERVING_KINDS } from '../../shared/serving'
import { appVersion, createGantry, resolveConfig, type Gantry } from '../core'
import { GantryError } from '../core/errors'
import { startServer } from '../server/server'
import {
  METRICS_TOKEN_FILE,
  consoleLink,
  isLoopbackHost,
  loadOrCreateToken,
  readServerFile,
  removeServerFile,
  writeServerFile,
} from '../server/token'
import { formatHealth, formatHostReport } from './format'
import type { HealthRollup } from '../../shared/health'
import { addRegistryCommands } from './registry'
import { addDeployCommands } from './deploy'
import { addDriftCommands } from './drift'
import { addRootsCommands } from './roots'
import { addHostsCommands } from './hosts'
import { addPrometheusCommands } from './prometheus'
import { addAlertCommands } from './alerts'
import { addReleaseCommands } from './release'
import { formatGpuReport, gpuReportFromCsvFile, gpuReportFromSnapshot, gpuReportFromXmlFile, waitForGpus } from './gpu'

function port(v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is 0–65535')
  return n
}
function ms(v: string): number {
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('milliseconds, 0 or more')
  return n
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM'
  }
}

/** The console a server file names, if it really is one: a live `gantry serve` process (its
 *  command line says so where /proc is readable: a reused pid is not it) on a loopback address
 *  (the token is never sent anywhere else). */
function consoleAt(info: { url: string; pid: number }): boolean {
  if (!pidAlive(info.pid)) return false
  try {
    if (!isLoopbackHost(new URL(info.url).hostname.replace(/^\[|\]$/g, ''))) return false
  } catch {
    return false
  }
  try {
    const argv = readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').split('\0')
    return argv.includes('serve') || argv.some((a) => /electron|gantry/i.test(a))
  } catch {
    return process.platform !== 'linux' // no /proc to ask (macOS, Windows): the pid is trusted
  }
}

function fatal(err: unknown): never {
  const msg =
    err instanceof GantryError ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err)
  process.stderr.write(`gantry: ${msg}\n`)
  process.exit(err instanceof GantryError && err.code === 'contract/invalid-input' ? 2 : 1)
}

function open(opts: { dataDir?: string }, extra: Parameters<typeof createGantry>[0] = {}): Gantry {
  try {
    return createGantry({ dataDir: opts.dataDir, ...extra })
  } catch (err) {
    fatal(err)
  }
}

export function buildProgram(): Command {
  const program = new Command()
  program
    .name('gantry')
    .description("Gantry: the operator's console for on-prem GPU servers and the models they serve")
    // -V only: `--version N` belongs to deploy and register (commander would take it for the app's).
    .version(appVersion(), '-V', 'print the Gantry version (also: gantry --version)')
    .option('--data-dir <dir>', 'data directory (default: $GANTRY_HOME or the OS app-data dir)')
    .showHelpAfterError()

  program
    .command('serve')
    .description('serve the console and its API over HTTP/WebSocket (127.0.0.1 by default)')
    .option('--port <port>', 'port to listen on (0 picks a free one)', port, 7300)
    .option('--host <host>', 'address to bind (every request needs the access token)', '127.0.0.1')
    .option('--host-interval <ms>', 'host poll interval in ms (0 disables)', ms)
    .option('--storage-interval <ms>', 'filesystem poll interval in ms (0 disables)', ms)
    .action(async (o: { port: number; host: string; hostInterval?: number; storageInterval?: number }) => {
      await serve({ ...program.opts(), ...o })
    })

  program
    .command('url')
    .description("print the running console's link with its access token (for the data directory's owner)")
    .action(() => {
      const dataDir = resolveConfig({ dataDir: program.opts().dataDir }).dataDir
      const info = readServerFile(dataDir)
      const alive = info !== null && pidAlive(info.pid)
      if (!info || !alive) {
        process.stderr.write(`gantry: no console is running for ${dataDir} (start one with \`gantry serve\`)\n`)
        process.exit(1)
      }
      process.stdout.write(`${consoleLink(info.url, loadOrCreateToken(dataDir).token)}\n`)
    })
  program
    .command('scrape-token')
    .description(
      "print the read-only token for GET /metrics (it opens nothing else), for Prometheus's credentials_file",
    )
    .option('--path', 'print the file that holds it instead')
    .action((o: { path?: boolean }) => {
      const dataDir = resolveConfig({ dataDir: program.opts().dataDir }).dataDir
      const t = loadOrCreateToken(dataDir, METRICS_TOKEN_FILE)
      process.stdout.write(`${o.path ? t.path : t.token}\n`)
    })
  program
    .command('health')
    .description(
      "the console's health list (the Overview's card): asked of the running console; without one, what this command can read itself (exit 0 healthy, 3 otherwise)",
    )
    .option('--host <name>', 'as seen from this host (its GPUs, storage and values; default this machine)')
    .option('--json', 'print the roll-up as JSON')
    .action(async (o: { host?: string; json?: boolean }) => {
      const dataDir = resolveConfig({ dataDir: program.opts().dataDir }).dataDir
      const info = readServerFile(dataDir)
      let rollup: HealthRollup
      let note: string | null = null
      if (info && consoleAt(info)) {
        const r = await fetch(`${info.url.replace(/\/$/, '')}/api/health.get`, {
          method: 'POST',
          headers: { authorization: `Bearer ${loadOrCreateToken(dataDir).token}`, 'content-type': 'application/json' },
          body: JSON.stringify(o.host ? { host: o.host } : {}),
          signal: AbortSignal.timeout(10_000),
        }).catch((err: unknown) => fatal(new Error(`the console at ${info.url} did not answer: ${String(err)}`)))
        const body = (await r.json().catch(() => null)) as
          { ok: true; data: HealthRollup } | { ok: false; error: { code: string; message: string } } | null
        if (!body) fatal(new Error(`the console at ${info.url} answered HTTP ${r.status} without a result`))
        if (!body.ok) fatal(new GantryError(body.error.code as never, body.error.message))
        rollup = body.data
      } else {
        // No console: one fresh reading of the host and its storage; GPUs, endpoints and alerts are
        // watched only by a running console, and this says so rather than calling them healthy.
        const gantry = open(program.opts(), { door: 'cli', hostIntervalMs: 0, storageIntervalMs: 0, gpuIntervalMs: 0 })
        try {
          await gantry.api.call('host.snapshot', { host: o.host, fresh: true })
          await gantry.api.call('storage.list', { host: o.host, fresh: true })
          const r = await gantry.api.call('health.get', o.host ? { host: o.host } : {})
          if (!r.ok) throw new GantryError(r.error.code, r.error.message)
          rollup = r.data as HealthRollup
        } catch (err) {
          fatal(err)
        } finally {
          await gantry.stop()
        }
        note =
          'no console is running: this is what the command read itself (the registry, deploys, drift monitors, the host and its storage); GPUs, endpoints and alerts are watched by a running console (gantry serve)'
      }
      if (o.json) process.stdout.write(`${JSON.stringify(note ? { ...rollup, note } : rollup, null, 2)}\n`)
      else process.stdout.write(formatHealth(rollup, note))
      process.exit(rollup.level === 'ok' ? 0 : 3)
    })
  program
    .command('host')
    .description('one snapshot of a host (this one by default) and its storage')
    .option('--host <name>', 'a host of `gantry hosts` (default: this machine)')
    .option('--json', 'print the normalized snapshot as JSON')
    .action(async (o: { json?: boolean; host?: string }) => {
      const gantry = open(program.opts(), { door: 'cli', hostIntervalMs: 0, storageIntervalMs: 0, gpuIntervalMs: 0 })
      try {
        // CPU load is a rate: prime the counters, then measure over a short window.
        const first = await gantry.api.call('host.snapshot', { host: o.host, fresh: true })
        if (!first.ok) throw new GantryError(first.error.code, first.error.message)
        await new Promise((r) => setTimeout(r, 500))
        const [h, s] = await Promise.all([
          gantry.api.call('host.snapshot', { host: o.host, fresh: true }),
          gantry.api.call('storage.list', { host: o.host, fresh: true }),
        ])
        if (!h.ok) throw new GantryError(h.error.code, h.error.message)
        if (!s.ok) throw new GantryError(s.error.code, s.error.message)
        if (!h.data) {
          throw new GantryError(
            'host/unavailable',
            `no host facts for ${o.host ?? 'this machine'} yet (a host known from Prometheus needs node_exporter)`,
          )
        }
        const host = h.data as HostSnapshot
        const storage = s.data as StorageSnapshot
        process.stdout.write(
          o.json ? `${JSON.stringify({ host, storage }, null, 2)}\n` : formatHostReport(host, storage),
        )
      } catch (err) {
        fatal(err)
      } finally {
        await gantry.stop()
      }
    })
  program
    .command('gpu')
    .description(
      'GPUs of a host (this one by default) from the live stream, or parsed from a recorded nvidia-smi output',
    )
    .option('--host <name>', 'a host of `gantry hosts` (default: this machine)')
    .option('--json', 'print the normalized model as JSON')
    .option('--from-xml <file>', 'parse a recorded `nvidia-smi -q -x` instead of asking this host')
    .option('--from-csv <file>', 'parse a recorded `nvidia-smi --query-gpu=… --format=csv` (with its header)')
    .option('--wait <ms>', 'how long to wait for the first live sample', ms, 20_000)
    .action(async (o: { json?: boolean; fromXml?: string; fromCsv?: string; wait: number; host?: string }) => {
      try {
        if (o.fromXml || o.fromCsv) {
          const report = o.fromXml ? await gpuReportFromXmlFile(o.fromXml) : gpuReportFromCsvFile(o.fromCsv as string)
          process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatGpuReport(report))
          return
        }
        const gantry = open(program.opts(), {
          door: 'cli',
          hostIntervalMs: 0,
          storageIntervalMs: 0,
          gpuProcessIntervalMs: 2000,
        })
        try {
          // Only the host asked for: a fleet of fifty is not connected for one command.
          const host = o.host ?? 'local'
          const view = await gantry.fleet.view(host)
          let snap
          let source: string | undefined
          if (view.history) {
            snap = await view.gpu() // a host known from Prometheus: asked of it now
            source = 'Prometheus (dcgm-exporter or nvidia_gpu_exporter series)'
          } else {
            const done = waitForGpus(gantry, o.wait, host)
            gantry.fleet.get(host).start()
            snap = await done
          }
          const report = gpuReportFromSnapshot(snap, source)
          process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatGpuReport(report))
          if (snap.state !== 'ok') process.exitCode = 1
        } finally {
          await gantry.stop()
        }
      } catch (err) {
        fatal(err)
      }
    })
  program
    .command('probe <url>')
    .description('probe a model server once: runtime, liveness, readiness, served models and versions')
    .option('--kind <kind>', `skip detection: ${SERVING_KINDS.join(', ')}`)
    .option('--timeout <ms>', 'per-request deadline in ms', ms, 5000)
    .option('--window <ms>', 'scrape /metrics twice this far apart for rates and percentiles (0: once)', ms, 2000)
    .option('--host <name>', 'probe from this host of `gantry hosts` (through its connection)')
    .option('--json', 'print the normalized result as JSON')
    .action(
      async (url: string, o: { kind?: string; timeout: number; window: number; host?: string; json?: boolean }) => {
        const gantry = open(program.opts(), { door: 'cli', hostIntervalMs: 0, storageIntervalMs: 0, gpuIntervalMs: 0 })
        try {
          const r = await gantry.api.call('serving.probe', {
            url,
            kind: o.kind,
            ...(o.host ? { host: o.host } : {}),
            timeoutMs: o.timeout,
            metricsWindowMs: o.window,
          })
          if (!r.ok) throw new GantryError(r.error.code, r.error.message)
          const p = r.data as ProbeResult
          process.stdout.write(o.json ? `${JSON.stringify(p, null, 2)}\n` : formatProbe(p))
          if (!p.live) process.exitCode = 1
        } catch (err) {
          fatal(err)
        } finally {
          await gantry.stop()
        }
      },
    )
  const endpoint = program.command('endpoint').description('model-server endpoints Gantry polls')
  const configOptions = (c: Command): Command =>
    c
      .option(
        '--auth <type>',
        'bearer or basic; the secret is read from $GANTRY_ENDPOINT_SECRET (never from the command line)',
      )
      .option('--user <user>', 'user name for basic auth')
      .option('--no-auth', 'remove stored credentials (configure only)')
      .option('--smoke <METHOD path>', "a smoke request each poll, e.g. 'POST v1/completions'")
      .option('--smoke-body <json>', 'JSON body of the smoke request')
      .option('--smoke-timeout <ms>', 'smoke request deadline', ms, 10_000)
      .option(
        '--bind <model[=served][@alias]>',
        'a registry model this endpoint should serve (repeatable)',
        (v: string, p: string[] = []) => [...p, v],
      )
      .option('--json', 'print the endpoint as JSON')
  configOptions(
    endpoint
      .command('add <url>')
      .description('save an endpoint; a running console polls it')
      .option('--name <name>', 'a name (default: host:port)')
      .option(
        '--host <name>',
        'reach it from this host of `gantry hosts` (through its connection; default this machine)',
      )
      .option('--kind <kind>', `runtime, else detected on each poll: ${SERVING_KINDS.join(', ')}`),
  ).action(async (url: string, o: EndpointCliOptions & { name?: string; kind?: string; host?: string }) => {
    await withCore(program.opts(), async (g) => {
      const r = await g.api.call('serving.addEndpoint', {
        url,
        name: o.name,
        kind: o.kind,
        ...(o.host ? { host: o.host } : {}),
        ...endpointConfig(o, true),
      })
      if (!r.ok) throw new GantryError(r.error.code, r.error.message)
      const e = r.data as ServingEndpoint
      process.stdout.write(o.json ? `${JSON.stringify(e, null, 2)}\n` : `added endpoint ${e.id}: ${e.name} ${e.url}\n`)
    })
  })
  configOptions(
    endpoint
      .command('configure <id>')
      .description("change an endpoint's credentials, smoke request or registry bindings"),
  ).action(async (id: string, o: EndpointCliOptions) => {
    await withCore(program.opts(), async (g) => {
      const r = await g.api.call('serving.configureEndpoint', { id: Number(id), ...endpointConfig(o, false) })
      if (!r.ok) throw new GantryError(r.error.code, r.error.message)
      const e = r.data as ServingEndpoint
      process.stdout.write(o.json ? `${JSON.stringify(e, null, 2)}\n` : `configured endpoint ${e.id}: ${e.name}\n`)
    })
  })
  endpoint
    .command('list')
    .description('the saved endpoints')
    .option('--json', 'print them as JSON')
    .action(async (o: { json?: boolean }) => {
      await withCore(program.opts(), async (g) => {
        const r = await g.api.call('serving.listEndpoints', {})
        if (!r.ok) throw new GantryError(r.error.code, r.error.message)
        const list = (r.data as { endpoint: ServingEndpoint }[]).map((x) => x.endpoint)
        process.stdout.write(
          o.json
            ? `${JSON.stringify(list, null, 2)}\n`
            : list.map((e) => `${e.id}\t${e.name}\t${e.kind ?? 'detect'}\t${e.url}`).join('\n') +
                (list.length ? '\n' : 'no endpoints\n'),
        )
      })
    })
  endpoint
    .command('remove <id>')
    .description('forget an endpoint')
    .action(async (id: string) => {
      await withCore(program.opts(), async (g) => {
        const r = await g.api.call('serving.removeEndpoint', { id: Number(id) })
        if (!r.ok) throw new GantryError(r.error.code, r.error.message)
        process.stdout.write(`removed endpoint ${id}\n`)
      })
    })
  const core = (f: (g: Gantry) => Promise<void>, how?: { readOnly?: boolean }): Promise<void> =>
    withCore(program.opts(), f, how)
  addRegistryCommands(program, core)
  addDeployCommands(program, core)
  addDriftCommands(program, core)
  addRootsCommands(program, core)
  addHostsCommands(program, core)
  addPrometheusCommands(program, core)
  addAlertCommands(program, core)
  addReleaseCommands(program, core)
  return program
}

interface EndpointCliOptions {
  auth?: string | boolean
  user?: string
  smoke?: string
  smokeBody?: string
  smokeTimeout: number
  bind?: string[]
  json?: boolean
}

/** The endpoint settings the CLI flags ask for; secrets come from the environment only. */
function endpointConfig(o: EndpointCliOptions, adding: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (o.auth === false) {
    if (adding) throw new GantryError('contract/invalid-input', '--no-auth only applies to configure')
    out.auth = null
  } else if (typeof o.auth === 'string') {
    const secret = process.env.GANTRY_ENDPOINT_SECRET
    if (!secret)
      throw new GantryError(
        'contract/invalid-input',
        `--auth ${o.auth}: set GANTRY_ENDPOINT_SECRET to the token or password`,
      )
    if (o.auth === 'bearer') out.auth = { type: 'bearer', token: secret }
    else if (o.auth === 'basic') {
      if (!o.user) throw new GantryError('contract/invalid-input', '--auth basic needs --user')
      out.auth = { type: 'basic', user: o.user, password: secret }
    } else throw new GantryError('contract/invalid-input', `--auth ${o.auth}: bearer or basic`)
  }
  if (o.smoke) {
    const m = /^(GET|POST)\s+(\S+)$/i.exec(o.smoke.trim())
    if (!m) throw new GantryError('contract/invalid-input', `--smoke "${o.smoke}": expected 'GET path' or 'POST path'`)
    let body: unknown
    if (o.smokeBody !== undefined) {
      try {
        body = JSON.parse(o.smokeBody)
      } catch {
        throw new GantryError('contract/invalid-input', '--smoke-body is not valid JSON')
      }
    }
    out.smoke = {
      method: m[1].toUpperCase(),
      path: m[2],
      timeoutMs: o.smokeTimeout,
      ...(body === undefined ? {} : { body }),
    }
  }
  if (o.bind) {
    out.bindings = o.bind.map((b) => {
      const m = /^([^=@]+)(?:=([^@]+))?(?:@(.+))?$/.exec(b)
      if (!m) throw new GantryError('contract/invalid-input', `--bind ${b}: expected model[=served][@alias]`)
      return { model: m[1], servedName: m[2] ?? m[1], alias: m[3] ?? 'production' }
    })
  }
  return out
}

/** Runs one CLI action on a core with no pollers, and always closes it. A command that only
 *  reads (`readOnly`) opens the database read-only when the disk is full or read-only. */
async function withCore(
  opts: { dataDir?: string },
  f: (g: Gantry) => Promise<void>,
  how: { readOnly?: boolean } = {},
): Promise<void> {
  const quiet = {
    door: 'cli',
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
  } as const
  let g: Gantry
  try {
    g = createGantry({ dataDir: opts.dataDir, ...quiet })
  } catch (err) {
    const storage = err instanceof GantryError && (err.code === 'db/disk-full' || err.code === 'db/read-only')
    if (!how.readOnly || !storage) fatal(err)
    g = open(opts, { ...quiet, readOnly: true })
  }
  try {
    await f(g)
  } catch (err) {
    await g.stop()
    fatal(err)
  }
  await g.stop()
}

function formatProbe(p: ProbeResult): string {
  const yn = (b: boolean | null): string => (b === null ? 'unknown' : b ? 'yes' : 'no')
  const lines = [
    `${p.url} — ${p.kind}${p.runtimeVersion ? ` ${p.runtimeVersion}` : ''} (${p.detectedBy})`,
    `  live ${yn(p.live)} · ready ${yn(p.ready)} · ${p.durationMs} ms`,
  ]
  for (const m of p.models) {
    for (const v of m.versions)
      lines.push(`  ${m.name}  ${v.version ?? '—'}  ${v.state}${v.reason ? ` (${v.reason})` : ''}`)
  }
  const m = p.metrics
  if (m) {
    const f = (v: number | null, unit: string, d = 1): string => (v === null ? '—' : `${v.toFixed(d)}${unit}`)
    lines.push(
      `  metrics (${m.windowMs === null ? 'server lifetime' : `over ${(m.windowMs / 1000).toFixed(1)} s`}): ` +
        `${m.requests ?? '—'} requests, ${f(m.requestRate, ' rps', 2)}, errors ${f(m.errorRate === null ? null : m.errorRate * 100, ' %')}, ` +
        `p50 ${f(m.p50Ms, ' ms')} p95 ${f(m.p95Ms, ' ms')} p99 ${f(m.p99Ms, ' ms')} avg ${f(m.avgLatencyMs, ' ms')}, queue ${m.queueDepth ?? '—'}` +
        (m.kvCachePct === null ? '' : `, KV cache ${m.kvCachePct.toFixed(0)} %`),
    )
  }
  for (const pr of p.problems) lines.push(`  ! ${pr}`)
  return `${lines.join('\n')}\n`
}

export async function serve(o: {
  dataDir?: string
  port?: number
  host?: string
  hostInterval?: number
  storageInterval?: number
}): Promise<void> {
  let consoleUrl: string | null = null
  const gantry = open(o, {
    door: 'server',
    hostIntervalMs: o.hostInterval,
    storageIntervalMs: o.storageInterval,
    // Links in forwarded alerts (generatorURL) open this console; the token is not in them.
    consoleUrl: () => consoleUrl,
  })
  let server
  try {
    server = await startServer({
      gantry,
      host: o.host,
      port: o.port,
      rendererDir: join(__dirname, '..', 'renderer'),
    })
  } catch (err) {
    await gantry.stop()
    fatal(err)
  }
  consoleUrl = server.url
  gantry.start()
  const out = (l: string): boolean => process.stdout.write(`${l}\n`)
  // Printed once, here, on the operator's terminal: never logged elsewhere.
  out(`Gantry console: ${consoleLink(server.url, server.token)}`)
  out(`data directory: ${gantry.config.dataDir}`)
  out(
    `the link carries the access token (stored 0600 in ${server.tokenPath}); ` +
      '`gantry url` prints it again for the owner of the data directory',
  )
  writeServerFile(gantry.config.dataDir, { url: server.url, pid: process.pid, startedAt: Date.now() })
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    out(`gantry: ${signal}, stopping`)
    const hard = setTimeout(() => process.exit(1), gantry.config.stopTimeoutMs + 2000)
    hard.unref()
    removeServerFile(gantry.config.dataDir, process.pid)
    void server
      .close()
      .catch(() => {})
      .then(() => gantry.stop())
      .then(() => process.exit(0))
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

export function main(argv: string[] = process.argv): Promise<unknown> {
  if (argv.length === 3 && argv[2] === '--version') {
    process.stdout.write(`${appVersion()}\n`)
    return Promise.resolve()
  }
  return buildProgram()
    .parseAsync(argv)
    .catch((err: unknown) => fatal(err))
}

if (require.main === module) void main()
