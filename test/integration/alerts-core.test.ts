// Alerts through the whole core (real SQLite, the real storage probe over fake filesystems, the
// api), with a fake clock: a filesystem rule goes pending → firing → resolved, its notification is
// grouped and routed, acknowledgement holds for one episode only, a silence mutes, a restart keeps
// the pending clock, an evaluation error holds a firing alert instead of resolving it, and rules
// that do not make sense are refused with the reason.
import { afterEach, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import type { Alert, AlertNotification, AlertRule, Silence } from '../../src/shared/alerts'
import { fakeHostDeps, fakeStorageDeps } from '../helpers/fakes'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const GiB = 1024 ** 3
const MIN = 60_000
const running: Gantry[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()))
  cleanupTmp()
})

/** Filesystems whose use the test sets; `fail` makes the probe throw. */
function disks() {
  const state = { uses: { '/': 42, '/data': 50 } as Record<string, number>, fail: false }
  const deps = fakeStorageDeps({
    fsSize: async () => {
      if (state.fail) throw new Error('statfs: input/output error')
      return Object.entries(state.uses).map(([mount, use]) => ({
        fs: `/dev/${mount.replace(/\W/g, '') || 'root'}`,
        type: 'ext4',
        size: 100 * GiB,
        used: use * GiB,
        available: (100 - use) * GiB,
        use,
        mount,
        rw: true,
      })) as never
    },
  })
  return { state, deps }
}

function make(dataDir: string, clock: { t: number }, storageDeps: ReturnType<typeof disks>['deps']) {
  const g = createGantry({
    dataDir,
    door: 'server',
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    driftIntervalMs: 0,
    alertIntervalMs: 0, // evaluated by the test, on its clock
    hostDeps: fakeHostDeps(),
    storageDeps,
    now: () => clock.t,
    connector: null,
    log: () => {},
  })
  running.push(g)
  const notes: AlertNotification[] = []
  g.events.on('alerts.notification', (n) => notes.push(n))
  const tick = async (ms = 0): Promise<void> => {
    clock.t += ms
    await g.fleet.get('local').storage.sampleNow()
    await g.alerts.evaluate()
  }
  const fsAlerts = async () => {
    const r = await g.client['alerts.list']({})
    if (!r.ok) throw new Error(r.error.message)
    return r.data.alerts.filter((a) => a.rule === 'fs-used')
  }
  return { g, notes, tick, fsAlerts }
}

describe('alerts in the core', () => {
  it('fires after `for`, notifies once, holds an ack for one episode, and notifies the resolution', async () => {
    const clock = { t: Date.parse('2026-12-01T10:00:00Z') }
    const d = disks()
    const { g, notes, tick, fsAlerts } = make(tmpDir(), clock, d.deps)
    d.state.uses['/data'] = 93
    await tick()
    expect((await fsAlerts()).map((a) => a.state)).toEqual(['pending'])
    await tick(4 * MIN + 59_000) // for (5 min) − 1 s
    expect((await fsAlerts())[0].state).toBe('pending')
    expect(notes).toHaveLength(0)
    await tick(1000)
    const [a] = await fsAlerts()
    expect(a.state).toBe('firing')
    expect(a.summary).toBe('/data on local is 93.0 % full (threshold 90 %)')
    expect(a.route).toMatchObject({ receiver: 'default', unowned: true, why: 'nobody owns host local: default route' })
    expect(a.subject.link).toBe('#/storage')
    expect(notes.map((n) => n.title)).toEqual(['[WARNING] /data on local is 93.0 % full (threshold 90 %)'])
    expect(notes[0].link).toBe(`#/alerts/${a.id}`)

    // Acknowledged: no repeat, still listed, audited with who and the note.
    const ack = await g.api.call('alerts.ack', { id: a.id, note: 'moving checkpoints to /archive' }, { actor: 'alice' })
    expect(ack.ok && (ack.data as Alert).ack).toMatchObject({ by: 'alice', note: 'moving checkpoints to /archive' })
    const audit = await g.client['audit.list']({})
    const acks = audit.ok ? audit.data.filter((r) => r.action === 'alert.acknowledged') : []
    expect(acks.map((r) => r.actor)).toEqual(['alice'])
    expect(JSON.stringify(acks[0].after)).toContain('moving checkpoints to /archive')
    await tick(5 * 3600_000) // past the 4 h repeat interval
    expect(notes).toHaveLength(1)
    expect((await g.client['alerts.list']({})).ok && (await fsAlerts())[0].ack?.by).toBe('alice')

    // Resolves: the resolution of a notified alert is notified too.
    d.state.uses['/data'] = 60
    await tick(MIN)
    expect((await fsAlerts())[0].state).toBe('resolved')
    expect(notes.at(-1)?.title).toMatch(/^\[RESOLVED\] /)
    expect(notes.at(-1)?.resolved).toBe(true)

    // Fires again: a new episode needs a new acknowledgement (and is notified).
    d.state.uses['/data'] = 95
    await tick(MIN)
    await tick(5 * MIN)
    const [again] = await fsAlerts()
    expect(again.state).toBe('firing')
    expect(again.id).toBe(a.id)
    expect(again.ack).toBeNull()
    expect(notes.at(-1)?.title).toMatch(/^\[WARNING\] \/data on local is 95\.0 %/)

    // The history has every transition.
    const hist = await g.client['alerts.get']({ id: a.id })
    expect(hist.ok && hist.data.transitions.map((t) => `${t.from ?? '∅'}→${t.to}`).reverse()).toEqual([
      '∅→pending',
      'pending→firing',
      'firing→resolved',
      '∅→pending',
      'pending→firing',
    ])
  })

  it('groups one host’s alerts into one notification, routes to the host owner, and a silence mutes', async () => {
    const clock = { t: Date.parse('2026-12-01T10:00:00Z') }
    const d = disks()
    const { g, notes, tick, fsAlerts } = make(tmpDir(), clock, d.deps)
    const up = await g.api.call('hosts.update', { name: 'local', owner: 'team-infra' }, { actor: 'root' })
    expect(up.ok).toBe(true)
    for (let k = 0; k < 40; k++) d.state.uses[`/scratch${k}`] = 97
    await tick()
    await tick(5 * MIN)
    expect((await fsAlerts()).filter((a) => a.state === 'firing')).toHaveLength(40)
    expect(notes).toHaveLength(1)
    expect(notes[0].title).toBe('[WARNING] 40 alerts on local')
    expect(notes[0].receiver).toBe('team-infra')
    expect(notes[0].body).toContain('… and 34 more')
    expect(notes[0].link).toBe('#/alerts?host=local')

    // A silence on the host: listed as silenced, not re-notified after the repeat interval.
    const s = await g.api.call(
      'alerts.silence',
      {
        matchers: [{ name: 'host', value: 'local', isRegex: false, isEqual: true }],
        endsAt: clock.t + 24 * 3600_000,
        comment: 'disk swap tonight',
      },
      { actor: 'bob' },
    )
    expect(s.ok).toBe(true)
    await tick(5 * 3600_000)
    expect(notes).toHaveLength(1)
    const list = await g.client['alerts.list']({})
    expect(list.ok && list.data.counts).toMatchObject({ firing: 40, silenced: 40, open: 0, worst: null })
    // Expired (Alertmanager's "delete"): it stays listed as expired, and the repeat resumes.
    const ex = await g.client['alerts.expireSilence']({ id: s.ok ? (s.data as Silence).id : '' })
    expect(ex.ok && ex.data.state).toBe('expired')
    await tick(MIN)
    expect(notes).toHaveLength(2)
  })

  it('keeps a pending clock across a restart, and holds a firing alert while the filesystems cannot be read', async () => {
    const dir = tmpDir()
    const clock = { t: Date.parse('2026-12-01T10:00:00Z') }
    const d = disks()
    d.state.uses['/data'] = 92
    const first = make(dir, clock, d.deps)
    await first.tick()
    expect((await first.fsAlerts())[0].state).toBe('pending')
    await first.g.stop()

    const second = make(dir, clock, d.deps)
    await second.tick(3 * MIN)
    const [p] = await second.fsAlerts()
    expect(p.state).toBe('pending')
    expect(p.activeAt).toBe(Date.parse('2026-12-01T10:00:00Z'))
    await second.tick(2 * MIN) // 5 min after it began, across the restart
    expect((await second.fsAlerts())[0].state).toBe('firing')

    // The probe fails: the alert is held (not "fine"), and an error instance says why.
    d.state.fail = true
    await second.tick(MIN)
    const r = await second.g.client['alerts.list']({})
    const all = r.ok ? r.data.alerts : []
    expect(all.find((a) => a.rule === 'fs-used' && a.labels.filesystem === '/data')?.state).toBe('firing')
    const err = all.find((a) => a.rule === 'fs-used' && a.state === 'error')
    expect(err?.reason).toMatch(/filesystems of local could not be read: .*input\/output error/)
    // Both storage rules say they could not evaluate (each rule its own error instance).
    expect(
      all
        .filter((a) => a.state === 'error')
        .map((a) => a.rule)
        .sort(),
    ).toEqual(['fs-full-soon', 'fs-used'])
    expect(r.ok && r.data.counts.problems).toBe(2)
    d.state.fail = false
    d.state.uses['/data'] = 50
    await second.tick(MIN)
    const after = await second.fsAlerts()
    expect(after.map((a) => a.state)).toEqual(['resolved'])
  })

  it('a CLI command that starts the core (a deploy recovering) never evaluates rules', async () => {
    const dir = tmpDir()
    const clock = { t: Date.parse('2026-12-01T10:00:00Z') }
    const d = disks()
    d.state.uses['/data'] = 99
    const consoleSide = make(dir, clock, d.deps)
    await consoleSide.g.client['alerts.setRule']({ name: 'fs-used', forMs: 0 })
    await consoleSide.tick()
    expect((await consoleSide.fsAlerts())[0].state).toBe('firing')
    const before = (await consoleSide.g.client['alerts.history']({})) as { ok: true; data: unknown[] }
    const cli = createGantry({
      dataDir: dir,
      door: 'cli',
      alertIntervalMs: 50,
      hostIntervalMs: 0,
      storageIntervalMs: 0,
      gpuIntervalMs: 0,
      servingIntervalMs: 0,
      connector: null,
      log: () => {},
    })
    running.push(cli)
    cli.start()
    await new Promise((r) => setTimeout(r, 300))
    await cli.stop()
    // It saw no filesystems, and resolved nothing: the console's alert is as it was.
    const after = (await consoleSide.g.client['alerts.history']({})) as { ok: true; data: unknown[] }
    expect(after.data).toHaveLength(before.data.length)
    expect((await consoleSide.fsAlerts())[0].state).toBe('firing')
  })

  it('a removed rule takes its alerts with it, without a resolved notification', async () => {
    const clock = { t: Date.parse('2026-12-01T10:00:00Z') }
    const d = disks()
    d.state.uses['/data'] = 99
    const { g, notes, tick } = make(tmpDir(), clock, d.deps)
    await g.client['alerts.setRule']({ name: 'data-full', kind: 'fs-used', threshold: 95 })
    await tick()
    const list = async () => {
      const r = await g.client['alerts.list']({ all: true })
      return r.ok ? r.data.alerts.filter((a) => a.rule === 'data-full') : []
    }
    expect((await list()).map((a) => a.state)).toEqual(['firing'])
    const n = notes.length
    expect((await g.client['alerts.removeRule']({ name: 'data-full' })).ok).toBe(true)
    await tick(MIN)
    expect(await list()).toEqual([])
    expect(notes).toHaveLength(n)
  })

  it('changes rules, refuses those that make no sense, and resolves what a rule turned off watched', async () => {
    const clock = { t: Date.parse('2026-12-01T10:00:00Z') }
    const d = disks()
    const { g, tick, fsAlerts } = make(tmpDir(), clock, d.deps)
    const rules = await g.client['alerts.rules']({})
    const names = rules.ok ? rules.data.rules.map((r) => r.name) : []
    for (const n of [
      'gpu-critical',
      'gpu-xid-reset',
      'gpu-temp-margin',
      'fs-used',
      'fs-full-soon',
      'endpoint-down',
      'endpoint-error-rate',
      'endpoint-p95',
      'intent-mismatch',
      'drift-begun',
      'realized-below-floor',
      'deploy-failed',
      'production-unowned',
      'host-unreachable',
    ]) {
      expect(names).toContain(n)
    }
    const set = await g.api.call('alerts.setRule', { name: 'fs-used', threshold: 40, forMs: 0 }, { actor: 'carol' })
    const rule = set.ok ? (set.data as AlertRule) : null
    expect([rule?.threshold, rule?.forMs, rule?.updatedBy]).toEqual([40, 0, 'carol'])
    await tick()
    expect((await fsAlerts()).map((a) => a.labels.filesystem).sort()).toEqual(['/', '/data'])
    const off = await g.client['alerts.setRule']({ name: 'fs-used', enabled: false })
    expect(off.ok).toBe(true)
    await tick(MIN)
    expect((await fsAlerts()).map((a) => [a.state, a.reason])).toEqual([
      ['resolved', 'the rule was turned off'],
      ['resolved', 'the rule was turned off'],
    ])

    const bad = async (input: object, re: RegExp) => {
      const r = await g.api.call('alerts.setRule', input as never)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error.message).toMatch(re)
    }
    await bad({ name: 'endpoint-down', threshold: 3 }, /takes no threshold/)
    await bad({ name: 'fs-used', summary: '{{hots}} is full' }, /\{\{hots\}\} is not a name/)
    await bad({ name: 'nope' }, /needs its kind/)
    await bad({ name: 'q1', kind: 'promql', expr: 'up == 0' }, /no Prometheus source is configured/)
    await bad({ name: 'fs-used', host: 'no-such-host' }, /no host named/)
    await bad({ name: 'Bad Name', kind: 'fs-used' }, /lower-case/)
    await bad({ name: 'fs-used', runbookUrl: 'javascript:alert(1)' }, /an http\(s\) link/)
    const rm = await g.client['alerts.removeRule']({ name: 'fs-used' })
    expect(!rm.ok && rm.error.message).toMatch(/turn it off instead/)
  })
})
