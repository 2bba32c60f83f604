// Deploys and rollbacks through the journaled state machine, against a real model-server process
// on a model-folder target: switched, reloaded, verified, committed — and every failure reverted
// with the alias unchanged and the reason in the history.
import { appendFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Gantry } from '../../src/main/core'
import type { Deployment, RollbackPlan } from '../../src/shared/deploy'
import type { AuditRow, ModelDetail } from '../../src/shared/registry'
import { call, deployWorld } from '../helpers/deploy-env'
import { cleanupTmp } from '../helpers/tmp'

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  cleanupTmp()
})
async function world(opts: Parameters<typeof deployWorld>[0] = {}) {
  const w = await deployWorld(opts)
  cleanup.push(
    () => w.server.stop(),
    () => w.g.stop(),
  )
  return w
}
const production = async (g: Gantry) =>
  (await call<ModelDetail>(g, 'registry.getModel', { name: 'm' })).versions.find((v) => v.stage === 'production')
    ?.version ?? null
const served = async (url: string) =>
  ((await (await fetch(`${url}v1/models`)).json()) as { data: { root: string }[] }).data[0]?.root

describe('model-folder deploys', () => {
  it('deploys v1 then v2 (switch, reload, verify, commit) and rolls back to v1 in one call', async () => {
    const w = await world()
    const progress: Deployment[] = []
    w.g.events.on('deploy.progress', (d) => progress.push(d))
    const d1 = await call<Deployment>(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
    expect(d1).toMatchObject({ state: 'succeeded', fromVersion: null, toVersion: 1, kind: 'deploy' })
    expect(d1.steps.map((s) => `${s.name}:${s.state}`)).toEqual([
      'preflight:ok',
      'intent:ok',
      'switch:ok',
      'reload:ok',
      'verify:ok',
      'commit:ok',
    ])
    expect(readlinkSync(join(w.serveDir, 'current'))).toBe(w.dirs[0])
    expect(await served(w.server.url)).toBe(w.dirs[0])
    expect(await production(w.g)).toBe(1)
    // The UI heard every step: intent, switching, verifying, succeeded.
    expect([...new Set(progress.filter((p) => p.id === d1.id).map((p) => p.state))]).toEqual([
      'intent',
      'switching',
      'verifying',
      'succeeded',
    ])

    const d2 = await call<Deployment>(w.g, 'deploy.run', { model: 'm', version: 2, targetId: w.targetId })
    expect(d2).toMatchObject({ state: 'succeeded', fromVersion: 1, toVersion: 2 })
    expect(await served(w.server.url)).toBe(w.dirs[1])

    const plan = await call<RollbackPlan>(w.g, 'deploy.rollbackPlan', { model: 'm' })
    expect(plan.current?.version).toBe(2)
    expect(plan.to).toMatchObject({
      version: 1,
      deployedBy: 'ops',
      evidence: 'deployed and verified by Gantry (by ops)',
    })
    const rb = await call<Deployment>(w.g, 'deploy.rollback', { model: 'm' })
    expect(rb).toMatchObject({ kind: 'rollback', state: 'succeeded', fromVersion: 2, toVersion: 1 })
    expect(await served(w.server.url)).toBe(w.dirs[0])
    expect(await production(w.g)).toBe(1)
    const hist = await call<Deployment[]>(w.g, 'deploy.list', { model: 'm' })
    expect(hist.map((h) => `${h.kind} v${h.toVersion} ${h.state}`)).toEqual([
      'rollback v1 succeeded',
      'deploy v2 succeeded',
      'deploy v1 succeeded',
    ])
    // /metrics counts them by how they ended.
    const metrics = await w.g.metrics.render()
    expect(metrics).toContain('gantry_deployments{model="m",kind="deploy",outcome="succeeded"} 2')
    expect(metrics).toContain('gantry_deployments{model="m",kind="rollback",outcome="succeeded"} 1')
    expect(await call(w.g, 'audit.verify', {})).toMatchObject({ ok: true })
  })

  async function failing(w: Awaited<ReturnType<typeof world>>, expectReason: RegExp) {
    const d = await call<Deployment>(w.g, 'deploy.run', { model: 'm', version: 2, targetId: w.targetId })
    expect(d.state).toBe('reverted')
    expect(d.reason).toMatch(expectReason)
    expect(d.steps.at(-1)?.name).toBe('revert')
    const reverted = (await call<Deployment[]>(w.g, 'deploy.list', { model: 'm' })).filter(
      (x) => x.kind === 'deploy' && x.state === 'reverted',
    ).length
    expect(await w.g.metrics.render()).toContain(
      `gantry_deployments{model="m",kind="deploy",outcome="reverted"} ${reverted}`,
    )
    expect(readlinkSync(join(w.serveDir, 'current'))).toBe(w.dirs[0])
    expect(await production(w.g)).toBe(1)
    const audit = await call<AuditRow[]>(w.g, 'audit.list', { model: 'm' })
    expect(audit[0]).toMatchObject({ action: 'deploy.reverted', version: 2 })
    expect(JSON.stringify(audit[0].after)).toMatch(expectReason)
    return d
  }

  it('reverts when the reload command fails', async () => {
    const w = await world()
    await call(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
    // Point the reload at a command that fails.
    w.g.db
      .prepare("UPDATE deploy_targets SET config_json = json_set(config_json, '$.reloadCommand', json('[\"false\"]'))")
      .run()
    await failing(w, /reload command false failed/)
  })

  it('reverts when readiness never comes, and when the server keeps serving the old weights', async () => {
    const w = await world()
    await call(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
    writeFileSync(join(w.serveDir, 'FAIL_READY'), '')
    const d = await failing(w, /the server is not live/)
    // The headline is what ran out and the probe's own failing check, not a secondary one (/metrics).
    expect(d.reason).toMatch(
      /^verification timed out after \d+ s: the server is not live \(GET \S*health\S*: HTTP 503\)/,
    )
    // The revert could not verify v1 either (the server still refuses readiness), and says so.
    expect(d.reason).toMatch(/v1 is back but did NOT verify/)
    expect(d.revertUnverified).toBe(true)
    expect(d.steps.find((s) => s.name === 'revert')?.state).toBe('failed')
    rmSync(join(w.serveDir, 'FAIL_READY'))
    writeFileSync(join(w.serveDir, 'IGNORE_RELOAD'), '')
    const d2 = await failing(w, /wrong version served: serves .*v1.* but the registry's intended v2/)
    expect(d2.reason).toMatch(/v1 is back and verified/)
    expect(d2.revertUnverified).toBe(false)
  })

  it('reverts when the server process dies after the switch', async () => {
    const w = await world()
    await call(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
    await w.server.stop()
    const d = await failing(w, /the server is not live/)
    expect(d.reason).toMatch(/did NOT verify/)
  })

  it('refuses in preflight, changing nothing, when the artifact no longer matches its hash', async () => {
    const w = await world()
    await call(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
    appendFileSync(join(w.dirs[1], 'weights.bin'), 'tampered')
    const err = await call(w.g, 'deploy.run', { model: 'm', version: 2, targetId: w.targetId }).catch(
      (e: Error & { code: string }) => e,
    )
    expect((err as { code: string }).code).toBe('deploy/preflight')
    expect((err as Error).message).toMatch(/changed since it was registered/)
    expect(readlinkSync(join(w.serveDir, 'current'))).toBe(w.dirs[0])
    const [last] = await call<Deployment[]>(w.g, 'deploy.list', { model: 'm' })
    expect(last).toMatchObject({ state: 'failed', toVersion: 2 })
    expect(last.steps.map((s) => s.name)).toEqual(['preflight'])
  })

  it('refuses a version the policy has not approved, before touching the target', async () => {
    const w = await world()
    const m = await call<ModelDetail>(w.g, 'registry.getModel', { name: 'm' })
    await call(w.g, 'registry.updateModel', {
      name: 'm',
      revision: m.model.revision,
      patch: { policy: { productionNeedsApproval: true } },
    })
    const err = await call(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId }).catch((e: Error) => e)
    expect((err as Error).message).toMatch(/needs an approval/)
    expect(() => readlinkSync(join(w.serveDir, 'current'))).toThrow()
  })

  it('allows one deploy in flight per target', async () => {
    const w = await world()
    writeFileSync(join(w.serveDir, 'SLOW_READY_MS'), '600')
    const first = call<Deployment>(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
    await new Promise((r) => setTimeout(r, 150))
    const second = await call(w.g, 'deploy.run', { model: 'm', version: 2, targetId: w.targetId }).catch(
      (e: { code: string }) => e,
    )
    expect((second as { code: string }).code).toBe('deploy/locked')
    expect((await first).state).toBe('succeeded')
  })

  it('has nothing to roll back to before a second production version, and says so', async () => {
    const w = await world()
    await call(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
    const err = await call(w.g, 'deploy.rollbackPlan', { model: 'm' }).catch((e: { code: string }) => e)
    expect((err as { code: string }).code).toBe('deploy/no-rollback-version')
  })
})
