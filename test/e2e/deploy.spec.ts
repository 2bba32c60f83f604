// One-click deploys and rollback from the model page, against a real model-server process on a
// model-folder target: the steps as they happen, the rollback dialog's difference, the history.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startModelServer } from '../helpers/deploy-env'
import { expect, expectHealthAgrees, test } from './fixtures'

const root = join(__dirname, '..', '..')
const cli = (dataDir: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'gantry.js'), '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GANTRY_ACTOR: 'setup' },
  })
  if (r.status !== 0) throw new Error(`gantry ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

let work: string
let server: Awaited<ReturnType<typeof startModelServer>> | null = null
test.beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'gantry-deploy-e2e-'))
})
test.afterEach(async () => {
  await server?.stop()
  rmSync(work, { recursive: true, force: true })
})

test('deploy v1, deploy v2, a reverted deploy, and a one-click rollback with its dialog', async ({ page, gantry }) => {
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
    cli(gantry.dataDir, 'register', '--model', 'fraud', '--artifact', d, '--owner', 'risk')
    cli(gantry.dataDir, 'stage', 'fraud', String(i + 1), 'staging')
  }
  cli(gantry.dataDir, 'endpoint', 'add', serverUrl, '--kind', 'vllm', '--name', 'fraud-server')
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
    '2000',
  )

  await page.goto(`${gantry.url}#/models/fraud`)
  const section = page.getByTestId('deploy-section')
  await expect(section.locator('[data-target="node-1"]')).toBeVisible()
  const pick = section.getByLabel('Version to deploy to node-1')
  await pick.selectOption('1')
  await section.getByRole('button', { name: 'Deploy…' }).click()
  // Nothing runs before the confirmation, which shows the reload command exactly as it will run.
  const confirm = section.getByTestId('deploy-dialog')
  await expect(confirm).toContainText('Deploy fraud v1 to node-1?')
  await expect(confirm.getByTestId('deploy-reload')).toHaveText(JSON.stringify(['kill', '-HUP', String(pid)]))
  await expect(confirm.getByTestId('deploy-sha')).toHaveText(/^[0-9a-f]{64}$/)
  await expect(section.getByTestId('live-deploy')).toHaveCount(0)
  expect(existsSync(join(serve, 'current'))).toBe(false)
  await confirm.getByRole('button', { name: 'Deploy v1' }).click()
  await expect(section.getByTestId('live-deploy')).toHaveAttribute('data-state', 'succeeded')
  await expect(section.getByTestId('live-deploy').locator('[data-step="verify"]')).toHaveAttribute(
    'data-step-state',
    'ok',
  )
  expect(readlinkSync(join(serve, 'current'))).toBe(dirs[0])
  await pick.selectOption('2')
  await section.getByRole('button', { name: 'Deploy…' }).click()
  await section.getByTestId('deploy-dialog').getByRole('button', { name: 'Deploy v2' }).click()
  await expect(section.getByTestId('live-deploy')).toContainText('v1 → v2')
  await expect(section.getByTestId('live-deploy')).toHaveAttribute('data-state', 'succeeded')
  await expect(page.locator('tr[data-version="2"] [data-stage]')).toHaveAttribute('data-stage', 'production')

  // The rollback dialog shows what changes and why v1 is trusted; confirming puts v1 back.
  await section.getByRole('button', { name: 'Roll back…' }).click()
  const dialog = section.getByTestId('rollback-dialog')
  await expect(dialog).toContainText('Roll back fraud on node-1 to v1?')
  await expect(dialog).toContainText(dirs[1])
  await expect(dialog).toContainText(dirs[0])
  await expect(dialog).toContainText('deployed and verified by Gantry')
  await expect(dialog).toContainText(`serves ${dirs[0]}, the artifact of v1`)
  await dialog.getByRole('button', { name: 'Roll back to v1' }).click()
  await expect(section.getByTestId('live-deploy')).toContainText('rollback v2 → v1')
  await expect(section.getByTestId('live-deploy')).toHaveAttribute('data-state', 'succeeded')
  expect(readlinkSync(join(serve, 'current'))).toBe(dirs[0])

  // A deploy whose server keeps the old weights is reverted, and the reason is shown.
  writeFileSync(join(serve, 'IGNORE_RELOAD'), '')
  await pick.selectOption('2')
  await section.getByRole('button', { name: 'Deploy…' }).click()
  await section.getByTestId('deploy-dialog').getByRole('button', { name: 'Deploy v2' }).click()
  await expect(section.getByTestId('live-deploy')).toHaveAttribute('data-state', 'reverted', { timeout: 20_000 })
  await expect(section.getByTestId('live-deploy')).toContainText('wrong version served')
  // The cause first; v1 is back and verified, so this is a revert, not the emergency.
  await expect(section.getByTestId('deploy-cause')).toContainText('Reverted because: verification timed out after 2 s')
  await expect(section.getByTestId('revert-unverified')).toHaveCount(0)
  await expect(section.getByTestId('deployments').locator('tr[data-deployment]')).toHaveCount(4)

  // The reverted deploy is in the health roll-up: the Deployments badge and the card agree.
  await page.locator('a[data-nav="overview"]').click()
  const reverted = page.locator('[data-testid="health-reasons"] li[data-reason="deployments:reverted"]')
  await expect(reverted).toContainText('fraud → node-1')
  await expect(page.getByTestId('nav-badge-deployments')).toHaveAttribute('data-level', 'warning')
  await expectHealthAgrees(page)

  await page.locator('a[data-nav="deployments"]').click()
  await expect(page.locator('[data-screen="deployments"][data-state="ready"]')).toBeVisible()
  await expect(page.getByTestId('targets')).toContainText('node-1')
  await expect(page.getByTestId('deployments').locator('tr[data-deployment]')).toHaveCount(4)
  await expect(page.getByTestId('deployments').locator('tr[data-state="reverted"]')).toHaveCount(1)

  // A later deploy on the same target succeeds: the reverted one leaves the roll-up.
  rmSync(join(serve, 'IGNORE_RELOAD'))
  cli(gantry.dataDir, 'deploy', 'fraud', '--version', '2', '--target', 'node-1')
  await page.locator('a[data-nav="overview"]').click()
  await expect(reverted).toHaveCount(0)
  await expect(page.getByTestId('nav-badge-deployments')).toHaveAttribute('data-level', 'ok')
  await expectHealthAgrees(page)
})
