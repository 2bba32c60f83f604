// Hostile files through the API of a real `gantry serve`, as issue #13 found them: a FIFO (whose
// open waits for a writer), a character device like /dev/zero (endless), a link to one, a
// config.pbtxt that is a FIFO or links out of the model repository, an export larger than its cap.
// Each is refused or cut off with a clear error, at once, while /healthz keeps answering within
// 100 ms and static files keep being served; a report whose caller goes away is cancelled.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type Served } from '../helpers/serve'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const FIX = join(__dirname, '..', 'fixtures', 'drift')
const REF = join(FIX, 'california_housing_reference.csv')
let s: Served
let work = ''

beforeAll(async () => {
  work = tmpDir('gantry-hostile-')
  s = await serve(tmpDir())
  // Warm up: a process's first calls compile their schemas and code paths (tens of ms, once);
  // what is measured below is how the hostile inputs themselves are handled.
  const nope = join(work, 'does-not-exist.csv')
  for (let i = 0; i < 3; i++) {
    await Promise.all([
      s.call('app.info', {}),
      s.call('drift.report', { reference: nope, current: nope }),
      s.call('registry.register', { model: 'warm', artifact: nope }),
      s.call('registry.importMlflow', { path: nope }),
      s.call('registry.scanTriton', { path: nope }),
      s.call('audit.list', { limit: 1 }),
      fetch(`${s.base}/healthz`).then((r) => r.text()),
    ])
  }
})
afterAll(async () => {
  await s?.stop()
  cleanupTmp()
})

/** Polls /healthz every 10 ms while `during` runs; returns the slowest answer in ms. */
async function slowestHealth(during: () => Promise<unknown>): Promise<number> {
  let worst = 0
  let done = false
  const poll = (async () => {
    while (!done) {
      const t = performance.now()
      const r = await fetch(`${s.base}/healthz`)
      await r.arrayBuffer()
      worst = Math.max(worst, performance.now() - t)
      await new Promise((r) => setTimeout(r, 10))
    }
  })()
  try {
    await during()
  } finally {
    done = true
    await poll
  }
  return worst
}

function fifo(name: string): string {
  const p = join(work, name)
  execFileSync('mkfifo', [p])
  return p
}

describe('hostile files through the API', () => {
  it('refuses FIFOs, devices and links to them at once, keeping /healthz under 100 ms and static files served', async () => {
    const pipe = fifo('pipe.csv')
    const pipeJsonl = fifo('pipe.jsonl')
    const toZero = join(work, 'zero.csv')
    symlinkSync('/dev/zero', toZero)
    // A character device inside an allowed folder (what /dev/zero is), where root can make one.
    const dev = join(work, 'dev-zero.csv')
    const devMade = spawnSync('mknod', [dev, 'c', '1', '5']).status === 0
    const calls: [string, unknown, RegExp][] = [
      ['drift.report', { reference: pipe, current: REF }, /is a FIFO \(named pipe\), not a regular file/],
      ['drift.report', { reference: REF, current: pipeJsonl }, /is a FIFO/],
      ['drift.report', { reference: REF, current: toZero }, /leads to \/dev\/zero\) is under \/dev/],
      ['registry.register', { model: 'm', artifact: pipe }, /FIFO/],
      ['registry.register', { model: 'm', artifact: REF, datasets: [{ role: 'training', path: pipe }] }, /FIFO/],
      ['registry.importMlflow', { path: pipe }, /FIFO/],
      ['registry.importMlflow', { path: '/dev/zero' }, /under \/dev/],
      ['drift.report', { reference: '/etc/shadow', current: '/etc/shadow' }, /under \/etc, which Gantry never reads/],
    ]
    if (devMade)
      calls.push(['drift.report', { reference: REF, current: dev }, /is a character device, not a regular file/])
    const answers: { status: number; body: { ok: boolean; error?: { code: string; message: string } } }[] = []
    const worst = await slowestHealth(async () => {
      // Five at once: before the fix each FIFO took one of libuv's four threads for good.
      answers.push(...(await Promise.all(calls.map(([m, input]) => s.call(m, input)))))
      const page = await fetch(`${s.base}/`)
      expect(page.status).not.toBe(0)
    })
    calls.forEach(([m, , why], i) => {
      expect(answers[i].body.ok, `${m} ${JSON.stringify(calls[i][1])}`).toBe(false)
      expect(answers[i].body.error?.code, m).toBe('files/refused')
      expect(answers[i].body.error?.message, m).toMatch(why)
      expect(answers[i].body.error?.message, m).not.toMatch(/root:|\$6\$/) // nothing of /etc/shadow
    })
    expect(worst).toBeLessThan(100)
    // Every attempt is in the audit with its caller and outcome.
    const audit = await s.call('audit.list', { limit: 50 })
    const reads = (audit.body.data as { action: string; actor: string; after: { outcome: string } }[])
      .filter((r) => r.action === 'file.read')
      .slice(0, calls.length)
    expect(reads.every((r) => r.actor.endsWith(' via web') && r.after.outcome === 'files/refused')).toBe(true)
  })

  it('a Triton scan skips a FIFO config.pbtxt and a config.pbtxt linked out of the repository, and imports the rest', async () => {
    const repo = join(work, 'repo')
    for (const m of ['good', 'piped', 'escaped']) mkdirSync(join(repo, m, '1'), { recursive: true })
    for (const m of ['good', 'piped', 'escaped']) writeFileSync(join(repo, m, '1', 'model.onnx'), `weights ${m}`)
    writeFileSync(join(repo, 'good', 'config.pbtxt'), 'platform: "onnxruntime_onnx"\n')
    execFileSync('mkfifo', [join(repo, 'piped', 'config.pbtxt')])
    const secret = join(work, 'secret.pbtxt')
    writeFileSync(secret, 'platform: "leaked"\n')
    symlinkSync(secret, join(repo, 'escaped', 'config.pbtxt'))
    let r: Awaited<ReturnType<Served['call']>> | null = null
    const worst = await slowestHealth(async () => {
      r = await s.call('registry.scanTriton', { path: repo })
    })
    expect(worst).toBeLessThan(100)
    const report = r!.body.data as { registered: { model: string }[]; skipped: { model: string; reason: string }[] }
    expect(report.registered.map((x) => x.model)).toEqual(['good'])
    const why = Object.fromEntries(report.skipped.map((x) => [x.model, x.reason]))
    expect(why.piped).toMatch(/FIFO/)
    expect(why.escaped).toMatch(/outside the model repository/)
  })

  it('refuses an export over its size cap without reading it', async () => {
    const big = join(work, 'huge-export.json')
    writeFileSync(big, '')
    truncateSync(big, 65 * 1024 * 1024) // sparse: nothing to read, only its size
    const r = await s.call('registry.importMlflow', { path: big })
    expect(r.body.error).toMatchObject({
      code: 'files/too-large',
      message: expect.stringMatching(/over the 67108864-byte limit/),
    })
  })

  it('a FIFO dropped into a watched log folder is skipped with a problem, and the real log is read', async () => {
    const logs = join(work, 'logs')
    mkdirSync(logs)
    execFileSync('mkfifo', [join(logs, 'a-pipe.jsonl')])
    writeFileSync(join(logs, 'b.jsonl'), '{"MedInc": 3.1}\n{"MedInc": 2.9}\n')
    const art = join(work, 'm.pkl')
    writeFileSync(art, 'x')
    expect((await s.call('registry.register', { model: 'housing', artifact: art })).body.ok).toBe(true)
    const set = await s.call('drift.setMonitor', { model: 'housing', config: { folder: logs, windowRows: 10 } })
    expect(set.body.ok, JSON.stringify(set.body)).toBe(true)
    const worst = await slowestHealth(async () => {
      const poll = await s.call('drift.poll', { model: 'housing' })
      expect(poll.body.ok, JSON.stringify(poll.body)).toBe(true)
    })
    expect(worst).toBeLessThan(100)
    const st = await s.call('drift.monitor', { model: 'housing' })
    expect(st.body.data.openRows).toBe(2)
    expect(st.body.data.problems).toEqual([expect.stringMatching(/a-pipe\.jsonl: not a regular file/)])
  })

  it('a drift report whose caller goes away is cancelled, not finished for nobody', async () => {
    // ~40 MB of numbers: seconds of work, so the cancellation has something to stop.
    const big = join(work, 'big.csv')
    const row = '1.25,2.5,3.75,4.125,5.0625\n'
    const chunk = `a,b,c,d,e\n${row.repeat(200_000)}`
    writeFileSync(big, chunk)
    for (let i = 0; i < 7; i++) writeFileSync(big, row.repeat(200_000), { flag: 'a' })
    const gone = new AbortController()
    const started = fetch(`${s.base}/api/drift.report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
      body: JSON.stringify({ reference: big, current: big }),
      signal: gone.signal,
    }).catch(() => 'aborted')
    // Wait until the job runs, then leave.
    for (let i = 0; i < 100; i++) {
      const info = await s.call('app.info', {})
      if (info.body.data.jobs.running.length) break
      await new Promise((r) => setTimeout(r, 20))
    }
    gone.abort()
    expect(await started).toBe('aborted')
    let running: string[] = ['?']
    for (let i = 0; i < 100 && running.length; i++) {
      await new Promise((r) => setTimeout(r, 50))
      running = (await s.call('app.info', {})).body.data.jobs.running
    }
    expect(running).toEqual([])
    const audit = await s.call('audit.list', { limit: 5 })
    const last = (audit.body.data as { action: string; after: { method: string; outcome: string } }[]).find(
      (r) => r.action === 'file.read' && r.after.method === 'drift.report',
    )
    expect(last?.after.outcome).toBe('core/cancelled')
  })
})
