// Releases through a real nginx (Debian's, started here on 127.0.0.1 with a throwaway prefix) in
// front of two real model-server processes that write inference logs: the front's file checked by
// nginx -t (a rejected one never loaded, the old one kept), a canary split by its weights and
// sticky per key, promoted through the registry; challengers that fail, slow down or disagree
// aborted at the first step with the evidence; a shadow whose answers never reach clients, whose
// hung challenger never delays the champion, and whose skipped mirrors are counted; SSE passing
// unbuffered. The same on the SSH test host (nginx and the servers as the login there).
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import type { Front, Release, ReleaseStatus } from '../../src/shared/release'
import { fakeHostDeps, fakeStorageDeps } from '../helpers/fakes'
import { nginxUnavailable, startModelServer, startNginx, type ModelServer, type Nginx } from '../helpers/nginx'
import { createLogin, freePort, sshdUnavailable, startSshd, type Login, type Sshd } from '../helpers/sshd'
import { cleanupTmp, tmpDir } from '../helpers/tmp'
import { havePrometheus, startPrometheus, until as pollUntil } from '../helpers/prometheus'
import { createServer } from 'node:http'

const skip = nginxUnavailable()
if (skip) console.log(`release-nginx: skipped: ${skip}`)

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(() => cleanupTmp())

interface World {
  g: Gantry
  nginx: Nginx
  champ: ModelServer
  chall: ModelServer
  port: number
  front: Front
  call<T>(m: string, input: unknown): Promise<T>
  refused(m: string, input: unknown): Promise<string>
}

async function world(o: { key?: string; ssh?: { login: Login; sshd: Sshd } } = {}): Promise<World> {
  const root = tmpDir('gantry-release-')
  // On the SSH host nginx runs as the login there: its reload command (run over SSH) signals it.
  if (o.ssh) chmodSync(root, 0o755)
  const nginx = startNginx(join(root, 'nginx'), o.ssh ? { as: o.ssh.login.user } : {})
  cleanups.push(() => nginx.stop())
  const champ = await startModelServer('champion', join(root, 'champion.jsonl'))
  const chall = await startModelServer('challenger', join(root, 'challenger.jsonl'))
  cleanups.push(
    () => champ.stop(),
    () => chall.stop(),
  )
  const g = createGantry({
    dataDir: join(root, 'data'),
    door: 'server',
    actor: 'ops',
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    driftIntervalMs: 0,
    alertIntervalMs: 0,
    releaseTickMs: 100,
    hostDeps: fakeHostDeps(),
    storageDeps: fakeStorageDeps(),
    connector: o.ssh ? undefined : null,
    ...(o.ssh
      ? {
          sshEnv: {
            HOME: o.ssh.login.keys,
            USER: o.ssh.login.user,
            GANTRY_KNOWN_HOSTS: join(o.ssh.login.keys, 'known_hosts'),
            GANTRY_SSH_KEY_DIRS: o.ssh.login.keys,
            GANTRY_SSH_CONFIG: join(o.ssh.login.keys, 'none'),
            GANTRY_REMOTE_ROOTS: root,
          },
          sshReadyTimeoutMs: 3000,
        }
      : {}),
    log: () => {},
  })
  g.start()
  cleanups.push(() => g.stop())
  const call = async <T>(m: string, input: unknown): Promise<T> => {
    const r = await g.api.call(m as never, input, { actor: 'alice' })
    if (!r.ok) throw new Error(`${m}: ${r.error.code}: ${r.error.message}`)
    return r.data as T
  }
  const refused = async (m: string, input: unknown): Promise<string> => {
    const r = await g.api.call(m as never, input)
    if (r.ok) throw new Error(`${m} was accepted`)
    return r.error.message
  }
  for (const v of [1, 2]) {
    const d = join(root, `v${v}`)
    writeFileSync(d, `weights of v${v}`)
    await call('registry.register', { model: 'm', artifact: d })
  }
  await call('registry.transition', { name: 'm', version: 1, stage: 'staging' })
  await call('registry.transition', { name: 'm', version: 1, stage: 'production' })
  await call('registry.transition', { name: 'm', version: 2, stage: 'staging' })
  if (o.ssh)
    await call('hosts.add', {
      target: `${o.ssh.login.user}@127.0.0.1:${o.ssh.sshd.port}`,
      identityFile: o.ssh.login.key,
      name: 'edge',
    })
  const port = await freePort()
  const { front } = await call<{ front: Front }>('front.add', {
    model: 'm',
    ...(o.ssh ? { host: 'edge' } : {}),
    nginxDir: nginx.confd,
    listen: `127.0.0.1:${port}`,
    champion: champ.url,
    reloadCommand: nginx.reloadCommand,
    ...(o.key ? { key: o.key } : {}),
  })
  return { g, nginx, champ, chall, port, front, call, refused }
}

/** One request through nginx: status, the arm nginx chose, the server that answered, the time taken. */
function hit(
  port: number,
  o: { path?: string; method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; route: string; server: string; ms: number; body: string }> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: o.path ?? '/v1/predict?x=3',
        method: o.method ?? 'GET',
        agent: false,
        headers: { ...(o.body !== undefined ? { 'content-length': Buffer.byteLength(o.body) } : {}), ...o.headers },
      },
      (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            route: String(res.headers['x-gantry-route'] ?? ''),
            server: String(res.headers['x-served-by'] ?? ''),
            ms: performance.now() - t0,
            body,
          }),
        )
      },
    )
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')))
    req.on('error', reject)
    req.end(o.body)
  })
}

/** Steady load through nginx until stop() (bounded: at most `max` requests and 90 s), `concurrency` at a time. */
function load(
  port: number,
  o: { max?: number; concurrency?: number; make?: (i: number) => Parameters<typeof hit>[1] } = {},
) {
  let on = true
  let i = 0
  const results: (Awaited<ReturnType<typeof hit>> & { startedAt: number })[] = []
  const errors: string[] = []
  const max = o.max ?? 200_000
  const t0 = Date.now()
  const worker = async (): Promise<void> => {
    while (on && i < max && Date.now() - t0 < 90_000) {
      const n = i++
      try {
        const startedAt = Date.now()
        results.push({ ...(await hit(port, o.make?.(n))), startedAt })
      } catch (err) {
        errors.push(String(err))
      }
    }
  }
  const done = Promise.all(Array.from({ length: o.concurrency ?? 4 }, worker))
  return {
    results,
    errors,
    async stop() {
      on = false
      await done
    },
  }
}

/** Polls until `f` gives something truthy (the shared helper, with the reason first). */
const until = <T>(what: string, f: () => Promise<T | null | undefined | false>, ms?: number): Promise<T> =>
  pollUntil(f, what, ms)

const status = (w: World): Promise<ReleaseStatus> => w.call<ReleaseStatus>('release.status', { model: 'm' })
const settled = (w: World, states: string[]): Promise<Release> =>
  until(
    `the release to be ${states.join('/')}`,
    async () => {
      const r = (await status(w)).release
      return r && states.includes(r.state) ? r : null
    },
    40_000,
  )

describe.skipIf(skip)('an nginx front and releases through it', () => {
  it('writes its own file, has nginx check it, and keeps the old one when nginx rejects the new', async () => {
    const w = await world()
    const text = readFileSync(w.front.file, 'utf8')
    expect(text).toMatch(/^# Managed by Gantry/)
    expect(text).toContain(`upstream g_`)
    expect(text).toMatch(/"id":"\$request_id"/)
    expect(text).toContain('proxy_set_header X-Request-ID $request_id;')
    const r = await hit(w.port)
    expect(r).toMatchObject({ status: 200, route: 'champion', server: 'champion' })

    // A champion nginx cannot resolve: nginx -t refuses the file, so it is never loaded.
    const msg = await w.refused('front.add', {
      model: 'm',
      nginxDir: w.nginx.confd,
      listen: `127.0.0.1:${w.port}`,
      champion: 'http://no-such-host.invalid:9000',
      reloadCommand: w.nginx.reloadCommand,
    })
    expect(msg).toMatch(/rejected the new file, so it was not loaded and the previous one stays: .*host not found/)
    expect(readFileSync(w.front.file, 'utf8')).toBe(text)
    expect((await hit(w.port)).server).toBe('champion')

    // A folder nginx does not include is said plainly, as is a file Gantry did not write.
    writeFileSync(w.front.file, 'server { listen 1; }\n')
    const foreign = await w.refused('front.add', {
      model: 'm',
      nginxDir: w.nginx.confd,
      listen: `127.0.0.1:${w.port}`,
      champion: w.champ.url,
      reloadCommand: w.nginx.reloadCommand,
    })
    expect(foreign).toMatch(/was not written by Gantry/)
    writeFileSync(w.front.file, text)

    // A folder whose path nginx would read as syntax (here a ";" and a "$") is refused before any write.
    const evil = join(w.nginx.dir, 'x; include $evil')
    mkdirSync(evil)
    const syntax = await w.refused('front.add', {
      model: 'm',
      nginxDir: evil,
      listen: `127.0.0.1:${w.port}`,
      champion: w.champ.url,
      reloadCommand: w.nginx.reloadCommand,
    })
    expect(syntax).toMatch(/characters nginx would read as syntax/)
    expect(readdirSync(evil)).toEqual([])
    expect(readFileSync(w.front.file, 'utf8')).toBe(text)

    // Moved to a folder nginx does not include: said, and the old file does not linger.
    const other = join(w.nginx.dir, 'elsewhere')
    mkdirSync(other)
    const moved = await w.call<{ front: Front; warnings: string[] }>('front.add', {
      model: 'm',
      nginxDir: other,
      listen: `127.0.0.1:${w.port}`,
      champion: w.champ.url,
      reloadCommand: w.nginx.reloadCommand,
    })
    expect(moved.warnings.join(' ')).toMatch(
      /nginx does not include .*elsewhere.*: add "include .*elsewhere\/\*\.conf;"/,
    )
    expect(existsSync(w.front.file)).toBe(false)
  }, 60_000)

  it('a canary splits by its weights, sticks per key, and its last step promotes through the registry', async () => {
    const w = await world({ key: 'X-User' })
    const users = 400
    const traffic = load(w.port, { concurrency: 6, make: (i) => ({ headers: { 'X-User': `u${i % users}` } }) })
    cleanups.push(() => traffic.stop())
    const { release } = await w.call<{ release: Release }>('release.start', {
      model: 'm',
      mode: 'canary',
      version: 2,
      challenger: w.chall.url,
      steps: [20, 100],
      holdMs: 20_000, // room for the reload to settle and 800 requests on a loaded machine
      gateIntervalMs: 500,
      gates: { minRequests: 20 },
    })
    expect(release.state).toBe('warming')
    // At 20 %: each user keeps one arm, and about a fifth of the users are on the challenger.
    await until('the 20 % step', async () => (await status(w)).release?.weight === 20)
    await until('nginx at 20 %', async () => (await status(w)).front?.applied?.rev === (await status(w)).release?.rev)
    // nginx's graceful reload: the old workers (all to the champion) stop taking connections soon
    // after — on a loaded machine a few seconds after. Once they have, every user keeps one arm.
    let at20 = new Map<string, Set<string>>()
    for (let round = 0; round < 6; round++) {
      await new Promise((r) => setTimeout(r, 1500))
      at20 = new Map()
      for (let i = 0; i < users * 2; i++) {
        const r = await hit(w.port, { headers: { 'X-User': `u${i % users}` } })
        if (!at20.has(`u${i % users}`)) at20.set(`u${i % users}`, new Set())
        at20.get(`u${i % users}`)!.add(r.route)
        expect(r.server).toBe(r.route) // the arm nginx named is the server that answered
      }
      if ([...at20.values()].every((s) => s.size === 1)) break
    }
    // All of it within the 20 % step (not after its hold ended).
    expect((await status(w)).release?.weight).toBe(20)
    expect([...at20.values()].every((s) => s.size === 1)).toBe(true)
    const onChallenger = [...at20.values()].filter((s) => s.has('challenger')).length / users
    expect(onChallenger).toBeGreaterThan(0.12) // 20 % of 400 users: ±4 σ is 12–28 %
    expect(onChallenger).toBeLessThan(0.28)
    expect((await status(w)).release?.weight).toBe(20) // the sample was all taken at 20 %

    const done = await settled(w, ['promoted', 'aborted', 'paused'])
    await traffic.stop()
    expect(done.reason ?? '').not.toMatch(/inconclusive|failed/)
    expect(done.state).toBe('promoted')
    expect(traffic.errors).toEqual([])
    expect(traffic.results.filter((r) => r.status !== 200)).toEqual([])
    // Evidence of each step with both arms and the verdicts.
    expect(done.evidence.map((e) => [e.weight, e.verdict])).toEqual([
      [20, 'pass'],
      [100, 'pass'],
    ])
    expect(done.evidence[0].challenger.requests).toBeGreaterThan(20)
    expect(done.evidence[0].champion.requests).toBeGreaterThan(done.evidence[0].challenger.requests)
    expect(done.evidence[0].gates.find((g) => g.gate === 'errors')?.verdict).toBe('pass')
    // Promotion: production alias and stage moved, the challenger is the champion, its route retired.
    const model = await w.call<{ versions: { version: number; stage: string }[] }>('registry.getModel', { name: 'm' })
    expect(model.versions.find((v) => v.version === 2)?.stage).toBe('production')
    const st = await status(w)
    expect(st.front?.champion).toBe(w.chall.url)
    await until('the retired route', async () => !readFileSync(w.front.file, 'utf8').includes('_challenger {'))
    await new Promise((r) => setTimeout(r, 300))
    for (let i = 0; i < 20; i++)
      expect((await hit(w.port, { headers: { 'X-User': `u${i}` } })).server).toBe('challenger')
    const audit = await w.call<{ action: string; actor: string }[]>('audit.list', { model: 'm' })
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['release.start', 'release.promote', 'front.add']),
    )
  }, 90_000)

  for (const bad of [
    { what: 'returns errors', mode: { errorRate: 0.5 }, gate: 'errors' },
    { what: 'slows down', mode: { delayMs: 120 }, gate: 'latency' },
  ] as const) {
    it(`a challenger that ${bad.what} is aborted at its first step, with the evidence`, async () => {
      const w = await world()
      await w.chall.control(bad.mode)
      const traffic = load(w.port, { concurrency: 8 })
      cleanups.push(() => traffic.stop())
      await w.call('release.start', {
        model: 'm',
        mode: 'canary',
        version: 2,
        challenger: w.chall.url,
        steps: [30, 60, 100],
        holdMs: 60_000,
        gateIntervalMs: 500,
        gates: { minRequests: 20 },
      })
      const r = await settled(w, ['aborted', 'promoted', 'passed', 'paused'])
      expect(r.state).toBe('aborted')
      expect(r.step).toBe(0)
      expect(r.weight).toBe(0)
      expect(r.reason).toMatch(new RegExp(`gate failed at step 1 \\(30 %\\): ${bad.gate}`))
      const ev = r.evidence[0]
      expect(ev.verdict).toBe('fail')
      expect(ev.gates.find((g) => g.gate === bad.gate)?.verdict).toBe('fail')
      if (bad.gate === 'errors') expect(ev.challenger.errors).toBeGreaterThan(5)
      else expect(ev.challenger.latency!.p50).toBeGreaterThan(ev.champion.latency!.p95 * 2)
      // Weight 0: nothing started after the reload reaches the challenger (a slow challenger's
      // requests already in flight finish later, and are not counted).
      await new Promise((res) => setTimeout(res, 500))
      const after = Date.now()
      await new Promise((res) => setTimeout(res, 1000))
      await traffic.stop()
      const later = traffic.results.filter((x) => x.startedAt >= after)
      expect(later.length).toBeGreaterThan(10)
      expect(later.every((x) => x.route === 'champion')).toBe(true)
      expect(r.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['started', 'ready', 'step', 'aborted']))
      const model = await w.call<{ versions: { version: number; stage: string }[] }>('registry.getModel', { name: 'm' })
      expect(model.versions.find((v) => v.version === 1)?.stage).toBe('production')
    }, 60_000)
  }

  it('a shadow: mirrored answers never reach clients, skipped mirrors are counted, a disagreeing challenger is aborted', async () => {
    const w = await world()
    await w.chall.control({ disagree: true })
    const traffic = load(w.port, {
      concurrency: 4,
      make: (i) =>
        i % 10 === 0
          ? { method: 'POST', path: '/v1/predict', body: JSON.stringify({ x: i, pad: 'y'.repeat(3000) }) }
          : i % 10 === 1
            ? { method: 'PUT', path: '/v1/predict', body: JSON.stringify({ x: i }) }
            : { method: 'POST', path: '/v1/predict', body: JSON.stringify({ x: i }) },
    })
    cleanups.push(() => traffic.stop())
    await w.call('release.start', {
      model: 'm',
      mode: 'shadow',
      version: 2,
      challenger: w.chall.url,
      share: 100,
      idempotent: ['POST'],
      maxMirrorBody: 2000,
      holdMs: 60_000,
      gateIntervalMs: 500,
      // Only agreement may decide here (a loaded test machine must not fail it on latency first).
      gates: { minRequests: 20, maxErrorRise: 1, maxSlowRise: 1 },
      logs: { champion: w.champ.logFile, challenger: w.chall.logFile },
    })
    const r = await settled(w, ['aborted', 'passed', 'paused', 'promoted'])
    await traffic.stop()
    expect(r.state).toBe('aborted')
    expect(r.reason).toMatch(/agreement/)
    const ev = r.evidence[0]
    expect(ev.joined).toBeGreaterThanOrEqual(20) // judged from the 20th joined pair on
    expect(ev.agreed).toBe(0)
    expect(ev.differences!.p50).toBeGreaterThan(1)
    expect(ev.skipped.size).toBeGreaterThan(0) // the 3 KB bodies
    expect(ev.skipped.method).toBeGreaterThan(0) // PUT was not marked idempotent
    expect(ev.challenger.requests).toBeGreaterThan(0)
    // Every client answer came from the champion; the challenger saw the copies (X-Gantry-Shadow).
    expect(traffic.results.length).toBeGreaterThan(50)
    expect(traffic.results.every((x) => x.server === 'champion' && x.route === 'champion')).toBe(true)
    const challLog = readFileSync(w.chall.logFile, 'utf8').trim().split('\n')
    expect(challLog.length).toBeGreaterThan(20)
  }, 60_000)

  it('a hung challenger in a shadow never delays the champion; the mirror is cut at its timeout', async () => {
    // The answer itself is never held. nginx does hold a request until its mirror ends, so the next
    // request on the same keep-alive connection waits up to the mirror timeout — bounded, and the
    // errors gate aborts the shadow on the cut mirrors.
    const w = await world()
    await w.chall.control({ hang: true })
    await w.call('release.start', {
      model: 'm',
      mode: 'shadow',
      version: 2,
      challenger: w.chall.url,
      share: 100,
      holdMs: 60_000,
      gateIntervalMs: 500,
      mirrorTimeoutMs: 1000,
      warmupRequests: 1,
      // Not judged before the 20th cut mirror: the keep-alive measurement below must not meet the
      // abort's reload (which closes idle keep-alive connections).
      gates: { minRequests: 20 },
    })
    await until('the shadow', async () => (await status(w)).release?.state === 'running')
    await new Promise((r) => setTimeout(r, 300))
    const times: number[] = []
    for (let i = 0; i < 12; i++) {
      const r = await hit(w.port)
      expect(r.server).toBe('champion')
      times.push(r.ms)
    }
    expect(Math.max(...times)).toBeLessThan(500)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const kept: number[] = []
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: w.port, path: '/v1/predict?x=1', agent }, (res) => {
          res.resume()
          res.on('end', () => resolve())
        })
        req.on('error', reject)
        req.end()
      })
      kept.push(performance.now() - t0)
    }
    agent.destroy()
    expect(Math.max(...kept)).toBeLessThan(1000 + 800) // the mirror timeout, and no more
    for (let i = 0; i < 10; i++) expect((await hit(w.port)).server).toBe('champion')
    // The cut mirrors are the challenger's errors (504): the errors gate aborts it.
    const r = await settled(w, ['aborted', 'passed', 'paused'])
    expect(r.state).toBe('aborted')
    expect(r.evidence[0].challenger.errors).toBeGreaterThan(0)
  }, 60_000)

  it('an SSE stream passes unbuffered', async () => {
    const w = await world()
    const t0 = performance.now()
    const arrivals: number[] = []
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: w.port, path: '/v1/stream', agent: false }, (res) => {
        res.on('data', (d: Buffer) => {
          for (const _ of String(d).matchAll(/^data: /gm)) arrivals.push(performance.now() - t0)
        })
        res.on('end', () => resolve())
      })
      req.on('error', reject)
      req.end()
    })
    expect(arrivals).toHaveLength(5)
    // Events are 200 ms apart at the server: they must arrive spread out, the first long before the last.
    expect(arrivals[0]).toBeLessThan(500)
    expect(arrivals[4] - arrivals[0]).toBeGreaterThan(600)
  }, 30_000)

  it('pause keeps the weight, resume judges again, abort by hand sets it to 0', async () => {
    const w = await world()
    await w.call('release.start', {
      model: 'm',
      mode: 'canary',
      version: 2,
      challenger: w.chall.url,
      steps: [40, 100],
      holdMs: 60_000,
      gateIntervalMs: 500,
    })
    await until('the first step', async () => (await status(w)).release?.state === 'running')
    const p = await w.call<Release>('release.pause', { model: 'm', reason: 'checking dashboards' })
    expect(p).toMatchObject({ state: 'paused', weight: 40, reason: 'checking dashboards' })
    // The step is journaled before nginx is told: the file follows within the apply.
    await until('nginx file at 40 %', async () => readFileSync(w.front.file, 'utf8').includes('40% challenger'))
    expect(await w.refused('release.pause', { model: 'm' })).toMatch(/paused already/)
    const r = await w.call<Release>('release.resume', { model: 'm' })
    expect(r.state).toBe('running')
    const a = await w.call<Release>('release.abort', { model: 'm', reason: 'not today' })
    expect(a).toMatchObject({ state: 'aborted', weight: 0, reason: 'not today' })
    expect(readFileSync(w.front.file, 'utf8')).not.toContain('challenger;')
    expect(await w.refused('release.abort', { model: 'm' })).toMatch(/no release in progress/)
    expect(a.events.map((e) => [e.kind, e.actor])).toEqual(
      expect.arrayContaining([
        ['paused', 'alice'],
        ['resumed', 'alice'],
        ['aborted', 'alice'],
      ]),
    )
  }, 60_000)

  it('a paused release is still watched: a challenger that starts failing meanwhile is aborted', async () => {
    const w = await world()
    const traffic = load(w.port, { concurrency: 6 })
    cleanups.push(() => traffic.stop())
    await w.call('release.start', {
      model: 'm',
      mode: 'canary',
      version: 2,
      challenger: w.chall.url,
      steps: [40, 100],
      holdMs: 60_000,
      gateIntervalMs: 500,
      gates: { minRequests: 20 },
    })
    await until('the first step', async () => (await status(w)).release?.state === 'running')
    await w.call('release.pause', { model: 'm', reason: 'lunch' })
    await w.chall.control({ errorRate: 0.7 })
    const r = await settled(w, ['aborted'])
    await traffic.stop()
    expect(r.reason).toMatch(/gate failed while paused at step 1 \(40 %\): errors/)
    expect(r.weight).toBe(0)
  }, 60_000)

  it('a file written by a process that died before its reload is reloaded, not trusted', async () => {
    const w = await world()
    const { createNginxRouter } = await import('../../src/main/core/release/nginx')
    const access = w.g.fleet.get('local').access
    const router = createNginxRouter(() => access)
    const at = (weight: number) =>
      ({
        mode: 'canary',
        weight,
        challenger: w.chall.url,
        idempotent: [] as string[],
        maxMirrorBody: 1,
        mirrorTimeoutMs: 1000,
        release: 9,
        rev: weight,
      }) as const
    // The crash: the 100 % file is on disk, but nginx never reloaded it (it still serves the champion).
    writeFileSync(w.front.file, router.render(w.front, at(100)))
    await new Promise((r) => setTimeout(r, 200))
    expect((await hit(w.port)).server).toBe('champion')
    const res = await router.apply(w.front, at(100))
    expect(res).toMatchObject({ ok: true, changed: true })
    await until('the reload', async () => (await hit(w.port)).server === 'challenger', 3000)
    // Now it is loaded: the same traffic again is a no-op.
    expect(await router.apply(w.front, at(100))).toMatchObject({ ok: true, changed: false })
  }, 30_000)
})

const sshSkip = skip ?? sshdUnavailable()
if (sshSkip) console.log(`release-nginx (SSH host): skipped: ${sshSkip}`)
describe.skipIf(sshSkip)('a release on the SSH test host', () => {
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

  it('writes the file over SFTP, reloads nginx there as the login, and aborts a failing challenger', async () => {
    const w = await world({ ssh: { login, sshd } })
    expect(w.front.host).toBe('edge')
    expect(readFileSync(w.front.file, 'utf8')).toMatch(/^# Managed by Gantry/)
    expect((await hit(w.port)).server).toBe('champion')
    await w.chall.control({ errorRate: 0.6 })
    const traffic = load(w.port, { concurrency: 6 })
    cleanups.push(() => traffic.stop())
    await w.call('release.start', {
      model: 'm',
      mode: 'canary',
      version: 2,
      challenger: w.chall.url,
      steps: [30, 100],
      holdMs: 60_000,
      gateIntervalMs: 500,
      gates: { minRequests: 20 },
    })
    const r = await settled(w, ['aborted', 'promoted', 'paused'])
    await traffic.stop()
    expect(r.state).toBe('aborted')
    expect(r.reason).toMatch(/gate failed at step 1 \(30 %\): errors/)
    expect(r.evidence[0].challenger.errors).toBeGreaterThan(5)
    // The journal first, then nginx over SSH: the file follows within moments.
    await until(
      'the file without the challenger',
      async () => !readFileSync(w.front.file, 'utf8').includes('challenger;'),
      10_000,
    )
    // nginx there serves the champion alone once its old workers are gone (a graceful reload).
    await until(
      'the reload',
      async () =>
        (await Promise.all(Array.from({ length: 10 }, () => hit(w.port)))).every((x) => x.server === 'champion'),
      5000,
    )
    for (let i = 0; i < 10; i++) expect((await hit(w.port)).server).toBe('champion')
  }, 90_000)
})

describe.skipIf(skip || !havePrometheus)('a business KPI as a gate (a real Prometheus)', () => {
  it("aborts a canary when the model's KPI falls below its threshold while the challenger has traffic", async () => {
    let conversion = 0.08
    const exporter = createServer((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        .end(`# TYPE shop_conversion_ratio gauge\nshop_conversion_ratio{model="m"} ${conversion}\n`),
    )
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r))
    cleanups.push(() => new Promise<void>((r) => (exporter.closeAllConnections(), exporter.close(() => r()))))
    const prom = await startPrometheus({ shop: [`127.0.0.1:${(exporter.address() as { port: number }).port}`] })
    cleanups.push(() => prom.stop())
    const w = await world()
    await until('the KPI in Prometheus', async () => {
      const r = await fetch(`${prom.url}/api/v1/query?query=shop_conversion_ratio`)
      return ((await r.json()) as { data: { result: unknown[] } }).data.result.length > 0
    })
    await w.call('prometheus.add', { url: prom.url, name: 'shop', force: true })
    await w.call('kpi.set', {
      model: 'm',
      name: 'conversion',
      source: 'shop',
      query: 'avg(shop_conversion_ratio{model="m"})',
      direction: 'higher-is-better',
      threshold: 0.05,
      unit: '',
    })
    const traffic = load(w.port, { concurrency: 4 })
    cleanups.push(() => traffic.stop())
    await w.call('release.start', {
      model: 'm',
      mode: 'canary',
      version: 2,
      challenger: w.chall.url,
      steps: [30, 100],
      holdMs: 60_000,
      gateIntervalMs: 500,
    })
    await until('the first step', async () => (await status(w)).release?.state === 'running')
    await until('a KPI gate looked at', async () =>
      (await status(w)).release?.evidence[0]?.gates.some((g) => g.gate === 'kpi' && g.verdict === 'pending'),
    )
    conversion = 0.01
    const r = await settled(w, ['aborted', 'promoted', 'paused'])
    await traffic.stop()
    expect(r.state).toBe('aborted')
    expect(r.reason).toMatch(/kpi: conversion 0\.01 \(at least 0\.05 wanted/)
  }, 90_000)
})
