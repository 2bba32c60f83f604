// `gantry drift` as a field engineer runs it on copied files: the report per column with the
// dataset verdict, JSON for scripts, and clear errors (and no partial output) on bad input.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { DriftReport } from '../../src/shared/drift'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const bin = join(__dirname, '..', '..', 'bin', 'gantry.js')
const FIX = join(__dirname, '..', 'fixtures', 'drift')
afterEach(cleanupTmp)
const gantry = (args: string[]) =>
  spawnSync(process.execPath, [bin, '--data-dir', tmpDir(), ...args], { encoding: 'utf8', timeout: 60_000 })

describe('gantry drift', () => {
  it('reports California Housing: the dataset verdict, Latitude/Longitude drifted, id never tested', () => {
    const args = [
      'drift',
      '--reference',
      join(FIX, 'california_housing_reference.csv'),
      '--current',
      join(FIX, 'california_housing_analysis.csv'),
    ]
    const text = gantry([...args, '--id', 'id', '--prediction', 'y_pred_proba'])
    expect(text.status).toBe(0)
    expect(text.stdout).toMatch(/dataset: (DRIFTED|not drifted) — \d+ of \d+ features drifted/)
    expect(text.stdout).toMatch(/skew: missing in current: clf_target/)
    expect(text.stdout).toMatch(/Latitude\s+numeric\s+wasserstein\s+[\d.]+\s+—\s+0\.10\s+DRIFTED/)
    expect(text.stdout).toMatch(/id\s+identifier .*not tested \(identifier: never tested\)/)
    expect(text.stdout).toMatch(/y_pred_proba .*\[prediction\]/)
    const json = JSON.parse(
      gantry([...args, '--json', '--method', 'HouseAge=ks', '--threshold', 'Latitude=0.5']).stdout,
    ) as DriftReport
    const house = json.columns.find((c) => c.name === 'HouseAge')!
    expect(house).toMatchObject({ method: 'ks', threshold: 0.05 })
    expect(house.pvalue).toBeGreaterThanOrEqual(0)
    expect(json.columns.find((c) => c.name === 'Latitude')?.threshold).toBe(0.5)
    const perf = gantry([
      ...args,
      '--id',
      'id',
      '--prediction',
      'y_pred',
      '--target',
      'clf_target',
      '--score',
      'y_pred_proba',
      '--ground-truth',
      join(FIX, 'california_housing_analysis_gt.csv'),
    ])
    expect(perf.stdout).toMatch(
      /performance \(reference\): 5832 of 5832 rows with ground truth — accuracy [\d.]+, .* ROC AUC 0\.908/,
    )
    expect(perf.stdout).toMatch(/performance \(current\): 8232 of 8232 rows with ground truth — .* ROC AUC 0\.840/)
  })

  it('refuses a missing file and an unknown method with exit codes and no report; skips a broken JSONL line and says so', () => {
    const d = tmpDir()
    writeFileSync(join(d, 'ok.jsonl'), '{"x": 1}\n{"x": 2}\n')
    writeFileSync(join(d, 'bad.jsonl'), '{"x": 1}\n{"x": 2\n')
    const missing = gantry(['drift', '--reference', join(d, 'nope.csv'), '--current', join(d, 'ok.jsonl')])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/nope\.csv does not exist \[drift\/invalid-data\]/)
    expect(missing.stdout).toBe('')
    const bad = gantry(['drift', '--reference', join(d, 'ok.jsonl'), '--current', join(d, 'bad.jsonl'), '--json'])
    expect(bad.status, bad.stderr).toBe(0)
    const report = JSON.parse(bad.stdout) as { current: { rows: number }; warnings: string[] }
    expect(report.current.rows).toBe(1)
    expect(report.warnings).toEqual([expect.stringMatching(/bad\.jsonl: 1 line\(s\) skipped \(line 2 is not JSON\)/)])
    const method = gantry([
      'drift',
      '--reference',
      join(d, 'ok.jsonl'),
      '--current',
      join(d, 'ok.jsonl'),
      '--method',
      'x=magic',
    ])
    expect(method.status).toBe(2)
    expect(method.stderr).toMatch(/methods\.x/)
  })
})

describe('gantry drift-monitor', () => {
  it('watches a folder and reads windows from the command line', async () => {
    const { mkdirSync, readFileSync } = await import('node:fs')
    const data = tmpDir()
    const run = (args: string[]) =>
      spawnSync(process.execPath, [bin, '--data-dir', data, ...args], { encoding: 'utf8', timeout: 60_000 })
    const art = join(tmpDir(), 'm.pkl')
    writeFileSync(art, 'x')
    expect(
      run([
        'register',
        '--model',
        'housing',
        '--artifact',
        art,
        '--reference',
        join(FIX, 'california_housing_reference.csv'),
      ]).status,
    ).toBe(0)
    run(['stage', 'housing', '1', 'staging'])
    run(['stage', 'housing', '1', 'production'])
    const logs = join(tmpDir(), 'logs')
    mkdirSync(logs)
    const csv = readFileSync(join(FIX, 'california_housing_analysis.csv'), 'utf8').trim().split('\n')
    writeFileSync(join(logs, 'day1.csv'), `${csv.slice(0, 1301).join('\n')}\n`)
    const r = run(['drift-monitor', 'housing', '--folder', logs, '--rows', '1000', '--id', 'id', '--read'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/housing: watching .*logs; 300 row\(s\) in the open window/)
    expect(r.stdout).toMatch(/window #\d+ of 1000 rows: DRIFTED/)
    // With ground truth: windows from now on keep their predictions and are scored once their
    // labels are there (the read positions stay: the 1,000 rows already windowed are not re-read).
    const { appendFileSync } = await import('node:fs')
    appendFileSync(join(logs, 'day1.csv'), `${csv.slice(1301, 2301).join('\n')}\n`)
    const p = run([
      'drift-monitor',
      'housing',
      '--folder',
      logs,
      '--rows',
      '1000',
      '--id',
      'id',
      '--truth',
      join(FIX, 'california_housing_analysis_gt.csv'),
      '--target',
      'clf_target',
      '--prediction',
      'y_pred',
      '--score',
      'y_pred_proba',
      '--read',
    ])
    expect(p.status, p.stderr).toBe(0)
    // F1 is undefined (—) where a window has no predicted positives, as in this one.
    expect(p.stdout).toMatch(
      /window #2 of 1000 rows.*truth for 1000\/1000 rows: accuracy 0\.\d{3}, F1 (0\.\d{3}|—), ROC AUC 0\.\d{3}/,
    )
    const truth = ['--truth', join(FIX, 'california_housing_analysis_gt.csv')]
    const noId = run(['drift-monitor', 'housing', '--folder', logs, ...truth, '--target', 'y', '--prediction', 'p'])
    expect(noId.status).not.toBe(0)
    expect(noId.stderr).toMatch(/by id: set the id column/)
    const noTarget = run(['drift-monitor', 'housing', '--folder', logs, '--id', 'id', ...truth])
    expect(noTarget.status).toBe(2)
    expect(noTarget.stderr).toMatch(/performance\.targetColumn/)
    expect(run(['drift-monitor', 'housing', '--off']).stdout).toMatch(/housing: not monitored/)
  })

  it('running the same drift-monitor command again windows no row twice; a new window size says it resets', async () => {
    const { mkdirSync, readFileSync } = await import('node:fs')
    const data = tmpDir()
    const run = (args: string[]) =>
      spawnSync(process.execPath, [bin, '--data-dir', data, ...args], { encoding: 'utf8', timeout: 60_000 })
    const art = join(tmpDir(), 'm.pkl')
    writeFileSync(art, 'x')
    const ref = join(FIX, 'california_housing_reference.csv')
    expect(run(['register', '--model', 'housing', '--artifact', art, '--reference', ref]).status).toBe(0)
    run(['stage', 'housing', '1', 'staging'])
    run(['stage', 'housing', '1', 'production'])
    const logs = join(tmpDir(), 'logs')
    mkdirSync(logs)
    const csv = readFileSync(join(FIX, 'california_housing_analysis.csv'), 'utf8').trim().split('\n')
    writeFileSync(join(logs, 'day1.csv'), `${csv.slice(0, 2501).join('\n')}\n`) // header + 2,500 rows
    const same = ['drift-monitor', 'housing', '--folder', logs, '--rows', '1000', '--read', '--json']
    const first = JSON.parse(run(same).stdout) as { closed: { rows: number }[]; status: { note: string | null } }
    expect(first.closed.map((w) => w.rows)).toEqual([1000, 1000])
    const again = run(same)
    expect(again.status, again.stderr).toBe(0)
    const second = JSON.parse(again.stdout) as { closed: unknown[]; status: { note: string } }
    expect(second.closed).toEqual([]) // the 2,000 rows already windowed are not counted again
    expect(second.status.note).toMatch(/read positions kept/)
    const windows = JSON.parse(run(['drift-monitor', 'housing', '--json']).stdout) as {
      status: { latest: { id: number } }
    }
    expect(windows.status.latest.id).toBe(2)
    // A different window size makes the stored positions meaningless: said, and read from the start.
    const resized = JSON.parse(
      run(['drift-monitor', 'housing', '--folder', logs, '--rows', '500', '--read', '--json']).stdout,
    ) as {
      closed: { rows: number }[]
      status: { note: string }
    }
    expect(resized.status.note).toMatch(/read positions reset \(windows are now 500 rows, were 1000\)/)
    expect(resized.closed.map((w) => w.rows)).toEqual([500, 500, 500, 500, 500])
  })

  it('refuses a log folder that does not exist or is not a folder when it is set, not at the first read', () => {
    const data = tmpDir()
    const run = (args: string[]) =>
      spawnSync(process.execPath, [bin, '--data-dir', data, ...args], { encoding: 'utf8', timeout: 60_000 })
    expect(run(['model', 'create', 'housing']).status).toBe(0)
    const missing = run(['drift-monitor', 'housing', '--folder', join(tmpDir(), 'nope')])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/log folder .*nope does not exist/)
    const file = join(tmpDir(), 'a-file.csv')
    writeFileSync(file, 'x\n1\n')
    const notDir = run(['drift-monitor', 'housing', '--folder', file])
    expect(notDir.stderr).toMatch(/is a regular file, not a folder/)
  })
})
