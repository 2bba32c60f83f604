// The fleet from a real Prometheus in Chromium: Debian's prometheus scraping a real node_exporter and
// a loopback endpoint replaying the recorded dcgm-exporter output. A source added through the Hosts
// screen (tested first), its hosts in the fleet list beside this machine (which has both sources),
// a Prometheus host's GPU on the GPUs screen and its GPU page, and a model's KPI charted.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { havePrometheus, startNodeExporter, startPrometheus, until, type Running } from '../helpers/prometheus'
import { replayServer } from '../helpers/replay-server'
import { expect, GPU_FIXTURES, holdToken, startServe, test } from './fixtures'

test.describe('Prometheus sources', () => {
  test.skip(!havePrometheus, 'Debian prometheus / prometheus-node-exporter not installed (.ci/run installs them)')
  let prom: Running
  let node: Running
  let dcgm: Awaited<ReturnType<typeof replayServer>>
  let serve: { url: string; token: string; child: ChildProcess }
  let dataDir: string

  test.beforeAll(async () => {
    // test/fixtures/gpu holds the recording copied unchanged from ../shared/fixtures/gpu.
    const body = readFileSync(join(GPU_FIXTURES, 'datadog__dcgm-metrics.txt'), 'utf8')
    dcgm = await replayServer({ 'GET /metrics': { body, type: 'text/plain; version=0.0.4' } })
    node = await startNodeExporter()
    prom = await startPrometheus({ dcgm: [new URL(dcgm.url).host], node: [`127.0.0.1:${node.port}`] })
    await until(
      async () => {
        const q = encodeURIComponent('min(count_over_time(node_load1[1m])) >= 4 and count(DCGM_FI_DEV_GPU_TEMP) > 0')
        const j = (await (await fetch(`${prom.url}/api/v1/query?query=${q}`)).json()) as { data: { result: [] } }
        return j.data.result.length > 0
      },
      'a few scrapes',
      30_000,
    )
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-e2e-prom-'))
    serve = await startServe(dataDir, 0, { GANTRY_PROM_INTERVAL_MS: '1000' })
  })

  test.afterAll(async () => {
    serve?.child.kill('SIGTERM')
    if (serve) await new Promise((r) => serve.child.once('exit', r))
    await prom?.stop()
    await node?.stop()
    await dcgm?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  test('adds a source through the Hosts screen; its hosts and GPUs appear beside this machine', async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 720 })
    await holdToken(page, serve.token)
    await page.goto(`${serve.url}#/hosts`)
    await expect(page.locator('[data-screen="hosts"][data-state="ready"]')).toBeVisible()
    await expect(page.getByTestId('prom-sources')).toContainText('None.')
    await page.getByTestId('add-prometheus').click()
    const dialog = page.getByTestId('add-prom-dialog')
    await dialog.getByTestId('prom-url').fill(prom.url)
    await dialog.getByTestId('prom-name').fill('site')
    // Add stays off until the source answered a test.
    await expect(dialog.getByTestId('prom-add')).toBeDisabled()
    await dialog.getByTestId('prom-test').click()
    await expect(dialog.getByTestId('prom-test-result')).toContainText('dcgm-exporter on 1')
    await dialog.getByTestId('prom-add').click()
    await expect(dialog).toBeHidden()

    const sources = page.getByTestId('prom-sources')
    await expect(sources.locator('[data-source="site"]')).toContainText('answering')
    for (const h of ['424773df46e0', '551bdf382151', 'ip-11111']) {
      const row = page.locator(`[data-host="${h}"]`)
      await expect(row).toBeVisible()
      await expect(row.getByTestId('host-sources')).toHaveText('Prometheus site')
      await expect(row).toContainText('from Prometheus')
    }
    // node_exporter's nodename is this machine's: one row, two sources.
    await expect(page.locator('[data-host="local"]').getByTestId('host-sources')).toHaveText('local + Prometheus site')
    await page.screenshot({ path: 'test-results/hosts-prometheus-1280.png' })
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280)

    // A Prometheus host's GPUs, through the same GPU screens.
    await page.locator('[data-host="424773df46e0"]').getByTestId('host-gpus').click()
    await expect(page.locator('[data-screen="gpus"][data-state="ready"]')).toBeVisible()
    await expect(page.locator('[data-screen="gpus"]')).toContainText('Tesla T4')
    await page.locator('[data-screen="gpus"] a[href*="GPU-20c56d28"]').first().click()
    await expect(page.locator('[data-screen="gpu-detail"]')).toContainText('GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e')
    // The full nvidia-smi reading needs the host itself, and the page says so.
    await expect(page.locator('[data-screen="gpu-detail"]')).toContainText('known from prometheus:site only')
    await page.screenshot({ path: 'test-results/gpu-prometheus-1280.png' })
  })

  test('a model KPI from PromQL is charted on the model page, with its threshold verdict', async ({ page }) => {
    const call = async (method: string, input: unknown): Promise<{ ok: boolean; data?: unknown }> => {
      const r = await fetch(`${serve.url}api/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${serve.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(input),
      })
      return (await r.json()) as { ok: boolean }
    }
    const listed = await call('prometheus.list', {})
    if (!(listed.data as unknown[]).length) {
      expect((await call('prometheus.add', { url: prom.url, name: 'site' })).ok).toBe(true)
    }
    expect((await call('registry.createModel', { name: 'fraud', ownerTeam: 'risk' })).ok).toBe(true)
    const set = await call('kpi.set', {
      model: 'fraud',
      name: 'GPU temperature',
      source: 'site',
      query: 'max(DCGM_FI_DEV_GPU_TEMP)',
      direction: 'lower-is-better',
      threshold: 20,
      unit: '°C',
    })
    expect(set.ok).toBe(true)
    await holdToken(page, serve.token)
    await page.goto(`${serve.url}#/models/fraud`)
    const panel = page.getByTestId('model-kpis')
    await expect(panel).toContainText('GPU temperature')
    await expect(panel).toContainText('25 °C · wants ≤ 20 — PAST THRESHOLD')
    await expect(panel.locator('canvas').first()).toBeVisible()
  })
})
