// Another account on this machine, for tests that play a local attacker (or a remote login):
// created with useradd as root, removed afterwards. Commands run as it through runuser.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { randomBytes } from 'node:crypto'

export interface OsUser {
  name: string
  uid: number
  /** Runs `argv` as this user (no shell), with `env`. */
  run(argv: string[], opts?: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): SpawnSyncReturns<string>
  /** The same, without blocking this process (a server in the test answers it meanwhile). */
  runAsync(
    argv: string[],
    opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<{ status: number | null; stdout: string; stderr: string }>
  remove(): void
}

/** Null when not root (useradd needs it): the caller skips with that reason. */
export function createOsUser(prefix = 'gantry-t'): OsUser | null {
  if (process.getuid?.() !== 0) return null
  const name = `${prefix}${randomBytes(3).toString('hex')}`
  const made = spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' })
  if (made.status !== 0) throw new Error(`useradd ${name} failed: ${made.stderr}`)
  const uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim())
  const envArgs = (env: NodeJS.ProcessEnv = {}): string[] =>
    Object.entries({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', ...env }).map(
      ([k, v]) => `${k}=${v}`,
    )
  return {
    name,
    uid,
    run(argv, opts = {}) {
      return spawnSync('runuser', ['-u', name, '--', 'env', '-i', ...envArgs(opts.env), ...argv], {
        encoding: 'utf8',
        input: opts.input,
        timeout: opts.timeoutMs ?? 30_000,
        cwd: '/',
      })
    },
    runAsync(argv, opts = {}) {
      return new Promise((resolve) => {
        const child = spawn('runuser', ['-u', name, '--', 'env', '-i', ...envArgs(opts.env), ...argv], { cwd: '/' })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d) => (stdout += d))
        child.stderr.on('data', (d) => (stderr += d))
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000)
        child.on('close', (status) => {
          clearTimeout(timer)
          resolve({ status, stdout, stderr })
        })
      })
    },
    remove() {
      spawnSync('pkill', ['-KILL', '-u', name])
      spawnSync('userdel', ['--force', name])
    },
  }
}
