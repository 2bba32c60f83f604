// The registry from the command line, as a training pipeline and an operator use it: real
// processes on a real data directory, --json output parsed, exit codes checked.
import Database from 'better-sqlite3'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const bin = join(__dirname, '..', '..', 'bin', 'gantry.js')
afterEach(cleanupTmp)

function gantry(dataDir: string, args: string[], actor = 'alice') {
  return spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GANTRY_ACTOR: actor },
    timeout: 30_000,
  })
}
function json<T>(r: ReturnType<typeof gantry>): T {
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

describe('gantry registry commands', () => {
  it('register → models → show → stage → request-approval → approve (by someone else) → alias → audit verify', () => {
    const data = tmpDir()
    const work = tmpDir()
    const art = join(work, 'model.onnx')
    writeFileSync(art, 'onnx-bytes')
    writeFileSync(join(work, 'train.csv'), 'x,y\n1,0\n2,1\n')
    writeFileSync(join(work, 'ref.csv'), 'x,y\n1,0\n')
    const v = json<{
      version: number
      artifact: { sha256: string }
      params: object
      metrics: object
      datasets: { role: string; rows: number }[]
    }>(
      gantry(data, [
        'register',
        '--model',
        'churn',
        '--artifact',
        art,
        '--dataset',
        join(work, 'train.csv'),
        '--reference',
        join(work, 'ref.csv'),
        '--commit',
        'deadbeef',
        '--param',
        'depth=6',
        '--metric',
        'auc=0.87',
        '--owner',
        'growth',
        '--json',
      ]),
    )
    expect(v.version).toBe(1)
    expect(v.artifact.sha256).toBe(createHash('sha256').update('onnx-bytes').digest('hex'))
    expect(v.params).toEqual({ depth: '6' })
    expect(v.metrics).toEqual({ auc: 0.87 })
    expect(v.datasets.map((d) => [d.role, d.rows])).toEqual([
      ['training', 2],
      ['reference', 1],
    ])

    const models = json<{ name: string; ownerTeam: string; versions: number }[]>(gantry(data, ['models', '--json']))
    expect(models).toEqual([expect.objectContaining({ name: 'churn', ownerTeam: 'growth', versions: 1 })])

    expect(gantry(data, ['model', 'update', 'churn', '--approval', 'on']).status).toBe(0)
    expect(json<{ stage: string }>(gantry(data, ['stage', 'churn', '1', 'staging', '--json'])).stage).toBe('staging')
    const refused = gantry(data, ['stage', 'churn', '1', 'production'])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/needs an approval.*\[registry\/approval-required\]/)
    expect(gantry(data, ['request-approval', 'churn', '1', '--comment', 'better AUC']).status).toBe(0)
    const self = gantry(data, ['approve', 'churn', '1'])
    expect(self.status).toBe(1)
    expect(self.stderr).toMatch(/registry\/self-approval/)
    expect(
      json<{ status: string; decidedBy: string }>(gantry(data, ['approve', 'churn', '1', '--json'], 'bob')),
    ).toMatchObject({
      status: 'approved',
      decidedBy: 'bob',
    })
    const aliases = json<{ alias: string; version: number }[]>(
      gantry(data, ['alias', 'set', 'churn', 'production', '1', '--json']),
    )
    expect(aliases.map((a) => `${a.alias}=${a.version}`)).toEqual(['production=1'])

    const show = gantry(data, ['show', 'churn'])
    expect(show.stdout).toMatch(/owner growth/)
    expect(show.stdout).toMatch(/v1 {2}production/)
    expect(show.stdout).toMatch(/#1 v1 applied — asked by alice, decided by bob/)
    const showV = gantry(data, ['show', 'churn', '1'])
    expect(showV.stdout).toMatch(/commit deadbeef/)

    const log = json<{ actor: string; action: string }[]>(gantry(data, ['audit', 'log', '--json', '--limit', '100']))
    expect(log.map((r) => `${r.actor}:${r.action}`)).toContain('bob:approval.approve')
    const verdict = gantry(data, ['audit', 'verify'])
    expect(verdict.status).toBe(0)
    expect(verdict.stdout).toMatch(/audit chain ok: \d+ rows, head [0-9a-f]{64}/)
  }, 60_000) // a dozen CLI processes: about 2 s each on a loaded 2-core machine

  it('exits 3 on a broken audit chain and on a changed artifact, naming what is wrong', () => {
    const data = tmpDir()
    const art = join(tmpDir(), 'w.bin')
    writeFileSync(art, 'w')
    expect(gantry(data, ['register', '--model', 'm', '--artifact', art]).status).toBe(0)
    expect(gantry(data, ['verify', 'm', '1']).status).toBe(0)
    appendFileSync(art, 'x')
    const changed = gantry(data, ['verify', 'm', '1'])
    expect(changed.status).toBe(3)
    expect(changed.stdout).toMatch(/NOT verified — the artifact changed since it was registered/)
    const db = new Database(join(data, 'gantry.db'))
    db.prepare("UPDATE audit_log SET after_json = '{}' WHERE seq = 1").run()
    db.close()
    const broken = gantry(data, ['audit', 'verify'])
    expect(broken.status).toBe(3)
    expect(broken.stdout).toMatch(/BROKEN at row 1/)
  })

  it('rejects bad arguments with exit 2 and imports from MLflow and Triton', () => {
    const data = tmpDir()
    const art = join(tmpDir(), 'w.bin')
    writeFileSync(art, 'w')
    const bad = gantry(data, ['register', '--model', 'm', '--artifact', art, '--metric', 'auc=high'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/--metric auc=high: not a number/)
    const r = json<{ registered: unknown[] }>(
      gantry(data, [
        'import',
        'mlflow',
        join(__dirname, '..', 'fixtures', 'registry', 'mlflow-export-import_oss_registered_model_sklearn_wine.json'),
        '--json',
      ]),
    )
    expect(r.registered).toHaveLength(3)
  })
})

describe('gantry endpoint add/configure', () => {
  it('takes the secret from the environment only, binds registry models and sets a smoke request', () => {
    const data = tmpDir()
    const url = 'http://127.0.0.1:9/'
    const noSecret = gantry(data, ['endpoint', 'add', url, '--auth', 'bearer'])
    expect(noSecret.status).toBe(2)
    expect(noSecret.stderr).toMatch(/set GANTRY_ENDPOINT_SECRET/)
    const r = spawnSync(
      process.execPath,
      [
        bin,
        '--data-dir',
        data,
        'endpoint',
        'add',
        url,
        '--name',
        'llm',
        '--auth',
        'bearer',
        '--bind',
        'qwen=prompt_model@candidate',
        '--bind',
        'bert',
        '--smoke',
        'POST v1/completions',
        '--smoke-body',
        '{"prompt":"hi","max_tokens":1}',
        '--json',
      ],
      { encoding: 'utf8', env: { ...process.env, GANTRY_ENDPOINT_SECRET: 's3cr3t-token' } },
    )
    const e = json<{ id: number; auth: unknown; bindings: unknown; smoke: unknown }>(r)
    expect(e.auth).toEqual({ type: 'bearer', user: null })
    expect(e.bindings).toEqual([
      { model: 'bert', servedName: 'bert', alias: 'production' },
      { model: 'qwen', servedName: 'prompt_model', alias: 'candidate' },
    ])
    expect(e.smoke).toEqual({
      method: 'POST',
      path: 'v1/completions',
      timeoutMs: 10000,
      body: { prompt: 'hi', max_tokens: 1 },
    })
    expect(Object.values(JSON.parse(readFileSync(join(data, 'secrets.json'), 'utf8')))).toEqual(['s3cr3t-token'])
    const off = json<{ auth: unknown }>(gantry(data, ['endpoint', 'configure', String(e.id), '--no-auth', '--json']))
    expect(off.auth).toBeNull()
    expect(JSON.parse(readFileSync(join(data, 'secrets.json'), 'utf8'))).toEqual({})
  })
})

describe('gantry health', () => {
  it('without a console: what the command read itself, said so, with the approval waiting; exit 3 until it is decided', () => {
    const data = tmpDir()
    const work = tmpDir()
    writeFileSync(join(work, 'model.onnx'), 'onnx-bytes')
    json(
      gantry(data, [
        'register',
        '--model',
        'fraud',
        '--artifact',
        join(work, 'model.onnx'),
        '--owner',
        'risk',
        '--json',
      ]),
    )
    json(gantry(data, ['stage', 'fraud', '1', 'staging', '--json']))
    json(gantry(data, ['request-approval', 'fraud', '1', '--json']))
    const r = gantry(data, ['health'])
    expect(r.status).toBe(3)
    expect(r.stdout).toMatch(/no console is running/)
    expect(r.stdout).toMatch(/\[warning\] models: approvals waiting for a decision — fraud v1/)
    expect(r.stdout).toMatch(/requested by alice/)
    const j = JSON.parse(gantry(data, ['health', '--json']).stdout) as {
      areas: Record<string, { level: string; label: string }>
      note: string
    }
    expect(j.areas.models).toMatchObject({ level: 'warning', label: 'Models: warning, 1 problem' })
    expect(j.note).toMatch(/GPUs, endpoints and alerts are watched by a running console/)
    gantry(data, ['approve', 'fraud', '1'], 'bob')
    const after = JSON.parse(gantry(data, ['health', '--json']).stdout) as { areas: Record<string, { level: string }> }
    expect(after.areas.models.level).toBe('ok')
    expect(gantry(data, ['health', '--host', 'nope']).stderr).toMatch(/no host named "nope"/)
  })
})
