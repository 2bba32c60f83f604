// Automatic rollback: after a deploy, a breach that lasts the rule's window rolls the model back
// through the same state machine (or, "ask first", raises a suggestion) — once, audited.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { breachOf } from '../../src/main/core/deploy/guard'
import { RollbackRule, type Deployment, type GuardStatus } from '../../src/shared/deploy'
import type { EndpointStatus } from '../../src/shared/serving'
import type { AuditRow } from '../../src/shared/registry'
import { call, deployWorld, makeCore } from '../helpers/deploy-env'
import { cleanupTmp } from '../helpers/tmp'

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  cleanupTmp()
})

const status = (over: Partial<EndpointStatus> & { metrics?: Record<string, number | null> }): EndpointStatus =>
  ({
    endpoint: { id: 1, name: 'ep', url: 'http://x/', kind: null, createdAt: 0, auth: null, smoke: null, bindings: [] },
    latest: { problems: [], metrics: over.metrics ?? null },
    verdict: 'up',
    intent: [],
    ...over,
  }) as unknown as EndpointStatus

describe('breachOf', () => {
  const rule = RollbackRule.parse({ enabled: true, errorRatePct: 5, p95Ms: 800 })
  it('names a readiness breach, an error-rate breach and a latency breach; nothing when healthy', () => {
    expect(breachOf(rule, status({ verdict: 'hung' }))).toBe('ep is hung')
    expect(breachOf(rule, status({ metrics: { errorRate: 0.12 } }))).toBe('ep error rate 12.0 % > 5 %')
    expect(breachOf(rule, status({ metrics: { errorRate: 0.01, p95Ms: 950 } }))).toBe('ep p95 950 ms > 800 ms')
    expect(breachOf(rule, status({ metrics: { errorRate: 0.01, p95Ms: null, avgLatencyMs: 900 } }))).toBe(
      'ep p95 900 ms > 800 ms',
    )
    expect(breachOf(rule, status({ metrics: { errorRate: 0.01, p95Ms: 100 } }))).toBeNull()
    expect(breachOf({ ...rule, readiness: false }, status({ verdict: 'down' }))).toBeNull()
  })
})

async function guarded(action: 'rollback' | 'ask') {
  const w = await deployWorld({ core: { servingIntervalMs: 100 } })
  cleanup.push(
    () => w.server.stop(),
    () => w.g.stop(),
  )
  await call(w.g, 'deploy.setRule', {
    model: 'm',
    rule: { enabled: true, readiness: true, forMinutes: 0.01, watchMinutes: 5, action },
  })
  w.g.start()
  await call(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
  // v2 is a bad release: healthy while verified, then its health fails.
  const d2 = await call<Deployment>(w.g, 'deploy.run', { model: 'm', version: 2, targetId: w.targetId })
  expect(d2.state).toBe('succeeded')
  writeFileSync(join(w.serveDir, 'UNHEALTHY_ROOT'), w.dirs[1])
  return w
}

describe('automatic rollback after a deploy', () => {
  it('rolls back when the new version stays unhealthy for the rule’s window, once, audited', async () => {
    const w = await guarded('rollback')
    const rb = await new Promise<Deployment>((resolve) => {
      const off = w.g.events.on('deploy.progress', (d) => {
        if (d.kind === 'rollback' && d.finishedAt !== null) {
          off()
          resolve(d)
        }
      })
    })
    expect(rb).toMatchObject({ state: 'succeeded', fromVersion: 2, toVersion: 1 })
    expect(rb.steps[1].detail).toMatch(/\(automatic: model-server is down .* after deploy #2\)/)
    expect(rb.reason).toMatch(/^automatic rollback: model-server is down/)
    const audit = await call<AuditRow[]>(w.g, 'audit.list', { model: 'm' })
    expect(audit.map((a) => a.action)).toContain('guard.rollback')
    // It fires once: no second rollback follows.
    await new Promise((r) => setTimeout(r, 800))
    const hist = await call<Deployment[]>(w.g, 'deploy.list', { model: 'm' })
    expect(hist.filter((h) => h.kind === 'rollback')).toHaveLength(1)
    expect((await call<GuardStatus>(w.g, 'deploy.guard', { model: 'm' })).watching).toBeNull()
  }, 30_000)

  it('asks first when the rule says so, and rolls back nothing by itself', async () => {
    const w = await guarded('ask')
    const st = await new Promise<GuardStatus>((resolve) => {
      const off = w.g.events.on('deploy.guard', (s) => {
        if (s.suggestion) {
          off()
          resolve(s)
        }
      })
    })
    expect(st.suggestion?.reason).toMatch(/model-server is down .* after deploy #2/)
    await new Promise((r) => setTimeout(r, 500))
    expect((await call<Deployment[]>(w.g, 'deploy.list', { model: 'm' })).some((d) => d.kind === 'rollback')).toBe(
      false,
    )
    const cleared = await call<GuardStatus>(w.g, 'deploy.dismissSuggestion', { model: 'm' })
    expect(cleared.suggestion).toBeNull()
  }, 30_000)
})

describe('across a restart', () => {
  it('a console restarted inside the watch window keeps watching the deploy', async () => {
    const w = await deployWorld({ core: { servingIntervalMs: 0 } })
    cleanup.push(() => w.server.stop())
    await call(w.g, 'deploy.setRule', { model: 'm', rule: { enabled: true, readiness: true, watchMinutes: 30 } })
    await call(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
    const before = await call<GuardStatus>(w.g, 'deploy.guard', { model: 'm' })
    expect(before.watching?.deploymentId).toBe(1)
    await w.g.stop()
    const g2 = makeCore(w.dataDir, 'ops')
    cleanup.push(() => g2.stop())
    g2.start()
    await g2.recovered()
    const after = await call<GuardStatus>(g2, 'deploy.guard', { model: 'm' })
    expect(after.watching).toMatchObject({ deploymentId: 1, until: before.watching!.until, breachSince: null })
  }, 30_000)

  it('a window that closed while Gantry was down is not watched again', async () => {
    const w = await deployWorld({ core: { servingIntervalMs: 0 } })
    cleanup.push(() => w.server.stop())
    await call(w.g, 'deploy.setRule', { model: 'm', rule: { enabled: true, readiness: true, watchMinutes: 1 } })
    await call(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
    await w.g.stop()
    const later = Date.now() + 2 * 60_000
    const g2 = makeCore(w.dataDir, 'ops', { now: () => later })
    cleanup.push(() => g2.stop())
    g2.start()
    await g2.recovered()
    expect((await call<GuardStatus>(g2, 'deploy.guard', { model: 'm' })).watching).toBeNull()
  }, 30_000)

  it('an unanswered "ask first" suggestion survives a restart; a dismissed one does not come back', async () => {
    const w = await guarded('ask')
    const fired = await new Promise<GuardStatus>((resolve) => {
      const off = w.g.events.on('deploy.guard', (s) => {
        if (s.suggestion) {
          off()
          resolve(s)
        }
      })
    })
    await w.g.stop()
    const restart = async () => {
      const g = makeCore(w.dataDir, 'ops')
      cleanup.push(() => g.stop())
      g.start()
      await g.recovered()
      return g
    }
    const g2 = await restart()
    const kept = await call<GuardStatus>(g2, 'deploy.guard', { model: 'm' })
    expect(kept.suggestion).toEqual(fired.suggestion)
    expect(kept.watching).toBeNull() // fired once for this deploy: not watched again
    await call(g2, 'deploy.dismissSuggestion', { model: 'm' })
    const audit = await call<AuditRow[]>(g2, 'audit.list', { model: 'm' })
    expect(audit.map((a) => a.action)).toContain('guard.dismiss')
    await g2.stop()
    const g3 = await restart()
    expect((await call<GuardStatus>(g3, 'deploy.guard', { model: 'm' })).suggestion).toBeNull()
  }, 30_000)
})

describe('drift share as a trigger', () => {
  it('a drift window at or past the rule’s share after a deploy fires at once; below it does not', async () => {
    const { createGuard } = await import('../../src/main/core/deploy/guard')
    const { openDatabase } = await import('../../src/main/core/db/database')
    const { tmpDir } = await import('../helpers/tmp')
    const { db } = openDatabase(tmpDir())
    cleanup.push(() => {
      db.close()
    })
    const rollbacks: string[] = []
    const guard = createGuard({
      db,
      actor: 'ops',
      now: () => 1000,
      rollback: async (model, _t, why) => {
        rollbacks.push(`${model}: ${why}`)
        return {} as Deployment
      },
      endpointsOf: () => [],
      publish: () => {},
      log: () => {},
    })
    guard.setRule('m', RollbackRule.parse({ enabled: true, readiness: false, driftShare: 0.5 }))
    const deployed = {
      id: 7,
      model: 'm',
      targetId: 1,
      kind: 'deploy',
      state: 'succeeded',
      finishedAt: 900,
    } as Deployment
    guard.onDeployment(deployed)
    guard.onDriftWindow({ model: 'm', share: 0.4, at: 950, rows: 1000 })
    expect(rollbacks).toEqual([])
    guard.onDriftWindow({ model: 'm', share: 0.6, at: 960, rows: 1000 })
    expect(rollbacks).toEqual(['m: 60 % of features drifted in a 1000-row window (rule: 50 %) after deploy #7'])
    guard.onDriftWindow({ model: 'm', share: 0.9, at: 970, rows: 1000 })
    expect(rollbacks).toHaveLength(1)
  })

  it('a business KPI past its threshold for forMinutes rolls back, when the rule names KPIs', async () => {
    const { createGuard } = await import('../../src/main/core/deploy/guard')
    const { openDatabase } = await import('../../src/main/core/db/database')
    const { tmpDir } = await import('../helpers/tmp')
    const { db } = openDatabase(tmpDir())
    cleanup.push(() => {
      db.close()
    })
    let t = 1000
    const rollbacks: string[] = []
    const guard = createGuard({
      db,
      actor: 'ops',
      now: () => t,
      rollback: async (model, _t, why) => {
        rollbacks.push(`${model}: ${why}`)
        return {} as Deployment
      },
      endpointsOf: () => [],
      publish: () => {},
      log: () => {},
    })
    guard.setRule('m', RollbackRule.parse({ enabled: true, readiness: false, forMinutes: 1 }))
    guard.onDeployment({
      id: 8,
      model: 'm',
      targetId: 1,
      kind: 'deploy',
      state: 'succeeded',
      finishedAt: 900,
    } as Deployment)
    // Without `kpis` in the rule, KPIs are not asked about and not judged.
    expect(guard.kpiWatched()).toEqual([])
    guard.onKpis('m', ['KPI conversion 0.01 < 0.02'])
    t += 120_000
    guard.onKpis('m', ['KPI conversion 0.01 < 0.02'])
    expect(rollbacks).toEqual([])
    guard.setRule('m', RollbackRule.parse({ enabled: true, readiness: false, kpis: true, forMinutes: 1 }))
    expect(guard.kpiWatched()).toEqual(['m'])
    const low = ['KPI conversion 0.01 < 0.02']
    guard.onKpis('m', low)
    t += 30_000
    guard.onKpis('m', []) // back above: the clock restarts
    t += 30_000
    guard.onKpis('m', low)
    t += 30_000
    // No value now (the query failed, or the metric stopped): neither a breach nor all clear.
    guard.onKpis('m', [], ['conversion'])
    t += 29_000
    guard.onKpis('m', low)
    expect(rollbacks).toEqual([])
    t += 2000
    guard.onKpis('m', low)
    expect(rollbacks).toEqual(['m: KPI conversion 0.01 < 0.02 for 1.0 min after deploy #8'])
    expect(guard.kpiWatched()).toEqual([])
  })
})
