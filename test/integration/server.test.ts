// The headless door over real sockets: HTTP and WebSocket calls, bad input, foreign Host/Origin
// headers, and the token demanded of every API and WebSocket request, loopback included.
import { statSync } from 'node:fs'
import { userInfo } from 'node:os'
import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createGantry, type Gantry } from '../../src/main/core'
import { MIGRATIONS } from '../../src/main/core/db/migrations'
import { startServer, type RunningServer } from '../../src/main/server/server'
import { fakeHostDeps, fakeStorageDeps } from '../helpers/fakes'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  cleanupTmp()
})

async function serve(
  host = '127.0.0.1',
): Promise<{ g: Gantry; s: RunningServer; base: string; auth: Record<string, string> }> {
  const g = createGantry({
    dataDir: tmpDir(),
    hostIntervalMs: 100,
    storageIntervalMs: 0,
    hostDeps: fakeHostDeps(),
    storageDeps: fakeStorageDeps(),
    log: () => {},
  })
  cleanup.push(() => g.stop())
  const s = await startServer({ gantry: g, host, port: 0, rendererDir: null, log: () => {} })
  cleanup.push(() => s.close())
  g.start()
  return { g, s, base: `http://127.0.0.1:${s.port}`, auth: { authorization: `Bearer ${s.token}` } }
}

function post(base: string, method: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

function wsOpen(url: string, headers: Record<string, string> = {}, protocols: string[] = []): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

function nextMessage(ws: WebSocket, pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (data: WebSocket.RawData) => {
      const m = JSON.parse(String(data)) as Record<string, unknown>
      if (pred(m)) {
        ws.off('message', on)
        resolve(m)
      }
    }
    ws.on('message', on)
  })
}

describe('gantry serve', () => {
  it('answers contract calls over HTTP with Results and matching status codes', async () => {
    const { base, auth } = await serve()
    const ok = await post(base, 'app.info', {}, auth)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ ok: true, data: { door: 'cli', schemaVersion: MIGRATIONS.length } })

    const bad = await post(base, 'telemetry.query', { key: 1 }, auth)
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'contract/invalid-input' } })

    const unknown = await post(base, 'registry.dropEverything', {}, auth)
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ ok: false, error: { code: 'contract/unknown-method' } })

    const garbage = await post(base, 'app.info', '{not json', auth)
    expect(garbage.status).toBe(400)
    expect(await garbage.json()).toMatchObject({ ok: false, error: { code: 'contract/invalid-input' } })
  })

  it('refuses a foreign Host header (DNS rebinding) and a cross-site Origin', async () => {
    const { base, auth } = await serve()
    // fetch() will not send a forged Host header; node:http will, as a rebinding browser would.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/healthz`, { headers: { host: 'attacker.example:80' } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(rebound).toBe(401)
    const cross = await post(base, 'app.info', {}, { ...auth, origin: 'http://attacker.example' })
    expect(cross.status).toBe(401)
    expect(await cross.json()).toMatchObject({ ok: false, error: { code: 'auth/unauthorized' } })
    const same = await post(base, 'app.info', {}, { ...auth, origin: base })
    expect(same.status).toBe(200)
    await expect(
      wsOpen(`${base.replace('http', 'ws')}/ws`, { ...auth, origin: 'http://attacker.example' }),
    ).rejects.toThrow(/401/)
  })

  it('carries calls and pushed events over one WebSocket, and survives garbage frames', async () => {
    const { base, s } = await serve()
    // A browser cannot set headers on a WebSocket: the token rides as a subprotocol, never echoed.
    const ws = await wsOpen(`${base.replace('http', 'ws')}/ws`, {}, ['gantry', `gantry.token.${s.token}`])
    expect(ws.protocol).toBe('gantry')
    cleanup.push(async () => ws.close())
    ws.send('not json at all')
    expect(await nextMessage(ws, (m) => m.type === 'result' && m.id === null)).toMatchObject({
      result: { ok: false, error: { code: 'contract/invalid-input' } },
    })
    ws.send(JSON.stringify({ id: 7, method: 'telemetry.query', input: { key: 'x' } }))
    expect(await nextMessage(ws, (m) => m.id === 7)).toMatchObject({
      result: { ok: false, error: { code: 'contract/invalid-input' } },
    })
    ws.send(JSON.stringify({ id: 8, method: 'app.info' }))
    expect(await nextMessage(ws, (m) => m.id === 8)).toMatchObject({ result: { ok: true } })
    const ev = await nextMessage(ws, (m) => m.type === 'event' && m.name === 'host.sample')
    expect(ev).toMatchObject({ payload: { hostname: 'testhost', cpu: { loadPct: 37.5 } } })
  })

  it('on loopback too, every API and WebSocket request needs the token stored 0600 in the data directory', async () => {
    const { g, s, base } = await serve()
    expect(s.token).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    expect(s.tokenCreated).toBe(true)
    expect(s.tokenPath.startsWith(g.config.dataDir)).toBe(true)
    expect(statSync(s.tokenPath).mode & 0o777).toBe(0o600)

    const none = await post(base, 'registry.createModel', { name: 'sneaky' })
    expect(none.status).toBe(401)
    const body = (await none.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['error', 'ok'])
    expect(body).toMatchObject({ ok: false, error: { code: 'auth/unauthorized' } })
    const wrong = await post(base, 'registry.createModel', { name: 'sneaky' }, { authorization: 'Bearer nope' })
    expect(wrong.status).toBe(401)
    // A token in the query string (which ends up in logs) is not accepted.
    const query = await fetch(`${base}/api/app.info?token=${s.token}`, { method: 'POST', body: '{}' })
    expect(query.status).toBe(401)
    // The router decodes paths: an encoded "/api" must not slip past the token check.
    const encoded = await fetch(`${base}/%61pi/app.info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(encoded.status).toBe(401)
    expect((await g.client['registry.listModels']()).ok && (await g.client['registry.listModels']())).toMatchObject({
      data: [],
    })
    const right = await post(base, 'app.info', {}, { authorization: `Bearer ${s.token}` })
    expect(right.status).toBe(200)
    expect((await fetch(`${base}/healthz`)).status).toBe(200)

    const ws = base.replace('http', 'ws')
    await expect(wsOpen(`${ws}/ws`)).rejects.toThrow(/401/)
    await expect(wsOpen(`${ws}/ws?token=${s.token}`)).rejects.toThrow(/401/)
    await expect(wsOpen(`${ws}/ws`, {}, ['gantry', 'gantry.token.nope'])).rejects.toThrow(/401/)
    const open = await wsOpen(`${ws}/ws`, { authorization: `Bearer ${s.token}` }, ['gantry'])
    open.close()
  })

  it('names the caller in the audit: the loopback client’s OS account, via web', async () => {
    const { g, base, auth } = await serve()
    const r = await post(base, 'registry.createModel', { name: 'churn' }, auth)
    expect(r.status).toBe(200)
    const audit = await g.client['audit.list']({ model: 'churn' })
    expect(audit.ok && audit.data[0]).toMatchObject({ action: 'model.create', actor: `${userInfo().username} via web` })
  })

  it('beyond loopback, the same token; the caller is named with the address it came from', async () => {
    const { s, base } = await serve('0.0.0.0')
    expect((await post(base, 'app.info', {})).status).toBe(401)
    expect((await post(base, 'app.info', {}, { authorization: `Bearer ${s.token}` })).status).toBe(200)
  })

  it('reuses the stored token on the next start instead of printing a new one', async () => {
    const first = await serve('0.0.0.0')
    const token = first.s.token
    await first.s.close()
    const { startServer: again } = await import('../../src/main/server/server')
    const s2 = await again({ gantry: first.g, host: '0.0.0.0', port: 0, rendererDir: null, log: () => {} })
    cleanup.push(() => s2.close())
    expect(s2.token).toBe(token)
    expect(s2.tokenCreated).toBe(false)
  })

  it('says clearly when the port is taken', async () => {
    const { g, s } = await serve()
    await expect(startServer({ gantry: g, port: s.port, rendererDir: null, log: () => {} })).rejects.toThrow(
      new RegExp(`port ${s.port} on 127.0.0.1 is already in use`),
    )
  })
})
