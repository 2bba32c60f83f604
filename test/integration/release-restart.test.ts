// A release driven from the CLI and carried by `gantry serve` as real processes, with a real
// nginx in front of two model servers: `gantry front add` and `gantry release canary` as named in
// the issue; the console SIGKILLed mid-ramp (nginx keeps serving the split it had); a new console
// on the same data directory resumes from the journal and promotes. An abort from the CLI reaches
// nginx with no console running.
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createGantry } from '../../src/main/core'
import type { Release, ReleaseStatus } from '../../src/shared/release'
import { nginxUnavailable, startModelServer, startNginx } from '../helpers/nginx'
import { serve, type Served } from '../helpers/serve'
import { freePort } from '../helpers/sshd'
import { cleanupTmp, tmpDir } from '../helpers/tmp'
import { until as pollUntil } from '../helpers/prometheus'

const bin = join(__dirname, '..', '..', 'bin', 'gantry.js')
const skip = nginxUnavailable()
if (skip) console.log(`release-restart: skipped: ${skip}`)

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(() => cleanupTmp())

function gantry(dataDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, '--data-dir', dataDir, ...args],
      { env: { ...process.env, GANTRY_ACTOR: 'ci-bot' }, timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    )
  })
}

function route(port: number, user: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/predict?x=1', agent: false, headers: { 'X-User': user } },
      (res) => {
        res.resume()
        res.on('end', () => resolve(String(res.headers['x-served-by'] ?? '')))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** Polls until `f` gives something truthy (the shared helper, with the reason first). */
const until = <T>(what: string, f: () => Promise<T | null | undefined | false>, ms?: number): Promise<T> =>
  pollUntil(f, what, ms)

async function setup() {
  const root = tmpDir('gantry-release-cli-')
  const dataDir = join(root, 'data')
  const nginx = startNginx(join(root, 'nginx'))
  cleanups.push(() => nginx.stop())
  const champ = await startModelServer('champion', join(root, 'champion.jsonl'))
  const chall = await startModelServer('challenger', join(root, 'challenger.jsonl'))
  cleanups.push(
    () => champ.stop(),
    () => chall.stop(),
  )
  // The registry: v1 in production, v2 staged (a CLI-door core writes it and goes).
  const g = createGantry({ dataDir, door: 'cli', actor: 'ops', log: () => {} })
  for (const v of [1, 2]) {
    writeFileSync(join(root, `v${v}`), `weights of v${v}`)
    const r = await g.api.call('registry.register', { model: 'm', artifact: join(root, `v${v}`) })
    if (!r.ok) throw new Error(r.error.message)
    await g.api.call('registry.transition', { name: 'm', version: v, stage: 'staging' })
  }
  await g.api.call('registry.transition', { name: 'm', version: 1, stage: 'production' })
  await g.stop()
  const port = await freePort()
  const add = await gantry(dataDir, [
    'front',
    'add',
    'm',
    '--nginx-dir',
    nginx.confd,
    '--listen',
    `127.0.0.1:${port}`,
    '--champion',
    champ.url,
    '--key',
    'X-User',
    '--reload-command',
    nginx.reloadCommand.join(' '),
    '--json',
  ])
  expect(add.stderr).toBe('')
  expect(add.code).toBe(0)
  return { root, dataDir, nginx, champ, chall, port, front: JSON.parse(add.stdout).front as { file: string } }
}

describe.skipIf(skip)('releases from the CLI, carried by a console that is killed and restarted', () => {
  it('SIGKILL mid-ramp: nginx keeps serving; a restarted console resumes and promotes', async () => {
    const w = await setup()
    let console1: Served | null = await serve(w.dataDir, { GANTRY_RELEASE_TICK_MS: '100' })
    cleanups.push(() => console1?.stop())
    const start = await gantry(w.dataDir, [
      'release',
      'canary',
      'm',
      '--version',
      '2',
      '--challenger',
      w.chall.url,
      '--steps',
      '30,100',
      '--hold',
      '6s',
      '--gate-interval',
      '500ms',
      '--min-requests',
      '5',
      // This test is about the restart: a few hundred requests on a busy machine must not make
      // the latency gate inconclusive (the gates have their own tests).
      '--max-slow-rise',
      '60',
      '--json',
    ])
    expect(start.code).toBe(0)
    const started = JSON.parse(start.stdout) as { release: Release; warnings: string[] }
    expect(started.release).toMatchObject({ state: 'warming', steps: [30, 100], holdMs: 6000 })
    const status = async (): Promise<ReleaseStatus> =>
      JSON.parse((await gantry(w.dataDir, ['release', 'status', 'm', '--json'])).stdout)
    await until('the 30 % step', async () => (await status()).release?.weight === 30)

    // The console dies hard. nginx keeps the split it was given: some users on each arm, each sticky.
    console1.child.kill('SIGKILL')
    await new Promise((r) => console1!.child.once('exit', r))
    console1 = null
    const seen = new Map<string, string>()
    for (let i = 0; i < 200; i++) {
      const u = `u${i % 50}`
      const s = await route(w.port, u)
      expect(s === 'champion' || s === 'challenger').toBe(true)
      if (seen.has(u)) expect(seen.get(u)).toBe(s)
      seen.set(u, s)
    }
    expect(new Set(seen.values())).toEqual(new Set(['champion', 'challenger']))
    const text = readFileSync(w.front.file, 'utf8')
    expect(text).toContain('30% challenger')

    // Traffic flows meanwhile (the gates of the new console need requests to judge).
    let on = true
    const traffic = Promise.all(
      [0, 1, 2, 3].map(async (k) => {
        for (let i = 0; on && i < 20_000; i++) await route(w.port, `u${(i * 4 + k) % 97}`).catch(() => '')
      }),
    )
    cleanups.push(async () => {
      on = false
      await traffic
    })
    const console2 = await serve(w.dataDir, { GANTRY_RELEASE_TICK_MS: '100' })
    cleanups.push(() => console2.stop())
    const done = await until(
      'the promotion',
      async () => {
        const r = (await status()).release
        return r && ['promoted', 'aborted', 'paused'].includes(r.state) ? r : null
      },
      40_000,
    )
    on = false
    await traffic
    expect(done.reason ?? '').not.toMatch(/inconclusive/)
    expect(done.state).toBe('promoted')
    expect(done.events.map((e) => e.kind)).toContain('resumed')
    expect(done.evidence.map((e) => e.weight)).toEqual([30, 100])
    const txt = await gantry(w.dataDir, ['release', 'status', 'm'])
    expect(txt.stdout).toMatch(/release #1: canary of v2 .* — PROMOTED/)
    expect(txt.stdout).toMatch(/step 1 at 30 % — pass/)
  }, 120_000)

  it('an abort from the CLI reaches nginx with no console running, and is journaled with who asked', async () => {
    const w = await setup()
    const c = await serve(w.dataDir, { GANTRY_RELEASE_TICK_MS: '100' })
    cleanups.push(() => c.stop())
    const r = await gantry(w.dataDir, [
      'release',
      'canary',
      'm',
      '--version',
      '2',
      '--challenger',
      w.chall.url,
      '--steps',
      '50,100',
      '--hold',
      '10m',
    ])
    expect(r.stdout).toMatch(/release #1 of m: canary of v2, warming/)
    await until('the 50 % step', async () => readFileSync(w.front.file, 'utf8').includes('50% challenger'))
    await c.stop()
    const a = await gantry(w.dataDir, ['release', 'abort', 'm', '--reason', 'p99 on the dashboard', '--json'])
    expect(a.code).toBe(0)
    expect(JSON.parse(a.stdout)).toMatchObject({ state: 'aborted', weight: 0, reason: 'p99 on the dashboard' })
    expect(readFileSync(w.front.file, 'utf8')).not.toContain('challenger;')
    // nginx's graceful reload: the old workers stop taking connections within moments.
    await until(
      'old workers gone',
      async () =>
        (await Promise.all(Array.from({ length: 20 }, (_, i) => route(w.port, `u${i}`)))).every(
          (s) => s === 'champion',
        ),
      5000,
    )
    for (let i = 0; i < 30; i++) expect(await route(w.port, `u${i}`)).toBe('champion')
    const st = await gantry(w.dataDir, ['release', 'status', 'm'])
    expect(st.code).toBe(3)
    expect(st.stdout).toMatch(/aborted\s+ci-bot: p99 on the dashboard/)
    // Starting without a console says that it waits for one.
    const again = await gantry(w.dataDir, ['release', 'canary', 'm', '--version', '2', '--challenger', w.chall.url])
    expect(again.stderr).toMatch(/no console is running: the release waits for one/)
    // That waiting release can be aborted too; then steps that do not rise are refused.
    const waiting = await gantry(w.dataDir, ['release', 'abort', 'm'])
    expect(waiting.stdout).toMatch(/release #2 of m: aborted — aborted by ci-bot/)
    const steps = await gantry(w.dataDir, [
      'release',
      'canary',
      'm',
      '--version',
      '2',
      '--challenger',
      w.chall.url,
      '--steps',
      '5,1,100',
    ])
    expect(steps.code).not.toBe(0)
    expect(steps.stderr).toMatch(/steps must rise/)
    const share = await gantry(w.dataDir, [
      'release',
      'canary',
      'm',
      '--version',
      '2',
      '--challenger',
      w.chall.url,
      '--share',
      '5',
    ])
    expect(share.stderr).toMatch(/a canary has steps \(--steps\), not a share/)
  }, 90_000)
})
