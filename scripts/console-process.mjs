// Starting the built console (`gantry serve` on a free port, its own temporary data directory) and
// Debian's Chromium, shared by the screenshot script and the benchmarks.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The flags the brief prescribes for Chromium on machines with no network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Environment that puts the stand-in nvidia-smi first on PATH, replaying the recorded 8×V100S host. */
export function standinGpuEnv(extra = {}) {
  return {
    PATH: `${join(root, 'test/fixtures/bin')}:${process.env.PATH}`,
    STANDIN_XML: join(root, 'test/fixtures/gpu/datakit__gtx-8card-v100s.xml'),
    ...extra,
  }
}

/** Starts `gantry serve`; resolves once it prints its URL. */
export async function startConsole(env = {}, prefix = 'gantry-run-') {
  const dataDir = mkdtempSync(join(tmpdir(), prefix))
  const child = spawn(
    process.execPath,
    [join(root, 'out/main/cli.js'), 'serve', '--port', '0', '--data-dir', dataDir],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const [url, token] = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = /Gantry console: (\S+)#token=(\S+)/.exec(out)
      if (m) resolve([m[1], m[2]])
    })
    child.on('exit', (c) => reject(new Error(`gantry serve exited ${c}`)))
  })
  return {
    url,
    token,
    child,
    dataDir,
    /** A browser page that holds the access token, as a tab that opened the printed link does. */
    async page(browser, options = {}) {
      const page = await browser.newPage(options)
      await page.addInitScript((t) => sessionStorage.setItem('gantry-token', t), token)
      return page
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await new Promise((r) => child.once('exit', r))
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
