// What paths arriving through the API may lead into: the allowed roots (defaults, GANTRY_ROOTS, or
// `gantry roots`), never /etc, /proc, /dev… nor Gantry's own database, secrets and token, judged by
// where a path really leads. Only the data directory's owner at the command line changes them; a
// running console applies a change at once.
import { spawnSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createLocalFiles } from '../../src/main/core/files/local-files'
import { configuredRoots, createPathPolicy, defaultRoots } from '../../src/main/core/files/policy'
import { serve } from '../helpers/serve'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const bin = join(__dirname, '..', '..', 'bin', 'gantry.js')
afterEach(cleanupTmp)

const gantry = (dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GANTRY_ROOTS: '', ...env },
  })

describe('the path policy', () => {
  it('allows paths in a root, refuses others, /etc and Gantry’s private files, by where they really lead', async () => {
    const data = tmpDir('gantry-data-')
    const root = tmpDir('gantry-root-')
    const outside = tmpDir('gantry-outside-')
    writeFileSync(join(root, 'ok.csv'), 'x\n1\n')
    writeFileSync(join(outside, 'secret.csv'), 'x\n2\n')
    symlinkSync(join(outside, 'secret.csv'), join(root, 'link-out.csv'))
    writeFileSync(join(data, 'gantry.db'), 'not really')
    const files = createLocalFiles(createPathPolicy(() => [root, data], data))
    const f = await files.open(join(root, 'ok.csv'))
    expect(f.size).toBe(4)
    await f.close()
    const refused = (p: string) =>
      files.open(p).then(
        () => 'opened',
        (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
      )
    expect(await refused(join(outside, 'secret.csv'))).toMatch(
      /files\/refused: .* is outside the folders Gantry may read/,
    )
    expect(await refused(join(root, 'link-out.csv'))).toMatch(/which leads to .*secret\.csv\) is outside/)
    expect(await refused('/etc/passwd')).toMatch(/under \/etc, which Gantry never reads/)
    expect(await refused(join(data, 'gantry.db'))).toMatch(/one of Gantry's own private files/)
    expect(await refused(join(root, 'nope.csv'))).toMatch(/files\/missing: file .* does not exist/)
    // A root the operator set inside /etc on purpose is theirs to allow.
    mkdirSync(join(root, 'etc-like'))
    const strict = createPathPolicy(() => ['/etc/ssl'], data)
    expect(strict.refusal('/etc/ssl/openssl.cnf')).toBeNull()
    expect(strict.refusal('/etc/shadow')).toMatch(/under \/etc/)
  })

  it('defaults: home, the start folder (unless /), common data mounts; GANTRY_ROOTS wins over stored ones', () => {
    const d = defaultRoots('/var/lib/gantry-data', { HOME: '/home/ops' }, '/srv/work')
    expect(d.slice(0, 2)).toEqual(['/srv/work', '/home/ops'])
    expect(d).toContain('/data')
    expect(defaultRoots('/x', { HOME: '/home/ops' }, '/')).not.toContain('/')
    expect(configuredRoots('/x', ['/models'], { GANTRY_ROOTS: '/a:/b' })).toEqual(['/a', '/b'])
    expect(configuredRoots('/x', ['/models'], {})).toEqual(['/models'])
    expect(configuredRoots('/x', null, { HOME: '/h' })).toEqual(defaultRoots('/x', { HOME: '/h' }))
  })
})

describe('gantry roots', () => {
  it('adds and removes roots; a running console applies them at once; the web door cannot change them', async () => {
    const data = tmpDir()
    const models = tmpDir('gantry-models-')
    writeFileSync(join(models, 'ref.csv'), 'x\n1\n2\n')
    const s = await serve(data, { GANTRY_ROOTS: '' })
    try {
      // /tmp is a default root: narrow the roots to a folder that is not the data set's.
      const narrowed = gantry(data, ['roots', 'remove', '/tmp', '--json'])
      expect(narrowed.status, narrowed.stderr).toBe(0)
      expect(JSON.parse(narrowed.stdout)).toMatchObject({ source: 'stored' })
      const before = await s.call('drift.report', {
        reference: join(models, 'ref.csv'),
        current: join(models, 'ref.csv'),
      })
      expect(before.body.error?.code).toBe('files/refused')
      const added = gantry(data, ['roots', 'add', models, '--json'])
      expect(added.status, added.stderr).toBe(0)
      expect(JSON.parse(added.stdout).roots).toContain(models)
      const after = await s.call('drift.report', {
        reference: join(models, 'ref.csv'),
        current: join(models, 'ref.csv'),
      })
      expect(after.body.ok, JSON.stringify(after.body)).toBe(true)
      // The browser's door cannot widen what it may read.
      const web = await s.call('files.setRoots', { roots: ['/'] })
      expect(web.status).toBe(401)
      expect(web.body.error.message).toMatch(/only be called with the gantry command/)
      const seen = await s.call('files.roots', {})
      expect(seen.body.data.roots).toContain(models)
      expect(seen.body.data.roots).not.toContain('/')
      const audit = await s.call('audit.list', { limit: 10 })
      expect((audit.body.data as { action: string }[]).filter((r) => r.action === 'files.roots')).toHaveLength(2)
    } finally {
      await s.stop()
    }
  })
})
