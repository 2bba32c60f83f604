// An alert instance's life at its boundaries, with a fake clock: `for` − 1 tick stays pending and
// `for` fires; keep_firing_for holds a firing alert through a gap and then resolves it; a flapping
// condition never fires without keep_firing_for; no data and evaluation errors are states of their
// own, and an error holds the instances it covers as they were.
import { describe, expect, it } from 'vitest'
import { evaluate, fingerprint, type Instance, type Observed } from '../../src/main/core/alerts/engine'
import { apply, type Sample } from '../../src/main/core/alerts/signals'
import { defaultRules } from '../../src/main/core/alerts/defaults'
import { parseMatcher, silencedBy } from '../../src/main/core/alerts/silences'

const TICK = 15_000
const sub = { host: 'h1', gpu: null, endpoint: null, model: null, filesystem: null, link: '#/hosts' }
const active = (labels: Record<string, string> = { host: 'h1' }): Observed => ({
  labels: { alertname: 'r', ...labels },
  subject: sub,
  value: 1,
  summary: 'it holds',
  status: 'active',
  reason: null,
})

function run(rule: { forMs: number; keepFiringForMs: number }, pattern: (Observed[] | 'error')[]) {
  const instances = new Map<string, Instance>()
  const states: string[] = []
  const changes: string[] = []
  pattern.forEach((obs, k) => {
    const now = 1_000_000 + k * TICK
    const c =
      obs === 'error'
        ? evaluate(
            { name: 'r', ...rule },
            instances,
            [{ ...active({}), status: 'error', reason: 'ssh: connection refused' }],
            [{ alertname: 'r', host: 'h1' }],
            now,
          )
        : evaluate({ name: 'r', ...rule }, instances, obs, [], now)
    changes.push(...c.map((x) => `${x.from ?? '∅'}→${x.to}`))
    const id = fingerprint('r', { alertname: 'r', host: 'h1' })
    states.push(instances.get(id)?.state ?? '-')
  })
  return { states, changes, instances }
}

describe('alert state machine', () => {
  it('stays pending for `for` − 1 tick and fires at `for`', () => {
    const { states, changes } = run({ forMs: 3 * TICK, keepFiringForMs: 0 }, [
      [active()],
      [active()],
      [active()],
      [active()],
    ])
    expect(states).toEqual(['pending', 'pending', 'pending', 'firing'])
    expect(changes).toEqual(['∅→pending', 'pending→firing'])
  })

  it('fires at once without `for`, resolves at the first false evaluation without keep_firing_for', () => {
    const { states } = run({ forMs: 0, keepFiringForMs: 0 }, [[active()], [], [active()]])
    expect(states).toEqual(['firing', 'resolved', 'firing'])
  })

  it('a re-fire after resolution is a new episode (new firedAt)', () => {
    const instances = new Map<string, Instance>()
    const rule = { name: 'r', forMs: 0, keepFiringForMs: 0 }
    evaluate(rule, instances, [active()], [], 1000)
    const first = [...instances.values()][0].firedAt
    evaluate(rule, instances, [], [], 2000)
    evaluate(rule, instances, [active()], [], 3000)
    const again = [...instances.values()][0]
    expect(first).toBe(1000)
    expect(again.firedAt).toBe(3000)
    expect(again.resolvedAt).toBeNull()
  })

  it('keep_firing_for holds through a gap shorter than it, then resolves', () => {
    const { states, instances } = run({ forMs: 0, keepFiringForMs: 2 * TICK }, [[active()], [], [], []])
    expect(states).toEqual(['firing', 'firing', 'firing', 'resolved'])
    expect([...instances.values()][0].resolvedAt).toBe(1_000_000 + 3 * TICK)
    // Inside the gap it says it is recovering.
    const r = run({ forMs: 0, keepFiringForMs: 2 * TICK }, [[active()], []])
    expect([...r.instances.values()][0].recoveringSince).toBe(1_000_000 + TICK)
  })

  it('a flapping condition never fires with `for`, and stays firing once fired with keep_firing_for', () => {
    const flap = [[active()], [], [active()], [], [active()], []] as Observed[][]
    expect(run({ forMs: 2 * TICK, keepFiringForMs: 0 }, flap).states).toEqual([
      'pending',
      '-',
      'pending',
      '-',
      'pending',
      '-',
    ])
    const held = run({ forMs: 0, keepFiringForMs: 2 * TICK }, flap)
    expect(held.states).toEqual(['firing', 'firing', 'firing', 'firing', 'firing', 'firing'])
    expect(held.changes).toEqual(['∅→firing'])
  })

  it('no data is a state of its own, and data coming back starts `for` from then', () => {
    const nodata: Observed = { ...active(), status: 'nodata', reason: 'the query returned no series' }
    const { states } = run({ forMs: TICK, keepFiringForMs: 0 }, [[nodata], [nodata], [active()], [active()]])
    expect(states).toEqual(['nodata', 'nodata', 'pending', 'firing'])
  })

  it('an evaluation error holds the firing instances it covers and never resolves them', () => {
    const gpu = active({ host: 'h1', gpu: 'GPU-1' })
    const instances = new Map<string, Instance>()
    const rule = { name: 'r', forMs: 0, keepFiringForMs: 0 }
    evaluate(rule, instances, [gpu], [], 1000)
    const id = fingerprint('r', gpu.labels)
    expect(instances.get(id)?.state).toBe('firing')
    const err: Observed = { ...active({ host: 'h1' }), status: 'error', reason: 'nvidia-smi: not responding' }
    const changes = evaluate(rule, instances, [err], [{ alertname: 'r', host: 'h1' }], 2000)
    expect(instances.get(id)?.state).toBe('firing')
    expect(changes.map((c) => c.to)).toEqual(['error'])
    // Read again, the GPU is fine: the GPU alert resolves and the error instance goes away.
    const back = evaluate(rule, instances, [], [], 3000)
    expect(instances.get(id)?.state).toBe('resolved')
    expect(back.map((c) => `${c.from}→${c.to}`).sort()).toEqual(['error→inactive', 'firing→resolved'])
  })

  it('no data is recorded as a first transition from nothing', () => {
    const nodata: Observed = { ...active(), status: 'nodata', reason: 'no series' }
    expect(run({ forMs: 0, keepFiringForMs: 0 }, [[nodata]]).changes).toEqual(['∅→nodata'])
  })

  it('a pending clock survives a short gap but starts again after a long outage (for-outage-tolerance)', () => {
    const rule = { name: 'r', forMs: 10 * 60_000, keepFiringForMs: 0 }
    const instances = new Map<string, Instance>()
    evaluate(rule, instances, [active()], [], 0)
    evaluate(rule, instances, [active()], [], 30 * 60_000) // 30 min gap: kept, and past `for`
    expect([...instances.values()][0].state).toBe('firing')
    const again = new Map<string, Instance>()
    evaluate(rule, again, [active()], [], 0)
    evaluate(rule, again, [active()], [], 3 * 3600_000) // Gantry was down 3 h: `for` starts again
    expect([...again.values()][0]).toMatchObject({ state: 'pending', activeAt: 3 * 3600_000 })
  })

  it('a pending instance whose condition goes away is dropped, not resolved', () => {
    const { states, changes } = run({ forMs: 5 * TICK, keepFiringForMs: 0 }, [[active()], []])
    expect(states).toEqual(['pending', '-'])
    expect(changes).toEqual(['∅→pending', 'pending→inactive'])
  })

  it('an error that never fired, cleared, leaves no instance; one that fired resolves', () => {
    const { states } = run({ forMs: 0, keepFiringForMs: 0 }, ['error', []])
    expect(states[1]).toBe('-')
  })
})

describe('rules applied to samples', () => {
  const fs = (host: string, mount: string, usedPct: number): Sample => ({
    labels: { host, filesystem: mount },
    subject: { ...sub, host, filesystem: mount },
    value: usedPct,
    text: (thr) => `${mount} on ${host} is ${usedPct} % full (threshold ${thr} %)`,
  })
  const rule = defaultRules().find((r) => r.name === 'fs-used')!

  it('compares each sample with the threshold (at it fires) and scopes to a host', () => {
    const samples = [fs('a', '/', 89.9), fs('a', '/data', 90), fs('b', '/', 97)]
    expect(apply(rule, samples).observed.map((o) => `${o.labels.host}:${o.labels.filesystem}`)).toEqual([
      'a:/data',
      'b:/',
    ])
    expect(apply({ ...rule, host: 'b' }, samples).observed.map((o) => o.labels.host)).toEqual(['b'])
    expect(apply({ ...rule, threshold: 99 }, samples).observed).toEqual([])
  })

  it('renders the summary template from labels, value and threshold', () => {
    const r = { ...rule, summary: '{{filesystem}} on {{host}}: {{value}} % (limit {{threshold}})' }
    expect(apply(r, [fs('a', '/data', 93.25)]).observed[0].summary).toBe('/data on a: 93.25 % (limit 90)')
  })

  it('a threshold kind without a threshold (no floor set) evaluates nothing', () => {
    const floor = defaultRules().find((r) => r.name === 'realized-below-floor')!
    expect(floor.threshold).toBeNull()
    expect(apply(floor, [{ ...fs('a', '/', 0.5), labels: { model: 'm' } }]).observed).toEqual([])
    expect(
      apply({ ...floor, threshold: 0.9 }, [{ ...fs('a', '/', 0.5), labels: { model: 'm' } }]).observed,
    ).toHaveLength(1)
  })

  it('no data maps to its own state, to ok, or to alerting as the rule says', () => {
    const nodata: Sample = {
      labels: {},
      subject: sub,
      value: null,
      status: 'nodata',
      reason: 'no series',
      text: () => '',
    }
    expect(apply({ ...rule, noData: 'nodata' }, [nodata]).observed[0].status).toBe('nodata')
    expect(apply({ ...rule, noData: 'ok' }, [nodata]).observed).toEqual([])
    expect(apply({ ...rule, noData: 'alerting' }, [nodata]).observed[0].status).toBe('active')
  })
})

describe('values and labels that do not fit', () => {
  it('an infinite value holds the condition but is stored as no value', () => {
    const rule = { ...defaultRules()[0], kind: 'promql' as const, op: '>' as const, threshold: 0.05, name: 'ratio' }
    const inf: Sample = { labels: { job: 'api' }, subject: sub, value: Infinity, text: () => 'errors/requests = +Inf' }
    const [o] = apply(rule, [inf]).observed
    expect(o.status).toBe('active')
    expect(o.value).toBeNull()
  })
  it('PromQL series labels that are not label names, or too long, are dropped or cut', async () => {
    const { collect } = await import('../../src/main/core/alerts/signals')
    const facts = {
      promql: async () => [
        { source: 's', labels: { 'k8s.namespace.name': 'prod', job: 'x'.repeat(5000), ok: 'a\nb' }, value: 1 },
      ],
    } as never
    const [s0] = await collect(facts, { kind: 'promql', metric: null, source: null, expr: 'up' }, 0)
    expect(Object.keys(s0.labels).sort()).toEqual(['job', 'ok', 'source'])
    expect(s0.labels.job).toHaveLength(1000)
    expect(s0.labels.ok).toBe('a b')
  })
})

describe('silence matchers (Alertmanager semantics)', () => {
  const s = (text: string[]) => ({
    id: 's1',
    matchers: text.map(parseMatcher),
    startsAt: 0,
    endsAt: 10_000,
    createdBy: 'ops',
    comment: 'maintenance',
    state: 'active' as const,
    origin: 'gantry' as const,
  })
  it('=, !=, =~ (anchored), !~, and a missing label equals ""', () => {
    const labels = { alertname: 'fs-used', host: 'gpu-07', filesystem: '/data' }
    expect(silencedBy([s(['host=gpu-07'])], labels, 5000)).toEqual(['s1'])
    expect(silencedBy([s(['host!=gpu-07'])], labels, 5000)).toEqual([])
    expect(silencedBy([s(['host=~gpu-0.'])], labels, 5000)).toEqual(['s1'])
    expect(silencedBy([s(['host=~gpu'])], labels, 5000)).toEqual([]) // anchored
    expect(silencedBy([s(['filesystem!~/tmp.*', 'alertname="fs-used"'])], labels, 5000)).toEqual(['s1'])
    expect(silencedBy([s(['model=""'])], labels, 5000)).toEqual(['s1'])
    // Outside its window it mutes nothing.
    expect(silencedBy([s(['host=gpu-07'])], labels, 10_000)).toEqual([])
  })
  it('regexes are RE2 (Alertmanager’s syntax, linear time): (?i) works and (a+)+$ cannot freeze it', () => {
    const labels = { host: 'GPU-07', model: `${'a'.repeat(5000)}!` }
    expect(silencedBy([s(['host=~(?i)gpu-0.'])], labels, 5000)).toEqual(['s1'])
    const t0 = performance.now()
    expect(silencedBy([s(['model=~(a+)+'])], labels, 5000)).toEqual([])
    expect(performance.now() - t0).toBeLessThan(1000)
  })
  it('refuses what is not a matcher', () => {
    expect(() => parseMatcher('host')).toThrow(/not a matcher/)
    expect(() => parseMatcher('9x=1')).toThrow(/not a matcher/)
  })
})
