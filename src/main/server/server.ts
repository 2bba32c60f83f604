// The headless door: the contract over HTTP (POST /api/<method>) and WebSocket (/ws), plus the
// built renderer, on 127.0.0.1 by default. Holds no logic: every call goes to gantry.api.
// Every API and WebSocket request needs the data directory's token, loopback included (any local
// account can reach 127.0.0.1): as `Authorization: Bearer`, or for a browser's WebSocket as the
// subprotocol `gantry.token.<token>`. Only the static UI and /healthz are open. On loopback it
// also refuses foreign Host/Origin headers (DNS rebinding, cross-site WebSocket). Each call runs
// for a caller the audit names (the loopback client's OS account), and is cancelled if the
// client goes away before its answer.
import fastifyStatic from '@fastify/static'
import fastifyWebsocket from '@fastify/websocket'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { CSP } from '../../shared/csp'
import type { ErrorCode, Result } from '../../shared/result'
import { fail } from '../../shared/result'
import type { Gantry } from '../core'
import type { Caller } from '../core/caller'
import { peerUser } from './peer'
import { METRICS_TOKEN_FILE, isLoopbackHost, loadOrCreateToken, tokenMatches } from './token'

export interface ServeOptions {
  gantry: Gantry
  host?: string
  port?: number
  /** Folder holding the built renderer (index.html); null serves the API alone. */
  rendererDir: string | null
  log?: (line: string) => void
}

export interface RunningServer {
  url: string
  host: string
  port: number
  /** The token every API and WebSocket request must carry. */
  token: string
  tokenPath: string
  tokenCreated: boolean
  close(): Promise<void>
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  'contract/invalid-input': 400,
  'contract/unknown-method': 404,
  'auth/unauthorized': 401,
  'core/internal': 500,
  'core/unavailable': 503,
  'db/busy': 503,
}

/** The WebSocket subprotocol of the console, and the prefix of the one that carries the token. */
export const WS_PROTOCOL = 'gantry'
export const WS_TOKEN_PREFIX = 'gantry.token.'

/** Events queued past this many bytes for one socket are dropped: a stalled tab must not grow us. */
const MAX_BUFFERED = 4 * 1024 * 1024

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const loopback = isLoopbackHost(host)
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`))
  const tok = loadOrCreateToken(opts.gantry.config.dataDir)
  const scrapeTok = loadOrCreateToken(opts.gantry.config.dataDir, METRICS_TOKEN_FILE)
  const { api, events } = opts.gantry

  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, routerOptions: { maxParamLength: 200 } })
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: 1024 * 1024,
      // The browser offers ["gantry", "gantry.token.…"]; the answer names only "gantry", so the
      // token is never echoed back.
      handleProtocols: (offered: Set<string>) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    },
  })

  function hostAllowed(req: FastifyRequest): boolean {
    if (!loopback) return true // the token guards a non-loopback bind
    const hostHeader = req.headers.host ?? ''
    const name = hostHeader.replace(/:\d+$/, '')
    return isLoopbackHost(name)
  }
  function originAllowed(req: FastifyRequest): boolean {
    const origin = req.headers.origin
    if (!origin) return true // not a browser cross-origin request
    try {
      return new URL(origin).host === req.headers.host
    } catch {
      return false
    }
  }
  function presented(req: FastifyRequest): string | undefined {
    const header = req.headers.authorization
    if (header?.startsWith('Bearer ')) return header.slice(7).trim()
    const protocols = req.headers['sec-websocket-protocol']
    if (typeof protocols === 'string') {
      const offered = protocols.split(',').map((p) => p.trim())
      const t = offered.find((p) => p.startsWith(WS_TOKEN_PREFIX))
      if (t) return t.slice(WS_TOKEN_PREFIX.length)
    }
    return undefined
  }
  function authorized(req: FastifyRequest): boolean {
    return tokenMatches(tok.token, presented(req))
  }
  /** Who the audit names for this request: the loopback client's OS account where Linux says. */
  async function callerOf(req: FastifyRequest): Promise<string> {
    const sock = req.raw.socket
    const user = await peerUser(sock)
    const from = sock.remoteAddress && !isLoopbackHost(sock.remoteAddress.replace(/^::ffff:/, ''))
    const where = from ? ` from ${sock.remoteAddress}` : ''
    return `${user ?? 'token holder'} via web${where}`
  }
  function refuse(reply: FastifyReply, why: string): FastifyReply {
    return reply.code(STATUS['auth/unauthorized'] ?? 401).send(fail('auth/unauthorized', why))
  }

  app.addHook('onRequest', async (req, reply) => {
    if (!hostAllowed(req)) return refuse(reply, `Host header "${req.headers.host}" is not this console`)
    if (!originAllowed(req)) return refuse(reply, `cross-origin request from ${req.headers.origin} refused`)
    // Decide on the matched route, not the raw URL: the router decodes "/%61pi/…" to "/api/…".
    // Only the static UI and the health check are open; everything else needs the token.
    const route = req.routeOptions.url
    const open = route === '/healthz' || route === '/' || route === '/*'
    // /metrics also takes the scrape token, which opens nothing else.
    const scrape = route === '/metrics' && tokenMatches(scrapeTok.token, presented(req))
    if (!open && !scrape && !authorized(req)) {
      return refuse(
        reply,
        'this console needs its access token: open the URL `gantry serve` printed, or run `gantry url`',
      )
    }
  })
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('X-Content-Type-Options', 'nosniff')
    reply.header('Referrer-Policy', 'no-referrer')
    reply.header('X-Frame-Options', 'DENY')
    reply.header('Content-Security-Policy', CSP)
    return payload
  })

  app.get('/healthz', async () => ({ ok: true }))

  // What Gantry knows, for Prometheus (docs/features.md lists the metrics).
  app.get('/metrics', async (_req, reply) => {
    const body = await opts.gantry.metrics.render()
    return reply
      .code(200)
      .header('content-type', opts.gantry.metrics.contentType)
      .header('cache-control', 'no-store')
      .send(body)
  })

  app.post('/api/:method', async (req, reply) => {
    const { method } = req.params as { method: string }
    // A client that goes away before its answer cancels the work done for it.
    const gone = new AbortController()
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort(new Error('the client went away'))
    })
    const caller: Caller = { actor: await callerOf(req), signal: gone.signal, door: 'web' }
    const result = await api.call(method, req.body ?? undefined, caller)
    const code = result.ok ? 200 : (STATUS[result.error.code] ?? 422)
    return reply.code(code).send(result)
  })
  // Requests that are not JSON (or not parseable) still get a contract-shaped answer.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    const code: ErrorCode = status < 500 ? 'contract/invalid-input' : 'core/internal'
    return reply.code(status).send(fail(code, err.message))
  })

  app.get('/ws', { websocket: true }, (socket, req) => {
    // Calls of this socket are cancelled when it closes; every call names the same caller.
    const gone = new AbortController()
    socket.once('close', () => gone.abort(new Error('the console tab went away')))
    const actor = callerOf(req) // listeners below attach now: no frame is missed while it resolves
    // Call results are always sent; pushed events are dropped while a stalled client has more than
    // MAX_BUFFERED queued (the next event brings it up to date).
    const send = (msg: unknown): void => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg))
    }
    const unsubscribe = events.onAny((name, payload) => {
      if (socket.bufferedAmount < MAX_BUFFERED) send({ type: 'event', name, payload })
    })
    socket.on('close', unsubscribe)
    socket.on('message', (raw: Buffer) => {
      let msg: { id?: unknown; method?: unknown; input?: unknown }
      try {
        msg = JSON.parse(raw.toString('utf8'))
      } catch {
        send({ type: 'result', id: null, result: fail('contract/invalid-input', 'message is not JSON') })
        return
      }
      const id = typeof msg?.id === 'number' || typeof msg?.id === 'string' ? msg.id : null
      if (id === null || typeof msg.method !== 'string') {
        send({
          type: 'result',
          id,
          result: fail('contract/invalid-input', 'a call needs {id, method, input}'),
        })
        return
      }
      void actor
        .then((a) => api.call(msg.method as string, msg.input, { actor: a, signal: gone.signal, door: 'web' }))
        .then((result: Result<unknown>) => send({ type: 'result', id, result }))
    })
  })

  const indexHtml = opts.rendererDir ? join(opts.rendererDir, 'index.html') : null
  if (opts.rendererDir && indexHtml && existsSync(indexHtml)) {
    await app.register(fastifyStatic, { root: opts.rendererDir, index: ['index.html'] })
  } else {
    app.get('/', async (_req, reply) =>
      reply
        .code(503)
        .type('text/plain')
        .send('The console UI is not built here: run `npm run build` (the API is up at /api).'),
    )
  }

  const port = opts.port ?? 7300
  try {
    await app.listen({ host, port })
  } catch (err) {
    const code = (err as { code?: string }).code
    const why =
      code === 'EADDRINUSE'
        ? `port ${port} on ${host} is already in use (another Gantry?); pick another with --port`
        : code === 'EADDRNOTAVAIL'
          ? `address ${host} is not on this machine`
          : String(err)
    throw new Error(`cannot listen on ${host}:${port}: ${why}`)
  }
  const addr = app.server.address()
  const boundPort = typeof addr === 'object' && addr ? addr.port : port
  const shownHost = host.includes(':') ? `[${host}]` : host
  const url = `http://${shownHost}:${boundPort}/`
  if (!opts.rendererDir || !indexHtml || !existsSync(indexHtml)) log('gantry: renderer not built; serving the API only')
  return {
    url,
    host,
    port: boundPort,
    token: tok.token,
    tokenPath: tok.path,
    tokenCreated: tok.created,
    async close() {
      await app.close()
    },
  }
}
