// Long file jobs (a hash, a scan, a drift report, an import) run through one limiter: at most a
// few at once, the rest queued (a bounded queue: beyond it the caller is told to try later), each
// with a time budget and cancelled when its caller goes away. A stuck read (a dead network mount)
// therefore holds one slot, never every thread, and work nobody waits for stops.
import { callerSignal, currentCaller, withCaller } from '../caller'
import { GantryError } from '../errors'

export interface JobBudget {
  /** Wall-clock limit, queueing included. */
  timeoutMs: number
}

export interface JobRunner {
  /** Runs `work` with a signal that aborts on the budget, the caller leaving, or stop(). */
  run<T>(label: string, budget: JobBudget, work: (signal: AbortSignal) => Promise<T>): Promise<T>
  /** What is running and waiting now (app.info shows it). */
  status(): { running: string[]; queued: number; limit: number }
  /** Aborts everything (Gantry stopping). */
  stop(): void
}

export function createJobRunner(o: { concurrency: number; queueLimit: number }): JobRunner {
  const running = new Set<string>()
  const waiting: (() => void)[] = []
  const all = new AbortController()
  /** Slots taken, counted at once (not after an await), so a burst of calls cannot overshoot. */
  let active = 0

  async function acquire(signal: AbortSignal): Promise<void> {
    if (active < o.concurrency) {
      active++
      return
    }
    if (waiting.length >= o.queueLimit) {
      throw new GantryError(
        'core/busy',
        `${active} file jobs are running and ${waiting.length} waiting: try again when one has finished`,
      )
    }
    await new Promise<void>((resolve, reject) => {
      const go = (): void => {
        signal.removeEventListener('abort', leave)
        active++
        resolve()
      }
      const leave = (): void => {
        const i = waiting.indexOf(go)
        if (i >= 0) waiting.splice(i, 1)
        reject(signal.reason)
      }
      waiting.push(go)
      signal.addEventListener('abort', leave, { once: true })
    })
  }
  function release(): void {
    active--
    waiting.shift()?.()
  }

  async function run<T>(label: string, budget: JobBudget, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    {
      const timeout = AbortSignal.timeout(budget.timeoutMs)
      const caller = callerSignal()
      const signal = AbortSignal.any([timeout, all.signal, ...(caller ? [caller] : [])])
      const why = (): GantryError =>
        timeout.aborted
          ? new GantryError(
              'core/timeout',
              `${label} took longer than its ${Math.round(budget.timeoutMs / 1000)} s budget and was stopped`,
            )
          : all.signal.aborted
            ? new GantryError('core/unavailable', `${label} was stopped: Gantry is shutting down`)
            : new GantryError('core/cancelled', `${label} was cancelled: its caller went away`)
      try {
        await acquire(signal)
      } catch (err) {
        if (signal.aborted) throw why()
        throw err
      }
      const id = `${label}#${Math.random().toString(36).slice(2, 8)}`
      running.add(id)
      try {
        // The work sees the signal; the race makes sure a job that ignores it still answers on time.
        return await new Promise<T>((resolve, reject) => {
          const abort = (): void => reject(why())
          if (signal.aborted) return abort()
          signal.addEventListener('abort', abort, { once: true })
          // Inside the work, callerSignal() is this job's signal (budget, caller, shutdown).
          withCaller({ ...currentCaller(), signal }, () => work(signal)).then(
            (v) => {
              signal.removeEventListener('abort', abort)
              if (signal.aborted) reject(why())
              else resolve(v)
            },
            (err: unknown) => {
              signal.removeEventListener('abort', abort)
              reject(signal.aborted ? why() : err)
            },
          )
        })
      } finally {
        running.delete(id)
        release()
      }
    }
  }

  return {
    run,
    status: () => ({
      running: [...running].map((r) => r.replace(/#\w+$/, '')),
      queued: waiting.length,
      limit: o.concurrency,
    }),
    stop: () => all.abort(new Error('stopping')),
  }
}
