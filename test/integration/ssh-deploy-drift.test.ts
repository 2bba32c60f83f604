// What runs on an SSH host besides telemetry, against a real sshd: a model-folder deploy whose link
// is switched there (SFTP: a new link renamed over the old), whose artifact is re-hashed there
// (sha256sum, the registry's manifest rules) and whose reload command runs there; a rollback; an
// endpoint probed through the host's connection (only through it); and a drift monitor reading a
// folder there, window for window the same as the same rows read locally.
import { spawnSync, type ChildProcess } from 'node:child_process'
import { appendFileSync, chmodSync, mkdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Gantry } from '../../src/main/core'
import type { Deployment } from '../../src/shared/deploy'
import type { DriftWindow, MonitorStatus } from '../../src/shared/drift'
import type { ProbeResult } from '../../src/shared/serving'
import { call, makeCore, startModelServer } from '../helpers/deploy-env'
import { analysisLines, productionHousing } from '../helpers/drift-env'
import { createLogin, sshdUnavailable, startSshd, type Login, type Sshd } from '../helpers/sshd'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const skip = sshdUnavailable()
if (skip) console.log(`ssh-deploy-drift: skipped: ${skip}`)

let login: Login
let sshd: Sshd
let closed: Sshd
const running: Gantry[] = []
const children: ChildProcess[] = []

beforeAll(async () => {
  if (skip) return
  login = createLogin()
  sshd = await startSshd({ users: [login.user] })
  closed = await startSshd({ users: [login.user], allowTcpForwarding: false })
  writeFileSync(join(login.keys, 'known_hosts'), `${sshd.knownHostsLine}\n${closed.knownHostsLine}\n`)
}, 60_000)

afterAll(async () => {
  if (skip) return
  await sshd?.stop()
  await closed?.stop()
  login?.remove()
})

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
  await Promise.all(running.splice(0).map((g) => g.stop()))
  cleanupTmp()
})

function core(): Gantry {
  const g = makeCore(tmpDir(), 'ops', {
    sshEnv: {
      HOME: login.keys,
      USER: login.user,
      GANTRY_KNOWN_HOSTS: join(login.keys, 'known_hosts'),
      GANTRY_SSH_KEY_DIRS: login.keys,
      GANTRY_SSH_CONFIG: join(login.keys, 'none'),
    },
    sshReadyTimeoutMs: 3000,
    driftIntervalMs: 0,
  })
  running.push(g)
  return g
}

async function addHost(g: Gantry, name: string, s: Sshd): Promise<void> {
  await call(g, 'hosts.add', { target: `${login.user}@127.0.0.1:${s.port}`, identityFile: login.key, name })
}

/** A folder on "the host" the login owns (the same filesystem here: the test can look at it). */
function hostFolder(name: string): string {
  const d = join(login.home, `${name}-${Math.random().toString(36).slice(2, 8)}`)
  mkdirSync(d)
  spawnSync('chown', [`${login.user}:`, d])
  return d
}

/** The model server, run as the login (so the host's reload command may signal it). */
async function serverAsLogin(folder: string): Promise<{ url: string; pid: number }> {
  const server = await startModelServer(folder, 'm', login.user)
  children.push(server.child)
  return server
}

describe.skipIf(skip)('on an SSH host', () => {
  it('deploys to a model folder there (hash, switch, reload, verify through the host) and rolls back', async () => {
    const g = core()
    await addHost(g, 'gpu-a', sshd)
    await addHost(g, 'sealed', closed)
    // Versions registered here; the artifacts are where the host sees them too (a shared mount).
    const art = tmpDir('gantry-art-')
    chmodSync(art, 0o755)
    const dirs = [1, 2].map((v) => {
      const d = join(art, `v${v}`)
      mkdirSync(d, { mode: 0o755 })
      writeFileSync(join(d, 'weights.bin'), `weights of v${v}`)
      mkdirSync(join(d, 'tokenizer'), { mode: 0o755 })
      writeFileSync(join(d, 'tokenizer', 'vocab.txt'), `vocab ${v}`)
      return d
    })
    for (const [i, d] of dirs.entries()) {
      await call(g, 'registry.register', { model: 'm', artifact: d })
      await call(g, 'registry.transition', { name: 'm', version: i + 1, stage: 'staging' })
    }
    const serve = hostFolder('serve')
    const server = await serverAsLogin(serve)
    const ep = await call<{ id: number }>(g, 'serving.addEndpoint', {
      url: server.url,
      host: 'gpu-a',
      kind: 'vllm',
      name: 'm-server',
    })
    const target = await call<{ id: number }>(g, 'deploy.addTarget', {
      model: 'm',
      name: 'gpu-a',
      config: {
        kind: 'model-folder',
        host: 'gpu-a',
        folder: serve,
        reloadCommand: ['kill', '-HUP', String(server.pid)],
        endpointId: ep.id,
        readyTimeoutMs: 5000,
      },
    })

    const d1 = await call<Deployment>(g, 'deploy.run', { model: 'm', version: 1, targetId: target.id })
    expect(d1.state).toBe('succeeded')
    expect(readlinkSync(join(serve, 'current'))).toBe(dirs[0])
    expect(d1.steps.find((s) => s.name === 'switch')?.detail).toContain('on gpu-a')
    expect(d1.steps.find((s) => s.name === 'reload')?.detail).toBe(`ran kill -HUP ${server.pid} on gpu-a`)
    const d2 = await call<Deployment>(g, 'deploy.run', { model: 'm', version: 2, targetId: target.id })
    expect(d2.state).toBe('succeeded')
    expect(readlinkSync(join(serve, 'current'))).toBe(dirs[1])
    const back = await call<Deployment>(g, 'deploy.rollback', { model: 'm', targetId: target.id })
    expect(back).toMatchObject({ state: 'succeeded', toVersion: 1, kind: 'rollback' })
    expect(readlinkSync(join(serve, 'current'))).toBe(dirs[0])

    // The artifact changed on the host after registration: refused there, before any switch.
    writeFileSync(join(dirs[1], 'tokenizer', 'vocab.txt'), 'tampered')
    const refused = await g.api.call('deploy.run', { model: 'm', version: 2, targetId: target.id })
    expect(!refused.ok && refused.error.code).toBe('deploy/preflight')
    expect(!refused.ok && refused.error.message).toMatch(/on gpu-a has sha256 [0-9a-f]{64}, not the registered/)
    expect(readlinkSync(join(serve, 'current'))).toBe(dirs[0])
    // A link in the artifact that leads outside the host's roots is refused, not followed.
    symlinkSync('/etc/passwd', join(dirs[0], 'escape'))
    const escaped = await g.api.call('deploy.run', { model: 'm', version: 1, targetId: target.id })
    expect(!escaped.ok && escaped.error.message).toMatch(/\/etc/)

    // The endpoint is probed from the host: through a host that forwards nothing it is unreachable.
    const via = await call<ProbeResult>(g, 'serving.probe', { url: server.url, host: 'gpu-a', kind: 'vllm' })
    expect(via.live).toBe(true)
    const sealed = await call<ProbeResult>(g, 'serving.probe', { url: server.url, host: 'sealed', kind: 'vllm' })
    expect(sealed.live).not.toBe(true)
    expect(sealed.checks[0].error).toMatch(/sealed cannot reach 127\.0\.0\.1/)
  }, 90_000)

  it('refuses a target whose link path on the host is a real folder, and a folder outside the host roots', async () => {
    const g = core()
    await addHost(g, 'gpu-a', sshd)
    const art = join(tmpDir(), 'model.bin')
    writeFileSync(art, 'weights')
    await call(g, 'registry.register', { model: 'm', artifact: art })
    const serve = hostFolder('serve')
    mkdirSync(join(serve, 'current'))
    const ep = await call<{ id: number }>(g, 'serving.addEndpoint', {
      url: 'http://127.0.0.1:9/',
      host: 'gpu-a',
      name: 'x',
    })
    const r = await g.api.call('deploy.addTarget', {
      model: 'm',
      name: 't',
      config: { kind: 'model-folder', host: 'gpu-a', folder: serve, endpointId: ep.id },
    })
    expect(!r.ok && r.error.message).toMatch(/is a folder already, not a link/)
    const out = await g.api.call('deploy.addTarget', {
      model: 'm',
      name: 't2',
      config: { kind: 'model-folder', host: 'gpu-a', folder: '/etc/models', endpointId: ep.id },
    })
    expect(!out.ok && out.error.code).toBe('files/refused')
  }, 60_000)

  it('reads a drift log folder on the host over SFTP: the same windows as read locally', async () => {
    const remote = core()
    const local = core()
    await addHost(remote, 'gpu-a', sshd)
    await productionHousing(remote)
    await productionHousing(local)
    const folder = hostFolder('logs')
    const cfg = { windowRows: 1000, idColumn: 'id', predictionColumns: ['y_pred_proba'] }
    await call(remote, 'drift.setMonitor', { model: 'housing', config: { ...cfg, host: 'gpu-a', folder } })
    await call(local, 'drift.setMonitor', { model: 'housing', config: { ...cfg, folder } })
    const lines = analysisLines(0, 2600)
    const file = join(folder, 'serve-1.jsonl')
    writeFileSync(file, `${lines.slice(0, 1500).join('\n')}\n${lines[1500].slice(0, 25)}`)
    chmodSync(file, 0o644)
    const a = await call<DriftWindow[]>(remote, 'drift.poll', { model: 'housing' })
    const b = await call<DriftWindow[]>(local, 'drift.poll', { model: 'housing' })
    expect(a.map((w) => w.rows)).toEqual([1000])
    const strip = (w: DriftWindow) => w.report.columns.map((c) => [c.name, c.statistic, c.pvalue, c.drifted])
    expect(strip(a[0])).toEqual(strip(b[0]))
    expect(a[0].report.columns.find((c) => c.name === 'Latitude')?.drifted).toBe(true)
    // The partial last line waits for its end, as locally.
    expect((await call<MonitorStatus>(remote, 'drift.monitor', { model: 'housing' })).openRows).toBe(500)
    appendFileSync(file, `${lines[1500].slice(25)}\n${lines.slice(1501, 2600).join('\n')}\n`)
    const a2 = await call<DriftWindow[]>(remote, 'drift.poll', { model: 'housing' })
    const b2 = await call<DriftWindow[]>(local, 'drift.poll', { model: 'housing' })
    expect(a2.map((w) => w.rows)).toEqual([1000])
    expect(strip(a2[0])).toEqual(strip(b2[0]))
    expect((await call<MonitorStatus>(remote, 'drift.monitor', { model: 'housing' })).openRows).toBe(600)

    // A FIFO dropped into the folder on the host is skipped with a reason, never opened.
    spawnSync('mkfifo', [join(folder, 'stuck.jsonl')])
    const t = Date.now()
    await call(remote, 'drift.poll', { model: 'housing' })
    expect(Date.now() - t).toBeLessThan(10_000)
    const st = await call<MonitorStatus>(remote, 'drift.monitor', { model: 'housing' })
    expect(st.problems.join(' ')).toMatch(/stuck\.jsonl.*(FIFO|not a regular file)/)
    // The host gone: a clear problem, nothing stored lost.
    sshd.kill()
    const down = await remote.api.call('drift.poll', { model: 'housing' })
    const status = await call<MonitorStatus>(remote, 'drift.monitor', { model: 'housing' })
    expect(down.ok ? status.problems.join(' ') : down.error.message).toMatch(/gpu-a|unreachable|connection/i)
    expect((await call<DriftWindow[]>(remote, 'drift.windows', { model: 'housing' })).length).toBe(2)
    await sshd.restart()
  }, 90_000)
})
