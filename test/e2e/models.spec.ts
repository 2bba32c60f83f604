// The Models screens against a real console: register from the UI (with the hashing progress
// bar), flags and the ownership board, the lifecycle on the model page, an approval that the
// requester cannot give and another user (through the CLI, another process) does, the alias
// timeline, the version page's verify and diff, a Triton repository import, the audit chain.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from './fixtures'

const cli = join(__dirname, '..', '..', 'bin', 'gantry.js')
function gantryCli(dataDir: string, args: string[], actor: string): string {
  const r = spawnSync(process.execPath, [cli, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GANTRY_ACTOR: actor },
  })
  if (r.status !== 0) throw new Error(`gantry ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

let work: string
test.beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'gantry-models-e2e-'))
})
test.afterEach(() => rmSync(work, { recursive: true, force: true }))

test('register, promote with an approval by someone else, verify, diff and audit', async ({ page, gantry }) => {
  const big = join(work, 'fraud-v1.onnx')
  writeFileSync(big, Buffer.alloc(64 * 1024 * 1024, 3))
  const v2 = join(work, 'fraud-v2.onnx')
  writeFileSync(v2, 'smaller weights')

  await page.goto(`${gantry.url}#/models`)
  await expect(page.locator('[data-screen="models"][data-state="ready"]')).toBeVisible()
  await expect(page.getByTestId('models-list')).toContainText('No models yet')

  // Register v1 from the UI: the progress bar follows the hashing, the result names the hash.
  const reg = page.getByTestId('register')
  await reg.getByLabel('Model', { exact: true }).fill('fraud')
  await reg.getByLabel('Artifact path').fill(big)
  await reg.getByLabel('Owner team (new model)').fill('risk')
  await reg.getByRole('button', { name: 'Register' }).click()
  await expect(reg.getByTestId('hash-progress')).toBeVisible()
  const expected = createHash('sha256')
    .update(Buffer.alloc(64 * 1024 * 1024, 3))
    .digest('hex')
  await expect(reg.getByRole('status')).toContainText(`Registered fraud v1 · sha256 ${expected.slice(0, 16)}`)
  await expect(reg.getByTestId('hash-progress')).toHaveAttribute('aria-valuenow', '100')

  // A second, unowned model shows up flagged; the board puts it under "no owner".
  gantryCli(gantry.dataDir, ['register', '--model', 'orphan', '--artifact', v2], 'carol')
  const orphanRow = page.locator('tr[data-model="orphan"]')
  await expect(orphanRow.locator('[data-flag="unowned"]')).toBeVisible()
  await expect(page.getByTestId('ownership-board').locator('tr[data-owner="(none)"]')).toContainText('orphan')
  await expect(page.getByTestId('ownership-board').locator('tr[data-owner="risk"]')).toContainText('fraud')
  await page.getByLabel('Search models').fill('frau')
  await expect(page.locator('tr[data-model]')).toHaveCount(1)

  // The model page: turn the approval policy on, then stage and try to promote v1.
  await page.locator('tr[data-model="fraud"] a').first().click()
  await expect(page.locator('[data-screen="model"][data-state="ready"]')).toBeVisible()
  await page.getByTestId('owner-card').getByRole('button', { name: 'Edit' }).click()
  await page.getByLabel('Contact').fill('risk-ml@example.internal')
  await page.getByLabel('Production needs an approval by someone else').check()
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.getByTestId('owner-card')).toContainText('production needs an approval')
  const row1 = page.locator('tr[data-version="1"]')
  await row1.getByLabel('Move v1 to').selectOption('staging')
  await row1.getByRole('button', { name: 'Move' }).click()
  await expect(row1.locator('[data-stage]')).toHaveAttribute('data-stage', 'staging')
  await row1.getByLabel('Move v1 to').selectOption('production')
  await row1.getByRole('button', { name: 'Move' }).click()
  await expect(page.getByTestId('action-error')).toContainText('needs an approval')

  // Ask, fail to approve one's own request, then another user approves from the CLI.
  await row1.getByRole('button', { name: 'Request approval' }).click()
  const approval = page.locator('[data-approval="1"]')
  await expect(approval).toHaveAttribute('data-status', 'pending')
  // The requester is not offered Approve (the core refuses it on every door too: registry tests).
  await expect(approval).toContainText('you asked: someone else approves or rejects')
  await expect(approval.getByRole('button', { name: 'Approve' })).toHaveCount(0)
  await expect(approval.getByRole('button', { name: 'Withdraw' })).toBeVisible()
  await expect(row1.locator('[data-flag="approval-pending"]')).toHaveText('approval waiting')
  gantryCli(gantry.dataDir, ['approve', 'fraud', '1', '--comment', 'eval looks good'], 'bob')
  await expect(approval).toHaveAttribute('data-status', 'approved')
  await expect(approval).toContainText('eval looks good')
  await row1.getByLabel('Move v1 to').selectOption('production')
  await row1.getByRole('button', { name: 'Move' }).click()
  await expect(row1.locator('[data-stage]')).toHaveAttribute('data-stage', 'production')
  await expect(row1).toContainText('@production')
  await expect(page.getByTestId('alias-timeline')).toContainText('production → v1')
  await expect(page.getByTestId('model-flags').locator('[data-flag="production-without-reference"]')).toBeVisible()

  // v2 derives from v1: its page shows the diff, and verifies its hash.
  gantryCli(
    gantry.dataDir,
    ['register', '--model', 'fraud', '--artifact', v2, '--parent', '1', '--param', 'depth=8'],
    'alice',
  )
  await expect(page.locator('tr[data-version="2"]')).toBeVisible()
  await page.locator('tr[data-version="2"] a').first().click()
  await expect(page.locator('[data-screen="version"][data-state="ready"]')).toBeVisible()
  await expect(page.getByTestId('sha256')).toHaveText(createHash('sha256').update('smaller weights').digest('hex'))
  await expect(page.getByTestId('diff')).toContainText('param depth')
  await expect(page.getByTestId('diff')).toContainText('artifact sha256')
  await page.getByRole('button', { name: 'Verify hash now' }).click()
  await expect(page.getByTestId('verify-result')).toContainText('Verified')
  writeFileSync(v2, 'tampered weights')
  await page.getByRole('button', { name: 'Verify hash now' }).click()
  await expect(page.getByTestId('verify-result')).toContainText('changed since it was registered')

  // Back on the list: the audit chain verifies and shows who did what.
  await page.goto(`${gantry.url}#/models`)
  await expect(page.getByTestId('audit').locator('[data-chain="ok"]')).toBeVisible()
  await expect(page.getByTestId('audit-rows')).toContainText('approval.approve')
  await expect(page.getByTestId('audit-rows')).toContainText('bob')
  // The Overview names what needs attention.
  await page.locator('a[data-nav="overview"]').click()
  await expect(page.getByTestId('models-overview')).toContainText('2 models, 1 in production')
  // "No owner" asks something of someone only in production (the health roll-up's rule, here too).
  await expect(page.getByTestId('models-overview')).toContainText('fraud (production version has no drift reference)')
  await expect(page.getByTestId('models-overview')).not.toContainText('orphan (no owner')
})

test('imports a Triton model repository and reports what it skipped', async ({ page, gantry }) => {
  const repo = join(work, 'repo')
  for (const [m, v] of [
    ['resnet', 1],
    ['resnet', 2],
  ] as const) {
    mkdirSync(join(repo, m, String(v)), { recursive: true })
    writeFileSync(join(repo, m, String(v), 'model.onnx'), `${m}${v}`)
  }
  writeFileSync(join(repo, 'resnet', 'config.pbtxt'), 'platform: "onnxruntime_onnx"\n')
  mkdirSync(join(repo, 'not-a-model'))
  await page.goto(`${gantry.url}#/models`)
  const imp = page.getByTestId('import')
  await imp.getByLabel('Path').fill(repo)
  await imp.getByLabel('Owner team (new models)').fill('vision')
  await imp.getByRole('button', { name: 'Import' }).click()
  await expect(imp.getByTestId('import-report')).toContainText('Registered 2 version(s) in 1 model(s)')
  await expect(imp.getByTestId('import-report')).toContainText('not-a-model: no numbered version folders')
  await expect(page.locator('tr[data-model="resnet"]')).toContainText('vision')
  await imp.getByRole('button', { name: 'Import' }).click()
  await expect(imp.getByTestId('import-report')).toContainText('resnet v1: already registered with the same content')
})
