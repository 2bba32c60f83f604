// Real OpenSSH servers for the SSH-host tests: Debian's sshd started on 127.0.0.1 with a throwaway
// host key, config and port, and a throwaway login (useradd, a home under /tmp, its keys). The
// stand-in nvidia-smi is put on that login's PATH with sshd's SetEnv. Everything is removed afterwards; kill() ends the server and every
// session it forked at once (a host that dies mid-stream).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createServer, connect as netConnect } from 'node:net'
import { join } from 'node:path'
import { STANDIN_BIN } from './gpu-fixtures'

export const SSHD = '/usr/sbin/sshd'

/** Why SSH tests cannot run here, or null. */
export function sshdUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root: sshd and useradd need it'
  if (!existsSync(SSHD)) return `${SSHD} is missing (apt-get install openssh-server)`
  if (!existsSync('/usr/bin/ssh-keygen')) return 'ssh-keygen is missing (apt-get install openssh-client)'
  return null
}

function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`)
  return r.stdout
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** A key pair made by ssh-keygen; `passphrase` encrypts the private key. */
export function makeKey(dir: string, name: string, passphrase = ''): { path: string; pub: string } {
  const path = join(dir, name)
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', path])
  return { path, pub: readFileSync(`${path}.pub`, 'utf8').trim() }
}

/** `ssh-keygen -lf`'s SHA256 fingerprint of a public key file. */
export function fingerprint(pubFile: string): string {
  return sh('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile]).split(' ')[1]
}

export interface Login {
  user: string
  home: string
  /** A folder of the test's (keys, known_hosts, ssh config), in GANTRY_SSH_KEY_DIRS. */
  keys: string
  key: string
  encryptedKey: string
  passphrase: string
  /** The stand-in nvidia-smi's folder (for the login's PATH). */
  bin: string
  remove(): void
}

/** A throwaway account that logs in with its keys (an ed25519 key, and one encrypted). */
export function createLogin(): Login {
  const user = `gantry-s${randomBytes(3).toString('hex')}`
  const base = mkdtempSync('/tmp/gantry-ssh-')
  chmodSync(base, 0o755)
  const home = join(base, 'home')
  sh('useradd', ['--create-home', '--home-dir', home, '--shell', '/bin/sh', user])
  // No password, yet not locked: sshd without PAM refuses a locked account even with a key.
  sh('usermod', ['-p', '*', user])
  const keys = join(base, 'keys')
  mkdirSync(keys, { mode: 0o700 })
  const plain = makeKey(keys, 'id_plain')
  const passphrase = 'correct horse battery'
  const enc = makeKey(keys, 'id_encrypted', passphrase)
  const ssh = join(home, '.ssh')
  mkdirSync(ssh, { mode: 0o700 })
  writeFileSync(join(ssh, 'authorized_keys'), `${plain.pub}\n${enc.pub}\n`, { mode: 0o600 })
  sh('chown', ['-R', `${user}:`, ssh])
  // The stand-in and the recordings are read in place (the checkout is world-readable; the
  // stand-in needs its node_modules beside it).
  const bin = STANDIN_BIN
  return {
    user,
    home,
    keys,
    key: plain.path,
    encryptedKey: enc.path,
    passphrase,
    bin,
    remove() {
      spawnSync('pkill', ['-KILL', '-u', user])
      spawnSync('userdel', ['--force', '--remove', user])
      rmSync(base, { recursive: true, force: true })
    },
  }
}

export interface Sshd {
  port: number
  dir: string
  /** The host key's public file, its SHA256 fingerprint, and a known_hosts line for it. */
  hostPub: string
  fingerprint: string
  knownHostsLine: string
  /** Stops the server and every session it forked (SIGKILL: a host that dies). */
  kill(): void
  /** Starts it again on the same port (with a new host key if asked: a reinstalled server). */
  restart(o?: { newHostKey?: boolean }): Promise<void>
  stop(): Promise<void>
  /** Processes the server forked (per-connection sshd and the commands they run). */
  sessions(): number[]
}

export interface SshdOptions {
  users: string[]
  /** Variables every session gets (PATH to the stand-in, STANDIN_*), through SetEnv. */
  env?: Record<string, string>
  allowTcpForwarding?: boolean
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(d))
      children.set(ppid, list)
    } catch {
      // ended meanwhile
    }
  }
  const out: number[] = []
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c)
      walk(c)
    }
  }
  walk(root)
  return out
}

function waitForBanner(port: number, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const s = netConnect(port, '127.0.0.1')
      s.once('data', (d) => {
        s.destroy()
        if (d.toString().startsWith('SSH-')) resolve()
        else reject(new Error(`port ${port} answered ${JSON.stringify(d.toString())}`))
      })
      s.once('error', () => {
        s.destroy()
        if (Date.now() > until) reject(new Error(`sshd on ${port} did not come up`))
        else setTimeout(attempt, 50)
      })
    }
    attempt()
  })
}

export async function startSshd(o: SshdOptions): Promise<Sshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }) // sshd's privilege-separation folder
  const dir = mkdtempSync('/tmp/gantry-sshd-')
  chmodSync(dir, 0o755)
  const port = await freePort()
  let child: ChildProcess | null = null
  const hostKey = join(dir, 'host_ed25519')
  const makeHostKey = (): void => {
    rmSync(hostKey, { force: true })
    rmSync(`${hostKey}.pub`, { force: true })
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey])
  }
  makeHostKey()
  const env = Object.entries(o.env ?? {}).map(([k, v]) => `"${k}=${v}"`)
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin no',
      `AllowUsers ${o.users.join(' ')}`,
      `AllowTcpForwarding ${o.allowTcpForwarding === false ? 'no' : 'yes'}`,
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      'LogLevel ERROR',
      'MaxStartups 100:30:200',
      'MaxSessions 100',
      ...(env.length ? [`SetEnv ${env.join(' ')}`] : []),
      '',
    ].join('\n'),
  )
  const start = async (): Promise<void> => {
    const c = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    c.stderr?.on('data', (d) => (err = (err + d).slice(-2000)))
    child = c
    try {
      await waitForBanner(port)
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${err}`)
    }
  }
  await start()
  const pub = (): string => readFileSync(`${hostKey}.pub`, 'utf8').trim()
  const self: Sshd = {
    port,
    dir,
    hostPub: `${hostKey}.pub`,
    get fingerprint() {
      return fingerprint(`${hostKey}.pub`)
    },
    get knownHostsLine() {
      const [type, b64] = pub().split(' ')
      return `[127.0.0.1]:${port} ${type} ${b64}`
    },
    sessions: () => (child?.pid ? descendants(child.pid) : []),
    kill() {
      if (!child?.pid) return
      const all = [child.pid, ...descendants(child.pid)]
      for (const p of all) {
        try {
          process.kill(p, 'SIGKILL')
        } catch {
          // gone already
        }
      }
      child = null
    },
    async restart(r = {}) {
      self.kill()
      if (r.newHostKey) makeHostKey()
      await start()
    },
    async stop() {
      self.kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return self
}
