// The health roll-up: reasons grouped by kind across subjects, each area's level and words from
// the same reasons (so the Overview card and the navigation badges agree), resolved things gone.
import { describe, expect, it } from 'vitest'
import { rollUp, type HealthFacts } from '../../src/main/core/health/rollup'
import { HealthBuilder } from '../../src/main/core/telemetry/health'
import type { GpuSnapshot } from '../../src/shared/gpu'
import type { Deployment } from '../../src/shared/deploy'
import type { EndpointStatus } from '../../src/shared/serving'
import type { ModelSummary } from '../../src/shared/registry'

const cap = { kind: 'gpu-sw_power_cap', title: 'power cap: clocks held down to stay under the power limit' }
function gpuSnap(capped: number[], count = 12): GpuSnapshot {
  const gpus = Array.from({ length: count }, (_, i) => ({ uuid: `GPU-${i}`, index: i }))
  return {
    host: 'local',
    at: 1,
    state: 'ok',
    reason: null,
    driverVersion: null,
    gpus: gpus as GpuSnapshot['gpus'],
    health: gpus.map((g) => ({
      uuid: g.uuid,
      health: capped.includes(g.index)
        ? new HealthBuilder().add('warning', `power capping active (drawing 68 of 250 W)`, cap).build()
        : new HealthBuilder().build(),
    })),
    processes: [],
    processesAt: null,
    xids: null,
  }
}
const model = (name: string, over: Partial<ModelSummary> = {}): ModelSummary => ({
  name,
  description: '',
  ownerTeam: 'ml',
  tags: {},
  versions: 1,
  latest: 1,
  production: 1,
  stages: { registered: 0, staging: 0, production: 1, archived: 0, retired: 0 },
  flags: [],
  updatedAt: 0,
  drift: null,
  problems: [],
  pendingApprovals: 0,
  monitorError: null,
  monitored: false,
  ...over,
})
const endpoint = (id: number, name: string, verdict: EndpointStatus['verdict']): EndpointStatus =>
  ({
    endpoint: { id, name },
    latest: {
      live: verdict !== 'down',
      ready: verdict === 'not-ready' ? false : true,
      problems: [],
      smoke: verdict === 'hung' ? { ok: false, status: null, ms: 5000, error: 'timed out after 5 s' } : null,
    },
    verdict,
    intent: [],
  }) as unknown as EndpointStatus
const deploy = (over: Partial<Deployment>): Deployment => ({
  id: 1,
  model: 'fraud',
  targetId: 1,
  targetName: 'prod',
  kind: 'deploy',
  fromVersion: 1,
  toVersion: 2,
  state: 'succeeded',
  steps: [],
  actor: 'a',
  startedAt: 0,
  finishedAt: 1,
  reason: null,
  revertUnverified: false,
  ...over,
})

function facts(over: Partial<HealthFacts> = {}): HealthFacts {
  return {
    hosts: () => [],
    host: () => ({ health: new HealthBuilder().build() }) as never,
    storage: () => null,
    gpu: () => gpuSnap([]),
    endpoints: () => [],
    models: () => [],
    approvals: () => [],
    monitors: () => [],
    lastDeploys: () => [],
    releases: () => [],
    alerts: () => ({
      alerts: [],
      counts: { firing: 0, open: 0, acknowledged: 0, silenced: 0, pending: 0, problems: 0, worst: null },
    }),
    ...over,
  }
}

describe('health roll-up', () => {
  it('is healthy with nothing wrong, and says so in words for every area', () => {
    const r = rollUp(facts(), 'local', 5)
    expect(r.level).toBe('ok')
    expect(r.reasons).toEqual([])
    expect(r.areas.serving).toEqual({ level: 'ok', problems: 0, label: 'Serving: healthy' })
    expect(r.areas.overview.label).toBe('Overview: healthy')
  })

  it('groups one kind on many GPUs into one reason naming them, the raw values per GPU', () => {
    const r = rollUp(facts({ gpu: () => gpuSnap([3, 6, 11]) }), 'local', 5)
    expect(r.reasons).toHaveLength(1)
    const [cap] = r.reasons
    expect(cap.text).toBe('power cap: clocks held down to stay under the power limit — GPU 3, GPU 6, GPU 11')
    expect(cap.subjects.map((s) => s.href)).toEqual(['#/gpus/GPU-3', '#/gpus/GPU-6', '#/gpus/GPU-11'])
    expect(cap.subjects[0].detail).toMatch(/68 of 250 W/)
    // Several subjects: the link goes to the area's screen.
    expect(cap.href).toBe('#/gpus')
    expect(r.areas.gpus).toEqual({ level: 'warning', problems: 1, label: 'GPUs: warning, 1 problem' })
    // Other hosts' views link with their host.
    expect(rollUp(facts({ gpu: () => gpuSnap([3]) }), 'gpu-07', 5).reasons[0].href).toBe('#/gpus/GPU-3?host=gpu-07')
  })

  it('every badged area and the overview come from the same reasons', () => {
    const r = rollUp(
      facts({
        endpoints: () => [endpoint(1, 'llm-a', 'hung'), endpoint(2, 'llm-b', 'up')],
        models: () => [
          model('fraud', { drift: { drifted: true, share: 0.4, at: 0 } }),
          model('orphan', { ownerTeam: null, flags: ['unowned'] }),
          model('idea', { ownerTeam: null, flags: ['unowned'], production: null }),
        ],
        approvals: () => [{ model: 'fraud', version: 3, requestedBy: 'ana', requestedAt: 0 }],
        monitors: () => [{ model: 'fraud', problems: [], lastError: { message: 'cannot read the log folder', at: 1 } }],
        lastDeploys: () => [
          deploy({ state: 'reverted', revertUnverified: true, reason: 'v1 is back but did NOT verify' }),
          deploy({ id: 2, targetId: 2, targetName: 'canary', state: 'succeeded' }),
        ],
      }),
      'local',
      5,
    )
    const keys = r.reasons.map((x) => x.key)
    expect(keys).toContain('serving:endpoint-hung')
    expect(keys).toContain('drift:drifted')
    expect(keys).toContain('drift:monitor-error')
    expect(keys).toContain('models:approval-pending')
    expect(keys).toContain('models:flag-unowned')
    expect(keys).toContain('deployments:revert-unverified')
    // An unowned model nobody runs is not a reason; the succeeded target is not either.
    expect(r.reasons.find((x) => x.key === 'models:flag-unowned')?.subjects.map((s) => s.name)).toEqual(['orphan'])
    expect(r.reasons.filter((x) => x.area === 'deployments')).toHaveLength(1)
    expect(r.reasons[0].level).toBe('critical') // worst first
    expect(r.areas.serving.label).toBe('Serving: critical, 1 problem')
    expect(r.areas.deployments.level).toBe('critical')
    expect(r.areas.models).toMatchObject({ level: 'warning', problems: 2 })
    expect(r.areas.drift).toMatchObject({ level: 'warning', problems: 2 })
    expect(r.areas.overview).toMatchObject({ level: 'critical', problems: r.reasons.length })
    expect(r.level).toBe('critical')
    // The approval links to the model page, where it is decided.
    expect(r.reasons.find((x) => x.key === 'models:approval-pending')?.href).toBe('#/models/fraud')
  })

  it('a reverted deploy leaves once a later one on the same target succeeds', () => {
    const before = rollUp(facts({ lastDeploys: () => [deploy({ state: 'reverted' })] }), 'local', 5)
    expect(before.areas.deployments).toMatchObject({ level: 'warning', problems: 1 })
    const after = rollUp(
      facts({ lastDeploys: () => [deploy({ id: 9, kind: 'rollback', state: 'succeeded' })] }),
      'local',
      5,
    )
    expect(after.areas.deployments).toMatchObject({ level: 'ok', problems: 0 })
  })

  it('with no sample of the host yet, the verdict is unknown, not healthy', () => {
    const r = rollUp(facts({ host: () => null, gpu: () => null }), 'local', 5)
    expect(r.level).toBe('unknown')
    expect(r.areas.overview.label).toMatch(/unknown/)
  })

  it('a shown host that is not reached now says so, though its last values are kept', () => {
    const down = {
      name: 'gpu-b',
      kind: 'ssh',
      address: 'ops@gpu-b:22',
      owner: null,
      enabled: true,
      connection: { state: 'unreachable', since: 1, lastError: 'connect ECONNREFUSED', attempts: 3, fingerprint: null },
      health: { level: 'critical', reasons: ['unreachable: connect ECONNREFUSED'] },
      hostname: 'gpu-b',
      gpus: { count: 8, avgUtilPct: null, state: 'ok' },
      storage: null,
      cpuPct: null,
      memPct: null,
      lastUpdate: 1,
      sources: ['ssh'],
    }
    const r = rollUp(facts({ hosts: () => [down] as never }), 'gpu-b', 5)
    const reason = r.reasons.find((x) => x.key === 'hosts:host-unreachable')
    expect(reason?.subjects[0]).toMatchObject({
      name: 'gpu-b',
      href: '#/overview?host=gpu-b',
      detail: 'connect ECONNREFUSED',
    })
    expect(r.areas.hosts.level).toBe('critical')
    expect(r.level).toBe('critical')
  })
})
