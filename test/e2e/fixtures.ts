// A Playwright fixture that starts `gantry serve` on a free port with its own data directory and
// fast polling, waits for its URL, and stops it after the test.
import { test as base } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(__dirname, '..', '..')
export const STANDIN_BIN = join(root, 'test', 'fixtures', 'bin')
export const GPU_FIXTURES = join(root, 'test', 'fixtures', 'gpu')

export interface ConsoleServer {
  url: string
  dataDir: string
  process: ChildProcess
}

/** Starts `gantry serve` and resolves with its URL once it prints it. */
export async function startServe(
  dataDir: string,
  port = 0,
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; child: ChildProcess }> {
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
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d) => {
      out += d
      const m = /Gantry console: (\S+)/.exec(out)
      if (m) resolve(m[1])
    })
    child.on('exit', (c) => reject(new Error(`gantry serve exited ${c}: ${log}`)))
  })
  return { url, child }
}

/** Extra environment for the served console (a test sets a stand-in nvidia-smi through it). */
export const test = base.extend<{ gantry: ConsoleServer; serveEnv: NodeJS.ProcessEnv }>({
  serveEnv: [{}, { option: true }],
  gantry: async ({ serveEnv }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-e2e-'))
    const { url, child } = await startServe(dataDir, 0, serveEnv)
    await use({ url, dataDir, process: child })
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
    rmSync(dataDir, { recursive: true, force: true })
  },
})

export { expect } from '@playwright/test'
