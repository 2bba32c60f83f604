// One hostile import must not break the registry for everyone (issue #13): an MLflow export whose
// version is not a number Gantry can hold, or whose alias breaks the alias rules, is refused whole
// — nothing written, not even an audit row — and listing keeps working on every door. A registry
// that already holds such a row (written by an older import) still lists and says what it left out.
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import type { ModelDetail, ModelSummary } from '../../src/shared/registry'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const FIX = join(__dirname, '..', 'fixtures', 'registry', 'mlflow-export-import_oss_registered_model_sklearn_wine.json')
const bin = join(__dirname, '..', '..', 'bin', 'gantry.js')
const running: Gantry[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()))
  cleanupTmp()
})

function core(dataDir = tmpDir()): Gantry {
  const g = createGantry({
    dataDir,
    actor: 'alice',
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    log: () => {},
  })
  running.push(g)
  return g
}

/** The recorded OSS export, changed the way an attacker (or a broken exporter) would. */
function hostile(change: (rm: Record<string, unknown> & { versions: Record<string, unknown>[] }) => void): string {
  const doc = JSON.parse(readFileSync(FIX, 'utf8'))
  change(doc.mlflow.registered_model)
  const p = join(tmpDir(), 'export.json')
  writeFileSync(p, JSON.stringify(doc))
  return p
}

describe('hostile MLflow exports', () => {
  const cases: [string, (rm: Record<string, unknown> & { versions: Record<string, unknown>[] }) => void, RegExp][] = [
    ['a 20-digit version', (rm) => (rm.versions[1].version = '99999999999999999999'), /versions\.1\.version/],
    ['version 0', (rm) => (rm.versions[1].version = '0'), /versions\.1\.version/],
    ['version -5', (rm) => (rm.versions[1].version = '-5'), /versions\.1\.version/],
    ['a version as a huge number', (rm) => (rm.versions[1].version = 1e20), /versions\.1\.version/],
    ['an alias with a slash', (rm) => ((rm.aliases as { alias: string }[])[0].alias = 'a/b'), /aliases\.0\.alias/],
    ['the reserved alias "latest"', (rm) => (rm.versions[0].aliases = ['latest']), /reserved/],
    ['one version twice', (rm) => (rm.versions[2].version = rm.versions[1].version), /appears twice/],
    ['a 20,000-character description', (rm) => (rm.description = 'x'.repeat(20_000)), /description/],
  ]
  for (const [what, change, why] of cases) {
    it(`refuses ${what} and writes nothing; listing still works`, async () => {
      const g = core()
      const before = await g.client['audit.verify']()
      const r = await g.api.call('registry.importMlflow', { path: hostile(change) })
      expect(r.ok).toBe(false)
      if (r.ok) return
      expect(r.error.code).toBe('registry/invalid-import')
      expect(r.error.message).toMatch(why)
      const list = await g.client['registry.listModels']()
      expect(list).toEqual({ ok: true, data: [] })
      const after = await g.client['audit.verify']()
      // Only the file read is recorded (who asked to read which file): no model, no version row.
      expect(after.ok && before.ok && after.data.rows - before.data.rows).toBe(1)
      const audit = await g.client['audit.list']({ limit: 1 })
      expect(audit.ok && audit.data[0]).toMatchObject({
        action: 'file.read',
        after: { method: 'registry.importMlflow', outcome: 'registry/invalid-import' },
      })
    })
  }

  it('the untouched recording imports, so the refusals above are about what was changed', async () => {
    const g = core()
    const r = await g.api.call('registry.importMlflow', { path: FIX })
    expect(r.ok).toBe(true)
  })

  it('from the command line too: exit 1, the reason, and `gantry models` still answers', () => {
    const data = tmpDir()
    const path = hostile((rm) => (rm.versions[0].version = '99999999999999999999'))
    const imp = spawnSync(process.execPath, [bin, '--data-dir', data, 'import', 'mlflow', path], { encoding: 'utf8' })
    expect(imp.status).toBe(1)
    expect(imp.stderr).toMatch(/\[registry\/invalid-import\]/)
    const models = spawnSync(process.execPath, [bin, '--data-dir', data, 'models', '--json'], { encoding: 'utf8' })
    expect(models.status, models.stderr).toBe(0)
    expect(JSON.parse(models.stdout)).toEqual([])
  })
})

describe('a registry that already holds a bad row', () => {
  it('lists, shows the model and its history, and reports the row it left out', async () => {
    const dataDir = tmpDir()
    const g = core(dataDir)
    expect((await g.api.call('registry.importMlflow', { path: FIX })).ok).toBe(true)
    await g.stop()
    // What an older Gantry's import could leave behind: a version no integer type holds, and an
    // audit row naming it.
    const db = new Database(join(dataDir, 'gantry.db'))
    const m = db.prepare('SELECT id FROM reg_models WHERE name = ?').get('sklearn_wine') as { id: number }
    db.prepare(
      `INSERT INTO reg_versions (model_id, version, stage, stage_at, artifact, artifact_kind, managed, created_at, created_by,
         params_json, metrics_json, datasets_json, description)
       VALUES (?, 1e20, 'registered', 0, 'x', 'uri', 0, 0, 'old-import', '{}', '{}', '[]', '')`,
    ).run(m.id)
    db.prepare('UPDATE audit_log SET version = 1e20 WHERE seq = (SELECT MAX(seq) FROM audit_log)').run()
    db.close()

    const again = core(dataDir)
    const list = await again.client['registry.listModels']()
    expect(list.ok).toBe(true)
    const wine = (list.ok ? list.data : []).find((x: ModelSummary) => x.name === 'sklearn_wine') as ModelSummary
    expect(wine.versions).toBe(3)
    expect(wine.latest).toBe(3)
    expect(wine.problems).toEqual([
      expect.stringMatching(/numbered 100000000000000000000 is not a valid version number/),
    ])
    const detail = await again.client['registry.getModel']({ name: 'sklearn_wine' })
    expect(detail.ok).toBe(true)
    const d = (detail.ok ? detail.data : null) as ModelDetail
    expect(d.versions.map((v) => v.version)).toEqual([3, 2, 1])
    expect(d.problems).toHaveLength(1)
    expect(d.history.length).toBeGreaterThan(0)
  })
})
