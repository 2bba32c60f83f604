// bench/prom-fleet: a real Prometheus (Debian's) holding BENCH_PROM_HOSTS (default 500) hosts × 8 GPUs
// of dcgm-exporter-shaped series and node_exporter-shaped series, scraped every 5 s from a generator
// in this process (one HTTP server; each target a host and an exporter, told apart by URL
// parameters and relabelled to `host-NNNN:9400` / `:9100`), and `gantry serve` asked about it.
// Measured:
//   - request → fleet data ready: `prometheus.add` (it asks the source, then polls it) and then
//     `hosts.list` returning every host with its GPUs; and the steady poll time of the source;
//   - Gantry's peak RSS (VmHWM of the serve process);
//   - baseline, same run, same Prometheus: what a client without server-side aggregation does —
//     each host's raw series fetched one by one (`{instance="host-NNNN:9400"}` and `:9100`);
//   - in Debian's Chromium: the Hosts screen with every host, polled each second, and the GPUs screen
//     with 512 GPUs at 1 Hz (the stand-in nvidia-smi replaying the recorded 8×V100S host 64 times),
//     each against its small baseline (1 host / 8 GPUs): frames and main-thread long tasks.
// Skips, saying why, where Debian's prometheus is not installed.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright'
import { CHROMIUM_ARGS, CHROMIUM_PATH, standinGpuEnv, startConsole } from '../scripts/console-process.mjs'
import { framesFor } from './frames.mjs'

const PROMETHEUS = '/usr/bin/prometheus'
const HOSTS = Number(process.env.BENCH_PROM_HOSTS ?? 500)
const GPUS = 8
const SCRAPE_S = 5
const browserSeconds = Math.max(10, Math.round(Number(process.env.BENCH_SECONDS ?? 60) / 4))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const peakRssMiB = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024
const host = (i) => `host-${String(i).padStart(4, '0')}`

/** One host's exporter text, as dcgm-exporter and node_exporter would write it (values drift). */
function exposition(h, kind, t) {
  const i = Number(h.slice(5))
  const lines = []
  if (kind === 'dcgm') {
    const fields = [
      ['DCGM_FI_DEV_GPU_UTIL', (g) => (i * 7 + g * 13 + t) % 100],
      ['DCGM_FI_DEV_MEM_COPY_UTIL', (g) => (i + g * 3 + t) % 60],
      ['DCGM_FI_DEV_FB_USED', (g) => 20000 + ((i * 131 + g * 977 + t * 10) % 50000)],
      ['DCGM_FI_DEV_FB_FREE', (g) => 81559 - (20000 + ((i * 131 + g * 977 + t * 10) % 50000))],
      ['DCGM_FI_DEV_GPU_TEMP', (g) => 40 + ((i + g + t) % 40)],
      ['DCGM_FI_DEV_MEMORY_TEMP', (g) => 45 + ((i + g) % 30)],
      ['DCGM_FI_DEV_POWER_USAGE', (g) => 100 + ((i * 3 + g * 29 + t) % 500)],
      ['DCGM_FI_DEV_SM_CLOCK', () => 1980],
      ['DCGM_FI_DEV_MEM_CLOCK', () => 2619],
      ['DCGM_FI_DEV_XID_ERRORS', (g) => (i === 7 && g === 3 ? 79 : 0)],
      ['DCGM_FI_DEV_PCIE_REPLAY_COUNTER', () => 0],
    ]
    for (const [name, v] of fields) {
      lines.push(`# TYPE ${name} gauge`)
      for (let g = 0; g < GPUS; g++) {
        const uuid = `GPU-${String(i).padStart(8, '0')}-0000-4000-8000-${String(g).padStart(12, '0')}`
        lines.push(
          `${name}{gpu="${g}",UUID="${uuid}",device="nvidia${g}",modelName="NVIDIA H100 80GB HBM3",Hostname="${h}"} ${v(g)}`,
        )
      }
    }
  } else {
    lines.push(`node_uname_info{nodename="${h}",sysname="Linux",release="6.1.0-27-amd64",machine="x86_64"} 1`)
    for (let c = 0; c < 4; c++) {
      for (const [mode, share] of [
        ['idle', 0.6],
        ['user', 0.3],
        ['system', 0.08],
        ['iowait', 0.02],
      ]) {
        lines.push(`node_cpu_seconds_total{cpu="${c}",mode="${mode}"} ${(t * SCRAPE_S * share).toFixed(2)}`)
      }
    }
    lines.push(`node_memory_MemTotal_bytes ${2 ** 40}`, `node_memory_MemAvailable_bytes ${2 ** 39 + i * 2 ** 28}`)
    lines.push(`node_memory_SwapTotal_bytes 0`, `node_memory_SwapFree_bytes 0`)
    lines.push(`node_load1 ${(i % 32) / 2}`, `node_load5 4`, `node_load15 3`, `node_boot_time_seconds 1790000000`)
    for (const [mount, size] of [
      ['/', 2 ** 39],
      ['/data', 2 ** 43],
      ['/scratch', 2 ** 42],
    ]) {
      const avail = Math.round(size * (0.05 + ((i * 17) % 90) / 100))
      const l = `device="/dev/nvme0n1",fstype="ext4",mountpoint="${mount}"`
      lines.push(
        `node_filesystem_size_bytes{${l}} ${size}`,
        `node_filesystem_avail_bytes{${l}} ${avail}`,
        `node_filesystem_free_bytes{${l}} ${avail + 2 ** 30}`,
        `node_filesystem_readonly{${l}} 0`,
      )
    }
  }
  return `${lines.join('\n')}\n`
}

export async function startGenerator() {
  let t = 0
  const timer = setInterval(() => t++, SCRAPE_S * 1000)
  const srv = createServer((req, res) => {
    const u = new URL(req.url, 'http://x')
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
    res.end(exposition(u.searchParams.get('host'), u.searchParams.get('kind'), t))
  })
  await new Promise((r) => srv.listen(0, '127.0.0.1', r))
  return {
    port: srv.address().port,
    close: () => {
      clearInterval(timer)
      srv.closeAllConnections()
      return new Promise((r) => srv.close(r))
    },
  }
}

export async function startProm(genPort) {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-prom-bench-'))
  const port = 20000 + Math.floor(Math.random() * 20000)
  const job = (kind, exporterPort) => [
    `  - job_name: ${kind}`,
    `    scrape_interval: ${SCRAPE_S}s`,
    `    static_configs:`,
    ...Array.from(
      { length: HOSTS },
      (_, i) =>
        `      - { targets: ["127.0.0.1:${genPort}"], labels: { __param_host: "${host(i + 1)}", __param_kind: "${kind}" } }`,
    ),
    `    relabel_configs:`,
    `      - { source_labels: [__param_host], target_label: instance, replacement: "$1:${exporterPort}" }`,
  ]
  writeFileSync(
    join(dir, 'prometheus.yml'),
    ['global: { scrape_interval: 5s }', 'scrape_configs:', ...job('dcgm', 9400), ...job('node', 9100), ''].join('\n'),
  )
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  )
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break
    } catch {
      // starting
    }
    await sleep(100)
  }
  return {
    url,
    async query(q) {
      const r = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: q }) })
      return (await r.json()).data?.result ?? []
    },
    close: async () => {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function api(s, method, input = {}) {
  const r = await fetch(`${s.url}api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  })
  const j = await r.json()
  if (!j.ok) throw new Error(`${method}: ${j.error.message}`)
  return j.data
}

const fmt = (r) =>
  `frame p99 ${r.p99.toFixed(1)} ms, long tasks ${r.longTasks} (worst ${r.worstTask.toFixed(0)} ms, ${r.longTaskMs.toFixed(0)} ms total)`

export async function benchPromFleet() {
  if (!existsSync(PROMETHEUS)) return 'prom-fleet: skipped (Debian prometheus is not installed)'
  const gen = await startGenerator()
  const prom = await startProm(gen.port)
  const out = []
  try {
    // Every target scraped at least twice (CPU rates need two samples).
    for (let i = 0; i < 120; i++) {
      const r = await prom.query('count(count_over_time(up[1m]) >= 2)')
      if (Number(r[0]?.value[1] ?? 0) >= HOSTS * 2) break
      await sleep(1000)
    }
    const series = Number((await prom.query('count({__name__=~"DCGM_.+|node_.+"})'))[0]?.value[1] ?? 0)

    // --- Gantry: one request to add the source (ask it, poll it), then the fleet list --------------
    const s = await startConsole({ GANTRY_PROM_INTERVAL_MS: '1000', GANTRY_GPU_INTERVAL_MS: '0' }, 'gantry-prom-bench-')
    let gantry
    let hostsListMs
    let gpus
    let pollMs = []
    let rss
    try {
      const t0 = performance.now()
      await api(s, 'prometheus.add', { url: prom.url, name: 'fleet', timeoutMs: 30_000 })
      const list = await api(s, 'hosts.list')
      gantry = performance.now() - t0
      const t1 = performance.now()
      const again = await api(s, 'hosts.list')
      hostsListMs = performance.now() - t1
      gpus = again.reduce((a, h) => a + h.gpus.count, 0)
      if (list.filter((h) => h.kind === 'prometheus').length < HOSTS)
        throw new Error(`only ${list.length} hosts listed`)
      for (let i = 0; i < 8; i++) {
        await sleep(1200)
        pollMs.push((await api(s, 'prometheus.list'))[0].lastPollMs)
      }
      pollMs = pollMs.sort((a, b) => a - b)

      // --- Chromium: the Hosts screen with every host, refreshed each second --------------------
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
      try {
        const page = await s.page(browser, { viewport: { width: 1280, height: 720 } })
        await page.goto(`${s.url}#/hosts`)
        await page.getByText(`${HOSTS + 1} hosts`).waitFor({ timeout: 60_000 })
        const hostsBig = await framesFor(page, browserSeconds * 1000)
        await page.close()
        rss = peakRssMiB(s.child.pid)
        out.push({ hostsBig })
      } finally {
        await browser.close()
      }
    } finally {
      await s.close()
    }

    // --- baseline: each host's raw series, one by one ------------------------------------------
    const b0 = performance.now()
    let rawSeries = 0
    let rawBytes = 0
    for (let i = 1; i <= HOSTS; i++) {
      for (const port of [9400, 9100]) {
        const body = await new Promise((resolve, reject) => {
          const form = new URLSearchParams({ query: `{instance="${host(i)}:${port}"}` }).toString()
          const req = request(
            `${prom.url}/api/v1/query`,
            {
              method: 'POST',
              headers: {
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': Buffer.byteLength(form),
              },
            },
            (res) => {
              const chunks = []
              res.on('data', (c) => chunks.push(c))
              res.on('end', () => resolve(Buffer.concat(chunks)))
            },
          )
          req.on('error', reject)
          req.end(form)
        })
        rawBytes += body.length
        rawSeries += JSON.parse(body.toString()).data.result.length
      }
    }
    const baseline = performance.now() - b0

    // --- Chromium baselines and the 512-GPU screen -------------------------------------------------
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
    const gpuScreen = async (copies) => {
      const c = await startConsole(
        standinGpuEnv({ STANDIN_COPIES: String(copies), GANTRY_GPU_INTERVAL_MS: '1000' }),
        'gantry-prom-gpus-',
      )
      try {
        const page = await c.page(browser, { viewport: { width: 1280, height: 720 } })
        await page.goto(`${c.url}#/gpus`)
        await page
          .getByTestId('gpu-summary')
          .getByText(`${copies * 8} GPUs`)
          .waitFor({ timeout: 60_000 })
        await page.locator('[data-testid="gpu-tiles"] .tile').first().waitFor()
        const r = await framesFor(page, browserSeconds * 1000)
        await page.close()
        return r
      } finally {
        await c.close()
      }
    }
    let hostsSmall
    let gpusBig
    let gpusSmall
    try {
      const c = await startConsole({}, 'gantry-prom-hosts1-')
      try {
        const page = await c.page(browser, { viewport: { width: 1280, height: 720 } })
        await page.goto(`${c.url}#/hosts`)
        await page.locator('[data-host="local"]').waitFor()
        hostsSmall = await framesFor(page, browserSeconds * 1000)
        await page.close()
      } finally {
        await c.close()
      }
      gpusBig = await gpuScreen(64)
      gpusSmall = await gpuScreen(1)
    } finally {
      await browser.close()
    }
    const med = pollMs[Math.floor(pollMs.length / 2)]
    const x = (ms) => `${(baseline / ms).toFixed(1)}x`
    return (
      `prom-fleet: ${HOSTS} hosts × ${GPUS} GPUs in a real Prometheus (${series} series, scraped every ${SCRAPE_S} s), ` +
      `against the baseline — each host's raw series fetched one by one: ${baseline.toFixed(0)} ms (${rawSeries} series, ` +
      `${(rawBytes / 2 ** 20).toFixed(1)} MiB). Gantry: a new source added → fleet data ready ${gantry.toFixed(0)} ms ` +
      `(${gpus} GPUs; ${x(gantry)}); one poll of a running console median ${med} ms, max ${pollMs[pollMs.length - 1]} ms ` +
      `(${x(med)}); the overview asked of a running console (hosts.list) ${hostsListMs.toFixed(0)} ms (${x(hostsListMs)}); ` +
      `Gantry peak RSS ${rss.toFixed(0)} MiB. Chromium ${browserSeconds} s each: Hosts screen ${HOSTS} hosts polled at 1 Hz ${fmt(out[0].hostsBig)}; ` +
      `baseline 1 host ${fmt(hostsSmall)}; GPUs screen 512 GPUs at 1 Hz ${fmt(gpusBig)}; baseline 8 GPUs ${fmt(gpusSmall)}`
    )
  } finally {
    await prom.close()
    await gen.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchPromFleet())
