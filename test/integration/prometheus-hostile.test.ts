// Prometheus sources that misbehave, and the states a fleet source must not lose:
// - a loopback "Prometheus" that never answers, answers with the error envelope, sends 10 MB, or
//   sends NaN/±Inf values and warnings: each is a clear state within its timeout and size cap, and
//   this machine's own readings and the hosts list keep answering meanwhile;
// - a real Prometheus scraping a stand-in dcgm exporter this test controls (its own lines, in
//   dcgm-exporter's names — not a recording): an XID is latched until acknowledged, surviving the
//   exporter's restart to 0; an exporter that goes down marks its host, keeping its GPUs.
import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import { createPromClient, PromError } from '../../src/main/core/prometheus/client'
import { fakeHostDeps, fakeStorageDeps } from '../helpers/fakes'
import { havePrometheus, startPrometheus, until, type Running } from '../helpers/prometheus'
import { replayServer } from '../helpers/replay-server'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const stops: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const s of stops.reverse()) await s()
  cleanupTmp()
})

function make(opts: Parameters<typeof createGantry>[0] = {}): Gantry {
  const g = createGantry({
    dataDir: tmpDir(),
    hostIntervalMs: 100,
    storageIntervalMs: 100,
    gpuIntervalMs: 0,
    promIntervalMs: 200,
    servingIntervalMs: 0,
    hostDeps: fakeHostDeps(),
    storageDeps: fakeStorageDeps(),
    log: () => {},
    ...opts,
  })
  stops.push(() => g.stop())
  return g
}

const vector = (result: unknown[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ status: 'success', data: { resultType: 'vector', result }, ...extra })

describe('the Prometheus client reads what the API sends', () => {
  it('values as strings, NaN and ±Inf, warnings; the error envelope in its own words', async () => {
    const srv = await replayServer({
      'POST /api/v1/query': {
        body: vector(
          [
            { metric: { a: '1' }, value: [1700000000.5, '42.5'] },
            { metric: { a: '2' }, value: [1700000000.5, 'NaN'] },
            { metric: { a: '3' }, value: [1700000000.5, '+Inf'] },
            { metric: { a: '4' }, value: [1700000000.5, '-Inf'] },
          ],
          { warnings: ['partial response: store 10.0.0.7:10901 unavailable'] },
        ),
      },
      'POST /api/v1/query_range': {
        status: 400,
        body: JSON.stringify({
          status: 'error',
          errorType: 'bad_data',
          error: 'invalid parameter "query": 1:6: parse error',
        }),
      },
    })
    stops.push(() => srv.close())
    const c = createPromClient({
      url: srv.url,
      headers: { 'X-Scope-OrgID': 'team-a' },
      authorization: null,
      ca: null,
      timeoutMs: 2000,
    })
    const a = await c.query('up')
    expect(a.data.map((s) => s.value)).toEqual([42.5, NaN, Infinity, -Infinity])
    expect(a.data[0].t).toBe(1700000000.5)
    expect(a.warnings).toEqual(['partial response: store 10.0.0.7:10901 unavailable'])
    const err = await c.queryRange('rate(', 0, 10, 1).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PromError)
    expect((err as PromError).type).toBe('bad_data')
    expect((err as PromError).message).toBe('query_range: bad_data: invalid parameter "query": 1:6: parse error')
  })

  it('sends the configured headers and credential, and follows no redirect (nothing reaches the other origin)', async () => {
    let seen: Record<string, string | string[] | undefined> | null = null
    const other: Server = createServer((req, res) => {
      seen = req.headers
      res.writeHead(200, { 'content-type': 'application/json' }).end(vector([]))
    })
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r))
    stops.push(() => new Promise((r) => other.close(r)))
    let first: Record<string, string | string[] | undefined> = {}
    const srv: Server = createServer((req, res) => {
      first = req.headers
      res
        .writeHead(307, { location: `http://localhost:${(other.address() as { port: number }).port}/api/v1/query` })
        .end()
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    stops.push(() => new Promise((r) => srv.close(r)))
    const c = createPromClient({
      url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/prom/`,
      headers: { 'X-Scope-OrgID': 'team-a' },
      authorization: 'Bearer s3cret',
      ca: null,
      timeoutMs: 2000,
    })
    const err = await c.query('up').catch((e: unknown) => e)
    expect(first.authorization).toBe('Bearer s3cret')
    expect(first['x-scope-orgid']).toBe('team-a')
    expect((err as PromError).message).toBe(
      'query: the API answered with a redirect (HTTP 307): give the URL it redirects to',
    )
    expect(seen).toBeNull()
  })
})

describe('a misbehaving source stays within its limits and delays nothing else', () => {
  it('hung, error envelope, 10 MB: each a clear state; local samples and hosts.list keep coming', async () => {
    const hung = await replayServer({
      'POST /api/v1/query': { hang: true },
      'GET /api/v1/status/buildinfo': { hang: true },
    })
    const broken = await replayServer({
      'POST /api/v1/query': {
        status: 422,
        body: JSON.stringify({
          status: 'error',
          errorType: 'execution',
          error: 'query processing would load too many samples into memory',
        }),
      },
      'GET /api/v1/status/buildinfo': { body: JSON.stringify({ status: 'success', data: { version: '2.42.0' } }) },
    })
    const huge = await replayServer({
      'POST /api/v1/query': { huge: 10 * 1024 * 1024 },
      'GET /api/v1/status/buildinfo': { body: JSON.stringify({ status: 'success', data: { version: '2.42.0' } }) },
    })
    stops.push(
      () => hung.close(),
      () => broken.close(),
      () => huge.close(),
    )
    const g = make()
    g.start()
    // While all three are added and polled: this machine's host samples keep their 100 ms pace.
    let samples = 0
    const off = g.events.on('host.sample', () => samples++)
    for (const [name, url] of [
      ['hung', hung.url],
      ['broken', broken.url],
      ['huge', huge.url],
    ]) {
      const r = await g.client['prometheus.add']({ url, name, timeoutMs: 800, force: true })
      expect(r.ok).toBe(true)
    }
    // The hosts list does not wait for a source's poll (each is bounded by 800 ms).
    const started = Date.now()
    const list = await g.client['hosts.list']({})
    expect(Date.now() - started).toBeLessThan(800)
    expect(list.ok && list.data.map((h) => h.name)).toEqual(['local'])
    const states = await until(
      async () => {
        const r = await g.client['prometheus.list']({})
        const s = r.ok ? r.data : []
        return s.length === 3 && s.every((x) => x.lastPollAt !== null) ? s : null
      },
      'three polls',
      10_000,
    )
    off()
    expect(samples).toBeGreaterThanOrEqual(5)
    const by = Object.fromEntries(states.map((s) => [s.name, s]))
    expect(by.hung.state).toBe('error')
    expect(by.hung.error).toMatch(/no complete answer within 800 ms/)
    expect(by.hung.lastPollMs).toBeLessThan(3000)
    expect(by.broken.state).toBe('error')
    expect(by.broken.error).toMatch(/execution: query processing would load too many samples/)
    expect(by.huge.state).toBe('error')
    expect(by.huge.error).toMatch(/exceeds the 8388608-byte cap/)
    // `prometheus.test` of the hung one answers within its timeout too.
    const t0 = Date.now()
    const t = await g.client['prometheus.test']({ name: 'hung' })
    expect(t.ok && t.data.ok).toBe(false)
    expect(Date.now() - t0).toBeLessThan(3000)
  })

  it('refuses URLs with credentials or other schemes, header injection, and a CA file that is no certificate', async () => {
    const g = make()
    const withUser = await g.client['prometheus.add']({ url: 'http://admin:pw@127.0.0.1:9090/', force: true })
    expect(!withUser.ok && withUser.error.message).toMatch(/credentials do not go in the URL/)
    const file = await g.client['prometheus.add']({ url: 'file:///etc/passwd', force: true })
    expect(!file.ok && file.error.message).toMatch(/not Prometheus APIs/)
    const inject = await g.client['prometheus.add']({
      url: 'http://127.0.0.1:9090/',
      headers: { 'X-Scope-OrgID': 'a\r\nX-Evil: 1' },
      force: true,
    })
    expect(!inject.ok && inject.error.code).toBe('contract/invalid-input')
    const ca = await g.client['prometheus.add']({ url: 'https://127.0.0.1:9090/', caFile: '/dev/zero', force: true })
    expect(!ca.ok && ca.error.code).toMatch(/^files\//)
  })
})

/** An exporter in dcgm-exporter's names whose XID and liveness the test sets. */
async function standInExporter(): Promise<{ port: number; xid: number; close(): Promise<void> }> {
  const state = { xid: 0 }
  const srv = createServer((_req, res) => {
    const labels = 'gpu="0",UUID="GPU-standin-0",device="nvidia0",modelName="Stand-in GPU",Hostname="gpu-node-7"'
    res
      .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      .end(
        [
          '# TYPE DCGM_FI_DEV_GPU_TEMP gauge',
          `DCGM_FI_DEV_GPU_TEMP{${labels}} 61`,
          '# TYPE DCGM_FI_DEV_XID_ERRORS gauge',
          `DCGM_FI_DEV_XID_ERRORS{${labels}} ${state.xid}`,
          '# TYPE shop_conversion_ratio gauge',
          'shop_conversion_ratio{model="fraud"} 0.031',
          '',
        ].join('\n'),
      )
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  return {
    port,
    get xid() {
      return state.xid
    },
    set xid(v: number) {
      state.xid = v
    },
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections()
        srv.close(() => r())
      }),
  }
}

describe.skipIf(!havePrometheus)('XIDs and exporters through a real Prometheus', () => {
  it('latches an XID until acknowledged (through the exporter forgetting it), and marks an exporter that went down', async () => {
    const exp = await standInExporter()
    const prom: Running = await startPrometheus({ dcgm: [`127.0.0.1:${exp.port}`] })
    stops.push(() => prom.stop())
    const g = make()
    g.start()
    await until(async () => {
      const r = await fetch(`${prom.url}/api/v1/query?query=DCGM_FI_DEV_GPU_TEMP`)
      return ((await r.json()) as { data: { result: unknown[] } }).data.result.length > 0
    }, 'the stand-in GPU in Prometheus')
    const added = await g.client['prometheus.add']({ url: prom.url, name: 'lab' })
    expect(added.ok && added.data.gpus).toBe(1)
    expect(added.ok && added.data.missing.some((m) => /DCGM_FI_DEV_SLOWDOWN_TEMP/.test(m))).toBe(true)
    const health = async (): Promise<{ level: string; reasons: string[] }> => {
      const s = await g.client['gpu.snapshot']({ host: 'gpu-node-7' })
      if (!s.ok) throw new Error(s.error.message)
      return s.data.health[0].health
    }
    expect((await health()).level).toBe('ok')
    exp.xid = 79
    const latched = await until(async () => {
      const h = await health()
      return h.reasons.some((r) => r.startsWith('XID 79: GPU has fallen off the bus')) ? h : null
    }, 'XID 79 latched')
    expect(latched.level).toBe('critical')
    // The exporter restarts and reports 0 again: the XID is still there until someone acknowledges it.
    exp.xid = 0
    await until(async () => {
      const r = await fetch(`${prom.url}/api/v1/query?query=DCGM_FI_DEV_XID_ERRORS`)
      const j = (await r.json()) as { data: { result: { value: [number, string] }[] } }
      return j.data.result[0]?.value[1] === '0'
    }, 'the exporter forgetting the XID')
    await new Promise((r) => setTimeout(r, 500))
    expect((await health()).reasons.some((r) => r.startsWith('XID 79'))).toBe(true)
    const hostsBefore = await g.client['hosts.list']({})
    expect(hostsBefore.ok && hostsBefore.data.find((h) => h.name === 'gpu-node-7')?.health.level).toBe('critical')
    const ack = await g.client['prometheus.ackXid']({
      host: 'gpu-node-7',
      uuid: 'GPU-standin-0',
      note: 'reset, RMA filed',
    })
    expect(ack.ok && ack.data.acknowledged).toBe(1)
    await until(async () => ((await health()).level === 'ok' ? true : null), 'the acknowledged XID gone')
    // The same code again later (the GPU failed again) is a new XID, latched until acknowledged again.
    exp.xid = 79
    await until(
      async () => ((await health()).reasons.some((r) => r.startsWith('XID 79')) ? true : null),
      'XID 79 again',
    )
    const again = await g.client['prometheus.ackXid']({
      host: 'gpu-node-7',
      uuid: 'GPU-standin-0',
      note: 'second reset',
    })
    expect(again.ok && again.data.acknowledged).toBe(1)
    const audit = await g.client['audit.list']({ limit: 10 })
    expect(audit.ok && audit.data.some((r) => r.action === 'gpu.xid-acknowledged')).toBe(true)
    // A model's business KPI, asked of the same Prometheus: value, history, breach.
    expect((await g.client['registry.createModel']({ name: 'fraud', ownerTeam: 'risk' })).ok).toBe(true)
    const kpi = await g.client['kpi.set']({
      model: 'fraud',
      name: 'conversion',
      source: 'lab',
      query: 'avg(shop_conversion_ratio{model="fraud"})',
      direction: 'higher-is-better',
      threshold: 0.05,
      unit: '',
    })
    if (!kpi.ok) throw new Error(kpi.error.message)
    expect(kpi.data.value).toBe(0.031)
    expect(kpi.data.breached).toBe(true)
    const listed = await g.client['kpi.list']({ model: 'fraud', rangeMs: 60_000, maxPoints: 30 })
    expect(listed.ok && listed.data.map((k) => [k.name, k.stepMs, k.breached])).toEqual([['conversion', 2000, true]])
    expect(listed.ok && listed.data[0].points.some(([, v]) => v === 0.031)).toBe(true)
    const bad = await g.client['kpi.set']({
      model: 'fraud',
      name: 'broken',
      source: 'lab',
      query: 'rate(',
      direction: 'lower-is-better',
      threshold: 1,
      unit: '',
    })
    expect(!bad.ok && bad.error.code).toBe('prometheus/query-failed')
    const noSource = await g.client['kpi.set']({
      model: 'fraud',
      name: 'x',
      source: 'nowhere',
      query: 'up',
      direction: 'lower-is-better',
      threshold: null,
      unit: '',
    })
    expect(!noSource.ok && noSource.error.code).toBe('prometheus/unknown-source')
    const inUse = await g.client['prometheus.remove']({ name: 'lab' })
    expect(!inUse.ok && inUse.error.message).toMatch(/used by the KPI "conversion" of fraud/)
    // The exporter goes down: its host says so, keeping its GPU.
    await exp.close()
    const down = await until(
      async () => {
        const s = await g.client['gpu.snapshot']({ host: 'gpu-node-7' })
        return s.ok && s.data.state === 'not-responding' ? s.data : null
      },
      'exporter down',
      15_000,
    )
    expect(down.gpus.map((x) => x.uuid)).toEqual(['GPU-standin-0'])
    expect(down.reason).toMatch(/GPU exporter 127\.0\.0\.1:\d+ down since .* \(Prometheus up == 0\)/)
    // The overview says so from its next poll (the page above may have asked first).
    const h = await until(async () => {
      const list = await g.client['hosts.list']({})
      const x = list.ok ? list.data.find((y) => y.name === 'gpu-node-7') : null
      return x?.health.level === 'critical' ? x : null
    }, 'the overview marking the host')
    expect(h.health.reasons.some((r) => /GPU exporter 127\.0\.0\.1:\d+ down since/.test(r))).toBe(true)
    expect(h.gpus.count).toBe(1)
  }, 60_000)
})

/** A stand-in utkuozdemir/nvidia_gpu_exporter: its metric names (one per --query-gpu field), labelled `uuid`. */
async function standInLegacyExporter(): Promise<{ port: number; close(): Promise<void> }> {
  const srv = createServer((_req, res) => {
    const l = 'uuid="GPU-legacy-0"'
    res
      .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      .end(
        [
          `nvidia_smi_gpu_info{${l},name="NVIDIA L40S",driver_version="595.80"} 1`,
          `nvidia_smi_utilization_gpu_ratio{${l}} 0.42`,
          `nvidia_smi_memory_used_bytes{${l}} ${4096 * 1024 * 1024}`,
          `nvidia_smi_memory_total_bytes{${l}} ${46068 * 1024 * 1024}`,
          `nvidia_smi_temperature_gpu{${l}} 55`,
          `nvidia_smi_power_draw_watts{${l}} 120.5`,
          `nvidia_smi_enforced_power_limit_watts{${l}} 350`,
          '',
        ].join('\n'),
      )
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  return {
    port: (srv.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections()
        srv.close(() => r())
      }),
  }
}

describe.skipIf(!havePrometheus)('the older nvidia_gpu_exporter names', () => {
  it('a host exporting nvidia_smi_* series has its GPU, named by its address, values converted to Gantry units', async () => {
    const exp = await standInLegacyExporter()
    stops.push(() => exp.close())
    const prom = await startPrometheus({ gpu: [`127.0.0.1:${exp.port}`] })
    stops.push(() => prom.stop())
    await until(async () => {
      const r = await fetch(`${prom.url}/api/v1/query?query=nvidia_smi_temperature_gpu`)
      return ((await r.json()) as { data: { result: unknown[] } }).data.result.length > 0
    }, 'the stand-in series in Prometheus')
    const g = make()
    const added = await g.client['prometheus.add']({ url: prom.url, name: 'old' })
    if (!added.ok) throw new Error(added.error.message)
    expect(added.data.exporters).toEqual({ dcgm: 0, nvidiaGpuExporter: 1, node: 0 })
    const list = await g.client['hosts.list']({})
    const h = list.ok ? list.data.find((x) => x.kind === 'prometheus') : null
    expect(h?.name).toBe('127.0.0.1')
    expect(h?.gpus).toEqual({ count: 1, avgUtilPct: 42, state: 'ok' })
    const snap = await g.client['gpu.snapshot']({ host: '127.0.0.1' })
    if (!snap.ok) throw new Error(snap.error.message)
    const gpu = snap.data.gpus[0]
    expect(gpu.name).toBe('NVIDIA L40S')
    expect(gpu.utilization.gpuPct).toBe(42)
    expect(gpu.memory).toEqual({ totalMiB: 46068, usedMiB: 4096, freeMiB: null })
    expect(gpu.temperature.gpuC).toBe(55)
    expect(gpu.power).toEqual({ drawW: 120.5, limitW: 350 })
    expect(gpu.unavailable['memory.freeMiB']).toMatch(/not exported \(nvidia_smi_memory_free_bytes\)/)
  }, 60_000)
})

const OPENSSL = '/usr/bin/openssl'

describe.skipIf(!havePrometheus || !existsSync(OPENSSL))('an https Prometheus signed by a site CA', () => {
  it('is trusted with its CA bundle and refused without it', async () => {
    const dir = tmpDir()
    const ssl = (...args: string[]): void => void execFileSync(OPENSSL, args, { cwd: dir, stdio: 'ignore' })
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=Site test CA',
    )
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1')
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n')
    ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    )
    writeFileSync(
      join(dir, 'web.yml'),
      `tls_server_config:\n  cert_file: ${join(dir, 'server.pem')}\n  key_file: ${join(dir, 'server.key')}\n`,
    )
    const prom = await startPrometheus({}, { extraArgs: [`--web.config.file=${join(dir, 'web.yml')}`], https: true })
    stops.push(() => prom.stop())
    const g = make()
    const refused = await g.client['prometheus.add']({ url: prom.url, name: 'tls' })
    expect(!refused.ok && refused.error.message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify|self.signed/i)
    const trusted = await g.client['prometheus.add']({ url: prom.url, name: 'tls', caFile: join(dir, 'ca.pem') })
    if (!trusted.ok) throw new Error(trusted.error.message)
    expect(trusted.data.state).toBe('ok')
    expect(trusted.data.caFile).toBe(join(dir, 'ca.pem'))
    expect(trusted.data.version).toMatch(/^2\./)
  }, 60_000)
})
