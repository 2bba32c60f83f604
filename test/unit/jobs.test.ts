// The file-job limiter: a few at once, a bounded queue, a time budget, cancelled with its caller,
// stopped with Gantry — and a job that ignores its signal still answers when it is cut off.
import { describe, expect, it } from 'vitest'
import { withCaller } from '../../src/main/core/caller'
import { GantryError } from '../../src/main/core/errors'
import { createJobRunner } from '../../src/main/core/util/jobs'

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof GantryError ? e.code : String(e)),
  )

/** A job that runs until released (or, with `listen`, until its signal aborts). */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((r) => (open = r))
  return { open, job: async () => opened }
}

describe('the file-job limiter', () => {
  it('runs at most `concurrency` jobs at once; the next starts when one ends', async () => {
    const jobs = createJobRunner({ concurrency: 2, queueLimit: 4 })
    const [a, b, c] = [gate(), gate(), gate()]
    const pa = jobs.run('a', { timeoutMs: 10_000 }, a.job)
    const pb = jobs.run('b', { timeoutMs: 10_000 }, b.job)
    const pc = jobs.run('c', { timeoutMs: 10_000 }, c.job)
    await new Promise((r) => setImmediate(r))
    expect(jobs.status()).toEqual({ running: ['a', 'b'], queued: 1, limit: 2 })
    a.open()
    await pa
    await new Promise((r) => setImmediate(r))
    expect(jobs.status().running.sort()).toEqual(['b', 'c'])
    b.open()
    c.open()
    await Promise.all([pb, pc])
    expect(jobs.status()).toEqual({ running: [], queued: 0, limit: 2 })
  })

  it('past the queue limit says to try later (core/busy) instead of piling up', async () => {
    const jobs = createJobRunner({ concurrency: 1, queueLimit: 1 })
    const g = gate()
    const first = jobs.run('a', { timeoutMs: 10_000 }, g.job)
    const second = jobs.run('b', { timeoutMs: 10_000 }, g.job)
    expect(await codeOf(jobs.run('c', { timeoutMs: 10_000 }, g.job))).toBe('core/busy')
    g.open()
    await Promise.all([first, second])
  })

  it('cuts a job off at its budget — even one that never looks at its signal', async () => {
    const jobs = createJobRunner({ concurrency: 1, queueLimit: 1 })
    const deaf = jobs.run('a stuck read', { timeoutMs: 50 }, () => new Promise(() => {}))
    expect(await codeOf(deaf)).toBe('core/timeout')
    expect(jobs.status().running).toEqual([]) // its slot is free again
    expect(await jobs.run('next', { timeoutMs: 1000 }, async () => 'done')).toBe('done')
  })

  it('cancels a running and a queued job when their caller goes away', async () => {
    const jobs = createJobRunner({ concurrency: 1, queueLimit: 2 })
    const gone = new AbortController()
    let sawAbort = false
    const running = withCaller({ actor: 'alice', signal: gone.signal }, () =>
      jobs.run('report', { timeoutMs: 10_000 }, (signal) => {
        return new Promise((_r, reject) =>
          signal.addEventListener('abort', () => {
            sawAbort = true
            reject(signal.reason)
          }),
        )
      }),
    )
    const queued = withCaller({ actor: 'alice', signal: gone.signal }, () =>
      jobs.run('another', { timeoutMs: 10_000 }, async () => 'ran'),
    )
    await new Promise((r) => setImmediate(r)) // the first is running, the second waiting
    expect(jobs.status()).toMatchObject({ running: ['report'], queued: 1 })
    gone.abort(new Error('tab closed'))
    expect(await codeOf(running)).toBe('core/cancelled')
    expect(await codeOf(queued)).toBe('core/cancelled')
    expect(sawAbort).toBe(true)
    expect(jobs.status()).toEqual({ running: [], queued: 0, limit: 1 })
  })

  it('stop() ends everything with core/unavailable', async () => {
    const jobs = createJobRunner({ concurrency: 1, queueLimit: 1 })
    const p = jobs.run('x', { timeoutMs: 10_000 }, () => new Promise(() => {}))
    jobs.stop()
    expect(await codeOf(p)).toBe('core/unavailable')
  })
})
