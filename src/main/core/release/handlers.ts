// The release area's methods: nginx fronts (add, list, remove) and shadow / canary releases (plan,
// start, status, pause, resume, abort, promote). Any door may call them; a running console carries
// a release forward, and an abort or a promotion takes effect on nginx from whichever process asks.
import type { Handlers } from '../api'
import { actorOr } from '../caller'
import type { ReleaseService } from './service'

export type ReleaseMethods = Extract<keyof Handlers, `front.${string}` | `release.${string}`>

export function releaseHandlers(d: { releases: ReleaseService; actor: string }): Pick<Handlers, ReleaseMethods> {
  const { releases } = d
  const by = (): string => actorOr(d.actor)
  return {
    'front.add': (input) => releases.addFront(input, by()),
    'front.list': () => releases.fronts(),
    'front.remove': async (input) => {
      await releases.removeFront(input.model, by())
      return {}
    },
    'release.plan': (input) => releases.plan(input),
    'release.start': (input) => releases.begin(input, by()),
    'release.status': (input) => releases.status(input.model),
    'release.list': () => releases.active(),
    'release.pause': (input) => releases.pause(input.model, by(), input.reason),
    'release.resume': (input) => releases.resume(input.model, by()),
    'release.abort': (input) => releases.abort(input.model, by(), input.reason),
    'release.promote': (input) => releases.promote(input.model, by()),
  }
}
