// Real Prometheus servers for the tests (Debian's `prometheus` and `prometheus-node-exporter`),
// started on 127.0.0.1 with a throwaway config and data dir, stopped by the caller.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { tmpDir } from './tmp'

export const PROMETHEUS = '/usr/bin/prometheus'
export const PROMTOOL = '/usr/bin/promtool'
export const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter'
export const havePrometheus = existsSync(PROMETHEUS) && existsSync(NODE_EXPORTER)

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port
      srv.close(() => resolve(p))
    })
  })
}

export interface Running {
  url: string
  port: number
  dir: string
  stop(): Promise<void>
}

async function waitFor(url: string, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    try {
      const r = await fetch(url)
      if (r.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what} did not start within ${ms} ms (${url})`)
}

/** Waits until something accepts TCP connections on 127.0.0.1:port (an https server we cannot verify here). */
async function waitForPort(port: number, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what} did not listen on ${port} within ${ms} ms`)
}

function stopper(p: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve()
      p.once('exit', () => resolve())
      p.kill('SIGTERM')
      setTimeout(() => p.kill('SIGKILL'), 5000).unref()
    })
}

/** A node_exporter on a free loopback port, with the collectors Gantry reads. */
export async function startNodeExporter(): Promise<Running> {
  const port = await freePort()
  const p = spawn(
    NODE_EXPORTER,
    [
      `--web.listen-address=127.0.0.1:${port}`,
      '--collector.disable-defaults',
      '--collector.cpu',
      '--collector.meminfo',
      '--collector.loadavg',
      '--collector.filesystem',
      '--collector.uname',
      '--collector.stat',
    ],
    { stdio: 'ignore' },
  )
  const url = `http://127.0.0.1:${port}`
  await waitFor(`${url}/metrics`, 'node_exporter')
  return { url, port, dir: '', stop: stopper(p) }
}

/** A Prometheus scraping `jobs` (job name → targets as host:port) every `interval`. */
export async function startPrometheus(
  jobs: Record<string, string[]>,
  o: { interval?: string; extraArgs?: string[]; tsdb?: string; https?: boolean } = {},
): Promise<Running> {
  const dir = tmpDir()
  const port = await freePort()
  const interval = o.interval ?? '1s'
  const config = [
    `global: { scrape_interval: ${interval}, evaluation_interval: ${interval} }`,
    'scrape_configs:',
    ...Object.entries(jobs).flatMap(([job, targets]) => [
      `  - job_name: ${job}`,
      `    static_configs: [{ targets: [${targets.map((t) => `"${t}"`).join(', ')}] }]`,
    ]),
    '',
  ].join('\n')
  writeFileSync(join(dir, 'prometheus.yml'), Object.keys(jobs).length ? config : 'global: {}\n')
  const p = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${o.tsdb ?? join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(o.extraArgs ?? []),
    ],
    { stdio: 'ignore' },
  )
  const url = `${o.https ? 'https' : 'http'}://127.0.0.1:${port}`
  if (o.https) await waitForPort(port, 'Prometheus')
  else await waitFor(`${url}/-/ready`, 'Prometheus', 30_000)
  return { url, port, dir, stop: stopper(p) }
}

/** Polls `f` until it returns something truthy. */
export async function until<T>(f: () => Promise<T | null | undefined | false>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  let last: unknown = null
  while (Date.now() < end) {
    try {
      const v = await f()
      if (v) return v
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`)
}

export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager'
export const haveAlertmanager = existsSync(ALERTMANAGER)

/** A real Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1, clustering off, one null
 *  receiver; `port` to restart one where it was. */
export async function startAlertmanager(o: { port?: number; dir?: string } = {}): Promise<Running> {
  const port = o.port ?? (await freePort())
  const dir = o.dir ?? tmpDir('gantry-am-')
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    ['route:', '  receiver: "null"', '  group_wait: 1s', 'receivers:', '  - name: "null"', ''].join('\n'),
  )
  const p = spawn(
    ALERTMANAGER,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let err = ''
  p.stderr?.on('data', (b: Buffer) => {
    err = (err + b.toString()).slice(-4000)
  })
  try {
    await waitFor(`http://127.0.0.1:${port}/-/ready`, 'alertmanager')
  } catch (e) {
    p.kill('SIGKILL')
    throw new Error(`${(e as Error).message}\n${err}`)
  }
  return { url: `http://127.0.0.1:${port}/`, port, dir, stop: stopper(p) }
}
