// `gantry serve` as a real process for integration tests: its own data directory, a free port, the
// link it prints once (with the access token) parsed, and a stop that waits for it to exit.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

const cli = join(__dirname, '..', '..', 'out', 'main', 'cli.js')

export interface Served {
  /** http://127.0.0.1:PORT (no trailing slash). */
  base: string
  /** The link as printed: http://127.0.0.1:PORT/#token=… */
  link: string
  token: string
  child: ChildProcess
  /** Everything it printed on stdout and stderr so far. */
  output(): string
  /** POST /api/<method> with the token (or `token` given, or none with null). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reads whatever the contract answered
  call(method: string, input?: unknown, token?: string | null): Promise<{ status: number; body: any }>
  stop(): Promise<void>
}

export async function serve(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, GANTRY_SERVING_INTERVAL_MS: '0', GANTRY_DRIFT_INTERVAL_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d) => (out += d))
  child.stderr?.on('data', (d) => (out += d))
  const link = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gantry serve printed no link within 20 s: ${out}`)), 20_000)
    child.stdout?.on('data', () => {
      const m = /Gantry console: (\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.once('exit', (c) => {
      clearTimeout(timer)
      reject(new Error(`gantry serve exited ${c}: ${out}`))
    })
  })
  const m = /^(http:\/\/[^/]+)\/#token=([A-Za-z0-9_-]+)$/.exec(link)
  if (!m) throw new Error(`unexpected console link ${link}`)
  const [, base, token] = m
  return {
    base,
    link,
    token,
    child,
    output: () => out,
    async call(method, input = {}, tok) {
      const auth: Record<string, string> = tok === null ? {} : { authorization: `Bearer ${tok ?? token}` }
      const r = await fetch(`${base}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify(input),
      })
      return { status: r.status, body: await r.json().catch(() => null) }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    },
  }
}
