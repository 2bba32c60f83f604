// A loopback HTTP server that replays recorded bodies by method and path, plus hostile behaviours
// (never answer, drip a byte a second, a huge body, a redirect loop) for isolation tests.
import { createServer, type Server, type ServerResponse } from 'node:http'

export type Route =
  | {
      status?: number
      body: string
      type?: string
      /** Answer 401 unless Authorization is exactly this. */ auth?: string
    }
  | { hang: true }
  | { drip: true }
  | { huge: number }
  | { redirectLoop: true }

export async function replayServer(
  routes: Record<string, Route>,
): Promise<{ url: string; close(): Promise<void>; hits: string[] }> {
  const hits: string[] = []
  const open = new Set<ServerResponse>()
  const server: Server = createServer((req, res) => {
    const key = `${req.method} ${req.url?.split('?')[0]}`
    hits.push(key)
    const r = routes[key]
    if (!r) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
      return
    }
    if ('hang' in r) {
      open.add(res)
      return
    }
    if ('drip' in r) {
      open.add(res)
      res.writeHead(200, { 'content-type': 'application/json' })
      const t = setInterval(() => res.write('{'), 1000)
      res.on('close', () => clearInterval(t))
      return
    }
    if ('huge' in r) {
      res.writeHead(200, { 'content-type': 'text/plain' })
      const chunk = Buffer.alloc(64 * 1024, 'x')
      let sent = 0
      const pump = (): void => {
        while (sent < r.huge) {
          sent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      res.on('error', () => {})
      pump()
      return
    }
    if ('redirectLoop' in r) {
      res.writeHead(302, { location: req.url ?? '/' }).end()
      return
    }
    if (r.auth !== undefined && req.headers.authorization !== r.auth) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}')
      return
    }
    res.writeHead(r.status ?? 200, { 'content-type': r.type ?? 'application/json' }).end(r.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}/`,
    hits,
    async close() {
      for (const res of open) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
