// The renderer's WebSocket transport against real sockets (the `ws` package standing in for the
// browser's WebSocket): results, a dropped connection failing calls at once, and a call that
// timed out while queued never being sent later.
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { createWsBridge } from '../../src/renderer/src/bridge/ws'

;(globalThis as unknown as { WebSocket: unknown }).WebSocket = WebSocket

const servers: WebSocketServer[] = []
const bridges: { close?: () => void }[] = []
afterEach(async () => {
  for (const b of bridges.splice(0)) b.close?.()
  for (const s of servers) for (const c of s.clients) c.terminate()
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

function bridge(url: string, opts?: { callTimeoutMs?: number }) {
  const b = createWsBridge(url, opts)
  bridges.push(b)
  return b
}

function server(onMessage: (ws: WebSocket, msg: { id: number; method: string }) => void, port = 0) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port })
  servers.push(wss)
  wss.on('connection', (ws) => ws.on('message', (d) => onMessage(ws, JSON.parse(String(d)))))
  return new Promise<{ wss: WebSocketServer; url: string; port: number }>((resolve) =>
    wss.on('listening', () => {
      const p = (wss.address() as { port: number }).port
      resolve({ wss, url: `ws://127.0.0.1:${p}/ws`, port: p })
    }),
  )
}

describe('the WebSocket bridge', () => {
  it('matches results to calls by id', async () => {
    const { url } = await server((ws, m) =>
      ws.send(JSON.stringify({ type: 'result', id: m.id, result: { ok: true, data: m.method } })),
    )
    const b = bridge(url)
    const [x, y] = await Promise.all([b.call('app.info'), b.call('gpu.snapshot')])
    expect(x).toEqual({ ok: true, data: 'app.info' })
    expect(y).toEqual({ ok: true, data: 'gpu.snapshot' })
  })

  it('fails calls in flight as soon as the connection drops, not after the timeout', async () => {
    const { wss, url } = await server(() => {})
    const b = bridge(url, { callTimeoutMs: 60_000 })
    await new Promise<void>((r) => b.onConnection((s) => s === 'open' && r()))
    const started = Date.now()
    const call = b.call('app.info')
    await new Promise((r) => setTimeout(r, 50))
    for (const c of wss.clients) c.terminate()
    expect(await call).toMatchObject({ ok: false, error: { code: 'core/unavailable' } })
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('never sends a call that timed out while waiting for the connection', async () => {
    const placeholder = await server(() => {})
    const port = placeholder.port
    await new Promise((r) => placeholder.wss.close(r))
    servers.splice(servers.indexOf(placeholder.wss), 1)
    const b = bridge(`ws://127.0.0.1:${port}/ws`, { callTimeoutMs: 200 })
    const r = await b.call('app.info')
    expect(r).toMatchObject({ ok: false, error: { code: 'core/timeout' } })
    // The server comes up now: the timed-out call must not arrive.
    const seen: string[] = []
    await server((_ws, m) => seen.push(m.method), port)
    await new Promise<void>((res) => b.onConnection((s) => s === 'open' && res()))
    await new Promise((res) => setTimeout(res, 300))
    expect(seen).toEqual([])
  })
})
