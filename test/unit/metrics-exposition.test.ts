// The exposition's mapping from what the core knows to samples: drift, intent, owners, deploy
// outcomes and endpoint verdicts, from plain data (the integration test scrapes a real server).
import { describe, expect, it } from 'vitest'
import { createMetricsExposition, type MetricsSource } from '../../src/main/core/metrics/exposition'
import type { EndpointStatus } from '../../src/shared/serving'
import type { ModelSummary } from '../../src/shared/registry'
import type { HostSummary } from '../../src/shared/hosts'

const host = (name: string, over: Partial<HostSummary> = {}): HostSummary =>
  ({
    name,
    kind: 'ssh',
    address: `ops@${name}:22`,
    owner: null,
    enabled: true,
    connection: { state: 'up' },
    health: { level: 'critical', reasons: ['x'] },
    hostname: name,
    gpus: { count: 0, avgUtilPct: null, state: 'off' },
    storage: { mount: '/data', usedPct: 93.5 },
    cpuPct: 12,
    memPct: null,
    lastUpdate: 1,
    ...over,
  }) as HostSummary

function source(over: Partial<MetricsSource> = {}): MetricsSource {
  return {
    hosts: () => [
      host('gpu-a'),
      host('gpu-b', { connection: { state: 'unreachable' } as HostSummary['connection'] }),
      host('off', { enabled: false }),
    ],
    gpus: () => null,
    endpoints: () =>
      [
        {
          endpoint: {
            id: 1,
            name: 'fraud-prod',
            url: 'http://10.0.0.5:8000/',
            host: 'gpu-a',
            kind: 'vllm',
            createdAt: 0,
            auth: null,
            smoke: null,
            bindings: [],
          },
          latest: { metrics: { p95Ms: 250, avgLatencyMs: null, errorRate: 0.02 } },
          verdict: 'hung',
          intent: [
            {
              model: 'fraud',
              servedName: 'fraud',
              alias: 'production',
              expectedVersion: 7,
              served: ['6'],
              state: 'mismatch',
              detail: '',
            },
            {
              model: 'churn',
              servedName: 'churn',
              alias: 'production',
              expectedVersion: null,
              served: [],
              state: 'no-intent',
              detail: '',
            },
          ],
        },
      ] as unknown as EndpointStatus[],
    models: () =>
      [
        { name: 'fraud', ownerTeam: 'risk', stages: { production: 1 }, drift: { drifted: true, share: 0.4, at: 1 } },
        { name: 'churn', ownerTeam: null, stages: { production: 1 }, drift: null },
        { name: 'draft', ownerTeam: null, stages: { staging: 1 }, drift: { drifted: false, share: 0, at: 1 } },
      ] as unknown as ModelSummary[],
    deployOutcomes: () => [
      { model: 'fraud', kind: 'deploy', state: 'succeeded', count: 3 },
      { model: 'fraud', kind: 'deploy', state: 'reverted', count: 1 },
      { model: 'fraud', kind: 'rollback', state: 'succeeded', count: 1 },
    ],
    ...over,
  }
}

const lines = (body: string): string[] => body.split('\n').filter((l) => l.startsWith('gantry_'))

describe('the /metrics exposition', () => {
  it('maps hosts, endpoints, intent, drift, owners and deploy outcomes to samples', async () => {
    const body = await createMetricsExposition(source()).render()
    const l = lines(body)
    expect(l).toContain('gantry_host_up{host="gpu-a"} 1')
    expect(l).toContain('gantry_host_up{host="gpu-b"} 0')
    expect(l.some((x) => x.includes('host="off"') && x.startsWith('gantry_host_up'))).toBe(false) // turned off: not reported as down
    expect(l).toContain('gantry_host_health{host="gpu-a"} 2')
    expect(l).toContain('gantry_host_cpu_ratio{host="gpu-a"} 0.12')
    expect(l.some((x) => x.startsWith('gantry_host_memory_used_ratio'))).toBe(false) // unknown: absent, not 0
    expect(l).toContain('gantry_host_filesystem_fullest_used_ratio{host="gpu-a",mount="/data"} 0.935')
    const ep = 'endpoint="fraud-prod",host="gpu-a",url="http://10.0.0.5:8000/"'
    expect(l).toContain(`gantry_endpoint_up{${ep}} 0`)
    expect(l).toContain(`gantry_endpoint_state{${ep},state="hung"} 1`)
    expect(l.filter((x) => x.startsWith('gantry_endpoint_state{') && x.endsWith(' 1'))).toHaveLength(1)
    expect(l).toContain(`gantry_endpoint_latency_p95_seconds{${ep}} 0.25`)
    expect(l).toContain(`gantry_endpoint_error_ratio{${ep}} 0.02`)
    expect(l).toContain('gantry_intent_mismatch{endpoint="fraud-prod",model="fraud",alias="production"} 1')
    expect(l.some((x) => x.includes('model="churn"') && x.startsWith('gantry_intent_mismatch'))).toBe(false)
    expect(l).toContain('gantry_model_drift_drifted{model="fraud"} 1')
    expect(l).toContain('gantry_model_drift_share{model="fraud"} 0.4')
    expect(l).toContain('gantry_model_drift_drifted{model="draft"} 0')
    expect(l).toContain('gantry_model_owner_missing{model="churn"} 1')
    expect(l).toContain('gantry_model_owner_missing{model="fraud"} 0')
    expect(l.some((x) => x.includes('model="draft"') && x.startsWith('gantry_model_owner_missing'))).toBe(false)
    expect(l).toContain('gantry_deployments{model="fraud",kind="deploy",outcome="reverted"} 1')
    expect(l).toContain('gantry_deployments{model="fraud",kind="rollback",outcome="succeeded"} 1')
  })

  it('forgets what is gone at the next scrape (a removed host leaves no stale series)', async () => {
    let hosts = [host('gpu-a'), host('gpu-b')]
    const m = createMetricsExposition(source({ hosts: () => hosts }))
    expect(await m.render()).toContain('gantry_host_up{host="gpu-b"}')
    hosts = [host('gpu-a')]
    const again = await m.render()
    expect(again).toContain('gantry_host_up{host="gpu-a"}')
    expect(again).not.toContain('host="gpu-b"')
  })
})
