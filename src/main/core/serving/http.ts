// Bounded HTTP for probing model servers: a deadline over the whole exchange (a server that drips
// one byte a second is cut off), a response-size cap (a 100 MB body is not read into memory),
// and a small redirect limit (a redirect loop ends). Credentials never follow a redirect to
// another origin (scheme, host or port), as curl and browsers do. Nothing here throws: every
// failure is data.
import type { ProbeCheck } from '../../../shared/serving'

export interface HttpLimits {
  timeoutMs: number
  maxBytes: number
  maxRedirects: number
}

export const DEFAULT_LIMITS: HttpLimits = { timeoutMs: 5000, maxBytes: 2 * 1024 * 1024, maxRedirects: 3 }
const PREVIEW = 2000

export interface HttpAnswer {
  check: ProbeCheck
  status: number | null
  text: string | null
}

export async function boundedFetch(
  base: string,
  path: string,
  opts: { method?: string; body?: unknown; headers?: Record<string, string> } & Partial<HttpLimits> = {},
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
  let url = new URL(path.replace(/^\//, ''), base).toString()
  const origin = new URL(url).origin
  try {
    for (let hop = 0; ; hop++) {
      const sameOrigin = new URL(url).origin === origin
      const res = await fetch(url, {
        method,
        redirect: 'manual',
        signal: controller.signal,
        headers: {
          accept: 'application/json, text/plain;q=0.9, */*;q=0.1',
          ...(opts.body ? { 'content-type': 'application/json' } : {}),
          ...(sameOrigin ? opts.headers : withoutCredentials(opts.headers)),
        },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      })
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel()
        if (hop >= limits.maxRedirects) return done(res.status, null, `more than ${limits.maxRedirects} redirects`)
        url = new URL(res.headers.get('location') as string, url).toString()
        if (!/^https?:$/.test(new URL(url).protocol)) {
          return done(res.status, null, `redirected to ${new URL(url).protocol} URL, which is not followed`)
        }
        continue
      }
      const declared = Number(res.headers.get('content-length') ?? NaN)
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        await res.body?.cancel()
        return done(res.status, null, `response of ${declared} bytes exceeds the ${limits.maxBytes}-byte cap`)
      }
      const chunks: Uint8Array[] = []
      let size = 0
      const reader = res.body?.getReader()
      while (reader) {
        const { done: end, value } = await reader.read()
        if (end) break
        size += value.byteLength
        if (size > limits.maxBytes) {
          await reader.cancel()
          return done(res.status, null, `response exceeds the ${limits.maxBytes}-byte cap`)
        }
        chunks.push(value)
      }
      return done(res.status, Buffer.concat(chunks).toString('utf8'), null)
    }
  } catch (err) {
    if (controller.signal.aborted) return done(null, null, `no complete answer within ${limits.timeoutMs} ms`)
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    return done(null, null, cause?.code ?? cause?.message ?? (err as Error).message)
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
