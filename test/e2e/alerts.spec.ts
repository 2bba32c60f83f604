// Alerts end to end in Chromium against `gantry serve` (rules evaluated every second): a real
// condition (this machine's filesystems against a threshold set below their use) fires, the
// browser notification comes once the user allowed it and opens the alerts it is about, the
// badge and the storage rows are marked, an acknowledgement names who in the audit; then an
// endpoint that starts hanging fires an alert on its model and the rollback runs from the alert.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { startModelServer } from '../helpers/deploy-env'
import { expect, test } from './fixtures'

const root = join(__dirname, '..', '..')
const cli = (dataDir: string, ...args: string[]): string => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'gantry.js'), '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GANTRY_ACTOR: 'setup' },
  })
  if (r.status !== 0 && r.status !== 3) throw new Error(`gantry ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

test.use({ serveEnv: { GANTRY_ALERT_INTERVAL_MS: '1000', GANTRY_POLL_TIMEOUT_MS: '1500' } })

/** The page's Notification: records what the console shows (headless Chromium displays none). */
async function recordNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const shown: { title: string; body: string; note: { onclick: (() => void) | null } }[] = []
    class Recorded {
      static permission = 'default'
      static async requestPermission(): Promise<string> {
        Recorded.permission = 'granted'
        return 'granted'
      }
      onclick: (() => void) | null = null
      constructor(title: string, o: { body: string }) {
        shown.push({ title, body: o.body, note: this })
      }
      close(): void {}
    }
    Object.assign(globalThis, { Notification: Recorded, __shown: shown })
  })
}
const shownTitles = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { __shown: { title: string }[] }).__shown.map((n) => n.title))

let work: string
let server: Awaited<ReturnType<typeof startModelServer>> | null = null
test.beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'gantry-alerts-e2e-'))
})
test.afterEach(async () => {
  if (server) {
    try {
      process.kill(server.pid, 'SIGCONT')
    } catch {
      // already gone
    }
    await server.stop()
    server = null
  }
  rmSync(work, { recursive: true, force: true })
})

test('a filesystem threshold below current use fires, notifies, marks the rows, and is acknowledged', async ({
  page,
  gantry,
}) => {
  await recordNotifications(page)
  await page.goto(`${gantry.url}#/alerts`)
  await expect(page.locator('[data-screen="alerts"][data-state="ready"]')).toBeVisible()
  await page.getByTestId('notify-enable').click()
  await expect(page.getByTestId('notify-state')).toHaveText('notifications on')

  // The real condition: every filesystem of this machine is more than 1 % used.
  cli(gantry.dataDir, 'rules', 'set', 'fs-used', '--threshold', '1', '--for', '0')
  const rows = page.locator('[data-testid="alerts-table"] tr[data-rule="fs-used"][data-state="firing"]')
  await expect(rows.first()).toBeVisible({ timeout: 15_000 })
  const n = await rows.count()
  // One host's filesystems: one grouped notification, not one per filesystem.
  await expect.poll(() => shownTitles(page)).toHaveLength(1)
  const [title] = await shownTitles(page)
  expect(title).toMatch(
    n === 1
      ? /^\[WARNING\] \/.* on local is .* full \(threshold 1 %\)$/
      : new RegExp(`^\\[WARNING\\] ${n} alerts on local$`),
  )
  await expect(page.getByTestId('toasts')).toContainText(title)
  const badge = page.getByTestId('nav-badge-alerts')
  await expect(badge).toHaveText(String(n))
  await expect(badge).toHaveAttribute('aria-label', `Alerts: warning, ${n} open`)
  // The Overview's health card says the same: the alerts' reason names every open one.
  await page.locator('a[data-nav="overview"]').click()
  const alertReason = page.locator('[data-testid="health-reasons"] [data-area="alerts"]')
  await expect(alertReason).toHaveCount(1)
  await expect(page.getByTestId('nav-badge-overview')).toHaveAttribute('data-level', /warning|critical/)
  await page.locator('a[data-nav="alerts"]').click()
  await page.screenshot({ path: join(test.info().outputDir, 'alerts-center.png') })

  // At 1280×720 the center fits without scrolling sideways.
  await page.setViewportSize({ width: 1280, height: 720 })
  await expect(page.locator('[data-testid="alerts-table"]')).toBeVisible()
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280)
  await page.screenshot({ path: join(test.info().outputDir, 'alerts-1280.png') })
  await page.setViewportSize({ width: 1360, height: 860 })

  // Clicking the notification opens what it is about.
  await page.evaluate(() => {
    const s = (globalThis as unknown as { __shown: { note: { onclick: (() => void) | null } }[] }).__shown
    s[0].note.onclick?.()
  })
  await expect(page).toHaveURL(n === 1 ? /#\/alerts\/[0-9a-f]{16}$/ : /#\/alerts\?host=local$/)

  // Storage marks each filesystem that has an alert.
  await page.locator('a[data-nav="storage"]').click()
  await expect(page.locator('tr[data-mount] [data-alert-mark="warning"]').first()).toBeVisible()
  expect(await page.locator('tr[data-mount] [data-alert-mark]').count()).toBeGreaterThan(0)

  // Acknowledge the first one: it leaves the firing list, shows who, and the audit names them.
  await page.goto(`${gantry.url}#/alerts`)
  const first = page.locator('[data-testid="alerts-table"] tr[data-rule="fs-used"]').first()
  const id = (await first.getAttribute('data-alert')) as string
  await first.getByRole('button', { name: 'Ack…' }).click()
  const dialog = page.getByTestId('ack-dialog')
  await dialog.getByLabel('Note').fill('moving old checkpoints off /')
  await dialog.getByRole('button', { name: 'Acknowledge' }).click()
  await expect(page.locator(`[data-testid="alerts-table"] tr[data-alert="${id}"]`)).toHaveCount(0)
  if (n > 1) await expect(badge).toHaveText(String(n - 1))
  await page.locator('[data-tab="acknowledged"]').click()
  const acked = page.locator(`tr[data-alert="${id}"]`)
  await expect(acked).toContainText('moving old checkpoints off /')
  await acked.getByRole('link').first().click()
  await expect(page.getByTestId('alert-ack')).toContainText('moving old checkpoints off /')
  await page.screenshot({ path: join(test.info().outputDir, 'alert-page.png') })
  await page.goto(`${gantry.url}#/models`)
  const audit = page.getByTestId('audit')
  await expect(audit).toContainText('alert.acknowledged')
  const who = cli(gantry.dataDir, 'alert', 'show', id, '--json')
  expect(JSON.parse(who).alert.ack).toMatchObject({ note: 'moving old checkpoints off /' })
  expect(JSON.parse(who).alert.ack.by).toMatch(/via web/)
})

test('an endpoint that starts hanging fires on its model, and the rollback runs from the alert', async ({
  page,
  gantry,
}) => {
  const serve = join(work, 'serve')
  mkdirSync(serve)
  const dirs = [1, 2].map((v) => {
    const d = join(work, `v${v}`)
    mkdirSync(d)
    writeFileSync(join(d, 'weights.bin'), `v${v}`)
    return d
  })
  server = await startModelServer(serve, 'fraud')
  const { url: serverUrl, pid } = server
  for (const [i, d] of dirs.entries()) {
    cli(gantry.dataDir, 'register', '--model', 'fraud', '--artifact', d, '--owner', 'risk-ml')
    cli(gantry.dataDir, 'stage', 'fraud', String(i + 1), 'staging')
  }
  cli(gantry.dataDir, 'endpoint', 'add', serverUrl, '--kind', 'vllm', '--name', 'fraud-server', '--bind', 'fraud')
  cli(
    gantry.dataDir,
    'target',
    'add',
    'fraud',
    'node-1',
    '--kind',
    'model-folder',
    '--folder',
    serve,
    '--endpoint',
    '1',
    '--reload-command',
    `kill -HUP ${pid}`,
    '--ready-timeout',
    '3000',
  )
  cli(gantry.dataDir, 'deploy', 'fraud', '--version', '1', '--target', 'node-1')
  cli(gantry.dataDir, 'deploy', 'fraud', '--version', '2', '--target', 'node-1')
  cli(gantry.dataDir, 'rules', 'set', 'endpoint-down', '--for', '0', '--keep-firing-for', '0')

  await recordNotifications(page)
  await page.goto(`${gantry.url}#/alerts`)
  await expect(page.locator('[data-screen="alerts"][data-state="ready"]')).toBeVisible()
  // The server stops answering (alive, accepting, silent): it hangs.
  process.kill(pid, 'SIGSTOP')
  const row = page.locator('[data-testid="alerts-table"] tr[data-rule="endpoint-down"][data-state="firing"]')
  await expect(row).toBeVisible({ timeout: 20_000 })
  await expect(row).toContainText('fraud-server')
  await expect(row).toContainText('risk-ml') // routed to the model's owner team
  await row.getByRole('link').first().click()
  const actions = page.getByTestId('alert-model-actions')
  await expect(actions).toBeVisible()

  // The same rollback dialog as the model page; the operator confirms once the server answers again.
  await actions.getByRole('button', { name: 'Roll back node-1…' }).click()
  const dialog = page.getByTestId('rollback-dialog')
  await expect(dialog).toContainText('Roll back fraud on node-1 to v1?')
  process.kill(pid, 'SIGCONT')
  await dialog.getByRole('button', { name: 'Roll back to v1' }).click()
  await expect(page.getByTestId('alert-rollback')).toHaveAttribute('data-state', 'succeeded', { timeout: 20_000 })
  expect(readlinkSync(join(serve, 'current'))).toBe(dirs[0])
  // The endpoint answers again: the alert resolves.
  await expect(page.getByTestId('alert-page')).toHaveAttribute('data-state', 'resolved', { timeout: 20_000 })
})
