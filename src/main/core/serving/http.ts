// Bounded HTTP for probing model servers: a deadline over the whole exchange (a server that drips
// one byte a second is cut off), a response-size cap (a 100 MB body is not read into memory),
// and a small redirect limit (a redirect loop ends). Credentials never follow a redirect to
// another origin (scheme, host or port), as curl and browsers do. Nothing here throws: every
// failure is data. node:http(s) rather than fetch, so that the same request can go through a
// tunnel (an SSH host's forwarded channel) with the right Host header and TLS server name.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import type { ProbeCheck } from '../../../shared/serving'

export interface HttpLimits {
  timeoutMs: number
  maxBytes: number
  maxRedirects: number
}

/** Opens a byte stream to host:port from somewhere else — through a host's SSH connection for an
 *  endpoint only that host reaches (ssh2's forwardOut). Default: a TCP connection from here. */
export type Tunnel = (host: string, port: number) => Promise<Duplex>

export const DEFAULT_LIMITS: HttpLimits = { timeoutMs: 5000, maxBytes: 2 * 1024 * 1024, maxRedirects: 3 }
const PREVIEW = 2000

export interface HttpAnswer {
  check: ProbeCheck
  status: number | null
  text: string | null
}

interface Reply {
  status: number
  location: string | null
  declared: number
  body: IncomingMessage
}

/** One request on node:http(s); over `via` when given (TLS on top of the tunnel for https). */
function request(
  url: URL,
  o: {
    method: string
    headers: Record<string, string>
    body?: string
    signal: AbortSignal
    via?: Tunnel
    ca?: string
  },
): Promise<Reply> {
  const https = url.protocol === 'https:'
  const port = Number(url.port) || (https ? 443 : 80)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return new Promise<Reply>((resolve, reject) => {
    let settled = false
    const fail = (err: Error): void => {
      if (settled) return
      settled = true
      reject(err)
    }
    const start = (stream?: Duplex): void => {
      if (o.signal.aborted) {
        stream?.destroy()
        return fail(new Error('aborted'))
      }
      const options: RequestOptions = {
        method: o.method,
        host,
        port,
        path: `${url.pathname}${url.search}`,
        headers: {
          ...o.headers,
          ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}),
        },
        signal: o.signal,
        agent: false,
        ...(https && o.ca ? { ca: o.ca } : {}),
        ...(stream
          ? {
              createConnection: () =>
                (https
                  ? tlsConnect({
                      socket: stream as Socket,
                      servername: isIP(host) ? undefined : host,
                      ...(o.ca ? { ca: o.ca } : {}),
                    })
                  : stream) as Socket,
            }
          : {}),
      }
      const req = (https ? httpsRequest : httpRequest)(options, (res) => {
        settled = true
        const location = res.headers.location
        resolve({
          status: res.statusCode ?? 0,
          location: typeof location === 'string' ? location : null,
          declared: Number(res.headers['content-length'] ?? NaN),
          body: res,
        })
      })
      req.on('error', fail)
      req.end(o.body)
    }
    if (o.via) o.via(host, port).then(start, fail)
    else start()
  })
}

export async function boundedFetch(
  base: string,
  path: string,
  opts: {
    method?: string
    body?: unknown
    /** A form body (application/x-www-form-urlencoded) instead of JSON: long PromQL queries. */
    form?: Record<string, string>
    headers?: Record<string, string>
    via?: Tunnel
    /** PEM CA certificates trusted for https (a site's own CA), instead of Node's bundle. */
    ca?: string
  } & Partial<HttpLimits> = {},
): Promise<HttpAnswer> {
  const limits = { ...DEFAULT_LIMITS, ...opts }
  const method = opts.method ?? 'GET'
  const started = Date.now()
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), limits.timeoutMs)
  const done = (status: number | null, text: string | null, error: string | null): HttpAnswer => ({
    status,
    text,
    check: { method, path, status, ms: Date.now() - started, error, body: (text ?? '').slice(0, PREVIEW) },
  })
  // Relative to the endpoint URL, so a server behind a path prefix (https://gw/triton/) keeps it.
  let url = new URL(path.replace(/^\//, ''), base)
  const origin = url.origin
  let current: IncomingMessage | null = null
  try {
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === origin
      const res = await request(url, {
        method,
        signal: controller.signal,
        via: opts.via,
        ca: opts.ca,
        headers: {
          accept: 'application/json, text/plain;q=0.9, */*;q=0.1',
          ...(opts.body ? { 'content-type': 'application/json' } : {}),
          ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          ...(sameOrigin ? opts.headers : withoutCredentials(opts.headers)),
        },
        body: opts.form
          ? new URLSearchParams(opts.form).toString()
          : opts.body === undefined
            ? undefined
            : JSON.stringify(opts.body),
      })
      current = res.body
      if (res.status >= 300 && res.status < 400 && res.location) {
        res.body.destroy()
        if (hop >= limits.maxRedirects) return done(res.status, null, `more than ${limits.maxRedirects} redirects`)
        url = new URL(res.location, url)
        if (!/^https?:$/.test(url.protocol)) {
          return done(res.status, null, `redirected to ${url.protocol} URL, which is not followed`)
        }
        continue
      }
      if (Number.isFinite(res.declared) && res.declared > limits.maxBytes) {
        res.body.destroy()
        return done(res.status, null, `response of ${res.declared} bytes exceeds the ${limits.maxBytes}-byte cap`)
      }
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length
        if (size > limits.maxBytes) {
          res.body.destroy()
          return done(res.status, null, `response exceeds the ${limits.maxBytes}-byte cap`)
        }
        chunks.push(chunk)
      }
      return done(res.status, Buffer.concat(chunks).toString('utf8'), null)
    }
  } catch (err) {
    current?.destroy()
    if (controller.signal.aborted) return done(null, null, `no complete answer within ${limits.timeoutMs} ms`)
    const e = err as { code?: string; message?: string }
    return done(null, null, e.code ?? e.message ?? String(err))
  } finally {
    clearTimeout(timer)
  }
}

/** Headers that carry credentials, dropped on a redirect to another origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie'])

function withoutCredentials(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([k]) => !CREDENTIAL_HEADERS.has(k.toLowerCase())))
}

/** Parses a JSON body, or returns null (the caller records "invalid JSON" as a problem). */
export function json(a: HttpAnswer): unknown {
  if (a.text === null) return null
  try {
    return JSON.parse(a.text)
  } catch {
    return null
  }
}
