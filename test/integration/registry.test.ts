// The model registry through the contract, on real SQLite: registering (streamed sha256, folder
// manifests, datasets), the lifecycle and its forbidden moves, aliases, approvals by someone
// else, no lost update, the hash-chained audit (and tampering with it), flags, imports.
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import type { MethodName } from '../../src/shared/names'
import type { HashProgress, ModelDetail, ModelSummary, Version } from '../../src/shared/registry'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const FIX = join(__dirname, '..', 'fixtures', 'registry')
const running: Gantry[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()))
  cleanupTmp()
})

function core(dataDir = tmpDir(), actor = 'alice', extra: Parameters<typeof createGantry>[0] = {}): Gantry {
  const g = createGantry({
    dataDir,
    actor,
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    log: () => {},
    ...extra,
  })
  running.push(g)
  return g
}

async function ok<T>(g: Gantry, m: MethodName, input: unknown): Promise<T> {
  const r = await g.api.call(m, input)
  if (!r.ok) throw new Error(`${m}: ${r.error.code} ${r.error.message}`)
  return r.data as T
}
async function err(g: Gantry, m: MethodName, input: unknown): Promise<{ code: string; message: string }> {
  const r = await g.api.call(m, input)
  if (r.ok) throw new Error(`${m} succeeded but should have failed`)
  return r.error
}
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')
const PARQUET = join(__dirname, '..', 'fixtures', 'drift', 'california_housing_reference.parquet')

function artifactFile(dir: string, name = 'model.onnx', content = 'weights-v1'): string {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}
/** Audit rows of registry changes (not the file.read rows that record failed attempts to read). */
async function changeCount(g: Gantry): Promise<number> {
  return (await ok<{ action: string }[]>(g, 'audit.list', { limit: 5000 })).filter((r) => r.action !== 'file.read')
    .length
}

describe('registering versions', () => {
  it('hashes a file, numbers the version, guesses the format and audits the change', async () => {
    const g = core()
    const a = artifactFile(tmpDir(), 'm.onnx', 'x'.repeat(3_000_000))
    const v = await ok<Version>(g, 'registry.register', {
      model: 'fraud',
      artifact: a,
      commit: 'abc123',
      params: { lr: '0.1' },
      metrics: { auc: 0.91 },
      ownerTeam: 'risk',
    })
    expect(v).toMatchObject({
      model: 'fraud',
      version: 1,
      stage: 'registered',
      format: 'onnx',
      sourceCommit: 'abc123',
      params: { lr: '0.1' },
      metrics: { auc: 0.91 },
    })
    expect(v.artifact).toMatchObject({
      kind: 'file',
      sha256: sha('x'.repeat(3_000_000)),
      sizeBytes: 3_000_000,
      managed: false,
    })
    const v2 = await ok<Version>(g, 'registry.register', {
      model: 'fraud',
      artifact: artifactFile(tmpDir(), 'm.onnx', 'v2'),
      parent: 1,
    })
    expect(v2.version).toBe(2)
    expect(v2.parent).toBe(1)
    const d = await ok<ModelDetail>(g, 'registry.getModel', { name: 'fraud' })
    expect(d.model.ownerTeam).toBe('risk')
    expect(d.history.map((h) => h.action).reverse()).toEqual(['model.create', 'version.register', 'version.register'])
    expect(d.history.every((h) => h.actor === 'alice')).toBe(true)
  })

  it('hashes a folder as a sorted sha256sum-style manifest, reporting progress to the end', async () => {
    const g = core()
    const dir = join(tmpDir(), 'v1')
    mkdirSync(join(dir, 'sub'), { recursive: true })
    // over two of the hash's 4 MiB reads, with bytes that differ from read to read
    const plan = Buffer.alloc(9_500_000)
    for (let i = 0; i < plan.length; i += 4) plan.writeUInt32LE((i * 2654435761) >>> 0, i)
    writeFileSync(join(dir, 'model.plan'), plan)
    writeFileSync(join(dir, 'sub', 'b.txt'), 'bee')
    writeFileSync(join(dir, 'config.json'), '{}')
    const progress: HashProgress[] = []
    g.events.on('registry.progress', (p) => progress.push(p))
    const v = await ok<Version>(g, 'registry.register', { model: 'det', artifact: dir, jobId: 'job-1' })
    const manifest = [`${sha('{}')}  config.json`, `${sha(plan)}  model.plan`, `${sha('bee')}  sub/b.txt`]
      .map((l) => `${l}\n`)
      .join('')
    expect(v.artifact).toMatchObject({ kind: 'dir', sha256: sha(manifest), files: 3, sizeBytes: 9_500_005 })
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.every((p) => p.jobId === 'job-1' && p.bytesTotal === 9_500_005)).toBe(true)
    expect(progress.at(-1)?.bytesDone).toBe(9_500_005)
  })

  it('fingerprints datasets (rows without the CSV header) and records URIs unhashed', async () => {
    const g = core()
    const d = tmpDir()
    writeFileSync(join(d, 'train.csv'), 'a,b\n1,2\n3,4\n5,6')
    writeFileSync(join(d, 'ref.jsonl'), '{"a":1}\n{"a":2}\n')
    // rows counted across the hash's 4 MiB reads (about 9 MB, no end-of-file newline)
    const big = `a,b\n${Array.from({ length: 700_000 }, (_, i) => `${i},${i * 7}`).join('\n')}`
    writeFileSync(join(d, 'big.csv'), big)
    const v = await ok<Version>(g, 'registry.register', {
      model: 'm',
      artifact: artifactFile(d),
      datasets: [
        { role: 'training', path: join(d, 'train.csv') },
        { role: 'reference', path: join(d, 'ref.jsonl') },
        { role: 'validation', path: 's3://bucket/val.parquet' },
        { role: 'validation', path: PARQUET },
        { role: 'validation', path: join(d, 'big.csv') },
      ],
    })
    const pq = readFileSync(PARQUET)
    expect(v.datasets).toEqual([
      { role: 'training', uri: join(d, 'train.csv'), sha256: sha('a,b\n1,2\n3,4\n5,6'), sizeBytes: 15, rows: 3 },
      { role: 'reference', uri: join(d, 'ref.jsonl'), sha256: sha('{"a":1}\n{"a":2}\n'), sizeBytes: 16, rows: 2 },
      { role: 'validation', uri: 's3://bucket/val.parquet', sha256: null, sizeBytes: null, rows: null },
      // Parquet: rows from its footer (DuckDB wrote 5,832)
      { role: 'validation', uri: PARQUET, sha256: sha(pq), sizeBytes: pq.length, rows: 5832 },
      { role: 'validation', uri: join(d, 'big.csv'), sha256: sha(big), sizeBytes: big.length, rows: 700_000 },
    ])
  })

  it('refuses a missing artifact, a hash mismatch, a duplicate version and an unknown parent, writing nothing', async () => {
    const g = core()
    const dir = tmpDir()
    expect((await err(g, 'registry.register', { model: 'm', artifact: join(dir, 'nope.onnx') })).code).toBe(
      'registry/artifact-missing',
    )
    expect(await ok<ModelSummary[]>(g, 'registry.listModels', {})).toEqual([])
    const a = artifactFile(dir)
    const bad = await err(g, 'registry.register', { model: 'm', artifact: a, expectSha256: 'f'.repeat(64) })
    expect(bad.code).toBe('registry/hash-mismatch')
    expect(bad.message).toContain(sha('weights-v1'))
    expect(await changeCount(g)).toBe(0)
    // The refused attempts are recorded as reads, with how they ended.
    const attempts = (await ok<{ action: string; after: { outcome: string } }[]>(g, 'audit.list', {})).map(
      (r) => r.after.outcome,
    )
    expect(attempts).toEqual(['registry/hash-mismatch', 'registry/artifact-missing'])
    await ok(g, 'registry.register', { model: 'm', artifact: a, version: 7, expectSha256: sha('weights-v1') })
    expect((await err(g, 'registry.register', { model: 'm', artifact: a, version: 7 })).code).toBe(
      'registry/duplicate-version',
    )
    expect((await err(g, 'registry.register', { model: 'm', artifact: a, parent: 3 })).code).toBe(
      'registry/unknown-version',
    )
    const d = await ok<ModelDetail>(g, 'registry.getModel', { name: 'm' })
    expect(d.versions.map((v) => v.version)).toEqual([7])
    expect(await changeCount(g)).toBe(2)
  })

  it('refuses an artifact that is neither a file nor a folder (a FIFO), without blocking on it', async () => {
    const g = core()
    const fifo = join(tmpDir(), 'pipe')
    const { spawnSync } = await import('node:child_process')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const e = await err(g, 'registry.register', { model: 'm', artifact: fifo })
    expect(e).toEqual({
      code: 'files/refused',
      message: expect.stringMatching(/is a FIFO \(named pipe\), not a regular file or folder/),
    })
  })

  it.skipIf(process.getuid?.() === 0)(
    'refuses an unreadable artifact with a clear error (not as root: root reads anything)',
    async () => {
      const g = core()
      const a = artifactFile(tmpDir())
      const { chmodSync } = await import('node:fs')
      chmodSync(a, 0o000)
      expect((await err(g, 'registry.register', { model: 'm', artifact: a })).code).toBe('registry/artifact-unreadable')
    },
  )

  it('copies into the managed store on request and verifies the copy', async () => {
    const g = core()
    const a = artifactFile(tmpDir(), 'w.safetensors', 'tensor-bytes')
    const v = await ok<Version>(g, 'registry.register', { model: 'llm', artifact: a, copy: true })
    expect(v.artifact.managed).toBe(true)
    expect(v.artifact.location.startsWith(join(g.config.dataDir, 'artifacts', 'llm'))).toBe(true)
    expect(v.artifact.location.endsWith('w.safetensors')).toBe(true)
    expect(readFileSync(v.artifact.location, 'utf8')).toBe('tensor-bytes')
    expect(await ok(g, 'registry.verifyArtifact', { name: 'llm', version: 1 })).toMatchObject({ ok: true })
    expect(v.artifact.sha256).toBe(sha('tensor-bytes'))
  })

  it("re-verifies an artifact's hash and reports one that changed since registration", async () => {
    const g = core()
    const a = artifactFile(tmpDir())
    await ok(g, 'registry.register', { model: 'm', artifact: a })
    expect(await ok(g, 'registry.verifyArtifact', { name: 'm', version: 1 })).toMatchObject({
      ok: true,
      actual: sha('weights-v1'),
    })
    appendFileSync(a, 'tampered')
    const c = await ok<{ ok: boolean; problem: string }>(g, 'registry.verifyArtifact', { name: 'm', version: 1 })
    expect(c.ok).toBe(false)
    expect(c.problem).toMatch(/changed since it was registered/)
  })
})

describe('lifecycle and aliases', () => {
  async function threeVersions(g: Gantry) {
    const d = tmpDir()
    for (let i = 1; i <= 3; i++)
      await ok(g, 'registry.register', { model: 'm', artifact: artifactFile(d, `v${i}.onnx`, `w${i}`) })
  }

  it('forbids skipping staging and leaving retired, naming what is allowed', async () => {
    const g = core()
    await threeVersions(g)
    const e = await err(g, 'registry.transition', { name: 'm', version: 1, stage: 'production' })
    expect(e.code).toBe('registry/forbidden-transition')
    expect(e.message).toMatch(
      /registered; it cannot go to production \(from registered it may go to staging, archived, retired\)/,
    )
    await ok(g, 'registry.transition', { name: 'm', version: 3, stage: 'retired' })
    expect((await err(g, 'registry.transition', { name: 'm', version: 3, stage: 'staging' })).message).toMatch(
      /retired is final/,
    )
  })

  it('keeps one production version: promoting archives the previous one and moves the production alias', async () => {
    const g = core()
    await threeVersions(g)
    for (const v of [1, 2]) await ok(g, 'registry.transition', { name: 'm', version: v, stage: 'staging' })
    await ok(g, 'registry.transition', { name: 'm', version: 1, stage: 'production' })
    await ok(g, 'registry.setAlias', { name: 'm', alias: 'production', version: 2 })
    const d = await ok<ModelDetail>(g, 'registry.getModel', { name: 'm' })
    const stage = (n: number) => d.versions.find((v) => v.version === n)?.stage
    expect([stage(1), stage(2), stage(3)]).toEqual(['archived', 'production', 'registered'])
    expect(d.aliases).toEqual([expect.objectContaining({ alias: 'production', version: 2 })])
    const moves = d.history.filter((h) => h.action === 'alias.set').map((h) => [h.before, h.after])
    expect(moves.reverse()).toEqual([
      [null, { alias: 'production', version: 1 }],
      [
        { alias: 'production', version: 1 },
        { alias: 'production', version: 2 },
      ],
    ])
    // Rollback: the archived version can come back.
    await ok(g, 'registry.transition', { name: 'm', version: 1, stage: 'production' })
    const after = await ok<ModelDetail>(g, 'registry.getModel', { name: 'm' })
    expect(after.aliases.find((a) => a.alias === 'production')?.version).toBe(1)
    expect(after.versions.find((v) => v.version === 2)?.stage).toBe('archived')
  })

  it('refuses an alias on an archived version and drops aliases when a version is archived', async () => {
    const g = core()
    await threeVersions(g)
    await ok(g, 'registry.setAlias', { name: 'm', alias: 'candidate', version: 2 })
    await ok(g, 'registry.transition', { name: 'm', version: 2, stage: 'archived' })
    expect((await ok<ModelDetail>(g, 'registry.getModel', { name: 'm' })).aliases).toEqual([])
    const e = await err(g, 'registry.setAlias', { name: 'm', alias: 'candidate', version: 2 })
    expect(e.code).toBe('registry/archived-version')
    expect((await err(g, 'registry.setAlias', { name: 'm', alias: 'latest', version: 1 })).code).toBe(
      'contract/invalid-input',
    )
  })
})

describe('approvals', () => {
  it('needs an approval by someone other than the requester, and keeps it all in the history', async () => {
    const dir = tmpDir()
    const alice = core(dir, 'alice')
    await ok(alice, 'registry.createModel', { name: 'm', ownerTeam: 'risk', policy: { productionNeedsApproval: true } })
    await ok(alice, 'registry.register', { model: 'm', artifact: artifactFile(tmpDir()) })
    await ok(alice, 'registry.transition', { name: 'm', version: 1, stage: 'staging' })
    expect((await err(alice, 'registry.transition', { name: 'm', version: 1, stage: 'production' })).code).toBe(
      'registry/approval-required',
    )
    const req = await ok<{ id: number; status: string }>(alice, 'registry.requestApproval', {
      name: 'm',
      version: 1,
      comment: 'AUC +2 pts',
    })
    expect(req.status).toBe('pending')
    expect((await err(alice, 'registry.decideApproval', { id: req.id, decision: 'approve' })).code).toBe(
      'registry/self-approval',
    )
    // Through another door (the web console names her "alice via web") she is still the requester.
    const viaWeb = await alice.api.call(
      'registry.decideApproval',
      { id: req.id, decision: 'approve' },
      { actor: 'alice via web', door: 'web' },
    )
    expect(!viaWeb.ok && viaWeb.error.code).toBe('registry/self-approval')
    const bob = core(dir, 'bob')
    await ok(bob, 'registry.commentApproval', { id: req.id, text: 'checked the eval report' })
    const approved = await ok<{ status: string; decidedBy: string; comments: { actor: string }[] }>(
      bob,
      'registry.decideApproval',
      {
        id: req.id,
        decision: 'approve',
        comment: 'ship it',
      },
    )
    expect(approved).toMatchObject({ status: 'approved', decidedBy: 'bob' })
    expect(approved.comments.map((c) => c.actor)).toEqual(['alice', 'bob', 'bob'])
    await ok(alice, 'registry.transition', { name: 'm', version: 1, stage: 'production' })
    const d = await ok<ModelDetail>(alice, 'registry.getModel', { name: 'm' })
    expect(d.approvals[0].status).toBe('applied')
    const actions = d.history.map((h) => `${h.actor}:${h.action}`).reverse()
    expect(actions).toEqual(
      expect.arrayContaining([
        'alice:approval.request',
        'bob:approval.comment',
        'bob:approval.approve',
        'alice:approval.applied',
      ]),
    )
    // The approval was used: going back and forth needs a new one.
    await ok(alice, 'registry.transition', { name: 'm', version: 1, stage: 'staging' })
    expect((await err(alice, 'registry.transition', { name: 'm', version: 1, stage: 'production' })).code).toBe(
      'registry/approval-required',
    )
  })

  it('a rejected request does not allow promotion', async () => {
    const dir = tmpDir()
    const alice = core(dir, 'alice')
    const bob = core(dir, 'bob')
    await ok(alice, 'registry.createModel', { name: 'm', policy: { productionNeedsApproval: true } })
    await ok(alice, 'registry.register', { model: 'm', artifact: artifactFile(tmpDir()) })
    await ok(alice, 'registry.transition', { name: 'm', version: 1, stage: 'staging' })
    const req = await ok<{ id: number }>(alice, 'registry.requestApproval', { name: 'm', version: 1 })
    await ok(bob, 'registry.decideApproval', { id: req.id, decision: 'reject', comment: 'latency regression' })
    expect((await err(alice, 'registry.transition', { name: 'm', version: 1, stage: 'production' })).code).toBe(
      'registry/approval-required',
    )
    expect((await err(bob, 'registry.decideApproval', { id: req.id, decision: 'approve' })).code).toBe(
      'registry/conflict',
    )
  })
})

describe('concurrent edits', () => {
  it('refuses an update based on a stale revision (no lost update)', async () => {
    const dir = tmpDir()
    const a = core(dir, 'alice')
    const b = core(dir, 'bob')
    const m = await ok<{ revision: number }>(a, 'registry.createModel', { name: 'm' })
    await ok(a, 'registry.updateModel', { name: 'm', revision: m.revision, patch: { ownerTeam: 'risk' } })
    const e = await err(b, 'registry.updateModel', { name: 'm', revision: m.revision, patch: { ownerTeam: 'other' } })
    expect(e.code).toBe('registry/conflict')
    expect((await ok<ModelDetail>(b, 'registry.getModel', { name: 'm' })).model.ownerTeam).toBe('risk')
  })

  it('two cores registering at once get distinct version numbers, none lost', async () => {
    const dir = tmpDir()
    const a = core(dir, 'alice')
    const b = core(dir, 'bob')
    const d = tmpDir()
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ok(i % 2 ? a : b, 'registry.register', { model: 'm', artifact: artifactFile(d, `f${i}`, `c${i}`) }),
      ),
    )
    const vs = (await ok<ModelDetail>(a, 'registry.getModel', { name: 'm' })).versions
      .map((v) => v.version)
      .sort((x, y) => x - y)
    expect(vs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(await ok(a, 'audit.verify', {})).toMatchObject({ ok: true, rows: 11 })
  })
})

describe('the audit chain', () => {
  async function some(g: Gantry) {
    await ok(g, 'registry.register', { model: 'm', artifact: artifactFile(tmpDir()) })
    await ok(g, 'registry.transition', { name: 'm', version: 1, stage: 'staging' })
    await ok(g, 'registry.setAlias', { name: 'm', alias: 'candidate', version: 1 })
  }

  it('verifies an untouched chain and names the first edited row', async () => {
    const g = core()
    await some(g)
    const v = await ok<{ ok: boolean; rows: number; head: string }>(g, 'audit.verify', {})
    expect(v).toMatchObject({ ok: true, rows: 4 })
    expect(v.head).toMatch(/^[0-9a-f]{64}$/)
    const raw = new Database(join(g.config.dataDir, 'gantry.db'))
    raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").run()
    raw.close()
    const bad = await ok<{ ok: boolean; firstBad: { seq: number; reason: string } }>(g, 'audit.verify', {})
    expect(bad.ok).toBe(false)
    expect(bad.firstBad.seq).toBe(3)
    expect(bad.firstBad.reason).toMatch(/changed after it was written/)
  })

  it('names a deleted row', async () => {
    const g = core()
    await some(g)
    const raw = new Database(join(g.config.dataDir, 'gantry.db'))
    raw.prepare('DELETE FROM audit_log WHERE seq = 2').run()
    raw.close()
    const bad = await ok<{ firstBad: { seq: number; reason: string } }>(g, 'audit.verify', {})
    expect(bad.firstBad).toEqual({ seq: 2, reason: expect.stringMatching(/row 2 is missing/) })
  })

  it('catches a rewritten row even when its own hash was recomputed (the next row no longer follows)', async () => {
    const g = core()
    await some(g)
    const raw = new Database(join(g.config.dataDir, 'gantry.db'))
    raw.prepare("UPDATE audit_log SET hash = '" + 'a'.repeat(64) + "' WHERE seq = 2").run()
    raw.close()
    const bad = await ok<{ firstBad: { seq: number } }>(g, 'audit.verify', {})
    expect(bad.firstBad.seq).toBe(2)
  })
})

describe('flags', () => {
  it('flags unowned models, production without a drift reference, stale candidates and overdue reviews', async () => {
    let t = Date.UTC(2026, 0, 1)
    const dir = tmpDir()
    const g = core(dir, 'alice', { now: () => t, staleCandidateDays: 14, reviewDays: 90 })
    const d = tmpDir()
    writeFileSync(join(d, 'ref.csv'), 'a\n1\n')
    await ok(g, 'registry.createModel', { name: 'owned', ownerTeam: 'risk' })
    await ok(g, 'registry.register', {
      model: 'owned',
      artifact: artifactFile(d, 'a1'),
      datasets: [{ role: 'reference', path: join(d, 'ref.csv') }],
    })
    await ok(g, 'registry.register', { model: 'orphan', artifact: artifactFile(d, 'b1') })
    for (const m of ['owned', 'orphan']) {
      await ok(g, 'registry.transition', { name: m, version: 1, stage: 'staging' })
      await ok(g, 'registry.transition', { name: m, version: 1, stage: 'production' })
    }
    await ok(g, 'registry.register', { model: 'owned', artifact: artifactFile(d, 'a2') })
    await ok(g, 'registry.setAlias', { name: 'owned', alias: 'candidate', version: 2 })
    const flags = async () =>
      Object.fromEntries((await ok<ModelSummary[]>(g, 'registry.listModels', {})).map((m) => [m.name, m.flags]))
    expect(await flags()).toEqual({ orphan: ['unowned', 'production-without-reference'], owned: [] })
    t += 20 * 24 * 3600_000
    expect((await flags()).owned).toEqual(['stale-candidate'])
    t += 80 * 24 * 3600_000
    expect((await flags()).owned).toEqual(['stale-candidate', 'review-overdue'])
    await ok(g, 'registry.reviewModel', { name: 'owned', note: 'looked at drift' })
    expect((await flags()).owned).toEqual(['stale-candidate'])
    expect((await ok<ModelSummary[]>(g, 'registry.listModels', { owner: '(none)' })).map((m) => m.name)).toEqual([
      'orphan',
    ])
    expect((await ok<ModelSummary[]>(g, 'registry.listModels', { query: 'rph' })).map((m) => m.name)).toEqual([
      'orphan',
    ])
  })
})

describe('imports', () => {
  it('scans a Triton model repository, then skips what it knows and reports changed content', async () => {
    const g = core()
    const repo = tmpDir()
    for (const [m, v, body] of [
      ['resnet', 1, 'r1'],
      ['resnet', 2, 'r2'],
      ['bert', 3, 'b3'],
    ] as const) {
      mkdirSync(join(repo, m, String(v)), { recursive: true })
      writeFileSync(join(repo, m, String(v), 'model.onnx'), body)
    }
    writeFileSync(
      join(repo, 'resnet', 'config.pbtxt'),
      'name: "resnet"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n',
    )
    mkdirSync(join(repo, 'empty'))
    const r = await ok<{ registered: unknown[]; skipped: { model: string; reason: string }[] }>(
      g,
      'registry.scanTriton',
      { path: repo },
    )
    expect(r.registered).toEqual([
      { model: 'bert', version: 3 },
      { model: 'resnet', version: 1 },
      { model: 'resnet', version: 2 },
    ])
    expect(r.skipped).toEqual([{ model: 'empty', version: null, reason: 'no numbered version folders' }])
    const v = await ok<{ version: Version }>(g, 'registry.getVersion', { name: 'resnet', version: 2 })
    expect(v.version.format).toBe('onnxruntime_onnx')
    expect(v.version.artifact.sha256).toBe(sha(`${sha('r2')}  model.onnx\n`))
    writeFileSync(join(repo, 'resnet', '2', 'model.onnx'), 'r2-retrained')
    const again = await ok<{ registered: unknown[]; skipped: { version: number | null; reason: string }[] }>(
      g,
      'registry.scanTriton',
      { path: repo },
    )
    expect(again.registered).toEqual([])
    expect(again.skipped.find((s) => s.version === 2)?.reason).toMatch(/different content/)
    expect(again.skipped.find((s) => s.version === 1)?.reason).toBe('already registered with the same content')
  })

  it('imports the OSS MLflow export: stages, aliases, run ids; an unreadable Production artifact lands as staging', async () => {
    const g = core()
    const r = await ok<{ registered: unknown[]; skipped: { version: number; reason: string }[] }>(
      g,
      'registry.importMlflow',
      {
        path: join(FIX, 'mlflow-export-import_oss_registered_model_sklearn_wine.json'),
      },
    )
    expect(r.registered).toHaveLength(3)
    expect(r.skipped.find((s) => s.version === 1)?.reason).toMatch(/not readable here/)
    const d = await ok<ModelDetail>(g, 'registry.getModel', { name: 'sklearn_wine' })
    expect(d.model.description).toBe('Skearn Wine Quality model')
    expect(d.model.tags).toEqual({ info: 'Skearn Wine Quality model' })
    const byV = Object.fromEntries(d.versions.map((v) => [v.version, v]))
    expect([byV[1].stage, byV[2].stage, byV[3].stage]).toEqual(['staging', 'staging', 'registered'])
    expect(byV[1].artifact).toMatchObject({ kind: 'uri', sha256: null })
    expect(byV[1].params['mlflow.run_id']).toBe('d583ca20513841749b26907cb2d3952b')
    expect(byV[1].params['tag.registered_version_info']).toBe('v1 Production - wine')
    expect(d.aliases.map((a) => `${a.alias}=${a.version}`)).toEqual(['about-ready=2', 'good-to-go=1', 'just-in-case=3'])
    expect(d.flags).toContain('unowned')
    // An unhashed version can never be promoted to production.
    const e = await err(g, 'registry.transition', { name: 'sklearn_wine', version: 1, stage: 'production' })
    expect(e.message).toMatch(/no verified artifact hash/)
    // Importing again adds nothing.
    const again = await ok<{ registered: unknown[] }>(g, 'registry.importMlflow', {
      path: join(FIX, 'mlflow-export-import_oss_registered_model_sklearn_wine.json'),
    })
    expect(again.registered).toEqual([])
  })

  it('imports a Databricks export and a Unity Catalog version; refuses an error body and garbage', async () => {
    const g = core()
    await ok(g, 'registry.importMlflow', {
      path: join(FIX, 'mlflow-export-import_databricks_registered_model_with_permissions.json'),
    })
    const d = await ok<ModelDetail>(g, 'registry.getModel', { name: 'Sklearn_Wine' })
    expect(d.model.tags['mlflow.user_id']).toBe('andre@mycompany.com')
    expect(d.versions.map((v) => [v.version, v.stage, v.createdBy])).toEqual([
      [3, 'staging', 'andre@mycompany.com'],
      [2, 'staging', 'andre@mycompany.com'],
    ])
    await ok(g, 'registry.importMlflow', { path: join(FIX, 'mlflow-export-import_uc_model_version.json') })
    const uc = await ok<ModelDetail>(g, 'registry.getModel', { name: 'andre_catalog.ml_models2.sklearn_wine_best' })
    expect(uc.versions.map((v) => [v.version, v.stage, v.aliases])).toEqual([[15, 'registered', ['white_2']]])
    const e = await err(g, 'registry.importMlflow', {
      path: join(FIX, 'mlflow_error_resource_does_not_exist_404.json'),
    })
    expect(e).toMatchObject({
      code: 'registry/invalid-import',
      message: expect.stringMatching(/RESOURCE_DOES_NOT_EXIST/),
    })
    const junk = join(tmpDir(), 'junk.json')
    writeFileSync(junk, '{"mlflow": {"registered_model": {"name": 5}}}')
    expect((await err(g, 'registry.importMlflow', { path: junk })).code).toBe('registry/invalid-import')
    writeFileSync(junk, 'not json')
    expect((await err(g, 'registry.importMlflow', { path: junk })).code).toBe('registry/invalid-import')
  })
})
