// Deploys from the command line, as a CI pipeline runs them: exit 0 when verified, 4 when
// reverted, the same journal and history as the UI.
import { spawnSync } from 'node:child_process'
import { readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Deployment } from '../../src/shared/deploy'
import { deployWorld } from '../helpers/deploy-env'
import { cleanupTmp } from '../helpers/tmp'

const bin = join(__dirname, '..', '..', 'bin', 'gantry.js')
const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  cleanupTmp()
})
const gantry = (dataDir: string, args: string[]) =>
  spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GANTRY_ACTOR: 'ci-bot' },
    timeout: 30_000,
  })

describe('gantry deploy / rollback / deployments', () => {
  it('deploys by target name, reports a revert with exit 4, rolls back, and lists the history', async () => {
    const w = await deployWorld()
    cleanup.push(() => w.server.stop())
    await w.g.stop()
    const d1 = gantry(w.dataDir, ['deploy', 'm', '--version', '1', '--target', 'local', '--json'])
    expect(d1.status).toBe(0)
    expect((JSON.parse(d1.stdout) as Deployment).state).toBe('succeeded')
    const d2 = gantry(w.dataDir, ['deploy', 'm', '--version', '2', '--target', 'local'])
    expect(d2.status).toBe(0)
    expect(d2.stdout).toMatch(/#2 deploy m v1 → v2 on local: SUCCEEDED/)
    expect(d2.stdout).toMatch(/✓ verify/)

    const plan = gantry(w.dataDir, ['rollback', 'm', '--plan'])
    expect(plan.stdout).toMatch(/m on local: v2 → v1 \(deployed and verified by Gantry \(by ci-bot\)\)/)
    const rb = gantry(w.dataDir, ['rollback', 'm'])
    expect(rb.status).toBe(0)
    expect(readlinkSync(join(w.serveDir, 'current'))).toBe(w.dirs[0])

    writeFileSync(join(w.serveDir, 'IGNORE_RELOAD'), '')
    const bad = gantry(w.dataDir, ['deploy', 'm', '--version', '2', '--target', 'local'])
    expect(bad.status).toBe(4)
    expect(bad.stdout).toMatch(/REVERTED/)
    expect(bad.stdout).toMatch(/reason: verification timed out after \d+ s: wrong version served/)

    const hist = JSON.parse(gantry(w.dataDir, ['deployments', 'm', '--json']).stdout) as Deployment[]
    expect(hist.map((h) => `${h.kind}:${h.state}:${h.actor}`)).toEqual([
      'deploy:reverted:ci-bot',
      'rollback:succeeded:ci-bot',
      'deploy:succeeded:ci-bot',
      'deploy:succeeded:ci-bot',
    ])
    const unknown = gantry(w.dataDir, ['deploy', 'm', '--version', '2', '--target', 'nope'])
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/m has no target named nope \(has: local\)/)
  }, 60_000)
})

describe('gantry --version', () => {
  it('prints the app version alone, while `deploy --version N` and `register --version N` mean the model version', () => {
    const r = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' })
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    expect(spawnSync(process.execPath, [bin, '-V'], { encoding: 'utf8' }).stdout.trim()).toBe(r.stdout.trim())
  })
})

describe('gantry rollback-rule', () => {
  it('sets and removes a model’s automatic-rollback rule', async () => {
    const w = await deployWorld()
    cleanup.push(() => w.server.stop())
    await w.g.stop()
    const set = gantry(w.dataDir, ['rollback-rule', 'm', '--error-rate', '5', '--p95', '800', '--for', '2', '--ask'])
    expect(set.status).toBe(0)
    expect(set.stdout).toMatch(
      /m: after each deploy, watch 60 min; ask to roll back when down\/hung\/not ready or errors > 5 % or p95 > 800 ms for 2 min/,
    )
    const off = JSON.parse(gantry(w.dataDir, ['rollback-rule', 'm', '--off', '--json']).stdout) as { rule: unknown }
    expect(off.rule).toBeNull()
  })
})
