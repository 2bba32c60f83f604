// One console that tells one story, at real sizes: the navigation badges and the Overview's health
// card agree as things go wrong (a pending approval, a hung endpoint, a drifted model, a monitor
// folder that cannot be read) and right again; an endpoint the CLI adds shows as polled within one
// poll; and with 200 models of 80-character names, 20 endpoints and 64 GPUs no screen is wider
// than the window at 1280×720 or 1920×1080.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startModelServer } from '../helpers/deploy-env'
import {
  GPU_FIXTURES,
  STANDIN_BIN,
  expect,
  expectHealthAgrees,
  expectNoSidewaysScroll,
  test,
  type ConsoleServer,
} from './fixtures'

const root = join(__dirname, '..', '..')
const FIX = join(root, 'test', 'fixtures', 'drift')
const cli = (dataDir: string, ...args: string[]): string => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'gantry.js'), '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GANTRY_ACTOR: 'ana' },
  })
  if (r.status !== 0) throw new Error(`gantry ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}
/** The console's own API with its token, as the browser calls it. */
async function api(g: ConsoleServer, method: string, input: unknown): Promise<unknown> {
  const r = await fetch(`${g.url}api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${g.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  })
  const body = (await r.json()) as { ok: boolean; data?: unknown; error?: { message: string } }
  if (!body.ok) throw new Error(`${method}: ${body.error?.message}`)
  return body.data
}

let work: string
test.beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'gantry-ux-e2e-'))
})
test.afterEach(() => rmSync(work, { recursive: true, force: true }))

test.describe('health that agrees everywhere', () => {
  test.use({ serveEnv: { GANTRY_DRIFT_INTERVAL_MS: '1000', GANTRY_POLL_TIMEOUT_MS: '1500' } })

  test('badges and the health card agree through an approval, a hung endpoint, drift and an unreadable monitor', async ({
    page,
    gantry,
  }) => {
    test.setTimeout(120_000)
    await page.goto(`${gantry.url}#/overview`)
    await expectHealthAgrees(page)

    // A pending approval: counted on the Models list and the Overview, linked to its version.
    writeFileSync(join(work, 'model.pkl'), 'rf')
    cli(
      gantry.dataDir,
      'register',
      '--model',
      'housing',
      '--artifact',
      join(work, 'model.pkl'),
      '--reference',
      join(FIX, 'california_housing_reference.csv'),
      '--owner',
      'pricing',
    )
    cli(gantry.dataDir, 'stage', 'housing', '1', 'staging')
    cli(gantry.dataDir, 'stage', 'housing', '1', 'production')
    writeFileSync(join(work, 'model-2.pkl'), 'rf2')
    cli(gantry.dataDir, 'register', '--model', 'housing', '--artifact', join(work, 'model-2.pkl'))
    cli(gantry.dataDir, 'stage', 'housing', '2', 'staging')
    cli(gantry.dataDir, 'request-approval', 'housing', '2')
    const approval = page.locator('[data-testid="health-reasons"] li[data-reason="models:approval-pending"]')
    await expect(approval).toContainText('housing v2')
    await expect(approval.locator('a')).toHaveAttribute('href', '#/models/housing')
    await expect(page.getByTestId('nav-badge-models')).toHaveAttribute('data-level', 'warning')
    await expect(page.getByTestId('overview-approvals')).toContainText('1 approval waiting')
    await expectHealthAgrees(page)
    // The version page says so too, and where it is decided.
    await page.goto(`${gantry.url}#/models/housing/2`)
    await expect(page.getByTestId('version-approval')).toContainText('asked by ana')
    await page.goto(`${gantry.url}#/overview`)

    // An endpoint the CLI adds while the console runs: polled within one poll (500 ms here).
    const serve = join(work, 'serve')
    mkdirSync(join(serve, 'v1'), { recursive: true })
    writeFileSync(join(serve, 'v1', 'weights.bin'), 'v1')
    symlinkSync(join(serve, 'v1'), join(serve, 'current'))
    const server = await startModelServer(serve, 'housing')
    try {
      cli(gantry.dataDir, 'endpoint', 'add', server.url, '--kind', 'vllm', '--name', 'housing-server')
      await page.locator('a[data-nav="serving"]').click()
      const row = page.locator('tr[data-endpoint="housing-server"]')
      // Polled within a poll of being added (the console reads other processes' writes every second).
      await expect(row).not.toHaveAttribute('data-live', 'pending', { timeout: 2500 })
      await expect(row).toHaveAttribute('data-verdict', 'up')

      // It hangs: Serving's badge, the Overview's and the card all say critical.
      process.kill(server.pid, 'SIGSTOP')
      await expect(page.getByTestId('nav-badge-serving')).toHaveAttribute('data-level', 'critical', {
        timeout: 15_000,
      })
      await expect(page.getByTestId('nav-badge-serving')).toHaveAttribute('aria-label', 'Serving: critical, 1 problem')
      await page.locator('a[data-nav="overview"]').click()
      await expect(page.getByTestId('health')).toHaveAttribute('data-level', 'critical')
      await expect(page.locator('[data-testid="health-reasons"] li[data-area="serving"]')).toContainText(
        'housing-server',
      )
      await expectHealthAgrees(page)
      // It answers again: the reason leaves.
      process.kill(server.pid, 'SIGCONT')
      await expect(page.locator('[data-testid="health-reasons"] li[data-area="serving"]')).toHaveCount(0, {
        timeout: 15_000,
      })
      await expect(page.getByTestId('nav-badge-serving')).toHaveAttribute('data-level', 'ok')
    } finally {
      try {
        process.kill(server.pid, 'SIGCONT')
      } catch {
        // gone
      }
      await server.stop()
    }

    // A drifted model: its logs read by the monitor (every second here).
    const logs = join(work, 'logs')
    mkdirSync(logs)
    const [head, ...rows] = readFileSync(join(FIX, 'california_housing_analysis.csv'), 'utf8').trim().split('\n')
    const names = head.split(',')
    writeFileSync(
      join(logs, 'serve.jsonl'),
      `${rows
        .slice(0, 1000)
        .map((r) =>
          JSON.stringify(
            Object.fromEntries(r.split(',').map((v, i) => [names[i], names[i] === 'timestamp' ? v : Number(v)])),
          ),
        )
        .join('\n')}\n`,
    )
    cli(gantry.dataDir, 'drift-monitor', 'housing', '--folder', logs, '--rows', '1000', '--id', 'id')
    const drifted = page.locator('[data-testid="health-reasons"] li[data-reason="drift:drifted"]')
    await expect(drifted).toContainText('housing', { timeout: 15_000 })
    await expect(page.getByTestId('nav-badge-drift')).toHaveAttribute('data-level', 'warning')
    await expectHealthAgrees(page)

    // The folder goes away: the monitor's error stays in view (card, Models list) until a read works.
    rmSync(logs, { recursive: true, force: true })
    const unreadable = page.locator('[data-testid="health-reasons"] li[data-reason="drift:monitor-error"]')
    await expect(unreadable).toContainText('housing', { timeout: 15_000 })
    await expect(unreadable.locator('a')).toHaveAttribute('title', /cannot read the log folder/)
    await expectHealthAgrees(page)
    await page.locator('a[data-nav="models"]').click()
    await expect(page.locator('tr[data-model="housing"] [data-flag="monitor-error"]')).toBeVisible()
    await expect(page.locator('tr[data-model="housing"] [data-flag="approval-pending"]')).toBeVisible()
    await expect(page.getByTestId('models-approvals')).toHaveText('1 approval waiting')
    // A reload keeps it (it is stored, not a screen's memory).
    await page.reload()
    await expect(page.locator('tr[data-model="housing"] [data-flag="monitor-error"]')).toBeVisible()
    // Watch refuses a folder it cannot read at once.
    const out = spawnSync(
      process.execPath,
      [join(root, 'bin', 'gantry.js'), '--data-dir', gantry.dataDir, 'drift-monitor', 'housing', '--folder', logs],
      { encoding: 'utf8' },
    )
    expect(out.status).not.toBe(0)
    expect(out.stderr).toMatch(/does not exist|cannot read/)
  })
})

test.describe('at real sizes', () => {
  test.use({
    serveEnv: {
      PATH: `${STANDIN_BIN}:${process.env.PATH}`,
      STANDIN_XML: join(GPU_FIXTURES, 'datakit__gtx-8card-v100s.xml'),
      STANDIN_COPIES: '8',
      GANTRY_GPU_INTERVAL_MS: '1000',
      GANTRY_SERVING_INTERVAL_MS: '5000',
    },
  })

  test('no screen is wider than the window with 200 long-named models, 20 endpoints and 64 GPUs', async ({
    page,
    gantry,
  }) => {
    test.setTimeout(180_000)
    const long = (i: number): string =>
      `team-${i % 7}/recommendation-ranking-candidate-generator-for-the-homepage-carousel-${String(i).padStart(3, '0')}`.slice(
        0,
        80,
      )
    for (let i = 0; i < 200; i++) {
      await api(gantry, 'registry.createModel', {
        name: long(i),
        description: `A model with a long description that goes on and on about what it ranks (${i})`,
        ...(i % 5 ? { ownerTeam: `owners-of-the-ranking-stack-number-${i % 9}` } : {}),
      })
    }
    writeFileSync(join(work, 'weights.bin'), 'w')
    for (let i = 0; i < 6; i++)
      await api(gantry, 'registry.register', { model: long(i), artifact: join(work, 'weights.bin') })
    for (let i = 0; i < 20; i++) {
      await api(gantry, 'serving.addEndpoint', {
        url: `http://127.0.0.${(i % 200) + 2}:1/a/very/long/path/to/the/inference/server/number/${i}/`,
        name: `endpoint-with-a-long-name-for-the-ranking-service-in-rack-${i}`,
        kind: 'vllm',
      })
    }
    const screens = ['overview', 'hosts', 'gpus', 'storage', 'serving', 'models', 'drift', 'deployments', 'alerts']
    for (const [w, h] of [
      [1280, 720],
      [1920, 1080],
    ]) {
      await page.setViewportSize({ width: w, height: h })
      for (const s of screens) {
        await page.goto(`${gantry.url}#/${s}`)
        await page.locator(`[data-screen="${s}"]`).waitFor()
        if (s === 'gpus') await expect(page.locator('[data-testid="gpu-tiles"] .tile')).toHaveCount(64)
        if (s === 'models') await expect(page.getByTestId('models-list')).toContainText('200 rows')
        await expectNoSidewaysScroll(page)
        if (w === 1280 && ['models', 'serving', 'overview', 'gpus'].includes(s))
          await page.screenshot({ path: test.info().outputPath(`${s}-1280.png`) })
      }
      // A model's page and a GPU's page too.
      await page.goto(`${gantry.url}#/models/${encodeURIComponent(long(3))}`)
      await page.locator('[data-screen="model"]').waitFor()
      await expectNoSidewaysScroll(page)
      await page.goto(`${gantry.url}#/gpus`)
      await page.locator('[data-testid="gpu-tiles"] .tile').nth(37).click()
      await page.locator('[data-screen="gpu-detail"]').waitFor()
      await expectNoSidewaysScroll(page)
    }
    // The long list is virtual: far fewer rows in the page than models, and the keyboard moves through it.
    await page.setViewportSize({ width: 1280, height: 720 })
    await page.goto(`${gantry.url}#/models`)
    await expect(page.getByTestId('models-list')).toContainText('200 rows')
    const rendered = await page.locator('[data-testid="models-list"] tbody tr[data-model]').count()
    expect(rendered).toBeGreaterThan(5)
    expect(rendered).toBeLessThan(100)
    await page.keyboard.press('/')
    await expect(page.getByLabel('Search models')).toBeFocused()
    await page.keyboard.type('-017')
    await expect(page.locator('[data-testid="models-list"] tbody tr[data-model]')).toHaveCount(1)
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await expect(page).toHaveURL(new RegExp(`#/models/${encodeURIComponent(long(17)).replace(/[/.]/g, '\\$&')}$`))

    // The palette finds a GPU, a model and an endpoint, and opens each.
    const palette = page.getByTestId('palette')
    const jump = async (text: string, want: RegExp): Promise<void> => {
      await page.keyboard.press('Control+k')
      await expect(palette).toBeVisible()
      await palette.locator('[cmdk-input]').fill(text)
      await expect(palette.locator('[cmdk-item][data-selected="true"]')).toContainText(text.replace(/^v/, ''))
      await page.keyboard.press('Enter')
      await expect(palette).toHaveCount(0)
      await expect(page).toHaveURL(want)
    }
    await jump('GPU 37', /#\/gpus\/GPU-[^/?]+$/)
    await expect(page.locator('[data-screen="gpu-detail"]')).toContainText('GPU 37')
    await jump(long(42), new RegExp(`#/models/${encodeURIComponent(long(42)).replace(/[/.]/g, '\\$&')}$`))
    await jump('endpoint-with-a-long-name-for-the-ranking-service-in-rack-13', /#\/serving\/14$/)
    // ? lists the shortcuts; Escape closes it.
    await page.locator('body').click()
    await page.keyboard.press('?')
    await expect(page.getByTestId('shortcuts')).toContainText('Command palette')
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('shortcuts')).toHaveCount(0)
  })
})
