// The GPUs screens in a real browser, fed by the stand-in nvidia-smi replaying real recordings.
import { join } from 'node:path'
import { expect, GPU_FIXTURES, STANDIN_BIN, test } from './fixtures'

test.describe('with the recorded 8×V100S host', () => {
  test.use({
    serveEnv: {
      PATH: `${STANDIN_BIN}:${process.env.PATH}`,
      STANDIN_XML: join(GPU_FIXTURES, 'datakit__gtx-8card-v100s.xml'),
      GANTRY_GPU_INTERVAL_MS: '500',
      GANTRY_GPU_PROCESS_INTERVAL_MS: '1000',
    },
  })

  test('shows one tile per GPU with health, and a detail page with processes, history and -q -x detail', async ({
    page,
    gantry,
  }) => {
    await page.goto(`${gantry.url}#/gpus`)
    await expect(page.locator('[data-screen="gpus"][data-state="ready"]')).toBeVisible()
    const tiles = page.locator('[data-testid="gpu-tiles"] .tile')
    await expect(tiles).toHaveCount(8)
    await expect(page.getByTestId('gpu-summary')).toContainText('8 GPUs · driver 460.73.01')
    // The recording has sw_power_cap Active on GPU 3.
    const gpu3 = page.locator('.tile[data-gpu="GPU-3181eb56-505c-8214-ba05-c132f68f89b8"]')
    await expect(gpu3).toHaveAttribute('data-health', 'warning')
    await expect(gpu3).toContainText('power capping active')
    await expect(gpu3).toContainText('Tesla V100S-PCIE-32GB')

    await page.locator('.tile').first().click()
    await expect(page.locator('[data-screen="gpu-detail"][data-state="ready"]')).toBeVisible()
    await expect(page.locator('[data-screen="gpu-detail"] h1')).toHaveText('GPU 0 · Tesla V100S-PCIE-32GB')
    await expect(page.getByTestId('gpu-processes').locator('tbody tr')).toHaveCount(1)
    await expect(page.getByTestId('gpu-processes')).toContainText('python')
    await expect(page.getByTestId('gpu-mig')).toHaveAttribute('data-state', 'ready')
    await expect(page.getByTestId('gpu-mig')).toContainText('-q -x read, schema none')
    await expect(page.getByTestId('gpu-history').locator('canvas')).toHaveCount(4)
    await page.getByTestId('gpu-history').getByRole('button', { name: '1 h' }).click()
    await expect(page.getByTestId('gpu-history').getByRole('button', { name: '1 h' })).toHaveAttribute(
      'aria-pressed',
      'true',
    )
  })

  test('Overview summarises GPU health', async ({ page, gantry }) => {
    await page.goto(gantry.url)
    await expect(page.getByTestId('gpu-overview').locator('li')).toHaveCount(8)
    await expect(page.getByTestId('gpu-overview')).toContainText('power capping active')
  })
})

test.describe('with 64 GPUs streaming at 1 Hz', () => {
  test.use({
    serveEnv: {
      PATH: `${STANDIN_BIN}:${process.env.PATH}`,
      STANDIN_XML: join(GPU_FIXTURES, 'datakit__gtx-8card-v100s.xml'),
      STANDIN_COPIES: '8',
      GANTRY_GPU_INTERVAL_MS: '1000',
    },
  })
  test('renders all 64 tiles and keeps updating them', async ({ page, gantry }) => {
    await page.goto(`${gantry.url}#/gpus`)
    await expect(page.locator('[data-testid="gpu-tiles"] .tile')).toHaveCount(64)
    const updated = page.locator('[data-screen="gpus"] .updated')
    const first = await updated.getAttribute('title')
    await expect(updated).not.toHaveAttribute('title', first ?? '')
    // Each tile: its utilization trend (live samples) and its process count.
    await expect(page.locator('[data-testid="gpu-tiles"] .tile').first().locator('svg.sparkline path')).toHaveAttribute(
      'd',
      /^M[\d.]+,[\d.]+L/,
    )
    await expect(page.locator('[data-testid="gpu-tiles"] .tile').first().getByTestId('tile-procs')).toContainText(
      /process/,
    )
    // The dense list: one row per GPU, worst first, remembered.
    await page.getByRole('button', { name: 'List' }).click()
    await expect(page.getByTestId('gpu-list')).toContainText('64 rows')
    await expect(page.getByTestId('gpu-list').locator('tbody tr[data-gpu]').first()).toHaveAttribute(
      'data-health',
      /warning|critical/,
    )
    await page.reload()
    await expect(page.getByTestId('gpu-list')).toBeVisible()
  })
})

test('a host without nvidia-smi shows one clear state, not an error storm', async ({ page, gantry }) => {
  await page.goto(`${gantry.url}#/gpus`)
  await expect(page.locator('[data-screen="gpus"][data-state="empty"]')).toContainText(
    'no NVIDIA GPU (nvidia-smi not found)',
  )
  await page.goto(gantry.url)
  await expect(page.getByTestId('gpu-overview')).toContainText('no NVIDIA GPU (nvidia-smi not found)')
})
