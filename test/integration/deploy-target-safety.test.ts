// A model-folder target as issue #13 found it abusable: a target whose folder and link name an
// existing file replaced that file with a symlink, and a failed deploy did not put it back. Now a
// link path that holds a file or folder is refused (when the target is added, and again at the
// switch), the folder must lead into the allowed roots, and a failed first deploy removes the link
// it made while a failed later one puts back exactly the link that was there — even one to a path
// the registry does not know.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Deployment } from '../../src/shared/deploy'
import { call, deployWorld } from '../helpers/deploy-env'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  cleanupTmp()
})
async function world() {
  const w = await deployWorld()
  cleanup.push(
    () => w.server.stop(),
    () => w.g.stop(),
  )
  return w
}

describe('model-folder target safety', () => {
  it('refuses a target whose link would replace an existing file, and leaves the file as it was', async () => {
    const w = await world()
    const victim = join(tmpDir(), 'authorized_keys')
    writeFileSync(victim, 'ssh-ed25519 AAAA… admin\n')
    const r = await w.g.api.call('deploy.addTarget', {
      model: 'm',
      name: 'evil',
      config: { kind: 'model-folder', folder: join(victim, '..'), link: 'authorized_keys', endpointId: w.endpointId },
    })
    expect(r.ok).toBe(false)
    expect(!r.ok && r.error.message).toMatch(/is a regular file already, not a link/)
    expect(readFileSync(victim, 'utf8')).toBe('ssh-ed25519 AAAA… admin\n')
    expect(lstatSync(victim).isSymbolicLink()).toBe(false)
  })

  it('refuses a link name that is a path, and a folder outside the allowed roots', async () => {
    const w = await world()
    const cfg = { kind: 'model-folder', endpointId: w.endpointId }
    const slash = await w.g.api.call('deploy.addTarget', {
      model: 'm',
      name: 'x',
      config: { ...cfg, folder: w.serveDir, link: '../../etc/cron.d/x' },
    })
    expect(!slash.ok && slash.error.code).toBe('contract/invalid-input')
    const etc = await w.g.api.call('deploy.addTarget', {
      model: 'm',
      name: 'y',
      config: { ...cfg, folder: '/etc/gantry-x' },
    })
    expect(!etc.ok && etc.error).toMatchObject({ code: 'files/refused', message: expect.stringMatching(/under \/etc/) })
  })

  it('refuses in preflight a file put where the link goes after the target was added, and changes nothing', async () => {
    const w = await world()
    const link = join(w.serveDir, 'current')
    writeFileSync(link, 'not a link')
    const r = await w.g.api.call('deploy.run', { model: 'm', version: 1, targetId: w.targetId })
    expect(!r.ok && r.error).toMatchObject({
      code: 'deploy/preflight',
      message: expect.stringMatching(/current is a regular file, not a link: Gantry will not replace it/),
    })
    expect(readFileSync(link, 'utf8')).toBe('not a link')
  })

  it('a failed first deploy removes the link it made: nothing was there before, nothing is there after', async () => {
    const w = await world()
    await w.server.stop() // the server is gone: verify never succeeds
    const d = await call<Deployment>(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
    expect(d.state).toBe('failed')
    expect(d.reason).toMatch(/removed: there was none before/)
    expect(existsSync(join(w.serveDir, 'current'))).toBe(false)
    expect(() => lstatSync(join(w.serveDir, 'current'))).toThrow()
  })

  it('a failed deploy puts back exactly the link that was there, also to a path the registry does not know', async () => {
    const w = await world()
    expect((await call<Deployment>(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })).state).toBe(
      'succeeded',
    )
    // An operator hot-fixed by hand: the link now points at a folder Gantry never registered.
    const hotfix = join(tmpDir(), 'v1-hotfix')
    mkdirSync(hotfix)
    writeFileSync(join(hotfix, 'weights.bin'), 'weights of v1') // the server still answers as v1
    const link = join(w.serveDir, 'current')
    unlinkSync(link)
    symlinkSync(hotfix, link)
    // v2's reload fails: the deploy reverts.
    w.g.db
      .prepare("UPDATE deploy_targets SET config_json = json_set(config_json, '$.reloadCommand', json('[\"false\"]'))")
      .run()
    const d = await call<Deployment>(w.g, 'deploy.run', { model: 'm', version: 2, targetId: w.targetId })
    expect(d.state).toBe('reverted')
    expect(readlinkSync(link)).toBe(hotfix) // not the registry's v1 location: what was there
    expect(d.reason).toMatch(new RegExp(`current → ${hotfix} again, as before`))
  })
})
