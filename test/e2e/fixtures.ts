// A Playwright fixture that starts `gantry serve` on a free port with its own data directory and
// fast polling, waits for the link it prints (URL + access token), and stops it after the test.
// The test's page holds the token as a tab that opened the link would (session storage), so a
// test navigates to `${gantry.url}#/route` like an operator who is already in.
import { test as base, type Page } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(__dirname, '..', '..')
export const STANDIN_BIN = join(root, 'test', 'fixtures', 'bin')
export const GPU_FIXTURES = join(root, 'test', 'fixtures', 'gpu')

export interface ConsoleServer {
  /** http://127.0.0.1:PORT/ */
  url: string
  /** The access token from the printed link. */
  token: string
  dataDir: string
  process: ChildProcess
}

/** Starts `gantry serve` and resolves with its URL once it prints it. */
export async function startServe(
  dataDir: string,
  port = 0,
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; token: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [join(root, 'out/main/cli.js'), 'serve', '--port', String(port), '--data-dir', dataDir],
    {
      env: {
        ...process.env,
        GANTRY_HOST_INTERVAL_MS: '500',
        GANTRY_STORAGE_INTERVAL_MS: '1000',
        GANTRY_SERVING_INTERVAL_MS: '500',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let log = ''
  child.stderr?.on('data', (d) => (log += d))
  const [url, token] = await new Promise<[string, string]>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d) => {
      out += d
      const m = /Gantry console: (\S+)#token=(\S+)/.exec(out)
      if (m) resolve([m[1], m[2]])
    })
    child.on('exit', (c) => reject(new Error(`gantry serve exited ${c}: ${log}`)))
  })
  return { url, token, child }
}

/** Extra environment for the served console (a test sets a stand-in nvidia-smi through it). */
export const test = base.extend<{ gantry: ConsoleServer; serveEnv: NodeJS.ProcessEnv }>({
  serveEnv: [{}, { option: true }],
  page: async ({ page, gantry }, use) => {
    await holdToken(page, gantry.token)
    await use(page)
  },
  gantry: async ({ serveEnv }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-e2e-'))
    const { url, token, child } = await startServe(dataDir, 0, serveEnv)
    await use({ url, token, dataDir, process: child })
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
    rmSync(dataDir, { recursive: true, force: true })
  },
})

/** What the tab remembers after opening the printed link (bridge/index.ts keeps it in session storage). */
export async function holdToken(page: Page, token: string): Promise<void> {
  await page.addInitScript(
    (t) =>
      (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem(
        'gantry-token',
        t,
      ),
    token,
  )
}

export { expect } from '@playwright/test'
