// bench/gpu-tiles: are the GPU screens smooth at size? Serves the console with the stand-in
// nvidia-smi replaying the recorded 8×V100S host K times over, opens in Debian's Chromium the GPUs
// screen with 64 and 512 GPUs updating at 1 Hz, and a GPU's page with its charts live (8 GPUs), and
// records frame intervals (requestAnimationFrame) and main-thread long tasks for BENCH_SECONDS/3
// (min 15 s) each; the baseline is the GPUs screen with the 8 recorded GPUs, in the same run. The
// target: no long task over 50 ms.
import { chromium } from 'playwright'
import { CHROMIUM_ARGS, CHROMIUM_PATH, standinGpuEnv, startConsole } from '../scripts/console-process.mjs'
import { framesFor } from './frames.mjs'

const seconds = Math.max(15, Math.round(Number(process.env.BENCH_SECONDS ?? 60) / 3))

function serve(copies) {
  return startConsole(
    standinGpuEnv({ STANDIN_COPIES: String(copies), GANTRY_GPU_INTERVAL_MS: '1000' }),
    'gantry-tiles-',
  )
}

async function measure(browser, copies, detail = false) {
  const s = await serve(copies)
  try {
    const page = await s.page(browser, { viewport: { width: 1600, height: 1000 } })
    await page.goto(`${s.url}#/gpus`)
    // Every GPU is in the snapshot (a screen of 512 renders only the rows in view).
    await page.locator('[data-testid="gpu-tiles"] .tile').first().waitFor({ timeout: 60_000 })
    await page.getByText(`${copies * 8} GPU${copies * 8 === 1 ? '' : 's'} · driver`).waitFor({ timeout: 60_000 })
    if (detail) {
      // A GPU's page: four history charts (one group: shared crosshair) refetched every 5 s, live values at 1 Hz.
      await page.locator('[data-testid="gpu-tiles"] .tile').nth(3).click()
      await page.locator('[data-screen="gpu-detail"] canvas').first().waitFor()
    }
    const r = await framesFor(page, seconds * 1000)
    const updated = await page.locator('[data-screen] .updated').first().getAttribute('title')
    await page.close()
    return { ...r, updated }
  } finally {
    await s.close()
  }
}

export async function benchGpuTiles() {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
  try {
    if (process.env.GPU_TILES_ONLY === 'page') {
      const r = await measure(browser, 1, true)
      return `gpu-tiles (page only): worst long task ${r.worstTask.toFixed(0)} ms, ${r.longTasks} long tasks (${r.longTaskMs.toFixed(0)} ms)`
    }
    const base = await measure(browser, 1)
    const big = await measure(browser, 8)
    const huge = await measure(browser, 64)
    const page = await measure(browser, 1, true)
    const f = (r) =>
      `frame p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, worst frame ${r.max.toFixed(0)} ms, long tasks ${r.longTasks} (${r.longTaskMs.toFixed(0)} ms, worst ${r.worstTask.toFixed(0)} ms)`
    const worst = Math.max(big.worstTask, huge.worstTask, page.worstTask)
    return (
      `gpu-tiles: headless Chromium for ${seconds} s each at 1 Hz — GPUs screen 64 tiles: ${f(big)}; ` +
      `512 tiles: ${f(huge)}; a GPU's page with its 4 charts live: ${f(page)}; ` +
      `baseline GPUs screen 8 tiles: ${f(base)}; long-task time ratio 512 vs 8: ${(huge.longTaskMs / Math.max(1, base.longTaskMs)).toFixed(1)}x; ` +
      `no long task over 50 ms: ${worst <= 50 ? 'met' : `NOT met (worst ${worst.toFixed(0)} ms)`}`
    )
  } finally {
    await browser.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchGpuTiles())
