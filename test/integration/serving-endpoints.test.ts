// Saved endpoints in the core: persisted, polled on their own pollers, their samples stored as
// series — and a hung endpoint never delays another.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import { replayServer } from '../helpers/replay-server'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const fx = (p: string): string => readFileSync(join(__dirname, '..', 'fixtures', 'serving', p), 'utf8')
const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  cleanupTmp()
})

function make(dataDir: string): Gantry {
  const g = createGantry({
    dataDir,
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 100,
    pollTimeoutMs: 300,
    log: () => {},
  })
  cleanup.push(() => g.stop())
  return g
}

async function vllm() {
  const s = await replayServer({
    'GET /v1/models': { body: fx('vllm/v1_models_served_model_name.json') },
    'GET /version': { body: fx('vllm/version.json') },
    'GET /health': { body: '' },
    'GET /metrics': { body: fx('vllm/metrics.txt'), type: 'text/plain' },
  })
  cleanup.push(() => s.close())
  return s
}

describe('saved serving endpoints', () => {
  it('an endpoint another process adds (the CLI) is polled by the running console within seconds', async () => {
    const dir = tmpDir()
    const s = await vllm()
    const consoleCore = make(dir)
    consoleCore.start()
    const cli = make(dir) // another process on the same database, never started
    const added = await cli.client['serving.addEndpoint']({ url: s.url, name: 'from-cli' })
    if (!added.ok) throw new Error(added.error.message)
    const polled = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the console never polled it')), 8000)
      consoleCore.events.on('serving.sample', (p) => {
        clearTimeout(t)
        resolve(p.endpoint.name)
      })
    })
    expect(polled).toBe('from-cli')
    // Removed by the other process: the console stops polling it.
    await cli.client['serving.removeEndpoint']({ id: added.data.id })
    await new Promise((r) => setTimeout(r, 1500))
    const list = await consoleCore.client['serving.listEndpoints']({})
    expect(list.ok && list.data).toEqual([])
  })

  it('are added, polled, stored as series, listed with their latest poll, and survive a restart', async () => {
    const dir = tmpDir()
    const s = await vllm()
    const g = make(dir)
    g.start()
    const added = await g.client['serving.addEndpoint']({ url: s.url, name: 'llm-a' })
    if (!added.ok) throw new Error(added.error.message)
    const samples: number[] = []
    await new Promise<void>((resolve) =>
      g.events.on('serving.sample', (p) => {
        samples.push(p.result.at)
        if (samples.length >= 2) resolve()
      }),
    )
    const list = await g.client['serving.listEndpoints']({})
    if (!list.ok) throw new Error(list.error.message)
    expect(list.data).toHaveLength(1)
    expect(list.data[0].endpoint).toMatchObject({ name: 'llm-a', url: s.url, kind: null })
    expect(list.data[0].latest).toMatchObject({ kind: 'vllm', live: true })
    // From the second poll on, rates cover the poll interval (same recording: no new traffic).
    expect(list.data[0].latest?.metrics).toMatchObject({ requestRate: 0 })
    const up = await g.client['telemetry.query']({ key: `serving.up:${added.data.id}`, rangeMs: 60_000 })
    expect(up.ok && up.data.points[0][1]).toBe(1)

    const dup = await g.client['serving.addEndpoint']({ url: s.url })
    expect(dup).toMatchObject({ ok: false, error: { code: 'serving/duplicate-endpoint' } })
    await g.stop()

    const again = make(dir)
    const relisted = await again.client['serving.listEndpoints']({})
    expect(relisted.ok && relisted.data.map((e) => e.endpoint.name)).toEqual(['llm-a'])
    expect(await again.client['serving.removeEndpoint']({ id: added.data.id })).toEqual({ ok: true, data: {} })
    expect(await again.client['serving.removeEndpoint']({ id: added.data.id })).toMatchObject({
      ok: false,
      error: { code: 'serving/unknown-endpoint' },
    })
    expect(await again.client['serving.listEndpoints']({})).toEqual({ ok: true, data: [] })
  })

  it('keep polling a healthy endpoint while another one hangs', async () => {
    const hung = await replayServer({ 'GET /health': { hang: true } })
    cleanup.push(() => hung.close())
    const fine = await vllm()
    const g = make(tmpDir())
    g.start()
    await g.client['serving.addEndpoint']({ url: `${hung.url}health`, name: 'hung', kind: 'generic' })
    await g.client['serving.addEndpoint']({ url: fine.url, name: 'fine', kind: 'vllm' })
    const seen = new Map<string, number>()
    await new Promise<void>((resolve) =>
      g.events.on('serving.sample', (p) => {
        seen.set(p.endpoint.name, (seen.get(p.endpoint.name) ?? 0) + 1)
        if ((seen.get('fine') ?? 0) >= 5) resolve()
      }),
    )
    // The hung one reports "no answer" at its own deadline; it never held the healthy one back.
    expect(seen.get('fine')).toBeGreaterThanOrEqual(5)
    const list = await g.client['serving.listEndpoints']({})
    const h = list.ok ? list.data.find((e) => e.endpoint.name === 'hung') : undefined
    if (h?.latest) expect(h.latest.checks[0].error).toBe('no complete answer within 300 ms')
  })

  it('refuses a URL that is not http(s)', async () => {
    const g = make(tmpDir())
    expect(await g.api.call('serving.addEndpoint', { url: 'ftp://x/' })).toMatchObject({
      ok: false,
      error: { code: 'contract/invalid-input' },
    })
  })

  it('adding, configuring and removing an endpoint are audited with the caller, never with the secret', async () => {
    const g = make(tmpDir())
    const caller = { actor: 'alice via web', door: 'web' as const }
    const added = await g.api.call(
      'serving.addEndpoint',
      { url: 'http://127.0.0.1:9/', name: 'llm-a', auth: { type: 'bearer', token: 'tok-s3cret' } },
      caller,
    )
    expect(added.ok).toBe(true)
    const id = added.ok ? (added.data as { id: number }).id : 0
    await g.api.call(
      'serving.configureEndpoint',
      { id, auth: { type: 'basic', user: 'ops', password: 'pw-s3cret' }, smoke: null },
      caller,
    )
    await g.api.call('serving.removeEndpoint', { id }, { actor: 'bob via web', door: 'web' })
    const audit = await g.client['audit.list']({ limit: 10 })
    const rows = (audit.ok ? audit.data : []).reverse()
    expect(rows.map((r) => [r.action, r.actor])).toEqual([
      ['endpoint.add', 'alice via web'],
      ['endpoint.configure', 'alice via web'],
      ['endpoint.remove', 'bob via web'],
    ])
    expect(rows[0].after).toMatchObject({ name: 'llm-a', url: 'http://127.0.0.1:9/', auth: 'bearer' })
    expect(rows[1].after).toMatchObject({ auth: 'basic', smoke: null })
    expect(JSON.stringify(rows)).not.toMatch(/s3cret/)
  })
})
