// SSH hosts against real OpenSSH servers on 127.0.0.1 (Debian's sshd, throwaway host keys, a
// throwaway login): trust on first use and a pinned key, a changed key refused, key files (plain
// and encrypted) and the ssh-agent, a ProxyJump alias from ~/.ssh/config, telemetry streamed from
// the stand-in nvidia-smi on the remote PATH, a server killed mid-stream and back, a port that
// speaks no SSH, a hung remote nvidia-smi — and no process left behind on the host.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createGantry, type Gantry, type GantryOptions } from '../../src/main/core'
import type { GpuSnapshot } from '../../src/shared/gpu'
import type { HostSummary } from '../../src/shared/hosts'
import { GPU_FIXTURES } from '../helpers/gpu-fixtures'
import { createLogin, sshdUnavailable, startSshd, type Login, type Sshd } from '../helpers/sshd'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const skip = sshdUnavailable()
if (skip) console.log(`ssh-hosts: skipped: ${skip}`)

const V100_XML = join(GPU_FIXTURES, 'datakit__gtx-8card-v100s.xml')
let login: Login
let gpuHost: Sshd
let jump: Sshd
const running: Gantry[] = []

beforeAll(async () => {
  if (skip) return
  login = createLogin()
  const env = { PATH: `${login.bin}:/usr/local/bin:/usr/bin:/bin`, STANDIN_XML: V100_XML }
  gpuHost = await startSshd({ users: [login.user], env })
  jump = await startSshd({ users: [login.user], allowTcpForwarding: true })
}, 60_000)

afterAll(async () => {
  if (skip) return
  await gpuHost?.stop()
  await jump?.stop()
  login?.remove()
})

afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()))
  cleanupTmp()
})

function sshEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const knownHosts = join(login.keys, 'known_hosts')
  if (!existsSync(knownHosts)) writeFileSync(knownHosts, '')
  return {
    HOME: login.keys, // no ~/.ssh/config of the machine's own user leaks in
    USER: login.user,
    GANTRY_KNOWN_HOSTS: knownHosts,
    GANTRY_SSH_KEY_DIRS: login.keys,
    GANTRY_SSH_CONFIG: join(login.keys, 'config'),
    ...extra,
  }
}

function core(o: Partial<GantryOptions> = {}): Gantry {
  const g = createGantry({
    dataDir: tmpDir(),
    hostIntervalMs: 200,
    storageIntervalMs: 500,
    gpuIntervalMs: 200,
    gpuProcessIntervalMs: 1000,
    servingIntervalMs: 0,
    driftIntervalMs: 0,
    flushIntervalMs: 200,
    sshEnv: sshEnv(),
    sshReadyTimeoutMs: 3000,
    log: () => {},
    ...o,
  })
  running.push(g)
  return g
}

async function until<T>(
  f: () => Promise<T | null | undefined> | T | null | undefined,
  what: string,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms
  let last: unknown
  while (Date.now() < end) {
    try {
      const v = await f()
      if (v) return v
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
}

const target = (s: Sshd): string => `${login.user}@127.0.0.1:${s.port}`

async function ok<T>(
  p: Promise<{ ok: true; data: T } | { ok: false; error: { code: string; message: string } }>,
): Promise<T> {
  const r = await p
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.data
}

function remoteProcesses(pattern: string): string[] {
  const r = spawnSync('pgrep', ['-a', '-u', login.user, '-f', pattern], { encoding: 'utf8' })
  return r.stdout.split('\n').filter((l) => l.trim())
}

describe.skipIf(skip)('SSH hosts', () => {
  it('shows an unknown key to confirm, pins it on add, streams the remote GPUs, and leaves nothing running there', async () => {
    const g = core()
    g.start()
    const probe = await ok(g.client['hosts.test']({ target: target(gpuHost), identityFile: login.key }))
    expect(probe.ok).toBe(false)
    expect(probe.knownHosts).toBe('unknown')
    expect(probe.fingerprint).toBe(gpuHost.fingerprint)
    expect(probe.error).toMatch(/not known yet/)

    const refused = await g.client['hosts.add']({ target: target(gpuHost), identityFile: login.key, name: 'gpu-a' })
    expect(!refused.ok && refused.error.code).toBe('hosts/host-key-unknown')
    expect(!refused.ok && refused.error.message).toContain(gpuHost.fingerprint)
    const wrong = await g.client['hosts.add']({
      target: target(gpuHost),
      identityFile: login.key,
      name: 'gpu-a',
      acceptFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    })
    expect(!wrong.ok && wrong.error.code).toBe('hosts/host-key-unknown')

    const added = await ok(
      g.client['hosts.add']({
        target: target(gpuHost),
        identityFile: login.key,
        name: 'gpu-a',
        owner: 'ml-platform',
        acceptFingerprint: gpuHost.fingerprint,
      }),
    )
    expect(added.connection.pinned).toBe(gpuHost.fingerprint)
    expect(added.address).toBe(`${login.user}@127.0.0.1:${gpuHost.port}`)

    let lastSnap: unknown
    const snap = await until(async () => {
      const r = await g.client['gpu.snapshot']({ host: 'gpu-a' })
      lastSnap = r
      return r.ok && r.data.state === 'ok' && r.data.gpus.length ? r.data : null
    }, 'remote GPU samples').catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(lastSnap).slice(0, 600)}`)
    })
    expect(snap.host).toBe('gpu-a')
    expect(snap.gpus).toHaveLength(8)
    expect(snap.gpus[0].name).toMatch(/V100S/)
    // Owners and cgroups of processes there, in one command for many (ended ones absent).
    const streamPid = Number(remoteProcesses('[-]lms')[0]?.split(' ')[0])
    expect(streamPid).toBeGreaterThan(0)
    const procs = await g.fleet.get('gpu-a').access.processes([streamPid, 1, streamPid, 2 ** 22 + 7])
    const facts = procs.get(streamPid)
    expect(facts).toMatchObject({ user: login.user, cgroup: readFileSync(`/proc/${streamPid}/cgroup`, 'utf8') })
    // nvitop's facts, read there by the shell: the command line, memory, CPU time, start time.
    expect(facts?.cmdline).toMatch(/nvidia-smi .*-lms/)
    expect(facts?.rssBytes).toBeGreaterThan(1024 * 1024)
    expect(facts?.cpuSeconds).toBeGreaterThanOrEqual(0)
    expect(facts?.startedAt).toBeGreaterThan(Date.now() - 10 * 60_000)
    expect(facts?.startedAt).toBeLessThanOrEqual(Date.now() + 1000)
    expect(procs.get(1)?.user).toBe('root')
    // A process named to forge the script's lines (dash's echo would turn "\\n" into a newline)
    // forges nothing: its start time is its own, not 1970.
    const odd = join(tmpDir(), 'a\\n@@btime 1')
    symlinkSync('/bin/sleep', odd)
    const forged = spawn(odd, ['30'], { stdio: 'ignore' })
    try {
      await until(
        () =>
          existsSync(`/proc/${forged.pid}/stat`) &&
          readFileSync(`/proc/${forged.pid}/stat`, 'utf8').includes('@@btime'),
        'the odd process',
      )
      const both = await g.fleet.get('gpu-a').access.processes([forged.pid!, streamPid])
      expect(both.get(forged.pid!)?.startedAt).toBeGreaterThan(Date.now() - 60_000)
      expect(both.get(streamPid)?.startedAt).toBe(facts?.startedAt)
    } finally {
      forged.kill('SIGKILL')
    }
    expect(procs.has(2 ** 22 + 7)).toBe(false)
    // Commands there are bounded as here: the deadline kills the remote program, the cap too.
    const remote = g.fleet.get('gpu-a').access
    const slow = await remote.run(['sh', '-c', 'echo started; exec sleep 31.4159'], { timeoutMs: 500 })
    expect(slow).toMatchObject({ timedOut: true, stdout: 'started\n' })
    await until(() => remoteProcesses('sleep 31.4159').length === 0, 'the remote sleep killed', 10_000)
    const loud = await remote.run(['sh', '-c', 'exec yes gantry'], { maxBytes: 4096 })
    expect(loud).toMatchObject({ truncated: true, timedOut: false })
    expect(loud.stdout.length).toBe(4096)
    expect(await remote.run(['gantry-no-such-program'])).toMatchObject({ notFound: true, code: 127 })
    // The local host has no GPUs: the remote ones are the remote host's alone.
    const local = await ok(g.client['gpu.snapshot']({}))
    expect(local.gpus.map((x) => x.uuid)).not.toContain(snap.gpus[0].uuid)

    const host = await until(async () => {
      const r = await g.client['host.snapshot']({ host: 'gpu-a' })
      return r.ok && r.data?.cpu ? r.data : null
    }, 'remote host sample')
    expect(host.hostname).toBe(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim())
    expect(host.memory?.total).toBeGreaterThan(0)
    const storage = await until(async () => {
      const r = await g.client['storage.list']({ host: 'gpu-a' })
      return r.ok && r.data?.filesystems.length ? r.data : null
    }, 'remote storage sample')
    expect(storage.filesystems.map((f) => f.mount)).toContain('/')

    // Stored under the host: its series are its own.
    await new Promise((r) => setTimeout(r, 400))
    const q = await ok(
      g.client['telemetry.query']({ host: 'gpu-a', key: `gpu.util:${snap.gpus[0].uuid}`, rangeMs: 60_000 }),
    )
    expect(q.points.length).toBeGreaterThan(0)
    const summary = (await ok(g.client['hosts.list']({}))).find((h) => h.name === 'gpu-a') as HostSummary
    expect(summary).toMatchObject({ owner: 'ml-platform', gpus: { count: 8 } })
    expect(summary.connection.state).toBe('up')

    expect(remoteProcesses('nvidia-smi').length).toBeGreaterThan(0)
    await g.stop()
    // Closing the channels ended the stream on the host (the watcher killed what sshd would not).
    await until(() => remoteProcesses('nvidia-smi').length === 0, 'remote nvidia-smi to end', 10_000)

    const audit = readFileSync(join(g.config.dataDir, 'gantry.db')).includes(Buffer.from('host.add'))
    expect(audit).toBe(true)
  }, 60_000)

  it('refuses a changed host key until the new one is accepted, then reconnects', async () => {
    const g = core()
    g.start()
    await ok(
      g.client['hosts.add']({
        target: target(gpuHost),
        identityFile: login.key,
        name: 'gpu-a',
        acceptFingerprint: gpuHost.fingerprint,
      }),
    )
    await until(
      async () => (await ok(g.client['hosts.list']({}))).find((h) => h.name === 'gpu-a')?.connection.state === 'up',
      'up',
    )
    const old = gpuHost.fingerprint
    await gpuHost.restart({ newHostKey: true })
    const changed = await until(async () => {
      const h = (await ok(g.client['hosts.list']({}))).find((x) => x.name === 'gpu-a')
      return h?.connection.state === 'host-key-changed' ? h : null
    }, 'host-key-changed')
    expect(changed.connection.lastError).toContain(old)
    expect(changed.connection.lastError).toContain(gpuHost.fingerprint)
    expect(changed.connection.fingerprint).toBe(gpuHost.fingerprint)
    expect(changed.health.level).toBe('critical')
    // Nothing is asked of a host whose key is refused: its polls fail at once with the reason.
    const degraded = await until(async () => {
      const r = await g.client['host.snapshot']({ host: 'gpu-a' })
      return r.ok && r.data?.status === 'degraded' && /host key changed/.test(r.data.problems.join(' ')) ? r.data : null
    }, 'a host sample degraded by the changed key')
    expect(degraded.problems.join(' ')).toContain(gpuHost.fingerprint)

    const bad = await g.client['hosts.acceptKey']({ name: 'gpu-a', fingerprint: old })
    expect(!bad.ok && bad.error.code).toBe('contract/invalid-input')
    await ok(g.client['hosts.acceptKey']({ name: 'gpu-a', fingerprint: gpuHost.fingerprint }))
    await until(
      async () => (await ok(g.client['hosts.list']({}))).find((h) => h.name === 'gpu-a')?.connection.state === 'up',
      'up after accept',
    )
  }, 60_000)

  it('logs in with an encrypted key and its passphrase (kept as a secret), and says so when it is wrong', async () => {
    const g = core()
    const wrong = await ok(
      g.client['hosts.test']({ target: target(gpuHost), identityFile: login.encryptedKey, passphrase: 'nope' }),
    )
    // The key is unknown, so nothing is authenticated yet: trust it first via known_hosts.
    writeFileSync(join(login.keys, 'known_hosts'), `${gpuHost.knownHostsLine}\n`)
    const wrongKnown = await ok(
      g.client['hosts.test']({ target: target(gpuHost), identityFile: login.encryptedKey, passphrase: 'nope' }),
    )
    expect(wrong.ok).toBe(false)
    expect(wrongKnown.ok).toBe(false)
    // The key is decrypted before anything is sent: a wrong passphrase fails here, not at the host.
    expect(wrongKnown.error).toMatch(/key file.*(passphrase|decrypt)/i)
    const right = await ok(
      g.client['hosts.test']({
        target: target(gpuHost),
        identityFile: login.encryptedKey,
        passphrase: login.passphrase,
      }),
    )
    expect(right.ok).toBe(true)
    expect(right.os).toMatch(/^Linux /)
    expect(right.tools).toMatchObject({ sh: true, cat: true, df: true, 'nvidia-smi': true })
    await ok(
      g.client['hosts.add']({
        target: target(gpuHost),
        identityFile: login.encryptedKey,
        passphrase: login.passphrase,
        name: 'enc',
      }),
    )
    g.start()
    await until(
      async () => (await ok(g.client['hosts.list']({}))).find((h) => h.name === 'enc')?.connection.state === 'up',
      'up',
    )
    const db = readFileSync(join(g.config.dataDir, 'gantry.db'))
    expect(db.includes(Buffer.from(login.passphrase))).toBe(false)
  }, 60_000)

  it('authenticates through the ssh-agent when no key file is named', async () => {
    const sock = join(login.keys, 'agent.sock')
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' })
    try {
      await until(() => existsSync(sock), 'agent socket', 5000)
      const add = spawnSync('ssh-add', [login.key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' })
      expect(add.status).toBe(0)
      writeFileSync(join(login.keys, 'known_hosts'), `${gpuHost.knownHostsLine}\n`)
      const g = core({ sshEnv: sshEnv({ SSH_AUTH_SOCK: sock }) })
      const probe = await ok(g.client['hosts.test']({ target: target(gpuHost) }))
      expect(probe).toMatchObject({ ok: true, knownHosts: 'match', fingerprint: gpuHost.fingerprint })
      const none = core({ sshEnv: sshEnv() })
      const noAgent = await ok(none.client['hosts.test']({ target: target(gpuHost) }))
      expect(noAgent.ok).toBe(false)
      expect(noAgent.error).toMatch(/no ssh-agent/)
    } finally {
      agent.kill('SIGKILL')
    }
  }, 60_000)

  it('reaches a host through a ProxyJump alias of ~/.ssh/config, and only through the jump host', async () => {
    writeFileSync(join(login.keys, 'known_hosts'), `${gpuHost.knownHostsLine}\n${jump.knownHostsLine}\n`)
    writeFileSync(
      join(login.keys, 'config'),
      [
        'Host bastion',
        '  HostName 127.0.0.1',
        `  Port ${jump.port}`,
        `  User ${login.user}`,
        'Host gpu-behind',
        '  HostName 127.0.0.1',
        `  Port ${gpuHost.port}`,
        `  User ${login.user}`,
        `  IdentityFile ${login.key}`,
        '  ProxyJump bastion',
        '',
      ].join('\n'),
    )
    const g = core()
    const probe = await ok(g.client['hosts.test']({ target: 'gpu-behind' }))
    expect(probe.settings).toMatchObject({
      alias: 'gpu-behind',
      port: gpuHost.port,
      proxyJump: [`${login.user}@127.0.0.1:${jump.port}`],
    })
    expect(probe.ok).toBe(true)
    const added = await ok(g.client['hosts.add']({ target: 'gpu-behind' }))
    expect(added.name).toBe('gpu-behind')
    g.start()
    await until(async () => {
      const r = await g.client['gpu.snapshot']({ host: 'gpu-behind' })
      return r.ok && r.data.state === 'ok' ? r.data : null
    }, 'GPU samples through the jump host')

    // The same alias through a jump host that forwards nothing cannot connect: the jump is used.
    const closed = await startSshd({ users: [login.user], allowTcpForwarding: false })
    try {
      writeFileSync(join(login.keys, 'known_hosts'), `${gpuHost.knownHostsLine}\n${closed.knownHostsLine}\n`)
      writeFileSync(
        join(login.keys, 'config'),
        readFileSync(join(login.keys, 'config'), 'utf8').replace(`Port ${jump.port}`, `Port ${closed.port}`),
      )
      const blocked = await ok(g.client['hosts.test']({ target: 'gpu-behind' }))
      expect(blocked.ok).toBe(false)
      expect(blocked.error).toMatch(/jump host cannot reach/)
    } finally {
      await closed.stop()
    }
  }, 60_000)

  it('marks a host killed mid-stream unreachable at once, keeps other hosts going, and reconnects when it is back', async () => {
    writeFileSync(join(login.keys, 'known_hosts'), `${gpuHost.knownHostsLine}\n`)
    const g = core()
    g.start()
    await ok(g.client['hosts.add']({ target: target(gpuHost), identityFile: login.key, name: 'gpu-a' }))
    await until(async () => {
      const r = await g.client['gpu.snapshot']({ host: 'gpu-a' })
      return r.ok && r.data.state === 'ok'
    }, 'streaming')
    gpuHost.kill()
    const down = await until(async () => {
      const h = (await ok(g.client['hosts.list']({}))).find((x) => x.name === 'gpu-a')
      return h && h.connection.state !== 'up' && h.connection.state !== 'connecting' ? h : null
    }, 'unreachable')
    expect(down.connection.state).toBe('unreachable')
    expect(down.health.level).toBe('critical')
    // Calls that need the host fail fast with the reason instead of hanging.
    const t = Date.now()
    const r = await g.client['gpu.detail']({ host: 'gpu-a' })
    expect(r.ok).toBe(false)
    expect(Date.now() - t).toBeLessThan(6000)
    // This machine's samples keep coming meanwhile.
    const before = (await ok(g.client['host.snapshot']({})))?.at ?? 0
    await until(async () => ((await ok(g.client['host.snapshot']({})))?.at ?? 0) > before, 'local samples')

    await gpuHost.restart()
    await until(
      async () => {
        const h = (await ok(g.client['hosts.list']({}))).find((x) => x.name === 'gpu-a')
        return h?.connection.state === 'up'
      },
      'reconnected',
      30_000,
    )
    const at = Date.now()
    await until(
      async () => {
        const s = await g.client['gpu.snapshot']({ host: 'gpu-a' })
        return s.ok && s.data.state === 'ok' && s.data.at > at
      },
      'samples again',
      30_000,
    )
  }, 90_000)

  it('gives up on a port that accepts TCP but never speaks SSH, within the deadline', async () => {
    const sockets: Socket[] = []
    const silent: Server = createServer((s) => void sockets.push(s))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const port = (silent.address() as { port: number }).port
    try {
      const g = core({ sshReadyTimeoutMs: 1500 })
      g.start()
      const pending = g.client['hosts.test']({ target: `${login.user}@127.0.0.1:${port}`, identityFile: login.key })
      // The api answers other calls meanwhile.
      expect((await g.client['app.info']({})).ok).toBe(true)
      const probe = await ok(pending)
      expect(probe.ok).toBe(false)
      expect(probe.fingerprint).toBeNull()
      expect(probe.error).toMatch(/handshake|timed out/i)
    } finally {
      for (const s of sockets) s.destroy()
      silent.close()
    }
  }, 30_000)

  it('shows a remote nvidia-smi that stalls as stalled, and kills it on the host', async () => {
    const stalled = await startSshd({
      users: [login.user],
      env: {
        PATH: `${login.bin}:/usr/local/bin:/usr/bin:/bin`,
        STANDIN_XML: V100_XML,
        STANDIN_MODE: 'stall-after:1',
      },
    })
    try {
      writeFileSync(join(login.keys, 'known_hosts'), `${stalled.knownHostsLine}\n`)
      const g = core()
      g.start()
      await ok(g.client['hosts.add']({ target: target(stalled), identityFile: login.key, name: 'stalls' }))
      const snap = await until(
        async () => {
          const r = await g.client['gpu.snapshot']({ host: 'stalls' })
          return r.ok && r.data.state === 'not-responding' ? r.data : null
        },
        'a stalled state',
        30_000,
      )
      expect((snap as GpuSnapshot).reason ?? '').toMatch(/not responding/i)
      await g.stop()
      await until(() => remoteProcesses('nvidia-smi').length === 0, 'the stalled nvidia-smi killed', 10_000)
    } finally {
      await stalled.stop()
    }
  }, 60_000)

  it('refuses key files outside the key folders, and FIFOs where a key should be', async () => {
    const g = core()
    const outside = await g.client['hosts.test']({ target: target(gpuHost), identityFile: '/etc/passwd' })
    expect(!outside.ok && outside.error.code).toBe('files/refused')
    const fifo = join(login.keys, 'fifo-key')
    spawnSync('mkfifo', [fifo])
    writeFileSync(join(login.keys, 'known_hosts'), `${gpuHost.knownHostsLine}\n`)
    const t = Date.now()
    const probe = await ok(g.client['hosts.test']({ target: target(gpuHost), identityFile: fifo }))
    expect(probe.ok).toBe(false)
    expect(probe.error).toMatch(/not a regular file/)
    expect(Date.now() - t).toBeLessThan(5000)
  }, 30_000)
})
