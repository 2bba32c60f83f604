// `gantry hosts …`, `gantry gpu --host` and `gantry host --host` as a field engineer runs them:
// the real bin against a real sshd with the stand-in nvidia-smi on the login's PATH.
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HostSnapshot } from '../../src/shared/contract'
import type { HostProbe, HostSummary } from '../../src/shared/hosts'
import { GPU_FIXTURES } from '../helpers/gpu-fixtures'
import { createLogin, sshdUnavailable, startSshd, type Login, type Sshd } from '../helpers/sshd'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const skip = sshdUnavailable()
if (skip) console.log(`cli-hosts: skipped: ${skip}`)
const bin = join(__dirname, '..', '..', 'bin', 'gantry.js')

let login: Login
let sshd: Sshd
let dataDir: string

beforeAll(async () => {
  if (skip) return
  login = createLogin()
  sshd = await startSshd({
    users: [login.user],
    env: {
      PATH: `${login.bin}:/usr/local/bin:/usr/bin:/bin`,
      STANDIN_XML: join(GPU_FIXTURES, 'datakit__gtx-8card-v100s.xml'),
    },
  })
  writeFileSync(join(login.keys, 'known_hosts'), '')
  dataDir = tmpDir()
}, 60_000)

afterAll(async () => {
  if (skip) return
  await sshd?.stop()
  login?.remove()
  cleanupTmp()
})

/** The bin, not blocking this process (its sshd answers meanwhile). */
function gantry(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, '--data-dir', dataDir, ...args], {
      env: {
        ...process.env,
        GANTRY_KNOWN_HOSTS: join(login.keys, 'known_hosts'),
        GANTRY_SSH_KEY_DIRS: login.keys,
        GANTRY_SSH_CONFIG: join(login.keys, 'none'),
        SSH_AUTH_SOCK: '',
        ...env,
      },
    })
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

describe.skipIf(skip)('gantry hosts', () => {
  it('tests, adds (pinning the confirmed key), lists, reads GPUs and host of, re-keys and removes an SSH host', async () => {
    const target = `${login.user}@127.0.0.1:${sshd.port}`
    const t = await gantry(['hosts', 'test', target, '-i', login.key])
    expect(t.status).toBe(1)
    expect(t.stdout).toContain(sshd.fingerprint)
    expect(t.stdout).toContain('does not know this host')
    expect(t.stdout).toContain(`gantry hosts add ${target} --accept ${sshd.fingerprint}`)
    const tj = JSON.parse((await gantry(['hosts', 'test', target, '-i', login.key, '--json'])).stdout) as HostProbe
    expect(tj).toMatchObject({ ok: false, fingerprint: sshd.fingerprint, knownHosts: 'unknown' })

    const refused = await gantry(['hosts', 'add', target, '-i', login.key, '--name', 'gpu-a'])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/not in ~\/\.ssh\/known_hosts.*\[hosts\/host-key-unknown\]/s)
    const add = await gantry([
      'hosts',
      'add',
      target,
      '-i',
      login.key,
      '--name',
      'gpu-a',
      '--owner',
      'ml-platform',
      '--accept',
      sshd.fingerprint,
    ])
    expect(add.stderr).toBe('')
    expect(add.stdout).toBe(`added host gpu-a (${target}), key ${sshd.fingerprint} pinned\n`)

    const list = await gantry(['hosts', 'list', '--json'])
    expect(list.stderr).toBe('')
    const hosts = JSON.parse(list.stdout) as HostSummary[]
    // Exit 1 when a host is critical (this machine's load can make both critical in a busy run).
    expect(list.status).toBe(hosts.some((h) => h.health.level === 'critical') ? 1 : 0)
    expect(hosts.map((h) => h.name).sort()).toEqual(['gpu-a', 'local'])
    expect(hosts.find((h) => h.name === 'gpu-a')).toMatchObject({ owner: 'ml-platform', connection: { state: 'up' } })
    const text = await gantry(['hosts'])
    expect(text.stdout.split('\n')[0]).toMatch(/^HOST\s+HEALTH\s+CONNECTION\s+GPUS/)
    expect(text.stdout).toMatch(new RegExp(`gpu-a\\s+\\w+\\s+up\\s.*${login.user}@127\\.0\\.0\\.1:${sshd.port}`))

    const gpu = await gantry(['gpu', '--host', 'gpu-a', '--json'])
    expect(gpu.status).toBe(0)
    const report = JSON.parse(gpu.stdout) as { gpus: { name: string }[] }
    expect(report.gpus).toHaveLength(8)
    expect(report.gpus[0].name).toMatch(/V100S/)
    const host = await gantry(['host', '--host', 'gpu-a', '--json'])
    expect(host.status).toBe(0)
    const snap = JSON.parse(host.stdout) as { host: HostSnapshot }
    expect(snap.host).toMatchObject({ host: 'gpu-a', status: 'ok' })
    const unknown = await gantry(['gpu', '--host', 'nope'])
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/no host named "nope" \[hosts\/unknown-host\]/)

    // An encrypted key, its passphrase from the environment only.
    const enc = await gantry(
      ['hosts', 'add', target, '-i', login.encryptedKey, '--name', 'enc', '--accept', sshd.fingerprint],
      {
        GANTRY_SSH_PASSPHRASE: login.passphrase,
      },
    )
    expect(enc.stdout).toMatch(/^added host enc/)

    // The server reinstalled: a changed key is refused until accepted.
    const old = sshd.fingerprint
    await sshd.restart({ newHostKey: true })
    const changed = await gantry(['hosts', 'list', '--json'])
    expect(changed.status).toBe(1)
    const a = (JSON.parse(changed.stdout) as HostSummary[]).find((h) => h.name === 'gpu-a') as HostSummary
    expect(a.connection.state).toBe('host-key-changed')
    expect(a.connection.lastError).toContain(old)
    expect(a.connection.lastError).toContain(sshd.fingerprint)
    const accept = await gantry(['hosts', 'accept-key', 'gpu-a', sshd.fingerprint])
    expect(accept.stdout).toBe(`host gpu-a: key ${sshd.fingerprint} accepted\n`)
    const after = JSON.parse((await gantry(['hosts', 'list', '--json'])).stdout) as HostSummary[]
    expect(after.find((h) => h.name === 'gpu-a')?.connection.state).toBe('up')
    expect(after.find((h) => h.name === 'enc')?.connection.state).toBe('host-key-changed')

    // What lives on a host names it: an endpoint reached from there, a drift folder there.
    const ep = await gantry(['endpoint', 'add', 'http://127.0.0.1:9/', '--host', 'gpu-a', '--name', 'far', '--json'])
    expect(ep.stderr).toBe('')
    const epId = (JSON.parse(ep.stdout) as { id: number }).id
    const eps = JSON.parse((await gantry(['endpoint', 'list', '--json'])).stdout) as { name: string; host: string }[]
    expect(eps.find((e) => e.name === 'far')?.host).toBe('gpu-a')
    expect((await gantry(['model', 'create', 'fraud', '--owner', 'risk'])).status).toBe(0)
    const mon = await gantry(['drift-monitor', 'fraud', '--folder', '/tmp', '--host', 'gpu-a', '--json'])
    expect(mon.stderr).toBe('')
    expect(JSON.stringify(JSON.parse(mon.stdout))).toContain('"host":"gpu-a"')
    const busy = await gantry(['hosts', 'remove', 'gpu-a'])
    expect(busy.status).toBe(1)
    expect(busy.stderr).toMatch(
      /host gpu-a is still used by endpoint far, the drift monitor of fraud.*\[hosts\/in-use\]/,
    )
    expect((await gantry(['drift-monitor', 'fraud', '--off'])).status).toBe(0)
    expect((await gantry(['endpoint', 'remove', String(epId)])).status).toBe(0)

    const off = await gantry(['hosts', 'update', 'enc', '--off'])
    expect(off.stdout).toBe('updated host enc\n')
    expect((await gantry(['hosts', 'remove', 'enc'])).stdout).toBe('removed host enc\n')
    expect((await gantry(['hosts', 'remove', 'gpu-a'])).stdout).toBe('removed host gpu-a\n')
    const left = JSON.parse((await gantry(['hosts', 'list', '--json'])).stdout) as HostSummary[]
    expect(left.map((h) => h.name)).toEqual(['local'])
  }, 180_000)
})
