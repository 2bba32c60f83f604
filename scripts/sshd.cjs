// Real OpenSSH servers for the SSH-host tests and the fleet benchmark: Debian's sshd started on
// 127.0.0.1 with a throwaway host key, config and port, and a throwaway login (useradd, a home
// under /tmp, its keys). The stand-in nvidia-smi is put on that login's PATH with sshd's SetEnv.
// Everything is removed afterwards; kill() ends the server and every session it forked at once
// (a host that dies mid-stream). CommonJS so that vitest, Playwright and the .mjs benchmarks
// all load the one copy (types: sshd.d.cts).
'use strict'
const { spawn, spawnSync } = require('node:child_process')
const { randomBytes } = require('node:crypto')
const fs = require('node:fs')
const net = require('node:net')
const { join } = require('node:path')

const SSHD = '/usr/sbin/sshd'
const STANDIN_BIN = join(__dirname, '..', 'test', 'fixtures', 'bin')

/** Why SSH tests cannot run here, or null. */
function sshdUnavailable() {
  if (process.getuid?.() !== 0) return 'not root: sshd and useradd need it'
  if (!fs.existsSync(SSHD)) return `${SSHD} is missing (apt-get install openssh-server)`
  if (!fs.existsSync('/usr/bin/ssh-keygen')) return 'ssh-keygen is missing (apt-get install openssh-client)'
  return null
}

function sh(cmd, args, input) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`)
  return r.stdout
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port
      s.close(() => resolve(port))
    })
  })
}

/** A key pair made by ssh-keygen; `passphrase` encrypts the private key. */
function makeKey(dir, name, passphrase = '') {
  const path = join(dir, name)
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', path])
  return { path, pub: fs.readFileSync(`${path}.pub`, 'utf8').trim() }
}

/** `ssh-keygen -lf`'s SHA256 fingerprint of a public key file. */
function fingerprint(pubFile) {
  return sh('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile]).split(' ')[1]
}

/** A throwaway account that logs in with its keys (an ed25519 key, and one encrypted). */
function createLogin() {
  const user = `gantry-s${randomBytes(3).toString('hex')}`
  const base = fs.mkdtempSync('/tmp/gantry-ssh-')
  fs.chmodSync(base, 0o755)
  const home = join(base, 'home')
  sh('useradd', ['--create-home', '--home-dir', home, '--shell', '/bin/sh', user])
  // No password, yet not locked: sshd without PAM refuses a locked account even with a key.
  sh('usermod', ['-p', '*', user])
  const keys = join(base, 'keys')
  fs.mkdirSync(keys, { mode: 0o700 })
  const plain = makeKey(keys, 'id_plain')
  const passphrase = 'correct horse battery'
  const enc = makeKey(keys, 'id_encrypted', passphrase)
  const ssh = join(home, '.ssh')
  fs.mkdirSync(ssh, { mode: 0o700 })
  fs.writeFileSync(join(ssh, 'authorized_keys'), `${plain.pub}\n${enc.pub}\n`, { mode: 0o600 })
  sh('chown', ['-R', `${user}:`, ssh])
  return {
    user,
    home,
    keys,
    key: plain.path,
    encryptedKey: enc.path,
    passphrase,
    // The stand-in and the recordings are read in place (the checkout is world-readable; the
    // stand-in needs its node_modules beside it).
    bin: STANDIN_BIN,
    remove() {
      spawnSync('pkill', ['-KILL', '-u', user])
      spawnSync('userdel', ['--force', '--remove', user])
      fs.rmSync(base, { recursive: true, force: true })
    },
  }
}

function descendants(root) {
  const children = new Map()
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(d))
      children.set(ppid, list)
    } catch {
      // ended meanwhile
    }
  }
  const out = []
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c)
      walk(c)
    }
  }
  walk(root)
  return out
}

function waitForBanner(port, deadlineMs = 10_000) {
  const until = Date.now() + deadlineMs
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect(port, '127.0.0.1')
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

async function startSshd(o) {
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }) // sshd's privilege-separation folder
  const dir = fs.mkdtempSync('/tmp/gantry-sshd-')
  fs.chmodSync(dir, 0o755)
  const port = o.port ?? (await freePort())
  let child = null
  const hostKey = join(dir, 'host_ed25519')
  const makeHostKey = () => {
    fs.rmSync(hostKey, { force: true })
    fs.rmSync(`${hostKey}.pub`, { force: true })
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey])
  }
  makeHostKey()
  const env = Object.entries(o.env ?? {}).map(([k, v]) => `"${k}=${v}"`)
  fs.writeFileSync(
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
      'MaxStartups 200:30:400',
      'MaxSessions 100',
      ...(env.length ? [`SetEnv ${env.join(' ')}`] : []),
      '',
    ].join('\n'),
  )
  const start = async () => {
    const c = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    c.stderr.on('data', (d) => (err = (err + d).slice(-2000)))
    child = c
    try {
      await waitForBanner(port)
    } catch (e) {
      throw new Error(`${e.message}: ${err}`)
    }
  }
  await start()
  const pub = () => fs.readFileSync(`${hostKey}.pub`, 'utf8').trim()
  const self = {
    port,
    dir,
    hostPub: `${hostKey}.pub`,
    get pid() {
      return child?.pid ?? null
    },
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
      for (const p of [child.pid, ...descendants(child.pid)]) {
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
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
  return self
}

module.exports = {
  SSHD,
  STANDIN_BIN,
  sshdUnavailable,
  freePort,
  makeKey,
  fingerprint,
  createLogin,
  startSshd,
  descendants,
}
