// A Playwright fixture that starts `gantry serve` on a free port with its own data directory and
// fast polling, waits for the link it prints (URL + access token), and stops it after the test.
// The test's page holds the token as a tab that opened the link would (session storage), so a
// test navigates to `${gantry.url}#/route` like an operator who is already in.
import { test as base, expect, type Page } from '@playwright/test'
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

export { expect }

/** In the page (plain JavaScript: this file is typed for Node): where the badges and the card disagree. */
const AGREEMENT = `(() => {
  const rank = { ok: 0, unknown: 1, warning: 2, critical: 3 }
  const card = document.querySelector('[data-testid="health"]')
  const worst = {}
  for (const li of document.querySelectorAll('[data-testid="health-reasons"] li[data-area]')) {
    const area = li.dataset.area
    const level = li.querySelector('[data-health]')?.dataset.health ?? 'unknown'
    if (!worst[area] || rank[level] > rank[worst[area]]) worst[area] = level
  }
  const wrong = []
  for (const b of document.querySelectorAll('[data-testid^="nav-badge-"]')) {
    const area = b.dataset.testid.slice('nav-badge-'.length)
    const want = area === 'overview' ? card?.dataset.level : (worst[area] ?? 'ok')
    if (b.dataset.level !== want) wrong.push(area + ': badge ' + b.dataset.level + ', card ' + want)
    // Said in words, never by colour alone: "Serving: critical, 1 problem".
    if (!/^[A-Z][A-Za-z]+: /.test(b.getAttribute('aria-label') ?? '')) wrong.push(area + ': no words')
  }
  return wrong
})()`

/**
 * The Overview's health card and every navigation badge tell the same story: each badged area's
 * level is the worst of the card's reasons in that area ("ok" with none), and the Overview badge
 * is the card's verdict. Call it on the Overview; it waits until they agree, or fails with where not.
 */
export async function expectHealthAgrees(page: Page): Promise<void> {
  await page.locator('[data-testid="health"][data-level]').waitFor()
  await expect.poll(() => page.evaluate(AGREEMENT) as Promise<string[]>, { timeout: 10_000 }).toEqual([])
}

/** Neither the page nor the console's scrolling main area is wider than the window. */
export async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const over = (await page.evaluate(`(() => {
    const main = document.querySelector('main')
    return {
      page: document.documentElement.scrollWidth - window.innerWidth,
      main: main ? main.scrollWidth - main.clientWidth : 0,
    }
  })()`)) as { page: number; main: number }
  expect(over.page, 'the page scrolls sideways').toBeLessThanOrEqual(0)
  expect(over.main, 'the main area scrolls sideways').toBeLessThanOrEqual(1)
}
