// Hosts from a real Prometheus (Debian's), scraping a real node_exporter and a loopback endpoint
// replaying the recorded dcgm-exporter output (../shared/fixtures/gpu/datadog__dcgm-metrics.txt,
// byte for byte). Gantry asks it aggregated questions and shows its hosts and GPUs beside this
// machine; a host seen both ways (node_exporter's nodename is this machine's) is one host with
// both sources; history comes from query_range; nothing is written to Gantry's series store.
// A Prometheus that is slow, answers with an error envelope or a 10 MB body stays within its
// timeout and size cap and does not delay this machine's own readings.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import type { HostSummary } from '../../src/shared/hosts'
import { fakeHostDeps, fakeStorageDeps } from '../helpers/fakes'
import { GPU_FIXTURES } from '../helpers/gpu-fixtures'
import { havePrometheus, startNodeExporter, startPrometheus, until, type Running } from '../helpers/prometheus'
import { replayServer } from '../helpers/replay-server'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const DCGM_BODY = readFileSync(join(GPU_FIXTURES, 'datadog__dcgm-metrics.txt'), 'utf8')
const T4_UUID = 'GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e'
const T4_SLOWDOWN_UUID = 'GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5'

let prom: Running
let node: Running
let dcgm: Awaited<ReturnType<typeof replayServer>>
let g: Gantry
const stops: (() => Promise<void>)[] = []

function make(opts: Parameters<typeof createGantry>[0] = {}): Gantry {
  const gantry = createGantry({
    dataDir: tmpDir(),
    hostIntervalMs: 200,
    storageIntervalMs: 200,
    gpuIntervalMs: 0,
    promIntervalMs: 300,
    servingIntervalMs: 0,
    hostDeps: fakeHostDeps(),
    storageDeps: fakeStorageDeps(),
    log: () => {},
    ...opts,
  })
  stops.push(() => gantry.stop())
  return gantry
}

beforeAll(async () => {
  if (!havePrometheus) return
  dcgm = await replayServer({ 'GET /metrics': { body: DCGM_BODY, type: 'text/plain; version=0.0.4' } })
  node = await startNodeExporter()
  prom = await startPrometheus({
    dcgm: [new URL(dcgm.url).host],
    node: [`127.0.0.1:${node.port}`],
  })
  // A few seconds of history (the CPU rate needs two scrapes; the history test a few points).
  await until(
    async () => {
      const q = encodeURIComponent(
        'min(count_over_time(node_load1[1m])) >= 6 and min(count_over_time(DCGM_FI_DEV_GPU_TEMP[1m])) >= 6',
      )
      const r = await fetch(`${prom.url}/api/v1/query?query=${q}`)
      const j = (await r.json()) as { data: { result: unknown[] } }
      return j.data.result.length > 0
    },
    'six scrapes',
    30_000,
  )
  // This Gantry's own host probe says this machine's name, as the real one does.
  g = make({ hostDeps: fakeHostDeps({ hostname: () => hostname() }) })
  g.start()
}, 60_000)

afterAll(async () => {
  for (const s of stops.splice(0)) await s()
  await prom?.stop()
  await node?.stop()
  await dcgm?.close()
  cleanupTmp()
})

const hosts = async (gantry = g): Promise<HostSummary[]> => {
  const r = await gantry.client['hosts.list']({})
  if (!r.ok) throw new Error(r.error.message)
  return r.data
}

describe.skipIf(!havePrometheus)('hosts from a real Prometheus', () => {
  it('is added after a test, says which exporters it found and what is missing', async () => {
    const bad = await g.client['prometheus.add']({ url: 'http://127.0.0.1:9/', name: 'nothing' })
    expect(!bad.ok && bad.error.code).toBe('prometheus/unreachable')
    expect(!bad.ok && bad.error.message).toMatch(/ECONNREFUSED|--force/)
    const added = await g.client['prometheus.add']({ url: prom.url, name: 'site' })
    if (!added.ok) throw new Error(added.error.message)
    expect(added.data.state).toBe('ok')
    expect(added.data.version).toMatch(/^2\./)
    expect(added.data.exporters).toEqual({ dcgm: 1, nvidiaGpuExporter: 0, node: 1 })
    // The recording has DCGM_FI_DEV_SLOWDOWN_TEMP (on one of its GPUs), so nothing about it is missing.
    expect(added.data.missing).toEqual([])
    const url = new URL(prom.url).toString()
    const audit = await g.client['audit.list']({ limit: 5 })
    expect(
      audit.ok && audit.data.some((r) => r.action === 'prometheus.add' && JSON.stringify(r.after).includes(url)),
    ).toBe(true)
  })

  it('shows each machine the exporters describe as a host, named by Hostname; this machine has both sources', async () => {
    const list = await until(async () => {
      const l = await hosts()
      return l.some((h) => h.kind === 'prometheus') ? l : null
    }, 'Prometheus hosts')
    const prom = list.filter((h) => h.kind === 'prometheus')
    // The recording holds three machines' GPUs (two T4 captures and an A10G line).
    expect(prom.map((h) => h.name).sort()).toEqual(['424773df46e0', '551bdf382151', 'ip-11111'])
    for (const h of prom) {
      expect(h.sources).toEqual(['prometheus:site'])
      expect(h.connection.state).toBe('external')
      expect(h.gpus.count).toBe(1)
    }
    // node_exporter's nodename is this machine: one host, two sources, no "vm" host beside it.
    const local = list.find((h) => h.name === 'local')
    expect(local?.sources).toEqual(['local', 'prometheus:site'])
    expect(list.some((h) => h.name.toLowerCase() === hostname().toLowerCase())).toBe(false)
  })

  it('reads a Prometheus host like any other: gpu.snapshot with the values of the recording', async () => {
    const snap = await g.client['gpu.snapshot']({ host: '424773df46e0' })
    if (!snap.ok) throw new Error(snap.error.message)
    expect(snap.data.state).toBe('ok')
    const t4 = snap.data.gpus[0]
    expect(t4.uuid).toBe(T4_UUID)
    expect(t4.name).toBe('Tesla T4')
    // Values as recorded: SM clock 300, memory clock 405, 25 °C, 8.969 W, FB used/free.
    expect(t4.clocks.smMHz).toBe(300)
    expect(t4.clocks.memoryMHz).toBe(405)
    expect(t4.temperature.gpuC).toBe(25)
    expect(t4.power.drawW).toBeCloseTo(8.969, 3)
    expect(t4.memory.usedMiB).not.toBeNull()
    expect(t4.memory.totalMiB).toBe((t4.memory.usedMiB ?? 0) + (t4.memory.freeMiB ?? 0))
    // What this exporter does not export is null with the reason — never 0.
    expect(t4.temperature.slowdownC).toBeNull()
    expect(t4.unavailable['temperature.slowdownC']).toMatch(/not exported \(DCGM_FI_DEV_SLOWDOWN_TEMP\)/)
    const other = await g.client['gpu.snapshot']({ host: '551bdf382151' })
    const slow = other.ok ? other.data.gpus[0] : null
    expect(slow?.uuid).toBe(T4_SLOWDOWN_UUID)
    expect(slow?.temperature.slowdownC).toBeGreaterThan(0)
    expect(slow?.power.limitW).toBeGreaterThan(0)
    // The full nvidia-smi reading needs the host itself.
    const detail = await g.client['gpu.detail']({ host: '424773df46e0' })
    expect(!detail.ok && detail.error.code).toBe('hosts/unsupported')
    // And it cannot be reached for anything that runs there (deploys, drift).
    expect(() => g.fleet.get('424773df46e0')).toThrow(/known from Prometheus only/)
  })

  it('gives node_exporter facts through host.snapshot and storage.list of a Prometheus-only host', async () => {
    // A second Gantry whose own machine is called otherwise sees node_exporter's machine as a host of its own.
    const other = make({ hostDeps: fakeHostDeps({ hostname: () => 'elsewhere' }) })
    other.start()
    const added = await other.client['prometheus.add']({ url: prom.url, name: 'site' })
    expect(added.ok).toBe(true)
    const name = hostname().toLowerCase()
    const mine = await until(async () => (await hosts(other)).find((h) => h.name === name), 'the node host')
    expect(mine.kind).toBe('prometheus')
    const host = await other.client['host.snapshot']({ host: name })
    if (!host.ok || !host.data) throw new Error('no host snapshot')
    expect(host.data.hostname.toLowerCase()).toBe(name)
    expect(host.data.cpu?.cores).toBeGreaterThan(0)
    expect(host.data.memory?.total).toBeGreaterThan(0)
    expect(host.data.kernel).not.toBe('')
    const storage = await other.client['storage.list']({ host: name })
    if (!storage.ok || !storage.data) throw new Error('no storage')
    const root = storage.data.filesystems.find((f) => f.mount === '/')
    expect(root?.size).toBeGreaterThan(0)
    expect(root?.forecast.basisMs).toBe(6 * 3600_000)
    // History from query_range, step fitted to the points asked for; nothing stored here.
    const q = await other.client['telemetry.query']({
      host: name,
      key: 'host.cpu.load',
      rangeMs: 60_000,
      maxPoints: 30,
    })
    if (!q.ok) throw new Error(q.error.message)
    expect(q.data.source).toBe('prometheus')
    expect(q.data.stepMs).toBe(2000)
    expect(q.data.points.length).toBeGreaterThan(0)
    const gpuQ = await other.client['telemetry.query']({
      host: '424773df46e0',
      key: `gpu.temp:${T4_UUID}`,
      rangeMs: 60_000,
      maxPoints: 60,
    })
    expect(gpuQ.ok && gpuQ.data.points.every((p) => p[1] === 25)).toBe(true)
    const unknown = await other.client['telemetry.query']({
      host: '424773df46e0',
      key: 'gpu.temp:GPU-nope',
      rangeMs: 60_000,
    })
    expect(!unknown.ok && unknown.error.code).toBe('telemetry/unknown-series')
    const rows = other.db.prepare('SELECT COUNT(*) AS n FROM ts_series WHERE host_id != 1').get() as { n: number }
    expect(rows.n).toBe(0)
  })

  it('the CLI: prometheus add/list/test/remove, hosts list --json, gpu --host and host --host read Prometheus hosts', async () => {
    const dataDir = tmpDir()
    // Asynchronously: the recorded dcgm endpoint is served by this test process and must keep answering.
    const cli = (...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [join(__dirname, '..', '..', 'bin', 'gantry.js'), '--data-dir', dataDir, ...args],
          { encoding: 'utf8', env: { ...process.env, GANTRY_PROM_TOKEN: 'tok-123' }, timeout: 60_000 },
          (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        )
      })
    const add = await cli(
      'prometheus',
      'add',
      prom.url,
      '--name',
      'site',
      '--header',
      'X-Scope-OrgID: tenant-1',
      '--auth',
      'bearer',
    )
    expect(add.stderr).toBe('')
    expect(add.stdout).toMatch(/^added Prometheus source site\nsite {2}OK /)
    const list = JSON.parse((await cli('prometheus', 'list', '--json')).stdout) as {
      name: string
      auth: string
      headers: object
    }[]
    expect(list.map((s) => [s.name, s.auth, Object.keys(s.headers)])).toEqual([['site', 'bearer', ['X-Scope-OrgID']]])
    // The token is in the secrets file (0600), not in the database.
    const secrets = readFileSync(join(dataDir, 'secrets.json'), 'utf8')
    expect(secrets).toContain('tok-123')
    expect(readFileSync(join(dataDir, 'gantry.db')).includes('tok-123')).toBe(false)
    const hosts = JSON.parse((await cli('hosts', 'list', '--json', '--wait', '0')).stdout) as HostSummary[]
    expect(
      hosts
        .filter((h) => h.kind === 'prometheus')
        .map((h) => h.name)
        .sort(),
    ).toEqual(['424773df46e0', '551bdf382151', 'ip-11111'])
    const gpu = await cli('gpu', '--host', '424773df46e0', '--json')
    expect(gpu.status).toBe(0)
    expect(JSON.parse(gpu.stdout).gpus[0].uuid).toBe(T4_UUID)
    const noNode = await cli('host', '--host', '424773df46e0', '--json')
    expect(noNode.status).not.toBe(0)
    expect(noNode.stderr).toMatch(/needs node_exporter/)
    const t = await cli('prometheus', 'test', 'site')
    expect(t.stdout).toMatch(/answers \(Prometheus 2\.\d+\.\d+/)
    const unknown = await cli('prometheus', 'test', 'http://127.0.0.1:9/')
    expect(unknown.status).toBe(1)
    expect(unknown.stdout).toMatch(/DOES NOT ANSWER/)
    expect((await cli('prometheus', 'remove', 'site')).stdout).toBe('removed Prometheus source site\n')
    expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).not.toContain('tok-123')
  }, 120_000)
})
