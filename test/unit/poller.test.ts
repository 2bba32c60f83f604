// The poller never overlaps itself, samples at once, and degrades instead of throwing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPoller, type PollOutcome } from '../../src/main/core/util/poller'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

function collect<T>() {
  const outcomes: PollOutcome<T>[] = []
  return { outcomes, onOutcome: (o: PollOutcome<T>) => outcomes.push(o) }
}

describe('the poller', () => {
  it('samples at once on start, then every interval', async () => {
    const run = vi.fn(async () => 1)
    const c = collect<number>()
    const p = createPoller({ name: 't', intervalMs: 1000, timeoutMs: 500, run, onOutcome: c.onOutcome, now: Date.now })
    p.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(999)
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(run).toHaveBeenCalledTimes(2)
    p.stop()
    await vi.advanceTimersByTimeAsync(5000)
    expect(run).toHaveBeenCalledTimes(2)
    expect(c.outcomes.every((o) => o.ok)).toBe(true)
  })

  it('never runs two polls at once when a run is slower than the interval', async () => {
    let active = 0
    let maxActive = 0
    const run = vi.fn(async () => {
      active++
      maxActive = Math.max(maxActive, active)
      await new Promise((r) => setTimeout(r, 300))
      active--
      return 1
    })
    const c = collect<number>()
    const p = createPoller({ name: 't', intervalMs: 100, timeoutMs: 1000, run, onOutcome: c.onOutcome, now: Date.now })
    p.start()
    await vi.advanceTimersByTimeAsync(3000)
    p.stop()
    expect(maxActive).toBe(1)
    expect(run.mock.calls.length).toBeGreaterThanOrEqual(9)
    expect(run.mock.calls.length).toBeLessThanOrEqual(11)
  })

  it('reports a degraded outcome with the reason when a run exceeds the timeout, and not before', async () => {
    const run = vi.fn(() => new Promise<number>((r) => setTimeout(() => r(1), 250)))
    const c = collect<number>()
    const p = createPoller({
      name: 'host',
      intervalMs: 10_000,
      timeoutMs: 200,
      run,
      onOutcome: c.onOutcome,
      now: Date.now,
    })
    p.start()
    await vi.advanceTimersByTimeAsync(199)
    expect(c.outcomes).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(c.outcomes).toHaveLength(1)
    expect(c.outcomes[0]).toMatchObject({ ok: false, reason: 'host: no answer within 200 ms' })
    p.stop()

    const c2 = collect<number>()
    const fast = createPoller({
      name: 'host',
      intervalMs: 10_000,
      timeoutMs: 251,
      run,
      onOutcome: c2.onOutcome,
      now: Date.now,
    })
    fast.start()
    await vi.advanceTimersByTimeAsync(251)
    fast.stop()
    expect(c2.outcomes[0]).toMatchObject({ ok: true, value: 1 })
  })

  it('does not pile up work behind a probe that hangs forever', async () => {
    const run = vi.fn(() => new Promise<number>(() => {}))
    const c = collect<number>()
    const p = createPoller({
      name: 'host',
      intervalMs: 1000,
      timeoutMs: 100,
      run,
      onOutcome: c.onOutcome,
      now: Date.now,
    })
    p.start()
    await vi.advanceTimersByTimeAsync(10_000)
    p.stop()
    expect(run).toHaveBeenCalledTimes(1)
    expect(c.outcomes.length).toBeGreaterThan(5)
    expect(c.outcomes[0]).toMatchObject({ ok: false, reason: 'host: no answer within 100 ms' })
    expect(c.outcomes.at(-1)).toMatchObject({ ok: false })
    expect((c.outcomes.at(-1) as { reason: string }).reason).toMatch(/previous poll still running/)
  })

  it('turns a thrown error into a degraded outcome and keeps polling', async () => {
    let n = 0
    const run = vi.fn(async () => {
      if (n++ === 0) throw new Error('EACCES /proc/meminfo')
      return 2
    })
    const c = collect<number>()
    const p = createPoller({
      name: 'host',
      intervalMs: 1000,
      timeoutMs: 100,
      run,
      onOutcome: c.onOutcome,
      now: Date.now,
    })
    p.start()
    await vi.advanceTimersByTimeAsync(1000)
    p.stop()
    expect(c.outcomes[0]).toMatchObject({ ok: false, reason: 'host: EACCES /proc/meminfo' })
    expect(c.outcomes[1]).toMatchObject({ ok: true, value: 2 })
  })

  it('joins the poll in flight when asked to poll now', async () => {
    const run = vi.fn(() => new Promise<number>((r) => setTimeout(() => r(3), 50)))
    const c = collect<number>()
    const p = createPoller({ name: 't', intervalMs: 0, timeoutMs: 1000, run, onOutcome: c.onOutcome, now: Date.now })
    const a = p.pollNow()
    const b = p.pollNow()
    await vi.advanceTimersByTimeAsync(50)
    await Promise.all([a, b])
    expect(run).toHaveBeenCalledTimes(1)
    expect(c.outcomes).toHaveLength(1)
  })

  it('after stop() and start() during a poll in flight, runs one chain only', async () => {
    let running = 0
    let maxRunning = 0
    const run = vi.fn(async () => {
      running++
      maxRunning = Math.max(maxRunning, running)
      await new Promise((r) => setTimeout(r, 50))
      running--
      return 1
    })
    const c = collect<number>()
    const p = createPoller({ name: 't', intervalMs: 1000, timeoutMs: 500, run, onOutcome: c.onOutcome, now: Date.now })
    p.start()
    await vi.advanceTimersByTimeAsync(10) // first run in flight
    p.stop()
    p.start()
    await vi.advanceTimersByTimeAsync(10_000)
    p.stop()
    // One run at start, joined by the restart, then one per second: never two chains.
    expect(run.mock.calls.length).toBeGreaterThanOrEqual(10)
    expect(run.mock.calls.length).toBeLessThanOrEqual(12)
    expect(maxRunning).toBe(1)
    const n = run.mock.calls.length
    await vi.advanceTimersByTimeAsync(5000)
    expect(run.mock.calls.length).toBe(n)
  })
})
