// The health roll-up's one method: health.get, as seen from a host (default this machine).
import type { Handlers } from '../api'
import type { Fleet } from '../hosts/fleet'
import type { HealthService } from './service'

export function healthHandlers(d: { health: HealthService; fleet: Fleet }): Pick<Handlers, 'health.get'> {
  return {
    'health.get': (input) => {
      const host = input.host ?? 'local'
      d.fleet.summary(host) // hosts/unknown-host for a name Gantry does not know
      return d.health.get(host)
    },
  }
}
