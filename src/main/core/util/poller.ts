// A poller that never overlaps itself: it samples at once on start, chains the next run with
// setTimeout after the previous one settles, enforces a timeout, and reports a degraded result
// with the reason instead of throwing. A run that timed out but is still pending blocks new
// runs (reported as such) so a hung probe never piles up work.
import { errorMessage } from '../errors'

export type PollOutcome<T> =
  { ok: true; value: T; at: number; durationMs: number } | { ok: false; reason: string; at: number; durationMs: number }

export interface PollerOptions<T> {
  name: string
  intervalMs: number
  timeoutMs: number
  run: (signal: AbortSignal) => Promise<T>
  onOutcome: (outcome: PollOutcome<T>) => void
  now?: () => number
}

export interface Poller {
  start(): void
  stop(): void
  /** Runs one poll now, outside the schedule, unless one is in flight (then waits for it). */
  pollNow(): Promise<void>
  readonly running: boolean
}

export function createPoller<T>(opts: PollerOptions<T>): Poller {
  const now = opts.now ?? Date.now
  let timer: ReturnType<typeof setTimeout> | null = null
  let started = false
  let inflight: Promise<unknown> | null = null
  let current: Promise<void> | null = null
  let hungSince = 0

  // Each start() begins a new chain; a chain from before a stop() ends itself instead of running on
  // beside the new one.
  let generation = 0

  function schedule(delay: number, gen: number): void {
    if (!started || gen !== generation) return
    timer = setTimeout(() => {
      timer = null
      if (!started || gen !== generation) return
      void tick().then(() => schedule(Math.max(0, opts.intervalMs - (now() - lastStart)), gen))
    }, delay)
  }

  let lastStart = 0

  async function tick(): Promise<void> {
    if (current) return current
    current = runOnce().finally(() => {
      current = null
    })
    return current
  }

  async function runOnce(): Promise<void> {
    const at = now()
    lastStart = at
    if (inflight) {
      // The last run timed out and never settled: do not start another on top of it.
      opts.onOutcome({
        ok: false,
        reason: `${opts.name}: previous poll still running after ${Math.round((at - hungSince) / 1000)} s (probe hung)`,
        at,
        durationMs: 0,
      })
      return
    }
    const controller = new AbortController()
    const work = opts.run(controller.signal)
    inflight = work
    work.then(
      () => {
        if (inflight === work) inflight = null
      },
      () => {
        if (inflight === work) inflight = null
      },
    )
    let timeout: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timeout = setTimeout(() => resolve('timeout'), opts.timeoutMs)
    })
    try {
      const r = await Promise.race([work, timedOut])
      if (r === 'timeout') {
        hungSince = at
        controller.abort()
        opts.onOutcome({
          ok: false,
          reason: `${opts.name}: no answer within ${opts.timeoutMs} ms`,
          at,
          durationMs: now() - at,
        })
      } else {
        opts.onOutcome({ ok: true, value: r as T, at, durationMs: now() - at })
      }
    } catch (err) {
      opts.onOutcome({ ok: false, reason: `${opts.name}: ${errorMessage(err)}`, at, durationMs: now() - at })
    } finally {
      clearTimeout(timeout)
    }
  }

  return {
    start() {
      if (started) return
      started = true
      schedule(0, ++generation)
    },
    stop() {
      started = false
      generation++
      if (timer) clearTimeout(timer)
      timer = null
    },
    pollNow() {
      return tick()
    },
    get running() {
      return started
    },
  }
}
