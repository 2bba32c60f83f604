// Credentials never follow a redirect to another origin: a model server (or whoever answers for
// it) that redirects a probe to another host or port gets the request there without the bearer or
// basic credentials; a redirect on the same origin keeps them; the redirect limit stays.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { boundedFetch } from '../../src/main/core/serving/http'
import { probeEndpoint } from '../../src/main/core/serving/probe'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

/** A loopback server that records the headers each request arrived with. */
async function recorder(
  handle: (path: string, res: import('node:http').ServerResponse) => void,
): Promise<{ url: string; seen: { path: string; headers: IncomingHttpHeaders }[] }> {
  const seen: { path: string; headers: IncomingHttpHeaders }[] = []
  const s = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers })
    handle(req.url ?? '', res)
  })
  servers.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  return { url: `http://127.0.0.1:${port}/`, seen }
}

describe('redirects and credentials', () => {
  it('a redirect to another port arrives without Authorization, Cookie or Proxy-Authorization', async () => {
    const other = await recorder((_p, res) => res.end('{"ok":true}'))
    const first = await recorder((_p, res) => {
      res.writeHead(302, { location: `${other.url}landing` })
      res.end()
    })
    const a = await boundedFetch(first.url, 'v1/models', {
      headers: {
        authorization: 'Bearer s3cret',
        cookie: 'session=1',
        'proxy-authorization': 'Basic eA==',
        'x-trace': 't',
      },
    })
    expect(a.status).toBe(200)
    expect(first.seen[0].headers.authorization).toBe('Bearer s3cret')
    expect(other.seen).toHaveLength(1)
    expect(other.seen[0].headers.authorization).toBeUndefined()
    expect(other.seen[0].headers.cookie).toBeUndefined()
    expect(other.seen[0].headers['proxy-authorization']).toBeUndefined()
    expect(other.seen[0].headers['x-trace']).toBe('t') // only credentials are dropped
  })

  it('a redirect to another host name on the same port is another origin too; the same origin keeps them', async () => {
    let port = 0
    const s = await recorder((path, res) => {
      if (path === '/start') {
        res.writeHead(307, { location: `http://localhost:${port}/elsewhere` })
        return res.end()
      }
      if (path === '/same') {
        res.writeHead(301, { location: '/kept' })
        return res.end()
      }
      res.end('{}')
    })
    port = Number(new URL(s.url).port)
    await boundedFetch(s.url, 'start', { headers: { authorization: 'Bearer s3cret' } })
    expect(s.seen.map((x) => [x.path, x.headers.authorization ?? null])).toEqual([
      ['/start', 'Bearer s3cret'],
      ['/elsewhere', null],
    ])
    s.seen.length = 0
    await boundedFetch(s.url, 'same', { headers: { authorization: 'Bearer s3cret' } })
    expect(s.seen.map((x) => [x.path, x.headers.authorization ?? null])).toEqual([
      ['/same', 'Bearer s3cret'],
      ['/kept', 'Bearer s3cret'],
    ])
  })

  it('a probe with basic credentials of an endpoint that redirects elsewhere never sends them there', async () => {
    const other = await recorder((_p, res) => res.end('{"object":"list","data":[]}'))
    const first = await recorder((path, res) => {
      res.writeHead(302, { location: `${other.url}${path.slice(1)}` })
      res.end()
    })
    const basic = `Basic ${Buffer.from('ops:hunter2').toString('base64')}`
    await probeEndpoint(first.url, { kind: 'vllm', headers: { authorization: basic }, limits: { timeoutMs: 2000 } })
    expect(first.seen.length).toBeGreaterThan(0)
    expect(first.seen.every((x) => x.headers.authorization === basic)).toBe(true)
    expect(other.seen.length).toBeGreaterThan(0)
    expect(other.seen.every((x) => x.headers.authorization === undefined)).toBe(true)
  })

  it('does not follow a redirect to another scheme, and keeps the redirect limit', async () => {
    const s = await recorder((path, res) => {
      res.writeHead(302, { location: path === '/file' ? 'file:///etc/passwd' : path })
      res.end()
    })
    expect((await boundedFetch(s.url, 'file')).check.error).toMatch(/file: URL, which is not followed/)
    expect((await boundedFetch(s.url, 'loop')).check.error).toBe('more than 3 redirects')
  })
})
