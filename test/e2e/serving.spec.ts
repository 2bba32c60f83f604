// The Serving screen's one-off probe against a loopback server replaying recorded vLLM bodies.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { replayServer } from '../helpers/replay-server'
import { expect, test } from './fixtures'

const fx = (p: string): string => readFileSync(join(__dirname, '..', 'fixtures', 'serving', p), 'utf8')

test('probes a model server and shows what it really serves, with the raw responses', async ({ page, gantry }) => {
  const s = await replayServer({
    'GET /v1/models': { body: fx('vllm/v1_models_served_model_name.json') },
    'POST /v1/completions': { hang: true },
    'GET /version': { body: fx('vllm/version.json') },
    'GET /health': { body: '' },
    'GET /metrics': { body: fx('vllm/metrics.txt'), type: 'text/plain' },
  })
  try {
    await page.goto(`${gantry.url}#/serving`)
    await page.getByLabel('Endpoint URL').fill(s.url)
    await page.getByRole('button', { name: 'Probe' }).click()
    const result = page.getByTestId('probe-result')
    await expect(result).toHaveAttribute('data-kind', 'vllm')
    await expect(result.locator('h2')).toHaveText('vllm 0.4.3 · live yes · ready yes')
    await expect(result.locator('tbody tr')).toHaveCount(1)
    await expect(result.locator('tbody tr')).toContainText('prompt_model')
    await expect(result.locator('tbody tr')).toContainText('/weights/Qwen3-1.7B')
    await page.getByText(/Raw responses/).click()
    await expect(result.locator('pre.raw').first()).toContainText('GET /v2')

    // Saved, it is polled and listed with what it serves; removed, it is gone.
    await page.getByRole('button', { name: 'Save and poll' }).click()
    const row = page.getByTestId('endpoints').locator('tr[data-endpoint]')
    await expect(row).toHaveCount(1)
    await expect(row).toHaveAttribute('data-live', 'true')
    await expect(row).toContainText('prompt_model@/weights/Qwen3-1.7B')
    await expect(row).toContainText('vllm 0.4.3')
    // Polled every 500 ms, it soon has a request-rate trend to draw: two stored points, and the
    // store writes every 10 s (so up to two writes on a loaded machine).
    await expect(row.locator('svg.sparkline path')).toHaveAttribute('d', /^M[\d.]+,[\d.]+L/, { timeout: 30_000 })
    // Its own page: what it serves, history charts from the stored series, the raw responses.
    await row.getByRole('link').click()
    await expect(page.locator('[data-screen="endpoint-detail"][data-state="ready"]')).toBeVisible()
    await expect(page.getByTestId('endpoint-models')).toContainText('prompt_model')
    // Four charts for every endpoint, three more for an LLM server (time to first token, tokens/s, KV cache).
    await expect(page.getByTestId('endpoint-history').locator('canvas')).toHaveCount(7)
    await expect(page.getByTestId('endpoint-now')).toContainText('Time to first token, p95')
    await expect(page.getByTestId('endpoint-now')).toContainText('KV cache used')
    await expect(page.locator('[data-screen="endpoint-detail"] pre.raw').first()).toContainText('GET')
    await expect(page.getByTestId('verdict')).toHaveText('up')
    // A smoke request that never answers turns a healthy-looking server into "hung"; a registry
    // binding shows what should be served against what is.
    const cfg = page.getByTestId('endpoint-config')
    await cfg.getByLabel(/Send one each poll/).check()
    await cfg.getByLabel('Smoke path').fill('v1/completions')
    await cfg.getByLabel('Timeout (ms)').fill('300')
    await cfg.getByLabel('Registry model').fill('qwen')
    await cfg.getByLabel('Served name').fill('prompt_model')
    await cfg.getByRole('button', { name: 'Add' }).click()
    await cfg.getByRole('button', { name: 'Save settings' }).click()
    await expect(cfg.getByRole('status')).toContainText('Saved')
    await expect(page.getByTestId('verdict')).toHaveText('hung')
    await expect(page.getByTestId('intent-table').locator('tr[data-intent]')).toHaveAttribute(
      'data-intent',
      'no-intent',
    )
    await expect(page.getByTestId('intent-table')).toContainText('the registry has no production version of qwen')
    await page.getByRole('link', { name: '← All endpoints' }).click()
    await expect(row).toHaveAttribute('data-verdict', 'hung')
    // The Overview lists it too.
    await page.locator('a[data-nav="overview"]').click()
    await expect(page.getByTestId('serving-overview').locator('li')).toContainText('127.0.0.1')
    await page.locator('a[data-nav="serving"]').click()
    await row.getByRole('button', { name: /Remove/ }).click()
    await expect(row).toHaveCount(0)

    await page.getByLabel('Endpoint URL').fill('file:///etc/passwd')
    await page.getByRole('button', { name: 'Probe' }).click()
    await expect(page.getByRole('alert')).toContainText('an http:// or https:// URL')
  } finally {
    await s.close()
  }
})
