// The roll-up as a service: computed on request (health.get, the CLI's `gantry health`), and in a
// console recomputed shortly after anything it reads changed (a sample, a registry write, a deploy
// step, an alert) and every few seconds besides (a monitor's read error, another process's
// write), pushed as health.changed only when its reasons changed. One computation per host that a
// screen asked for recently; this machine always.
import type { HealthRollup } from '../../../shared/health'
import type { Service } from '../lifecycle'
import { rollUp, type HealthFacts } from './rollup'

export interface HealthService extends Service {
  /** The roll-up as seen from this host, now. */
  get(host: string): HealthRollup
  /** Something it reads changed: recompute soon (coalesced). */
  changed(): void
}

/** A host a screen asked for is kept recomputed this long after its last ask. */
const WATCH_MS = 10 * 60_000
const COALESCE_MS = 250

export function createHealthService(o: {
  facts: HealthFacts
  now(): number
  /** 0: computed on request only (a CLI command). */
  everyMs: number
  publish(r: HealthRollup): void
  log(line: string): void
}): HealthService {
  const watched = new Map<string, number>([['local', Number.POSITIVE_INFINITY]])
  const last = new Map<string, string>()
  let on = false
  let soon: ReturnType<typeof setTimeout> | null = null
  let tick: ReturnType<typeof setInterval> | null = null

  // What a push is for: a reason, a level or a subject came or went. Raw values that move with
  // every sample (a temperature, a free-memory %) are not; screens re-ask every minute for them.
  const signature = (r: HealthRollup): string =>
    JSON.stringify([r.level, r.reasons.map((x) => [x.key, x.level, x.subjects.map((y) => y.name)])])
  const compute = (host: string): HealthRollup => rollUp(o.facts, host, o.now())

  const refresh = (): void => {
    const t = o.now()
    for (const [host, until] of watched) {
      if (until !== Number.POSITIVE_INFINITY && t - until > WATCH_MS) {
        watched.delete(host)
        last.delete(host)
        continue
      }
      let r: HealthRollup
      try {
        r = compute(host)
      } catch (err) {
        // A host removed meanwhile, a database that went away: said, and tried again next time.
        o.log(`gantry: health roll-up for ${host} failed: ${err instanceof Error ? err.message : String(err)}`)
        continue
      }
      const sig = signature(r)
      if (last.get(host) === sig) continue
      last.set(host, sig)
      o.publish(r)
    }
  }

  return {
    name: 'health roll-up',
    get(host) {
      if (watched.get(host) !== Number.POSITIVE_INFINITY) watched.set(host, o.now())
      return compute(host)
    },
    changed() {
      if (!on || soon) return
      soon = setTimeout(() => {
        soon = null
        refresh()
      }, COALESCE_MS)
      soon.unref?.()
    },
    start() {
      if (on || o.everyMs <= 0) return
      on = true
      tick = setInterval(refresh, o.everyMs)
      tick.unref?.()
    },
    stop() {
      on = false
      if (soon) clearTimeout(soon)
      if (tick) clearInterval(tick)
      soon = tick = null
    },
  }
}
