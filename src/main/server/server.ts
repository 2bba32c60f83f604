// The headless door: the contract over HTTP (POST /api/<method>) and WebSocket (/ws), plus the
// built renderer, on 127.0.0.1 by default. Holds no logic: every call goes to gantry.api.
// Beyond loopback it demands the token; on loopback it refuses foreign Host/Origin headers so a
// web page elsewhere cannot drive it (DNS rebinding, cross-site WebSocket).
import fastifyStatic from '@fastify/static'
import fastifyWebsocket from '@fastify/websocket'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { CSP } from '../../shared/csp'
import type { ErrorCode, Result } from '../../shared/result'
import { fail } from '../../shared/result'
import type { Gantry } from '../core'
import { isLoopbackHost, loadOrCreateToken, tokenMatches } from './token'

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
  /** Set when bound beyond loopback. */
  token: string | null
  tokenPath: string | null
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

/** Events queued past this many bytes for one socket are dropped: a stalled tab must not grow us. */
const MAX_BUFFERED = 4 * 1024 * 1024

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const loopback = isLoopbackHost(host)
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`))
  const tok = loopback ? null : loadOrCreateToken(opts.gantry.config.dataDir)
  const { api, events } = opts.gantry

  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, routerOptions: { maxParamLength: 200 } })
  await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024 } })

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
  function authorized(req: FastifyRequest): boolean {
    if (!tok) return true
    const header = req.headers.authorization
    const bearer = header?.startsWith('Bearer ') ? header.slice(7) : undefined
    const query = (req.query as { token?: string } | undefined)?.token
    return tokenMatches(tok.token, bearer ?? query)
  }
  function refuse(reply: FastifyReply, why: string): FastifyReply {
    return reply.code(STATUS['auth/unauthorized'] ?? 401).send(fail('auth/unauthorized', why))
  }

  app.addHook('onRequest', async (req, reply) => {
    if (!hostAllowed(req)) return refuse(reply, `Host header "${req.headers.host}" is not this console`)
    if (!originAllowed(req)) return refuse(reply, `cross-origin request from ${req.headers.origin} refused`)
    // Decide on the matched route, not the raw URL: the router decodes "/%61pi/…" to "/api/…".
    // Beyond loopback only the static UI and the health check are open; everything else needs the token.
    const route = req.routeOptions.url
    const open = route === '/healthz' || route === '/' || route === '/*'
    if (!open && !authorized(req)) {
      return refuse(reply, 'this console listens beyond loopback: a valid token is required')
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

  app.post('/api/:method', async (req, reply) => {
    const { method } = req.params as { method: string }
    const result = await api.call(method, req.body ?? undefined)
    const code = result.ok ? 200 : (STATUS[result.error.code] ?? 422)
    return reply.code(code).send(result)
  })
  // Requests that are not JSON (or not parseable) still get a contract-shaped answer.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    const code: ErrorCode = status < 500 ? 'contract/invalid-input' : 'core/internal'
    return reply.code(status).send(fail(code, err.message))
  })

  app.get('/ws', { websocket: true }, (socket) => {
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
      void api.call(msg.method, msg.input).then((result: Result<unknown>) => send({ type: 'result', id, result }))
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
    token: tok?.token ?? null,
    tokenPath: tok?.path ?? null,
    tokenCreated: tok?.created ?? false,
    async close() {
      await app.close()
    },
  }
}
