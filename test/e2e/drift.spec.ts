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
})
