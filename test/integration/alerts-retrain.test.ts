// Retraining triggers: a real command on this machine and on the SSH test host (as the login
// there), a webhook to a loopback server, each run recorded with its exit status and output tail;
// a command or webhook that hangs is cut off at its timeout; a program that does not exist, a
// webhook that answers 500 and a schedule that does not parse each say so. A rule firing for the
// model runs its trigger by itself, routed to the model's owner team.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import type { AlertList, RetrainRun, RetrainTrigger } from '../../src/shared/alerts'
import { nextRun } from '../../src/main/core/alerts/retrain'
import { fakeHostDeps, fakeStorageDeps } from '../helpers/fakes'
import { createLogin, sshdUnavailable, startSshd, type Login, type Sshd } from '../helpers/sshd'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const running: Gantry[] = []
const servers: Server[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()))
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    s.close()
  }
})
afterAll(() => cleanupTmp())

function core(extra: Parameters<typeof createGantry>[0] = {}) {
  const g = createGantry({
    dataDir: tmpDir(),
    door: 'server',
    actor: 'ops',
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    driftIntervalMs: 0,
    alertIntervalMs: 0,
    hostDeps: fakeHostDeps(),
    storageDeps: fakeStorageDeps(),
    connector: null,
    log: () => {},
    ...extra,
  })
  running.push(g)
  const call = async <T>(m: string, input: unknown): Promise<T> => {
    const r = await g.api.call(m as never, input, { actor: 'alice' })
    if (!r.ok) throw new Error(`${m}: ${r.error.message}`)
    return r.data as T
  }
  const refused = async (m: string, input: unknown): Promise<string> => {
    const r = await g.api.call(m as never, input)
    if (r.ok) throw new Error(`${m} was accepted`)
    return r.error.message
  }
  return { g, call, refused }
}

async function listen(handler: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void) {
  const s = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => handler(req, body, res))
  })
  servers.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  return `http://127.0.0.1:${(s.address() as { port: number }).port}/hook`
}

describe('retraining triggers', () => {
  it('runs a command with the model, version and reason, and records its exit status and output', async () => {
    const { call } = core()
    await call('registry.createModel', { name: 'fraud', ownerTeam: 'risk-ml' })
    const t = await call<RetrainTrigger>('retrain.setTrigger', {
      model: 'fraud',
      kind: 'command',
      command: [
        '/bin/sh',
        '-c',
        'echo "retraining $0 v$1 because $2"; echo warn >&2',
        '{model}',
        '{version}',
        '{reason}',
      ],
    })
    expect(t).toMatchObject({ kind: 'command', host: 'local', timeoutMs: 600_000, updatedBy: 'alice' })
    const run = await call<RetrainRun>('retrain.run', { model: 'fraud', reason: 'drift on amount' })
    expect(run).toMatchObject({ state: 'ok', exitCode: 0, model: 'fraud', cause: 'by hand (alice)' })
    expect(run.outputTail).toBe('retraining fraud v because drift on amount\n\nwarn\n')
    expect(run.what).toContain('/bin/sh -c')
    const runs = await call<RetrainRun[]>('retrain.runs', { model: 'fraud' })
    expect(runs.map((r) => r.id)).toEqual([run.id])
    const audit = await call<{ action: string; actor: string }[]>('audit.list', {})
    expect(audit.filter((a) => a.action.startsWith('retrain.')).map((a) => `${a.action} ${a.actor}`)).toEqual([
      'retrain.run alice',
      'retrain.trigger-set alice',
    ])
  })

  it('without placeholders the JSON is the last argument; a failing command says its exit status', async () => {
    const { call } = core()
    await call('registry.createModel', { name: 'm' })
    await call('retrain.setTrigger', {
      model: 'm',
      kind: 'command',
      command: ['/bin/sh', '-c', 'echo "$1"; exit 7', 'x'],
    })
    const run = await call<RetrainRun>('retrain.run', { model: 'm', reason: 'weekly' })
    expect(run).toMatchObject({ state: 'failed', exitCode: 7, error: 'exit status 7' })
    expect(JSON.parse(run.outputTail.trim())).toMatchObject({ model: 'm', version: null, reason: 'weekly' })
  })

  it('cuts off a command that hangs at its timeout, and says a missing program is missing', async () => {
    const { call } = core()
    await call('registry.createModel', { name: 'm' })
    await call('retrain.setTrigger', {
      model: 'm',
      kind: 'command',
      command: ['/bin/sh', '-c', 'sleep 30', '{model}'],
      timeoutMs: 1000,
    })
    const t0 = Date.now()
    const run = await call<RetrainRun>('retrain.run', { model: 'm' })
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(run).toMatchObject({ state: 'timeout', error: 'cut off after 1 s (its timeout)' })
    await call('retrain.setTrigger', { model: 'm', kind: 'command', command: ['/no/such/trainer'] })
    const missing = await call<RetrainRun>('retrain.run', { model: 'm' })
    expect(missing).toMatchObject({ state: 'failed', error: '/no/such/trainer not found on local' })
  })

  it('posts to a webhook; a 500 and a webhook that never answers are failures with the reason', async () => {
    const bodies: unknown[] = []
    const ok = await listen((_req, body, res) => {
      bodies.push(JSON.parse(body))
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"queued":"job-17"}')
    })
    const { call, refused } = core()
    await call('registry.createModel', { name: 'm' })
    await call('retrain.setTrigger', { model: 'm', kind: 'webhook', url: ok })
    const run = await call<RetrainRun>('retrain.run', { model: 'm', reason: 'accuracy below floor' })
    expect(run).toMatchObject({ state: 'ok', exitCode: 202, outputTail: '{"queued":"job-17"}' })
    expect(bodies).toEqual([expect.objectContaining({ model: 'm', reason: 'accuracy below floor', window: null })])

    const five = await listen((_r, _b, res) => res.writeHead(500).end('trainer queue is full'))
    await call('retrain.setTrigger', { model: 'm', kind: 'webhook', url: five })
    expect(await call<RetrainRun>('retrain.run', { model: 'm' })).toMatchObject({
      state: 'failed',
      exitCode: 500,
      outputTail: 'trainer queue is full',
    })
    const hung = await listen(() => {
      /* never answers */
    })
    await call('retrain.setTrigger', { model: 'm', kind: 'webhook', url: hung, timeoutMs: 1000 })
    const h = await call<RetrainRun>('retrain.run', { model: 'm' })
    expect(h).toMatchObject({ state: 'timeout' })

    expect(await refused('retrain.setTrigger', { model: 'm', kind: 'webhook', url: 'file:///etc/shadow' })).toMatch(
      /webhooks are not supported/,
    )
    expect(
      await refused('retrain.setTrigger', { model: 'm', kind: 'command', command: ['x'], schedule: 'every day' }),
    ).toMatch(/schedule "every day"/)
    expect(
      await refused('retrain.setTrigger', { model: 'm', kind: 'command', command: ['x'], host: 'nowhere' }),
    ).toMatch(/no host named "nowhere"/)
    expect(await refused('retrain.setTrigger', { model: 'ghost', kind: 'command', command: ['x'] })).toMatch(/no model/)
    // The reason (an alert's words) never becomes shell code: a placeholder is a whole argument.
    expect(
      await refused('retrain.setTrigger', {
        model: 'm',
        kind: 'command',
        command: ['/bin/sh', '-c', 'train.sh {reason}'],
      }),
    ).toMatch(/a placeholder must be a whole argument/)
    expect(await refused('retrain.setTrigger', { model: 'm', kind: 'command', command: [''] })).toMatch(
      /needs the command/,
    )
    expect(await refused('retrain.run', { model: 'm2' })).toMatch(/no model/)
  })

  it('runs by itself when its rule fires for the model (routed to the owner team), and on a schedule', async () => {
    const { g, call } = core({ alertIntervalMs: 0 })
    await call('registry.createModel', { name: 'fraud', ownerTeam: 'risk-ml', oncall: 'risk-pager' })
    // /data is 93 % full in the fake filesystems: a rule carrying the model's label fires at once.
    await call('alerts.setRule', { name: 'fraud-disk', kind: 'fs-used', threshold: 90, labels: { model: 'fraud' } })
    await call('retrain.setTrigger', {
      model: 'fraud',
      kind: 'command',
      command: ['/bin/echo', 'retrain', '{model}', '{reason}'],
      onRule: 'fraud-disk',
    })
    await g.fleet.get('local').storage.sampleNow()
    await g.alerts.evaluate()
    const list = await call<AlertList>('alerts.list', {})
    const a = list.alerts.find((x) => x.rule === 'fraud-disk')
    expect(a?.route).toMatchObject({ receiver: 'risk-ml', oncall: 'risk-pager', unowned: false })
    let runs: RetrainRun[] = []
    for (let k = 0; k < 50 && !runs.some((r) => r.state !== 'running'); k++) {
      await new Promise((r) => setTimeout(r, 100))
      runs = await call<RetrainRun[]>('retrain.runs', { model: 'fraud' })
    }
    expect(runs[0]).toMatchObject({ state: 'ok', cause: 'rule fraud-disk' })
    expect(runs[0].outputTail).toContain('retrain fraud /data on local is 93.0 % full')

    // Cron syntax, parsed by croner: the next Monday 03:00 after a Sunday noon (local time).
    const sunday = new Date(2026, 10, 29, 12, 0, 0).getTime()
    expect(new Date(nextRun('0 3 * * 1', sunday) as number)).toEqual(new Date(2026, 10, 30, 3, 0, 0))
  })

  it('a schedule that already ran is not run again by a restart; one missed while down runs once', async () => {
    const { createAlertStore } = await import('../../src/main/core/alerts/store')
    const { createRetrainer } = await import('../../src/main/core/alerts/retrain')
    const { openDatabase } = await import('../../src/main/core/db/database')
    const { db } = openDatabase(tmpDir())
    let now = new Date(2026, 11, 1, 2, 0).getTime() // 02:00 local
    const store = createAlertStore(db, () => now)
    const ran: string[] = []
    const access = {
      run: async (argv: string[]) => {
        ran.push(argv.join(' '))
        return {
          code: 0,
          signal: null,
          stdout: '',
          stderr: '',
          notFound: false,
          timedOut: false,
          truncated: false,
          error: null,
        }
      },
    }
    const make = () =>
      createRetrainer({
        store,
        accessOf: () => access as never,
        productionOf: () => null,
        hostExists: () => true,
        now: () => now,
        log: () => {},
        published: () => {},
      })
    store.saveTrigger(
      { model: 'm', kind: 'command', command: ['/bin/true'], timeoutMs: 60_000, schedule: '0 3 * * *' },
      'ops',
    )
    const first = make()
    first.tickSchedules(now)
    expect(ran).toHaveLength(0)
    now = new Date(2026, 11, 1, 3, 0, 30).getTime()
    first.tickSchedules(now)
    await first.idle()
    expect(ran).toHaveLength(1)
    // A restart at 03:05: today's 03:00 ran already.
    now = new Date(2026, 11, 1, 3, 5).getTime()
    const second = make()
    second.tickSchedules(now)
    await second.idle()
    expect(ran).toHaveLength(1)
    // Down over the next 03:00, back at 09:00: the missed run runs once, not once per missed day.
    now = new Date(2026, 11, 2, 9, 0).getTime()
    const third = make()
    third.tickSchedules(now)
    await third.idle()
    third.tickSchedules(now + 60_000)
    await third.idle()
    expect(ran).toHaveLength(2)
    db.close()
  })

  it('fires on its schedule in a running console', async () => {
    const { g, call } = core({ alertIntervalMs: 60_000 })
    await call('registry.createModel', { name: 'm' })
    await call('retrain.setTrigger', { model: 'm', kind: 'command', command: ['/bin/true'], schedule: '* * * * * *' })
    g.start()
    let runs: RetrainRun[] = []
    for (let k = 0; k < 100 && !runs.length; k++) {
      await new Promise((r) => setTimeout(r, 100))
      runs = await call<RetrainRun[]>('retrain.runs', { model: 'm' })
    }
    expect(runs[0]).toMatchObject({ cause: 'schedule', reason: 'schedule * * * * * *' })
  }, 20_000)
})

const sshSkip = sshdUnavailable()
if (sshSkip) console.log(`alerts-retrain (SSH host): skipped: ${sshSkip}`)
describe.skipIf(sshSkip)('a retraining trigger on an SSH host', () => {
  let login: Login
  let sshd: Sshd
  beforeAll(async () => {
    login = createLogin()
    sshd = await startSshd({ users: [login.user] })
    writeFileSync(join(login.keys, 'known_hosts'), `${sshd.knownHostsLine}\n`)
  }, 60_000)
  afterAll(async () => {
    await sshd?.stop()
    login?.remove()
  })

  it('runs the command there, as the login, and records it', async () => {
    const { call } = core({
      connector: undefined,
      sshEnv: {
        HOME: login.keys,
        USER: login.user,
        GANTRY_KNOWN_HOSTS: join(login.keys, 'known_hosts'),
        GANTRY_SSH_KEY_DIRS: login.keys,
        GANTRY_SSH_CONFIG: join(login.keys, 'none'),
      },
      sshReadyTimeoutMs: 3000,
    })
    await call('hosts.add', {
      target: `${login.user}@127.0.0.1:${sshd.port}`,
      identityFile: login.key,
      name: 'trainer',
    })
    await call('registry.createModel', { name: 'm' })
    await call('retrain.setTrigger', {
      model: 'm',
      kind: 'command',
      host: 'trainer',
      command: ['/bin/sh', '-c', 'echo "$(id -un) trains $0"', '{model}'],
    })
    const run = await call<RetrainRun>('retrain.run', { model: 'm' })
    expect(run).toMatchObject({ state: 'ok', exitCode: 0 })
    expect(run.outputTail.trim()).toBe(`${login.user} trains m`)
    expect(run.what).toMatch(/ on trainer$/)

    // One that hangs there is cut off at its timeout too (the channel closes, the watcher kills it).
    await call('retrain.setTrigger', {
      model: 'm',
      kind: 'command',
      host: 'trainer',
      command: ['/bin/sh', '-c', 'sleep 30', '{model}'],
      timeoutMs: 1000,
    })
    const t0 = Date.now()
    const hung = await call<RetrainRun>('retrain.run', { model: 'm' })
    expect(Date.now() - t0).toBeLessThan(8000)
    expect(hung).toMatchObject({ state: 'timeout', error: 'cut off after 1 s (its timeout)' })
  }, 60_000)
})
