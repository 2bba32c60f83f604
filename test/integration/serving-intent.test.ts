// Saved endpoints with credentials, smoke requests and registry bindings: the secret goes to the
// secrets service (never into the database), a server that says healthy but fails its smoke
// request is "hung", and the registry's intended version is compared with what is served.
import { readFileSync, statSync, chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import type { EndpointStatus } from '../../src/shared/serving'
import { replayServer, type Route } from '../helpers/replay-server'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const fx = (p: string): string => readFileSync(join(__dirname, '..', 'fixtures', 'serving', p), 'utf8')
const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  cleanupTmp()
})

function make(dataDir = tmpDir()): Gantry {
  const g = createGantry({
    dataDir,
    actor: 'ops',
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 100,
    pollTimeoutMs: 400,
    log: () => {},
  })
  cleanup.push(() => g.stop())
  return g
}
async function serve(routes: Record<string, Route>) {
  const s = await replayServer(routes)
  cleanup.push(() => s.close())
  return s
}
async function ok<T>(p: Promise<{ ok: true; data: T } | { ok: false; error: { message: string } }>): Promise<T> {
  const r = await p
  if (!r.ok) throw new Error(r.error.message)
  return r.data
}
/** Resolves with the first status of endpoint `id` that satisfies `pred`. */
function statusWhere(g: Gantry, id: number, pred: (s: EndpointStatus) => boolean): Promise<EndpointStatus> {
  return new Promise((resolve) => {
    const off = g.events.on('serving.sample', (p) => {
      if (p.endpoint.id === id && pred(p.status)) {
        off()
        resolve(p.status)
      }
    })
  })
}

const vllmRoutes = (extra: Record<string, Route> = {}): Record<string, Route> => ({
  'GET /v1/models': { body: fx('vllm/v1_models_served_model_name.json') },
  'GET /version': { body: fx('vllm/version.json') },
  'GET /health': { body: '' },
  ...extra,
})

describe('endpoint credentials', () => {
  it('sends the bearer token from the secrets service; the token is never in the database', async () => {
    const token = 'tok-7f3a9c-SECRET'
    const s = await serve(
      Object.fromEntries(
        Object.entries(vllmRoutes()).map(([k, r]) => [k, { ...(r as object), auth: `Bearer ${token}` } as Route]),
      ),
    )
    const g = make()
    g.start()
    const e = await ok(g.client['serving.addEndpoint']({ url: s.url, kind: 'vllm', auth: { type: 'bearer', token } }))
    expect(e.auth).toEqual({ type: 'bearer', user: null })
    const st = await statusWhere(g, e.id, (x) => x.verdict === 'up')
    expect(st.latest?.models.map((m) => m.name)).toEqual(['prompt_model'])
    const secrets = join(g.config.dataDir, 'secrets.json')
    expect(statSync(secrets).mode & 0o777).toBe(0o600)
    expect(readFileSync(secrets, 'utf8')).toContain(token)
    await g.stop()
    for (const f of ['gantry.db', 'gantry.db-wal']) {
      try {
        expect(readFileSync(join(g.config.dataDir, f)).includes(Buffer.from(token))).toBe(false)
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err
      }
    }
  })

  it('sends basic credentials, and without them the server says 401 and the endpoint is down', async () => {
    const basic = `Basic ${Buffer.from('ops:hunter2').toString('base64')}`
    const s = await serve({ 'GET /': { body: 'ok', type: 'text/plain', auth: basic } })
    const g = make()
    g.start()
    const none = await ok(g.client['serving.addEndpoint']({ url: s.url, kind: 'generic', name: 'no-auth' }))
    const down = await statusWhere(g, none.id, (x) => x.verdict !== 'unknown')
    expect(down.verdict).toBe('down')
    await ok(
      g.client['serving.configureEndpoint']({ id: none.id, auth: { type: 'basic', user: 'ops', password: 'hunter2' } }),
    )
    const up = await statusWhere(g, none.id, (x) => x.verdict === 'up')
    expect(up.endpoint.auth).toEqual({ type: 'basic', user: 'ops' })
    // Removing the credentials removes the secret too.
    await ok(g.client['serving.configureEndpoint']({ id: none.id, auth: null }))
    expect(JSON.parse(readFileSync(join(g.config.dataDir, 'secrets.json'), 'utf8'))).toEqual({})
  })

  it('refuses a secrets file other users can read, and says so in the poll instead of sending nothing silently', async () => {
    const s = await serve(vllmRoutes())
    const g = make()
    const e = await ok(
      g.client['serving.addEndpoint']({ url: s.url, kind: 'vllm', auth: { type: 'bearer', token: 't' } }),
    )
    chmodSync(join(g.config.dataDir, 'secrets.json'), 0o644)
    g.start()
    const st = await statusWhere(g, e.id, (x) => x.latest !== null)
    expect(st.latest?.problems[0]).toMatch(/can be read by other users \(mode 644\).*chmod 600/)
    const add = await g.client['serving.addEndpoint']({
      url: `${s.url}x/`,
      name: 'second',
      auth: { type: 'bearer', token: 'u' },
    })
    expect(add.ok ? 'ok' : add.error.code).toBe('secrets/insecure')
    // Nothing half-written: the endpoint whose secret could not be stored was not saved.
    expect((await ok(g.client['serving.listEndpoints']({}))).map((x) => x.endpoint.url)).toEqual([s.url])
  })

  it('reports a corrupt secrets file clearly', async () => {
    const g = make()
    writeFileSync(join(g.config.dataDir, 'secrets.json'), '{not json', { mode: 0o600 })
    const add = await g.client['serving.addEndpoint']({
      url: 'http://127.0.0.1:9/',
      auth: { type: 'bearer', token: 'u' },
    })
    expect(add.ok ? 'ok' : add.error).toEqual({
      code: 'secrets/unreadable',
      message: expect.stringMatching(/secrets.json is unreadable/),
    })
  })
})

describe('smoke requests', () => {
  it('shows a server whose health says 200 but whose completion hangs as hung, and recovers', async () => {
    const s = await serve(vllmRoutes({ 'POST /v1/completions': { hang: true } }))
    const g = make()
    g.start()
    const e = await ok(
      g.client['serving.addEndpoint']({
        url: s.url,
        kind: 'vllm',
        smoke: { method: 'POST', path: 'v1/completions', body: { prompt: 'ping', max_tokens: 1 }, timeoutMs: 300 },
      }),
    )
    const hung = await statusWhere(g, e.id, (x) => x.verdict !== 'unknown')
    expect(hung.verdict).toBe('hung')
    expect(hung.latest?.live).toBe(true)
    expect(hung.latest?.smoke).toMatchObject({ ok: false, status: null, error: 'no complete answer within 300 ms' })
    expect(hung.latest?.problems.join(' ')).toMatch(/smoke request POST v1\/completions failed/)
    // A smoke request that answers 200 makes it up; an error status makes it hung again.
    await ok(
      g.client['serving.configureEndpoint']({ id: e.id, smoke: { method: 'GET', path: 'v1/models', timeoutMs: 300 } }),
    )
    const up = await statusWhere(g, e.id, (x) => x.verdict === 'up')
    expect(up.latest?.smoke?.ok).toBe(true)
    await ok(
      g.client['serving.configureEndpoint']({ id: e.id, smoke: { method: 'GET', path: 'nope', timeoutMs: 300 } }),
    )
    const bad = await statusWhere(g, e.id, (x) => x.verdict === 'hung')
    expect(bad.latest?.smoke).toMatchObject({ ok: false, status: 404, error: 'HTTP 404' })
  })
})

describe('registry intent against what is served', () => {
  async function triton() {
    return serve({
      'GET /v2': { body: fx('triton/v2_server_metadata.json') },
      'GET /v2/health/live': { body: '' },
      'GET /v2/health/ready': { body: '' },
      'POST /v2/repository/index': { body: fx('triton/v2_repository_index_all_ready.json') },
    })
  }
  async function promote(g: Gantry, model: string, artifact: string, times: number) {
    for (let i = 0; i < times; i++) {
      const v = await ok(g.client['registry.register']({ model, artifact }))
      await ok(g.client['registry.transition']({ name: model, version: v.version, stage: 'staging' }))
      await ok(g.client['registry.transition']({ name: model, version: v.version, stage: 'production' }))
    }
  }

  it('matches Triton version numbers and reports a mismatch once production moves on', async () => {
    const s = await triton()
    const g = make()
    const art = join(tmpDir(), 'model.plan')
    writeFileSync(art, 'trt')
    await promote(g, 'resnet50', art, 1)
    g.start()
    const e = await ok(
      g.client['serving.addEndpoint']({
        url: s.url,
        kind: 'triton',
        bindings: [
          { model: 'resnet50', servedName: 'resnet50_trt', alias: 'production' },
          { model: 'bert', servedName: 'bert', alias: 'production' },
        ],
      }),
    )
    const first = await statusWhere(g, e.id, (x) => x.latest !== null)
    const byModel = Object.fromEntries(first.intent.map((i) => [i.model, i]))
    expect(byModel.resnet50).toMatchObject({ state: 'match', expectedVersion: 1, served: ['v1'] })
    expect(byModel.bert).toMatchObject({ state: 'no-intent' })
    await promote(g, 'resnet50', art, 1) // v2 is production now; Triton still serves v1
    const after = await statusWhere(g, e.id, (x) => x.intent[1]?.state === 'mismatch')
    expect(after.intent.find((i) => i.model === 'resnet50')).toMatchObject({
      expectedVersion: 2,
      served: ['v1'],
      detail: "serves v1 but the registry's production is v2",
    })
    const listed = await ok(g.client['serving.listEndpoints']({}))
    expect(listed[0].intent.find((i) => i.model === 'resnet50')?.state).toBe('mismatch')
  })

  it('compares vLLM by the weights path, and says "missing" for a model the server does not serve', async () => {
    const s = await serve(vllmRoutes())
    const g = make()
    for (const model of ['qwen', 'other']) {
      await ok(g.client['registry.register']({ model, artifact: __filename }))
      await ok(g.client['registry.setAlias']({ name: model, alias: 'candidate', version: 1 }))
    }
    g.start()
    const e = await ok(
      g.client['serving.addEndpoint']({
        url: s.url,
        kind: 'vllm',
        bindings: [
          { model: 'qwen', servedName: 'prompt_model', alias: 'candidate' },
          { model: 'other', servedName: 'not_here', alias: 'candidate' },
        ],
      }),
    )
    const st = await statusWhere(g, e.id, (x) => x.latest !== null)
    expect(st.intent.find((i) => i.model === 'qwen')).toMatchObject({
      state: 'mismatch',
      served: ['/weights/Qwen3-1.7B'],
      detail: expect.stringContaining(`the registry's candidate v1 is ${__filename}`),
    })
    expect(st.intent.find((i) => i.model === 'other')).toMatchObject({
      state: 'missing',
      detail: 'not_here is not served here (serving: prompt_model)',
    })
  })
})
