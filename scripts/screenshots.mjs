// Captures the README screenshots from the real console: starts `gantry serve` on a fresh data
// directory, lets it collect a little history, and shoots Overview and Storage in both themes
// with Debian's Chromium. Usage: npm run screenshots [-- --wait-ms 20000]
import { join } from 'node:path'
import { chromium } from 'playwright'
import { buildIfNeeded } from './build-if-needed.mjs'
import { CHROMIUM_ARGS, CHROMIUM_PATH, root, standinGpuEnv, startConsole } from './console-process.mjs'

const waitIdx = process.argv.indexOf('--wait-ms')
const waitMs = waitIdx > 0 ? Number(process.argv[waitIdx + 1]) : 15_000

buildIfNeeded()
// This build machine has no GPU: the GPU screens are fed by the stand-in nvidia-smi replaying the
// recorded 8×V100S host (test/fixtures/gpu/datakit__gtx-8card-v100s.xml).
const server = await startConsole(
  standinGpuEnv({
    GANTRY_HOST_INTERVAL_MS: '500',
    GANTRY_STORAGE_INTERVAL_MS: '1000',
    GANTRY_GPU_PROCESS_INTERVAL_MS: '1000',
  }),
  'gantry-shots-',
)
const url = server.url
await new Promise((r) => setTimeout(r, waitMs))
const browser = await chromium.launch({
  executablePath: CHROMIUM_PATH,
  args: CHROMIUM_ARGS,
})
try {
  for (const theme of ['dark', 'light']) {
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 }, colorScheme: theme })
    await page.goto(`${url}#/overview`)
    await page.locator('[data-screen="overview"][data-state="ready"]').waitFor()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `overview-${theme}.png`) })
    await page.goto(`${url}#/storage`)
    await page.locator('[data-screen="storage"][data-state="ready"]').waitFor()
    await page.locator('[data-testid="fs-history"][data-state="ready"]').waitFor()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `storage-${theme}.png`) })
    await page.goto(`${url}#/gpus`)
    await page.locator('[data-screen="gpus"][data-state="ready"]').waitFor()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `gpus-${theme}.png`) })
    await page.locator('.tile').nth(3).click()
    await page.locator('[data-testid="gpu-mig"][data-state="ready"]').waitFor()
    await page.waitForTimeout(800)
    await page.screenshot({ path: join(root, 'docs', `gpu-detail-${theme}.png`), fullPage: true })
    await page.close()
  }
} finally {
  await browser.close()
  await server.close()
}
console.log('screenshots written to docs/')
