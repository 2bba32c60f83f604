// Desktop smoke test through Playwright's _electron. Where the Electron binary is absent (this
// build machine and CI cannot download it) it skips and prints why.
import { _electron as electron, expect, test } from '@playwright/test'
import { mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(__dirname, '..', '..')

function electronPath(): { path: string | null; why: string } {
  try {
    const p = createRequire(join(root, 'package.json'))('electron') as unknown
    return typeof p === 'string' ? { path: p, why: '' } : { path: null, why: 'electron did not return a path' }
  } catch (err) {
    return { path: null, why: String((err as Error).message).split('\n')[0] }
  }
}

const bin = electronPath()
if (!bin.path) console.log(`electron smoke spec skipped: Electron binary not installed (${bin.why})`)

test('the desktop app opens a hardened window showing the Overview', async () => {
  test.skip(!bin.path, `Electron binary not installed: ${bin.why}`)
  const app = await electron.launch({
    executablePath: bin.path as string,
    args: [root, '--data-dir', mkdtempSync(join(tmpdir(), 'gantry-electron-'))],
  })
  const win = await app.firstWindow()
  await expect(win.locator('[data-screen="overview"][data-state="ready"]')).toBeVisible()
  // Seen from the page: no Node (sandbox, no nodeIntegration), only the preload's contract API.
  const seen = await win.evaluate(() => {
    const w = globalThis as unknown as { require?: unknown; process?: unknown; gantry?: Record<string, unknown> }
    return { require: typeof w.require, process: typeof w.process, api: Object.keys(w.gantry ?? {}).sort() }
  })
  expect(seen.require).toBe('undefined')
  expect(seen.process).toBe('undefined')
  expect(seen.api).toContain('app.info')
  expect(seen.api).toContain('on')
  await app.close()
})
