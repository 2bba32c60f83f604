// Gantry's own /metrics on a real `gantry serve`: who may read it (the console token, or the
// read-only scrape token that opens nothing else), what it says (the stand-in's GPUs as gpu.snapshot
// reports them, labels escaped), that Debian's promtool accepts it, and that a real Prometheus
// scrapes it with the token in `authorization.credentials_file`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GPU_FIXTURES } from '../helpers/gpu-fixtures'
import { PROMETHEUS, PROMTOOL, freePort, until } from '../helpers/prometheus'
import { serve, type Served } from '../helpers/serve'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const standinBin = join(__dirname, '..', 'fixtures', 'bin')

let s: Served
let dataDir: string
let scrapeToken: string

beforeAll(async () => {
  dataDir = tmpDir()
  s = await serve(dataDir, {
    PATH: `${standinBin}:${process.env.PATH}`,
    STANDIN_XML: join(GPU_FIXTURES, 'datakit__gtx-8card-v100s.xml'),
    GANTRY_GPU_INTERVAL_MS: '500',
  })
  scrapeToken = readFileSync(join(dataDir, 'metrics-token'), 'utf8').trim()
}, 30_000)

afterAll(async () => {
  await s?.stop()
  cleanupTmp()
})

const scrape = (token: string | null): Promise<Response> =>
  fetch(`${s.base}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} })

/** The value of one sample line `name{labels} value` (labels as written, in order). */
function sample(body: string, name: string, labels: string): number | null {
  const line = body.split('\n').find((l) => l.startsWith(`${name}{${labels}} `))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null
}

describe('/metrics', () => {
  it('needs a token; the scrape token (0600) opens /metrics and nothing else', async () => {
    expect((await scrape(null)).status).toBe(401)
    expect((await scrape('nope')).status).toBe(401)
    expect((statSync(join(dataDir, 'metrics-token')).mode & 0o777).toString(8)).toBe('600')
    expect(scrapeToken).not.toBe(s.token)
    const withScrape = await scrape(scrapeToken)
    expect(withScrape.status).toBe(200)
    expect(withScrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect((await scrape(s.token)).status).toBe(200)
    // The scrape token drives nothing: not the API, not the WebSocket.
    expect((await s.call('app.info', {}, scrapeToken)).status).toBe(401)
    expect((await s.call('hosts.list', {}, scrapeToken)).status).toBe(401)
    const ws = new WebSocket(`${s.base.replace('http', 'ws')}/ws`, ['gantry', `gantry.token.${scrapeToken}`])
    const opened = await new Promise<boolean>((r) => {
      ws.once('open', () => r(true))
      ws.once('error', () => r(false))
      ws.once('unexpected-response', () => r(false))
    })
    ws.terminate()
    expect(opened).toBe(false)
    // `gantry scrape-token` prints the same token (and its file).
    const cli = join(__dirname, '..', '..', 'bin', 'gantry.js')
    const printed = spawnSync(process.execPath, [cli, '--data-dir', dataDir, 'scrape-token'], { encoding: 'utf8' })
    expect(printed.stdout.trim()).toBe(scrapeToken)
    const path = spawnSync(process.execPath, [cli, '--data-dir', dataDir, 'scrape-token', '--path'], {
      encoding: 'utf8',
    })
    expect(path.stdout.trim()).toBe(join(dataDir, 'metrics-token'))
  })

  it('says what the core says: host health, every GPU as gpu.snapshot reports it, endpoints with escaped labels, process metrics', async () => {
    const snap = await until(async () => {
      const r = await s.call('gpu.snapshot', {})
      return r.body?.ok && r.body.data.state === 'ok' && r.body.data.gpus.length === 8 ? r.body.data : null
    }, 'stand-in GPUs')
    const added = await s.call('serving.addEndpoint', { url: 'http://127.0.0.1:9/', name: 'fraud "blue" \\ a\nb' })
    expect(added.body.ok).toBe(true)
    const body = await (await scrape(scrapeToken)).text()
    expect(body).toContain('# HELP gantry_host_health ')
    expect(body).toContain('# TYPE gantry_host_health gauge')
    expect(sample(body, 'gantry_host_up', 'host="local"')).toBe(1)
    const hosts = (await s.call('hosts.list')).body.data as { name: string; health: { level: string } }[]
    const level = { ok: 0, warning: 1, critical: 2, unknown: -1 }[hosts[0].health.level]
    expect(sample(body, 'gantry_host_health', 'host="local"')).toBe(level)
    for (const g of snap.gpus as { index: number; uuid: string; name: string; temperature: { gpuC: number } }[]) {
      const labels = `host="local",gpu="${g.index}",uuid="${g.uuid}",name="${g.name}"`
      expect(sample(body, 'gantry_gpu_temperature_celsius', labels)).toBe(g.temperature.gpuC)
      expect(sample(body, 'gantry_gpu_memory_total_bytes', labels)).toBeGreaterThan(0)
    }
    expect(body).toMatch(/^gantry_gpu_stream_ok\{host="local",state="ok"\} 1$/m)
    // Quotes, backslashes and newlines escaped as the text format wants; never polled: "unknown".
    expect(body).toContain(
      'gantry_endpoint_state{endpoint="fraud \\"blue\\" \\\\ a\\nb",host="local",url="http://127.0.0.1:9/",state="unknown"} 1',
    )
    expect(body).toContain('state="up"} 0')
    expect(body).toMatch(/^process_cpu_user_seconds_total \d/m)
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds \d/m)
  })

  it.skipIf(!existsSync(PROMTOOL))('passes promtool check metrics', async () => {
    const body = await (await scrape(scrapeToken)).text()
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' })
    expect(r.stderr + r.stdout).toBe('')
    expect(r.status).toBe(0)
  })

  it.skipIf(!existsSync(PROMETHEUS))(
    'is scraped by a real Prometheus with the scrape token in credentials_file',
    async () => {
      const dir = tmpDir()
      const port = await freePort()
      const tokenFile = join(dir, 'gantry-token')
      writeFileSync(tokenFile, `${scrapeToken}\n`, { mode: 0o600 })
      const target = new URL(s.base).host
      writeFileSync(
        join(dir, 'prometheus.yml'),
        [
          'global: { scrape_interval: 1s, evaluation_interval: 1s }',
          'scrape_configs:',
          '  - job_name: gantry',
          `    static_configs: [{ targets: ["${target}"] }]`,
          '    authorization:',
          `      credentials_file: ${tokenFile}`,
          '',
        ].join('\n'),
      )
      const prom: ChildProcess = spawn(
        PROMETHEUS,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: 'ignore' },
      )
      try {
        const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
          const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`)
          const j = (await r.json()) as { status: string; data: { result: [] } }
          return j.status === 'success' ? j.data.result : []
        }
        const up = await until(
          async () => {
            const r = await query('up{job="gantry"}')
            return r.length && r[0].value[1] === '1' ? r : null
          },
          'Prometheus scraping Gantry',
          30_000,
        )
        expect(up[0].metric.instance).toBe(target)
        const gpus = await until(async () => {
          const r = await query('count(gantry_gpu_temperature_celsius{host="local"})')
          return r.length ? r : null
        }, 'GPU series in Prometheus')
        expect(gpus[0].value[1]).toBe('8')
      } finally {
        prom.kill('SIGTERM')
        await new Promise((r) => prom.once('exit', r))
      }
    },
    60_000,
  )
})
