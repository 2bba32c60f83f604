// Drift monitoring of a model's inference logs: a folder read incrementally (appends, partial last
// lines, rotation, CSV and JSONL), cut into windows, compared with the production version's
// reference data, stored — and, after a restart, the open window's rows read again, not lost.
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Gantry } from '../../src/main/core'
import { windowStart } from '../../src/main/core/drift/monitor'
import type { DriftCrossing, DriftWindow, MonitorStatus } from '../../src/shared/drift'
import { call, makeCore } from '../helpers/deploy-env'
import { analysisLines, productionHousing } from '../helpers/drift-env'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const FIX = join(__dirname, '..', 'fixtures', 'drift')
const CUR = join(FIX, 'california_housing_analysis.csv')
const PY = process.env.SCIPY_PYTHON ?? '/usr/bin/python3'
/** scipy's Mann–Whitney AUC on rows [from, to) of the analysis file, joined to the truth by id. */
function scipyAuc(data: string, truth: string, from: number, to: number): number {
  const r = spawnSync(
    PY,
    [
      join(__dirname, '..', 'helpers', 'scipy_auc.py'),
      data,
      truth,
      'id',
      'clf_target',
      'y_pred_proba',
      String(from),
      String(to),
    ],
    { encoding: 'utf8' },
  )
  if (r.status !== 0) throw new Error(`scipy run failed (is python3-scipy installed for ${PY}?): ${r.stderr}`)
  return Number(r.stdout.trim())
}
const close = (a: number, b: number, what: string) =>
  expect(Math.abs(a - b), `${what}: gantry ${a} vs scipy ${b}`).toBeLessThanOrEqual(1e-9)
const running: Gantry[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()))
  cleanupTmp()
})

async function world() {
  const data = tmpDir()
  const logs = join(tmpDir(), 'logs')
  mkdirSync(logs)
  const g = makeCore(data, 'ops', { driftIntervalMs: 0 })
  running.push(g)
  await productionHousing(g)
  await call(g, 'drift.setMonitor', {
    model: 'housing',
    config: { folder: logs, windowRows: 1000, idColumn: 'id', predictionColumns: ['y_pred_proba'] },
  })
  return { data, logs, g }
}

describe('drift monitor', () => {
  it('cuts appended JSONL into 1,000-row windows, waits for a partial last line, and flags Latitude/Longitude', async () => {
    const w = await world()
    const events: DriftWindow[] = []
    w.g.events.on('drift.window', (x) => events.push(x))
    const crossings: DriftCrossing[] = []
    w.g.events.on('drift.crossed', (c) => crossings.push(c))
    const lines = analysisLines(0, 2600)
    writeFileSync(join(w.logs, 'serve-1.jsonl'), `${lines.slice(0, 1500).join('\n')}\n`)
    const first = await call<DriftWindow[]>(w.g, 'drift.poll', { model: 'housing' })
    expect(first.map((x) => x.rows)).toEqual([1000])
    expect((await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })).openRows).toBe(500)
    // The rest, with the last line cut in half (a writer mid-line).
    const last = lines[2599]
    appendFileSync(join(w.logs, 'serve-1.jsonl'), `${lines.slice(1500, 2599).join('\n')}\n${last.slice(0, 20)}`)
    const second = await call<DriftWindow[]>(w.g, 'drift.poll', { model: 'housing' })
    expect(second.map((x) => x.rows)).toEqual([1000])
    expect((await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })).openRows).toBe(599)
    appendFileSync(join(w.logs, 'serve-1.jsonl'), `${last.slice(20)}\n`)
    await call(w.g, 'drift.poll', { model: 'housing' })
    expect((await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })).openRows).toBe(600)

    const report = first[0].report
    const col = (n: string) => report.columns.find((c) => c.name === n)!
    expect(col('Latitude').drifted).toBe(true)
    expect(col('Longitude').drifted).toBe(true)
    expect(col('id').role).toBe('identifier')
    expect(col('y_pred_proba').role).toBe('prediction')
    expect(first[0].version).toBe(1)
    expect(events.map((e) => e.id)).toEqual([first[0].id, second[0].id])
    // Drift began with the first window; the second, drifted too, is no crossing.
    expect(crossings).toEqual([
      {
        model: 'housing',
        windowId: first[0].id,
        drifted: true,
        previous: null,
        share: first[0].share,
        threshold: 0.5,
        at: first[0].at,
      },
    ])
    const stored = await call<DriftWindow[]>(w.g, 'drift.windows', { model: 'housing' })
    expect(stored.map((x) => x.id)).toEqual([second[0].id, first[0].id])
  }, 30_000)

  it('reads a rotated file from its start, takes CSV logs with their header, and skips a broken line with a problem', async () => {
    const w = await world()
    const lines = analysisLines(0, 1200)
    writeFileSync(join(w.logs, 'a.jsonl'), `${lines.slice(0, 700).join('\n')}\nnot json\n`)
    await call(w.g, 'drift.poll', { model: 'housing' })
    const st = await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })
    expect(st.openRows).toBe(700)
    expect(st.problems).toEqual(['a.jsonl: a line is not JSON; skipped'])
    // Rotation: the file is replaced by a shorter one: read from its start.
    writeFileSync(join(w.logs, 'a.jsonl'), `${lines.slice(700, 800).join('\n')}\n`)
    await call(w.g, 'drift.poll', { model: 'housing' })
    expect((await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })).openRows).toBe(800)
    // CSV logs: a header, then rows.
    const csv = readFileSync(join(FIX, 'california_housing_analysis.csv'), 'utf8').trim().split('\n')
    writeFileSync(join(w.logs, 'b.csv'), `${csv.slice(0, 201).join('\n')}\n`)
    const closed = await call<DriftWindow[]>(w.g, 'drift.poll', { model: 'housing' })
    expect(closed.map((x) => x.rows)).toEqual([1000])
  }, 30_000)

  it('after a restart reads the open window again: nothing lost, nothing counted twice', async () => {
    const w = await world()
    const lines = analysisLines(0, 1800)
    writeFileSync(join(w.logs, 'serve.jsonl'), `${lines.slice(0, 1400).join('\n')}\n`)
    expect((await call<DriftWindow[]>(w.g, 'drift.poll', { model: 'housing' })).map((x) => x.rows)).toEqual([1000])
    await w.g.stop()
    running.splice(0)
    const g2 = makeCore(w.data, 'ops', { driftIntervalMs: 0 })
    running.push(g2)
    appendFileSync(join(w.logs, 'serve.jsonl'), `${lines.slice(1400, 1800).join('\n')}\n`)
    const after = await call<DriftWindow[]>(g2, 'drift.poll', { model: 'housing' })
    expect(after).toEqual([]) // 400 rows re-read from the last closed window + 400 new: still open
    expect((await call<MonitorStatus>(g2, 'drift.monitor', { model: 'housing' })).openRows).toBe(800)
  }, 30_000)

  it('reads a Parquet file dropped in once it is complete, and after a restart re-reads only its open window', async () => {
    const w = await world()
    const full = readFileSync(join(FIX, 'california_housing_reference.zstd.parquet')) // 5,832 rows, 3 row groups
    const drop = join(w.logs, 'batch-2026-11-26.parquet')
    writeFileSync(drop, full.subarray(0, 100_000)) // still being copied: no footer yet
    expect(await call<DriftWindow[]>(w.g, 'drift.poll', { model: 'housing' })).toEqual([])
    const waiting = await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })
    expect(waiting.openRows).toBe(0)
    expect(waiting.problems).toEqual([
      expect.stringMatching(/^batch-2026-11-26\.parquet: not a readable Parquet file.*will retry$/),
    ])
    writeFileSync(drop, full) // the copy finished
    const closed = await call<DriftWindow[]>(w.g, 'drift.poll', { model: 'housing' })
    expect(closed.map((x) => x.rows)).toEqual([1000, 1000, 1000, 1000, 1000])
    const lat = closed[0].report.columns.find((c) => c.name === 'Latitude')!
    expect([lat.nReference, lat.nCurrent]).toEqual([5832, 1000])
    expect(closed[0].report.columns.find((c) => c.name === 'id')!.role).toBe('identifier')
    expect((await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })).openRows).toBe(832)
    expect(await call<DriftWindow[]>(w.g, 'drift.poll', { model: 'housing' })).toEqual([]) // nothing read twice
    expect((await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })).openRows).toBe(832)
    await w.g.stop()
    running.splice(0)
    const g2 = makeCore(w.data, 'ops', { driftIntervalMs: 0 })
    running.push(g2)
    expect(await call<DriftWindow[]>(g2, 'drift.poll', { model: 'housing' })).toEqual([])
    expect((await call<MonitorStatus>(g2, 'drift.monitor', { model: 'housing' })).openRows).toBe(832)
  }, 60_000)

  it('scores each window once its ground truth arrives (AUC equal to scipy on the same rows), partial until all has', async () => {
    const w = await world()
    const truthDir = join(tmpDir(), 'truth')
    mkdirSync(truthDir)
    const performance = {
      groundTruth: truthDir,
      targetColumn: 'clf_target',
      predictionColumn: 'y_pred',
      scoreColumn: 'y_pred_proba',
      task: 'classification',
    }
    const noId = await w.g.api.call('drift.setMonitor', {
      model: 'housing',
      config: { folder: w.logs, windowRows: 1000, performance },
    })
    expect(noId.ok ? 'accepted' : noId.error.message).toMatch(/by id: set the id column/)
    await call(w.g, 'drift.setMonitor', {
      model: 'housing',
      config: { folder: w.logs, windowRows: 1000, idColumn: 'id', predictionColumns: ['y_pred_proba'], performance },
    })
    writeFileSync(join(w.logs, 'serve.jsonl'), `${analysisLines(0, 2000).join('\n')}\n`)
    const closed = await call<DriftWindow[]>(w.g, 'drift.poll', { model: 'housing' })
    expect(closed.map((x) => [x.rows, x.performance])).toEqual([
      [1000, null],
      [1000, null],
    ])
    // Ground truth for the first 1,500 rows arrives (CSV), with a broken file beside it.
    const [gtHead, ...gt] = readFileSync(join(FIX, 'california_housing_analysis_gt.csv'), 'utf8').trim().split('\n')
    writeFileSync(join(truthDir, 'labels-1.csv'), `${gtHead}\n${gt.slice(0, 1500).join('\n')}\n`)
    writeFileSync(join(truthDir, 'labels-bad.jsonl'), 'not json\n')
    await call(w.g, 'drift.poll', { model: 'housing' })
    const st = await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })
    expect(st.problems).toEqual([
      expect.stringMatching(/^ground truth labels-bad\.jsonl: 1 line\(s\) skipped \(line 1 is not JSON\)/),
    ])
    let [second, first] = await call<DriftWindow[]>(w.g, 'drift.windows', { model: 'housing' })
    expect([first.performance?.rows, first.performance?.matched]).toEqual([1000, 1000])
    expect([second.performance?.rows, second.performance?.matched]).toEqual([1000, 500])
    const GT = join(FIX, 'california_housing_analysis_gt.csv')
    close(first.performance!.classification!.rocAuc!, scipyAuc(CUR, GT, 0, 1000), 'window 1 AUC')
    // Accuracy of window 1 counted straight from the files.
    const label = new Map(gt.map((l) => l.split(',') as [string, string]))
    const rows = analysisLines(0, 1000).map((l) => JSON.parse(l) as { id: number; y_pred: number })
    const right = rows.filter((r) => Number(label.get(String(r.id))) === r.y_pred).length
    expect(first.performance!.classification!.accuracy).toBe(right / 1000)
    const firstBefore = first.performance
    // The rest arrives (JSONL this time): window 2 is complete and equals scipy on its rows.
    writeFileSync(
      join(truthDir, 'labels-2.jsonl'),
      gt
        .slice(1500)
        .map((l) => {
          const [id, y] = l.split(',')
          return JSON.stringify({ id: Number(id), clf_target: Number(y) })
        })
        .join('\n') + '\n',
    )
    await call(w.g, 'drift.poll', { model: 'housing' })
    ;[second, first] = await call<DriftWindow[]>(w.g, 'drift.windows', { model: 'housing' })
    expect([second.performance?.rows, second.performance?.matched]).toEqual([1000, 1000])
    close(second.performance!.classification!.rocAuc!, scipyAuc(CUR, GT, 1000, 2000), 'window 2 AUC')
    expect(first.performance).toEqual(firstBefore) // complete before: kept as it was
    expect(first.performanceAt).not.toBeNull()
  }, 60_000)

  it('a second process reading the same folder (a CLI --read beside the console) counts no row twice', async () => {
    const w = await world()
    const lines = analysisLines(0, 2100)
    writeFileSync(join(w.logs, 'serve.jsonl'), `${lines.slice(0, 1500).join('\n')}\n`)
    expect((await call<DriftWindow[]>(w.g, 'drift.poll', { model: 'housing' })).map((x) => x.rows)).toEqual([1000])
    // The console holds rows 1000–1499 in its open window. Another process reads next.
    appendFileSync(join(w.logs, 'serve.jsonl'), `${lines.slice(1500, 2100).join('\n')}\n`)
    const other = makeCore(w.data, 'ops', { driftIntervalMs: 0 })
    running.push(other)
    expect((await call<DriftWindow[]>(other, 'drift.poll', { model: 'housing' })).map((x) => x.rows)).toEqual([1000])
    // The console polls again: it drops its stale open window and continues from the other's positions.
    expect(await call<DriftWindow[]>(w.g, 'drift.poll', { model: 'housing' })).toEqual([])
    expect((await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })).openRows).toBe(100)
    const all = await call<DriftWindow[]>(w.g, 'drift.windows', { model: 'housing' })
    expect(all.map((x) => x.rows)).toEqual([1000, 1000]) // rows 0–999 and 1000–1999, once each
  }, 60_000)

  it('refuses to read while another process holds the read lease, and takes an expired one', async () => {
    const w = await world()
    writeFileSync(join(w.logs, 'serve.jsonl'), `${analysisLines(0, 10).join('\n')}\n`)
    const db = new Database(join(w.data, 'gantry.db'))
    try {
      db.prepare('UPDATE drift_monitors SET lease_owner = ?, lease_until = ? WHERE model = ?').run(
        'other-host:4242:abcd',
        Date.now() + 60_000,
        'housing',
      )
      const busy = await w.g.api.call('drift.poll', { model: 'housing' })
      expect(busy.ok ? 'read' : `${busy.error.code}: ${busy.error.message}`).toMatch(
        /^drift\/busy: another Gantry process \(other-host:4242:abcd\) is reading housing's log folder/,
      )
      expect((await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })).openRows).toBe(0)
      db.prepare('UPDATE drift_monitors SET lease_until = ? WHERE model = ?').run(Date.now() - 1, 'housing')
      await call(w.g, 'drift.poll', { model: 'housing' }) // a crashed holder's lease expired
      expect((await call<MonitorStatus>(w.g, 'drift.monitor', { model: 'housing' })).openRows).toBe(10)
      const lease = db.prepare('SELECT lease_owner FROM drift_monitors WHERE model = ?').get('housing') as {
        lease_owner: string | null
      }
      expect(lease.lease_owner).toBeNull() // released after the read
    } finally {
      db.close()
    }
  }, 60_000)

  it('refuses to compare against a reference dataset that changed since registration', async () => {
    const w = await world()
    const ref = join(tmpDir(), 'ref.csv')
    writeFileSync(ref, readFileSync(join(FIX, 'california_housing_reference.csv')))
    const art = join(tmpDir(), 'm2.pkl')
    writeFileSync(art, 'rf2')
    await call(w.g, 'registry.register', {
      model: 'housing',
      artifact: art,
      datasets: [{ role: 'reference', path: ref }],
    })
    await call(w.g, 'registry.transition', { name: 'housing', version: 2, stage: 'staging' })
    await call(w.g, 'registry.transition', { name: 'housing', version: 2, stage: 'production' })
    appendFileSync(ref, '99999,1,1,1,1,1,1,1,1,2021-01-01 00:00:00,1,0.5,1\n')
    writeFileSync(join(w.logs, 'x.jsonl'), `${analysisLines(0, 1000).join('\n')}\n`)
    const r = await w.g.api.call('drift.poll', { model: 'housing' })
    expect(r.ok ? 'ok' : r.error.message).toMatch(/changed since v2 was registered/)
  }, 30_000)

  it('starts hour, day and week windows where an operator expects them (UTC; weeks on Monday)', () => {
    const t = Date.UTC(2026, 10, 26, 13, 47, 5) // a Thursday
    expect(windowStart(t, 'hour')).toBe(Date.UTC(2026, 10, 26, 13))
    expect(windowStart(t, 'day')).toBe(Date.UTC(2026, 10, 26))
    expect(windowStart(t, 'week')).toBe(Date.UTC(2026, 10, 23))
  })
})

describe('reference profiles', () => {
  it('are computed once per version and kept: later windows need neither the file nor its re-hash', async () => {
    const { copyFileSync, rmSync } = await import('node:fs')
    const data = tmpDir()
    const logs = join(tmpDir(), 'logs')
    mkdirSync(logs)
    const ref = join(tmpDir(), 'reference.csv')
    copyFileSync(join(FIX, 'california_housing_reference.csv'), ref)
    const g = makeCore(data, 'ops', { driftIntervalMs: 0 })
    running.push(g)
    const art = join(tmpDir(), 'model.pkl')
    writeFileSync(art, 'rf')
    await call(g, 'registry.register', { model: 'h', artifact: art, datasets: [{ role: 'reference', path: ref }] })
    await call(g, 'registry.transition', { name: 'h', version: 1, stage: 'staging' })
    await call(g, 'registry.transition', { name: 'h', version: 1, stage: 'production' })
    await call(g, 'drift.setMonitor', { model: 'h', config: { folder: logs, windowRows: 500, idColumn: 'id' } })
    const lines = analysisLines(0, 1000)
    writeFileSync(join(logs, 'a.jsonl'), `${lines.slice(0, 500).join('\n')}\n`)
    const first = await call<DriftWindow[]>(g, 'drift.poll', { model: 'h' })
    expect(g.db.prepare('SELECT COUNT(*) n FROM drift_profiles').get()).toEqual({ n: 1 })
    rmSync(ref) // the profile stands in for it now
    await g.stop()
    running.splice(0)
    const g2 = makeCore(data, 'ops', { driftIntervalMs: 0 })
    running.push(g2)
    appendFileSync(join(logs, 'a.jsonl'), `${lines.slice(500, 1000).join('\n')}\n`)
    const second = await call<DriftWindow[]>(g2, 'drift.poll', { model: 'h' })
    expect(second.map((w) => w.rows)).toEqual([500])
    // The same reference either way: the first window compared from the file equals a profile-based rerun.
    expect(first[0].report.columns.find((c) => c.name === 'Latitude')?.drifted).toBe(true)
    expect(second[0].report.reference.rows).toBe(5832)
  }, 30_000)

  it('keeps a sorted sample of 200,000 order statistics beyond that size, with min and max', async () => {
    const { profileOf, tableOfProfile, MAX_EXACT } = await import('../../src/main/core/drift/profile')
    const { Column } = await import('../../src/main/core/drift/table')
    const c = new Column('x')
    for (let i = 0; i < 250_000; i++) c.add(String((i * 7919) % 250_000))
    const p = profileOf({ path: 'mem', rows: 250_000, columns: new Map([['x', c]]), warnings: [] })
    expect(p.columns[0].valueCount).toBe(250_000)
    const back = tableOfProfile(p, 'mem').table.columns.get('x')!.numbers()
    expect(back.length).toBe(MAX_EXACT)
    expect([back[0], back[back.length - 1]]).toEqual([0, 249_999])
    let sortedOk = true
    for (let i = 1; i < back.length; i++) if (back[i] < back[i - 1]) sortedOk = false
    expect(sortedOk).toBe(true)
  })
})
