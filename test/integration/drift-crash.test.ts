// Crash safety of drift monitoring: a child process reads a model's inference logs into 100-row
// windows and is SIGKILLed at random points, again and again, on the same database (its read
// lease left behind each time, so the next reader must take it over). Afterwards every logged row
// is in exactly one stored window: windows and the read positions they end at are committed in
// one transaction, so no window is lost and none is counted twice.
import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { call, makeCore } from '../helpers/deploy-env'
import { analysisLines, productionHousing } from '../helpers/drift-env'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

afterAll(cleanupTmp)
const FIX = join(__dirname, '..', 'fixtures', 'drift')
const CHILD = join(__dirname, '..', 'helpers', 'drift-crash-child.cjs')
const ROWS = 3000

let seed = 20261126
const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647

function runChild(dataDir: string, killAfterWindows: number | null): Promise<'killed' | 'done'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let windows = 0
    child.stderr.on('data', (d) => (err += d))
    child.stdout.on('data', (d) => {
      out += d
      windows = (out.match(/^WINDOW /gm) ?? []).length
      if (killAfterWindows !== null && windows >= killAfterWindows && !child.killed) {
        // somewhere inside the next window or two: between a window and the next one's rows
        setTimeout(() => child.kill('SIGKILL'), Math.floor(rnd() * 40))
      }
    })
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') return resolve('killed')
      if (code === 0 && out.includes('DONE')) return resolve('done')
      reject(new Error(`child exited ${code}: ${err}`))
    })
  })
}

describe('drift monitoring under SIGKILL', () => {
  it('every logged row ends up in exactly one window, however often the reader is killed', async () => {
    const dataDir = tmpDir()
    const logs = join(tmpDir(), 'logs')
    mkdirSync(logs)
    const g = makeCore(dataDir, 'ops', { driftIntervalMs: 0 })
    await productionHousing(g)
    await call(g, 'drift.setMonitor', {
      model: 'housing',
      config: {
        folder: logs,
        windowRows: 100,
        idColumn: 'id',
        // predictions are stored per window by row id: that is how the test sees which rows went where
        performance: {
          groundTruth: join(FIX, 'california_housing_analysis_gt.csv'),
          targetColumn: 'clf_target',
          predictionColumn: 'y_pred',
        },
      },
    })
    await g.stop()
    const lines = analysisLines(0, ROWS)
    // Half the log first, the rest appended between kills, as a live server would write it.
    writeFileSync(join(logs, 'serve.jsonl'), `${lines.slice(0, ROWS / 2).join('\n')}\n`)
    let kills = 0
    for (let round = 0; round < 8; round++) {
      if (round === 3) writeFileSync(join(logs, 'serve.jsonl'), `${lines.join('\n')}\n`)
      if ((await runChild(dataDir, 1 + Math.floor(rnd() * 3))) === 'killed') kills++
    }
    expect(kills).toBeGreaterThanOrEqual(4)
    expect(await runChild(dataDir, null)).toBe('done')

    const db = new Database(join(dataDir, 'gantry.db'), { readonly: true })
    try {
      const windows = db.prepare("SELECT id, rows FROM drift_windows WHERE model = 'housing'").all() as {
        id: number
        rows: number
      }[]
      expect(windows.length).toBe(ROWS / 100)
      expect(windows.every((w) => w.rows === 100)).toBe(true)
      const keys = db.prepare('SELECT row_key, COUNT(*) AS n FROM drift_window_predictions GROUP BY row_key').all() as {
        row_key: string
        n: number
      }[]
      expect(keys.filter((k) => k.n !== 1)).toEqual([]) // none twice
      expect(keys.length).toBe(ROWS) // none lost
      const ids = new Set(lines.map((l) => String((JSON.parse(l) as { id: number }).id)))
      expect(keys.every((k) => ids.has(k.row_key))).toBe(true)
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    } finally {
      db.close()
    }
  }, 120_000)
})
