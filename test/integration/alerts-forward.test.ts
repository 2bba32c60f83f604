// Forwarding to a real Alertmanager (Debian's prometheus-alertmanager on 127.0.0.1): a firing alert
// is posted and read back from its GET /api/v2/alerts with an explicit endsAt and a console link,
// a silence created there is shown in Gantry (and mutes the alert), the resolution is posted with
// endsAt = when it resolved, and an Alertmanager that is down or hangs is a state with its error
// and a backoff — the alert is still there and is sent once it is back. Then the CLI on the same
// data directory: alerts, alert ack, silence add/list/expire, rules list/set, alerts forward.
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import type { Alert, AlertList, ForwardStatus, RuleStatus, Silence } from '../../src/shared/alerts'
import { fakeHostDeps, fakeStorageDeps } from '../helpers/fakes'
import { haveAlertmanager, startAlertmanager, type Running } from '../helpers/prometheus'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const GiB = 1024 ** 3
const bin = join(__dirname, '..', '..', 'bin', 'gantry.js')
const skip = haveAlertmanager ? null : 'prometheus-alertmanager is not installed (.ci/run installs it)'
if (skip) console.log(`alerts-forward: skipped: ${skip}`)

const running: Gantry[] = []
const ams: Running[] = []
const servers: Server[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()))
  await Promise.all(ams.splice(0).map((a) => a.stop()))
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    s.close()
  }
})
afterAll(() => cleanupTmp())

function world(dataDir = tmpDir()) {
  const uses: Record<string, number> = { '/': 40, '/data': 95 }
  const clock = { t: Date.now() }
  const g = createGantry({
    dataDir,
    door: 'server',
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    driftIntervalMs: 0,
    alertIntervalMs: 0,
    hostDeps: fakeHostDeps(),
    storageDeps: fakeStorageDeps({
      fsSize: async () =>
        Object.entries(uses).map(([mount, use]) => ({
          fs: `/dev/x${mount.length}`,
          type: 'ext4',
          size: 100 * GiB,
          used: use * GiB,
          available: (100 - use) * GiB,
          use,
          mount,
          rw: true,
        })) as never,
    }),
    now: () => clock.t,
    consoleUrl: () => 'http://127.0.0.1:7300/',
    connector: null,
    log: () => {},
  })
  running.push(g)
  const tick = async (ms = 0) => {
    clock.t += ms
    await g.fleet.get('local').storage.sampleNow()
    await g.alerts.evaluate()
  }
  const call = async <T>(m: string, input: unknown): Promise<T> => {
    const r = await g.api.call(m as never, input)
    if (!r.ok) throw new Error(`${m}: ${r.error.message}`)
    return r.data as T
  }
  return { g, uses, clock, tick, call, dataDir }
}

interface AmAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  generatorURL: string
  status: { state: string; silencedBy: string[] }
}
async function amAlerts(am: Running): Promise<AmAlert[]> {
  const r = await fetch(`${am.url}api/v2/alerts`)
  return (await r.json()) as AmAlert[]
}

function cli(dataDir: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, '--data-dir', dataDir, ...args], { env: { ...process.env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}

describe.skipIf(skip)('forwarding to Alertmanager', () => {
  it('posts a firing alert, shows a silence made there, posts the resolution, and rides out an outage', async () => {
    const am = await startAlertmanager()
    ams.push(am)
    const w = world()
    await w.call('alerts.setRule', { name: 'fs-used', forMs: 0 })
    const st = await w.call<ForwardStatus>('alerts.forward', { url: am.url })
    expect(st).toMatchObject({ url: am.url, state: 'starting' })
    await w.tick()
    const mine = (await w.call<AlertList>('alerts.list', {})).alerts.find((a) => a.rule === 'fs-used') as Alert
    expect(mine.state).toBe('firing')
    expect((await w.call<ForwardStatus>('alerts.forwardStatus', {})).state).toBe('ok')

    const got = (await amAlerts(am)).filter((a) => a.labels.alertname === 'fs-used')
    expect(got).toHaveLength(1)
    expect(got[0].labels).toMatchObject({ host: 'local', filesystem: '/data', severity: 'warning' })
    expect(got[0].annotations.summary).toBe('/data on local is 95.0 % full (threshold 90 %)')
    expect(got[0].generatorURL).toBe(`http://127.0.0.1:7300/#/alerts/${mine.id}`)
    expect(Date.parse(got[0].endsAt)).toBeGreaterThanOrEqual(w.clock.t + 4 * 60_000 - 1000)
    expect(got[0].status.state).toBe('active')

    // A silence made in Alertmanager: read back, shown, and it mutes the alert here too.
    const sil = await fetch(`${am.url}api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'filesystem', value: '/data', isRegex: false, isEqual: true }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3600_000).toISOString(),
        createdBy: 'pager-admin',
        comment: 'disk replacement',
      }),
    })
    const { silenceID } = (await sil.json()) as { silenceID: string }
    await w.tick(61_000) // the resend interval: posted again, silences read back
    const shown = await w.call<Silence[]>('alerts.silences', {})
    expect(shown.find((s) => s.origin === 'alertmanager')).toMatchObject({
      id: silenceID,
      createdBy: 'pager-admin',
      comment: 'disk replacement',
      state: 'active',
    })
    const silenced = (await w.call<AlertList>('alerts.list', {})).alerts.find((a) => a.id === mine.id) as Alert
    expect(silenced.silencedBy).toEqual([`am:${silenceID}`])
    expect((await amAlerts(am)).find((a) => a.labels.alertname === 'fs-used')?.status.silencedBy).toEqual([silenceID])

    // Resolved: posted with endsAt = when it resolved; Alertmanager no longer lists it as active.
    w.uses['/data'] = 50
    w.clock.t = Date.now()
    await w.tick()
    const resolved = (await w.call<AlertList>('alerts.list', {})).alerts.find((a) => a.id === mine.id) as Alert
    expect(resolved.state).toBe('resolved')
    const after = (await amAlerts(am)).filter((a) => a.labels.alertname === 'fs-used')
    expect(after.every((a) => Date.parse(a.endsAt) <= (resolved.resolvedAt ?? 0) + 1000)).toBe(true)

    // Alertmanager down: a state with the error and a backoff; back up, the firing alert is re-sent.
    const port = am.port
    await am.stop()
    ams.length = 0
    w.uses['/data'] = 97
    await w.tick(1000)
    const down = await w.call<ForwardStatus>('alerts.forwardStatus', {})
    expect(down.state).toBe('failing')
    expect(down.lastError).toMatch(/POST \/api\/v2\/alerts: .*(ECONNREFUSED|connect)/)
    expect(down.nextTryAt).toBe(w.clock.t + 5000)
    expect((await w.call<AlertList>('alerts.list', {})).alerts.find((a) => a.id === mine.id)?.state).toBe('firing')
    const back = await startAlertmanager({ port, dir: am.dir })
    ams.push(back)
    await w.tick(2000) // still inside the backoff: not tried
    expect((await w.call<ForwardStatus>('alerts.forwardStatus', {})).state).toBe('failing')
    await w.tick(4000)
    expect((await w.call<ForwardStatus>('alerts.forwardStatus', {})).state).toBe('ok')
    const resent = (await amAlerts(back)).filter((a) => a.labels.alertname === 'fs-used')
    expect(resent.map((a) => a.annotations.summary)).toEqual(['/data on local is 97.0 % full (threshold 90 %)'])
    expect(Date.parse(resent[0].endsAt)).toBeGreaterThan(Date.now())
  }, 60_000)

  it('an Alertmanager that never answers is cut off at the timeout and said so', async () => {
    const hung = createServer(() => {
      /* never answers */
    })
    servers.push(hung)
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()))
    const w = world()
    await w.call('alerts.setRule', { name: 'fs-used', forMs: 0 })
    await w.call('alerts.forward', { url: `http://127.0.0.1:${(hung.address() as { port: number }).port}/` })
    const t0 = Date.now()
    await w.tick()
    expect(Date.now() - t0).toBeLessThan(9000)
    const st = await w.call<ForwardStatus>('alerts.forwardStatus', {})
    expect(st.state).toBe('failing')
    expect(st.lastError).toMatch(/POST \/api\/v2\/alerts: no complete answer within 5000 ms/)
    expect((await w.call<AlertList>('alerts.list', {})).counts.firing).toBe(1)
  }, 30_000)

  it('a silence it cannot read is skipped and counted; a refused silence read does not hold the alerts back', async () => {
    let silences: { status: number; body: unknown } = { status: 200, body: [] }
    let posted = 0
    const fake = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/api/v2/alerts') {
          posted++
          return void res.writeHead(200).end()
        }
        if (req.url === '/api/v2/silences') {
          return void res
            .writeHead(silences.status, { 'content-type': 'application/json' })
            .end(JSON.stringify(silences.body))
        }
        res.writeHead(404).end()
      })
    })
    servers.push(fake)
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()))
    const base = `http://127.0.0.1:${(fake.address() as { port: number }).port}/`
    const sil = (id: string, name: string) => ({
      id,
      status: { state: 'active' },
      matchers: [{ name, value: 'x', isRegex: false, isEqual: true }],
      startsAt: new Date(Date.now() - 1000).toISOString(),
      endsAt: new Date(Date.now() + 3600_000).toISOString(),
      createdBy: 'am',
      comment: 'c',
    })
    silences = { status: 200, body: [sil('good', 'host'), sil('utf8', 'k8s.namespace.name')] }
    const w = world()
    await w.call('alerts.setRule', { name: 'fs-used', forMs: 0 })
    await w.call('alerts.forward', { url: base })
    await w.tick()
    const st = await w.call<ForwardStatus>('alerts.forwardStatus', {})
    expect(st).toMatchObject({ state: 'ok', silences: 1 })
    expect(st.lastError).toMatch(/1 of its silences could not be read/)
    expect((await w.call<Silence[]>('alerts.silences', {})).map((s) => s.id)).toContain('good')
    silences = { status: 403, body: { error: 'forbidden' } }
    await w.tick(61_000)
    const st2 = await w.call<ForwardStatus>('alerts.forwardStatus', {})
    expect(st2.state).toBe('ok') // the alerts went; only the silences could not be read
    expect(st2.lastError).toMatch(/its silences could not be read: GET \/api\/v2\/silences: HTTP 403/)
    expect(posted).toBe(2)
  })

  it('refuses Alertmanager URLs that are not one', async () => {
    const w = world()
    for (const [url, re] of [
      ['file:///etc/passwd', /not an Alertmanager API/],
      ['http://user:pw@am:9093/', /no credentials/],
      ['not a url', /is not a URL/],
    ] as const) {
      const r = await w.g.api.call('alerts.forward', { url })
      expect(!r.ok && r.error.message).toMatch(re)
    }
  })
})

describe('the alert CLI on a console’s data directory', () => {
  it('lists, acknowledges, silences, changes rules and sets forwarding', async () => {
    const w = world()
    await w.call('alerts.setRule', { name: 'fs-used', forMs: 0 })
    await w.tick()
    const list = await cli(w.dataDir, ['alerts', '--json'])
    expect(list.status).toBe(3) // open alerts: scripts can tell
    const l = JSON.parse(list.stdout) as AlertList
    const a = l.alerts.find((x) => x.rule === 'fs-used') as Alert
    expect(a.summary).toBe('/data on local is 95.0 % full (threshold 90 %)')
    const text = await cli(w.dataDir, ['alerts'])
    expect(text.stdout).toMatch(new RegExp(`${a.id}  FIRING +warning +fs-used +/data on local`))

    const ack = await cli(w.dataDir, ['alert', 'ack', a.id, '--note', 'cleaning up old checkpoints'])
    expect(ack.stderr).toBe('')
    expect(ack.stdout).toContain(`acknowledged ${a.id}`)
    const now = (await w.call<AlertList>('alerts.list', {})).alerts.find((x) => x.id === a.id) as Alert
    expect(now.ack?.note).toBe('cleaning up old checkpoints')
    const again = await cli(w.dataDir, ['alert', 'ack', 'ffffffffffffffff', '--note', 'x'])
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/no alert ffffffffffffffff/)

    const add = await cli(w.dataDir, [
      'silence',
      'add',
      'host=local',
      'alertname=~"fs-.*"',
      '--for',
      '2h',
      '--comment',
      'maintenance',
    ])
    expect(add.status).toBe(0)
    const id = /silence (\S+) until/.exec(add.stdout)?.[1] as string
    const sl = await cli(w.dataDir, ['silence', 'list'])
    expect(sl.stdout).toContain(`${id}  active  host="local", alertname=~"fs-.*"`)
    expect(sl.stdout).toContain('maintenance')
    const noComment = await cli(w.dataDir, ['silence', 'add', 'host=local', '--comment', ' '])
    expect(noComment.stderr).toMatch(/needs a comment/)
    const badRe = await cli(w.dataDir, ['silence', 'add', 'host=~(', '--comment', 'x'])
    expect(badRe.stderr).toMatch(/is not a regular expression/)
    expect((await cli(w.dataDir, ['silence', 'expire', id])).stdout).toContain('expired')
    expect((await cli(w.dataDir, ['silence', 'list', '--json'])).stdout).toContain('"expired"')

    const set = await cli(w.dataDir, [
      'rules',
      'set',
      'fs-used',
      '--threshold',
      '97',
      '--for',
      '2m',
      '--severity',
      'critical',
    ])
    expect(set.stderr).toBe('')
    const rules = JSON.parse((await cli(w.dataDir, ['rules', 'list', '--json'])).stdout) as RuleStatus[]
    expect(rules.find((r) => r.name === 'fs-used')).toMatchObject({
      threshold: 97,
      forMs: 120_000,
      severity: 'critical',
    })
    const off = await cli(w.dataDir, ['rules', 'set', 'heartbeat', '--on'])
    expect(off.stdout).toMatch(/^on +heartbeat/)
    const bad = await cli(w.dataDir, ['rules', 'set', 'fs-used', '--for', 'soon'])
    expect(bad.stderr).toMatch(/a duration like 90s/)
    // The console evaluates with the new threshold at its next evaluation.
    await w.tick(60_000)
    expect((await w.call<AlertList>('alerts.list', {})).alerts.find((x) => x.id === a.id)?.state).toBe('resolved')

    const fwd = await cli(w.dataDir, ['alerts', 'forward', 'http://127.0.0.1:9/'])
    expect(fwd.stdout).toMatch(/forwarding to http:\/\/127\.0\.0\.1:9\/: starting/)
    expect((await cli(w.dataDir, ['alerts', 'forward', '--off'])).stdout).toContain('not forwarding')
  }, 120_000)
})
