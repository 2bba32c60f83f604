// A command run through a host's access is bounded the same way on every host: the deadline kills
// it, stdout past the cap kills it, an abort kills it, a missing program says so. Here on this
// machine (child_process); the SSH side of the same rules is in ssh-hosts.test.ts.
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { createLocalAccess } from '../../src/main/core/hosts/local-access'
import type { FileAccess } from '../../src/main/core/files/local-files'

const access = createLocalAccess({} as FileAccess)
const running = (marker: string): boolean =>
  spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim().length > 0

describe('a command run on this machine', () => {
  it('is killed at its deadline, says so, and leaves nothing running', async () => {
    const t0 = Date.now()
    const r = await access.run(['sh', '-c', 'echo started; exec sleep 31.4159'], { timeoutMs: 300 })
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(r).toMatchObject({ timedOut: true, truncated: false, code: null, signal: 'SIGKILL', stdout: 'started\n' })
    expect(running('sleep 31.4159')).toBe(false)
  })

  it('is killed when its output passes the cap, keeping what fit', async () => {
    const r = await access.run(['sh', '-c', 'exec yes gantry'], { maxBytes: 4096 })
    expect(r.truncated).toBe(true)
    expect(r.timedOut).toBe(false)
    expect(r.stdout.length).toBe(4096)
    expect(r.stdout.startsWith('gantry\n')).toBe(true)
  })

  it('is killed by its abort signal, and a signal aborted before it starts kills it at once', async () => {
    const ac = new AbortController()
    const p = access.run(['sleep', '27.1828'], { signal: ac.signal })
    setTimeout(() => ac.abort(), 100)
    expect(await p).toMatchObject({ code: null, signal: 'SIGKILL', timedOut: false })
    expect(running('sleep 27.1828')).toBe(false)
    const before = new AbortController()
    before.abort()
    expect((await access.run(['sleep', '5'], { signal: before.signal })).signal).toBe('SIGKILL')
  })

  it('says a program that does not exist is not found, with stderr and exit codes as they are', async () => {
    const missing = await access.run(['gantry-no-such-program'])
    expect(missing).toMatchObject({ notFound: true, code: null })
    expect(missing.error).toMatch(/cannot run gantry-no-such-program/)
    const failed = await access.run(['sh', '-c', 'echo oops >&2; exit 3'])
    expect(failed).toMatchObject({ code: 3, stderr: 'oops\n', notFound: false, error: null })
    const env = await access.run(['sh', '-c', 'echo "$LC_ALL $EXTRA"'], { env: { EXTRA: 'x' } })
    expect(env.stdout).toBe('C x\n')
  })
})
