// bench/gpu-tiles: is the GPUs screen smooth with 64 tiles updating at 1 Hz? Serves the console with
// the stand-in nvidia-smi replaying the recorded 8×V100S host 8 times over (64 GPUs), opens the GPUs
// screen in Debian's Chromium and records frame intervals (requestAnimationFrame) and main-thread
// long tasks for BENCH_SECONDS/3 (min 15 s); the baseline is the same screen with the 8 recorded GPUs.
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

async function measure(browser, copies) {
  const s = await serve(copies)
  try {
    const page = await s.page(browser, { viewport: { width: 1600, height: 1000 } })
    await page.goto(`${s.url}#/gpus`)
    await page
      .locator('[data-testid="gpu-tiles"] .tile')
      .nth(copies * 8 - 1)
      .waitFor()
    const r = await framesFor(page, seconds * 1000)
    const updated = await page.locator('[data-screen="gpus"] .updated').getAttribute('title')
    await page.close()
    return { ...r, updated }
  } finally {
    await s.close()
  }
}

export async function benchGpuTiles() {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
  try {
    const base = await measure(browser, 1)
    const big = await measure(browser, 8)
    const f = (r) =>
      `frame p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, worst ${r.max.toFixed(0)} ms, long tasks ${r.longTasks} (${r.longTaskMs.toFixed(0)} ms)`
    return (
      `gpu-tiles: GPUs screen in headless Chromium for ${seconds} s at 1 Hz — 64 tiles: ${f(big)}; ` +
      `baseline 8 tiles: ${f(base)}; long-task time ratio ${(big.longTaskMs / Math.max(1, base.longTaskMs)).toFixed(1)}x`
    )
  } finally {
    await browser.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchGpuTiles())
