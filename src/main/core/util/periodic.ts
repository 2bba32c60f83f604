// A periodic job as a service of its own (a reconcile, a prune, a watcher): runs at most once at a
// time, chains the next run after the last one settles, never keeps the process alive, and logs a
// failure instead of throwing. `everyMs` 0 turns it off.
import type { Service } from '../lifecycle'

export interface PeriodicOptions {
  name: string
  everyMs: number
  run: () => void | Promise<unknown>
  /** Run once at start too (default: only after the first interval). */
  atStart?: boolean
  log: (line: string) => void
}

export function createPeriodic(o: PeriodicOptions): Service {
  let timer: ReturnType<typeof setTimeout> | null = null
  let on = false
  const once = async (): Promise<void> => {
    try {
      await o.run()
    } catch (err) {
      o.log(`gantry: ${o.name} failed: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  const next = (): void => {
    if (!on) return
    timer = setTimeout(() => {
      timer = null
      void once().then(next)
    }, o.everyMs)
    timer.unref?.()
  }
  return {
    name: o.name,
    start() {
      if (on || o.everyMs <= 0) return
      on = true
      if (o.atStart) void once().then(next)
      else next()
    },
    stop() {
      on = false
      if (timer) clearTimeout(timer)
      timer = null
    },
  }
}
