// Triton, TorchServe and Ollama targets against loopback servers that keep state the way those
// runtimes do, answering with the recorded bodies' shapes (test/fixtures/serving): a switch
// changes what the next index / describe / tags call returns.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Gantry } from '../../src/main/core'
import type { Deployment } from '../../src/shared/deploy'
import { call, makeCore } from '../helpers/deploy-env'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const fx = (p: string) => readFileSync(join(__dirname, '..', 'fixtures', 'serving', p), 'utf8')
const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  cleanupTmp()
})

async function fake(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => handler(req, body, res))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/`
}
const send = (res: ServerResponse, status: number, body: unknown) =>
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(typeof body === 'string' ? body : JSON.stringify(body))

async function registryWith(model: string, versions: { params?: Record<string, string> }[]): Promise<Gantry> {
  const g = makeCore(tmpDir())
  cleanup.push(() => g.stop())
  const art = tmpDir()
  for (const [i, v] of versions.entries()) {
    const d = join(art, String(i + 1))
    mkdirSync(d)
    writeFileSync(join(d, 'model.bin'), `v${i + 1}`)
    await call(g, 'registry.register', { model, artifact: d, params: v.params ?? {} })
    await call(g, 'registry.transition', { name: model, version: i + 1, stage: 'staging' })
  }
  return g
}

describe('Triton target (explicit model control)', () => {
  it('pins version_policy and loads; verifies through the repository index; reverts a failed load', async () => {
    // The recorded index rows, for the one model this fake holds: versions 1 and 2 in its repository.
    const recorded = (JSON.parse(fx('triton/v2_repository_index_all_ready.json')) as { name: string }[]).find(
      (r) => r.name === 'resnet50_trt',
    )
    expect(recorded).toBeDefined()
    const state = new Map([
      ['1', 'READY'],
      ['2', 'UNAVAILABLE'],
    ])
    const loads: string[] = []
    const url = await fake((req, body, res) => {
      if (req.url === '/v2/health/live') return send(res, 200, '')
      if (req.url === '/v2/repository/index') {
        return send(
          res,
          200,
          [...state].map(([version, st]) => ({
            name: 'resnet50_trt',
            version,
            state: st,
            reason: st === 'READY' ? '' : 'unloaded',
          })),
        )
      }
      if (req.url === '/v2/repository/models/resnet50_trt/load' && req.method === 'POST') {
        loads.push(body)
        const cfg = JSON.parse(JSON.parse(body).parameters.config) as {
          version_policy: { specific: { versions: number[] } }
        }
        const want = String(cfg.version_policy.specific.versions[0])
        if (!state.has(want))
          return send(res, 400, { error: `failed to load 'resnet50_trt', no version ${want} in the model repository` })
        for (const k of state.keys()) state.set(k, k === want ? 'READY' : 'UNAVAILABLE')
        return send(res, 200, '')
      }
      send(res, 404, { error: 'not found' })
    })
    const g = await registryWith('resnet50', [{}, {}, {}])
    const t = await call<{ id: number }>(g, 'deploy.addTarget', {
      model: 'resnet50',
      name: 'triton-a',
      config: { kind: 'triton', url, servedName: 'resnet50_trt', readyTimeoutMs: 1000 },
    })
    const d2 = await call<Deployment>(g, 'deploy.run', { model: 'resnet50', version: 2, targetId: t.id })
    expect(d2.state).toBe('succeeded')
    expect(d2.steps.find((s) => s.name === 'verify')?.detail).toBe(
      'repository index: resnet50_trt v2 READY, no other version ready',
    )
    expect(JSON.parse(loads[0])).toEqual({ parameters: { config: '{"version_policy":{"specific":{"versions":[2]}}}' } })
    // v3 is in the registry but not in Triton's repository: the load fails, v2 is loaded back.
    const d3 = await call<Deployment>(g, 'deploy.run', { model: 'resnet50', version: 3, targetId: t.id })
    expect(d3.state).toBe('reverted')
    expect(d3.reason).toMatch(/load resnet50_trt v3: HTTP 400.*no version 3.*v2 is back and verified/)
    expect(state.get('2')).toBe('READY')
  })
})

describe('TorchServe target', () => {
  it('sets the default version; refuses to keep a version without a READY worker (as recorded for v1)', async () => {
    const versions = JSON.parse(fx('torchserve/model_describe_all_versions.json')) as { modelVersion: string }[]
    let def = '1'
    const url = await fake((req, _body, res) => {
      const m = /^\/models\/linear_regression_1_2(?:\/([^/]+)\/set-default)?$/.exec(req.url ?? '')
      if (m && req.method === 'GET' && !m[1])
        return send(
          res,
          200,
          versions.filter((v) => v.modelVersion === def),
        )
      if (m && req.method === 'PUT' && m[1]) {
        if (!versions.some((v) => v.modelVersion === m[1]))
          return send(res, 404, {
            code: 404,
            type: 'ModelVersionNotFoundException',
            message: `Model version ${m[1]} does not exist`,
          })
        def = m[1]
        return send(res, 200, {
          status: `Default version successfully updated for model "linear_regression_1_2" to "${def}"`,
        })
      }
      send(res, 404, { code: 404, message: 'not found' })
    })
    const g = await registryWith('linreg', [{}, {}])
    const t = await call<{ id: number }>(g, 'deploy.addTarget', {
      model: 'linreg',
      name: 'ts',
      config: { kind: 'torchserve', managementUrl: url, servedName: 'linear_regression_1_2', readyTimeoutMs: 500 },
    })
    const d2 = await call<Deployment>(g, 'deploy.run', { model: 'linreg', version: 2, targetId: t.id })
    expect(d2).toMatchObject({ state: 'succeeded' })
    expect(def).toBe('2')
    // The recording's v1 worker status is "unknown_value", not READY: deploying v1 is reverted.
    const d1 = await call<Deployment>(g, 'deploy.run', { model: 'linreg', version: 1, targetId: t.id })
    expect(d1.state).toBe('reverted')
    expect(d1.reason).toMatch(/version 1 has no READY worker.*v2 is back and verified/)
    expect(def).toBe('2')
    // TorchServe restarts and forgets set-default: reconciling puts v2 back, audited.
    def = '1'
    const again = await call<string[]>(g, 'deploy.reconcile', {})
    expect(again).toEqual([expect.stringMatching(/TorchServe's default was 1, set back to v2/)])
    expect(def).toBe('2')
    expect(await call<string[]>(g, 'deploy.reconcile', {})).toEqual([])
  })
})

describe('Ollama target', () => {
  it('copies the pinned tag onto the serving tag and checks the digest', async () => {
    const recorded = (JSON.parse(fx('ollama/api_ps.json')) as { models: { digest: string; details: unknown }[] })
      .models[0]
    const tags = new Map([
      ['gemma3:v1', recorded.digest],
      ['gemma3:v2', 'b'.repeat(64)],
      ['gemma3:prod', recorded.digest],
    ])
    const url = await fake((req, body, res) => {
      if (req.url === '/api/tags') {
        return send(res, 200, {
          models: [...tags].map(([name, digest]) => ({ name, model: name, digest, details: recorded.details })),
        })
      }
      if (req.url === '/api/copy' && req.method === 'POST') {
        const { source, destination } = JSON.parse(body) as { source: string; destination: string }
        if (!tags.has(source)) return send(res, 404, { error: `model '${source}' not found` })
        tags.set(destination, tags.get(source) as string)
        return send(res, 200, '')
      }
      send(res, 404, { error: 'not found' })
    })
    const g = await registryWith('gemma', [
      { params: { 'ollama.tag': 'gemma3:v1', 'ollama.digest': recorded.digest } },
      { params: { 'ollama.tag': 'gemma3:v2', 'ollama.digest': 'b'.repeat(64) } },
    ])
    const t = await call<{ id: number }>(g, 'deploy.addTarget', {
      model: 'gemma',
      name: 'ollama',
      config: { kind: 'ollama', url, servingTag: 'gemma3:prod', readyTimeoutMs: 500 },
    })
    const d = await call<Deployment>(g, 'deploy.run', { model: 'gemma', version: 2, targetId: t.id })
    expect(d.state).toBe('succeeded')
    expect(tags.get('gemma3:prod')).toBe('b'.repeat(64))
    // A pinned tag whose digest moved (someone re-pulled it) is refused before anything changes.
    tags.set('gemma3:v1', 'c'.repeat(64))
    const err = await call(g, 'deploy.run', { model: 'gemma', version: 1, targetId: t.id }).catch((e: Error) => e)
    expect((err as Error).message).toMatch(/tag gemma3:v1 now has digest c{64}, not the registered/)
    expect(tags.get('gemma3:prod')).toBe('b'.repeat(64))
  })
})
