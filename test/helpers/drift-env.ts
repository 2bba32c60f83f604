// A monitored model for the drift tests: `housing` registered with NannyML's California Housing
// reference and promoted to production, and the analysis rows as inference-log JSON lines.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Gantry } from '../../src/main/core'
import { call } from './deploy-env'
import { tmpDir } from './tmp'

export const DRIFT_FIX = join(__dirname, '..', 'fixtures', 'drift')

/** Registers `housing` v1 with the California reference dataset and makes it production. */
export async function productionHousing(g: Gantry): Promise<void> {
  const art = join(tmpDir(), 'model.pkl')
  writeFileSync(art, 'rf')
  await call(g, 'registry.register', {
    model: 'housing',
    artifact: art,
    datasets: [{ role: 'reference', path: join(DRIFT_FIX, 'california_housing_reference.csv') }],
  })
  await call(g, 'registry.transition', { name: 'housing', version: 1, stage: 'staging' })
  await call(g, 'registry.transition', { name: 'housing', version: 1, stage: 'production' })
}

/** The analysis rows [from, to) as inference-log JSON lines (numbers as numbers, as a logger writes them). */
export function analysisLines(from: number, to: number): string[] {
  const [head, ...rows] = readFileSync(join(DRIFT_FIX, 'california_housing_analysis.csv'), 'utf8').trim().split('\n')
  const names = head.split(',')
  return rows.slice(from, to).map((r) => {
    const v = r.split(',')
    return JSON.stringify(Object.fromEntries(names.map((n, i) => [n, n === 'timestamp' ? v[i] : Number(v[i])])))
  })
}
