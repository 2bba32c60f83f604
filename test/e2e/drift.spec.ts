// The Drift screen's one-off report on the recorded California Housing data: skew first, the
// columns sorted by drift, identifiers never tested; a bad path is a clear error.
import { join } from 'node:path'
import { expect, test } from './fixtures'

const FIX = join(__dirname, '..', 'fixtures', 'drift')

test('compares reference and analysis data and shows which features drifted', async ({ page, gantry }) => {
  await page.goto(`${gantry.url}#/drift`)
  const form = page.getByTestId('drift-form')
  await form.getByLabel('Reference data').fill(join(FIX, 'california_housing_reference.csv'))
  await form.getByLabel('Current data').fill(join(FIX, 'nope.csv'))
  await form.getByRole('button', { name: 'Compare' }).click()
  await expect(page.getByRole('alert')).toContainText('nope.csv does not exist')
  await form.getByLabel('Current data').fill(join(FIX, 'california_housing_analysis.csv'))
  await form.getByLabel('Identifier column').fill('id')
  await form.getByRole('button', { name: 'Compare' }).click()
  await expect(page.getByTestId('drift-verdict')).toBeVisible()
  await expect(page.getByTestId('drift-skew')).toContainText('clf_target: in the reference, absent now')
  const rows = page.getByTestId('drift-columns').locator('tr[data-column]')
  await expect(rows.nth(0)).toHaveAttribute('data-drifted', 'true')
  const firstTwo = [await rows.nth(0).getAttribute('data-column'), await rows.nth(1).getAttribute('data-column')].sort()
  expect(firstTwo).toEqual(['Latitude', 'Longitude'])
  await expect(page.locator('tr[data-column="id"]')).toContainText('identifier: never tested')
  // A feature opens onto its reference-vs-current distribution: ten reference-quantile bins.
  await page.locator('tr[data-column="Latitude"]').click()
  await expect(page.getByTestId('feature-detail').locator('rect.bar-cur')).toHaveCount(10)
  await expect(page.getByTestId('feature-detail').locator('rect.bar-ref')).toHaveCount(10)
  // Overriding a type: HouseAge as a category is tested on its values instead.
  await form.getByLabel('Types where inference is wrong').fill('HouseAge=categorical')
  await form.getByRole('button', { name: 'Compare' }).click()
  await expect(page.locator('tr[data-column="HouseAge"]')).toContainText('categorical')
  await expect(page.locator('tr[data-column="HouseAge"]')).toContainText('jensenshannon')
})

test("a model's drift: watch its inference-log folder, read a window, see it on the model page and the Models list", async ({
  page,
  gantry,
}) => {
  const { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } = await import('node:fs')
  const { spawnSync } = await import('node:child_process')
  const { tmpdir } = await import('node:os')
  const work = mkdtempSync(join(tmpdir(), 'gantry-drift-e2e-'))
  try {
    const cli = (...args: string[]) => {
      const r = spawnSync(
        process.execPath,
        [join(__dirname, '..', '..', 'bin', 'gantry.js'), '--data-dir', gantry.dataDir, ...args],
        { encoding: 'utf8' },
      )
      if (r.status !== 0) throw new Error(r.stderr)
    }
    writeFileSync(join(work, 'model.pkl'), 'rf')
    cli(
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
    cli('stage', 'housing', '1', 'staging')
    cli('stage', 'housing', '1', 'production')
    const logs = join(work, 'logs')
    mkdirSync(logs)
    const [head, ...rows] = readFileSync(join(FIX, 'california_housing_analysis.csv'), 'utf8').trim().split('\n')
    const names = head.split(',')
    writeFileSync(
      join(logs, 'serve.jsonl'),
      `${rows
        .slice(0, 1200)
        .map((r) =>
          JSON.stringify(
            Object.fromEntries(
              r.split(',').map((v, i) => [names[i], i === names.indexOf('timestamp') ? v : Number(v)]),
            ),
          ),
        )
        .join('\n')}\n`,
    )
    await page.goto(`${gantry.url}#/models/housing`)
    const panel = page.getByTestId('model-drift')
    await expect(panel).toContainText('not monitored')
    await panel.getByLabel('Inference-log folder (JSONL / CSV / Parquet)').fill(logs)
    await panel.getByLabel('Identifier column').fill('id')
    // Realized performance per window: ground truth joined by id.
    await panel
      .getByLabel('Ground truth (file or folder, joined by the id column)')
      .fill(join(FIX, 'california_housing_analysis_gt.csv'))
    await panel.getByLabel('Target column (in the ground truth)').fill('clf_target')
    await panel.getByLabel('Prediction column (logged)').fill('y_pred')
    await panel.getByLabel('Score column (for ROC AUC)').fill('y_pred_proba')
    await panel.getByRole('button', { name: 'Watch' }).click()
    await panel.getByRole('button', { name: 'Read now' }).click()
    await expect(panel.locator('[data-drifted]').first()).toHaveAttribute('data-drifted', 'true')
    await expect(panel).toContainText('200 row(s) in the open window')
    await expect(panel.locator('tr[data-column="Latitude"]')).toHaveAttribute('data-drifted', 'true')
    const win = panel.getByTestId('drift-windows').locator('tbody tr')
    await expect(win).toHaveCount(1)
    await expect(win.first()).toContainText('100.0 %') // all 1,000 rows have their truth
    await expect(win.first().locator('td').nth(7)).toHaveText(/^0\.\d{3}$/) // ROC AUC
    await panel.screenshot({ path: test.info().outputPath('model-drift-performance.png') })
    await page.goto(`${gantry.url}#/models`)
    await expect(page.locator('tr[data-model="housing"] [data-flag="drifted"]')).toBeVisible()
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
})
