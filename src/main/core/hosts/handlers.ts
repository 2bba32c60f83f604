// The hosts area's methods: the fleet's list; testing, adding, changing and removing SSH hosts;
// accepting a changed host key. A new host's key must be known (known_hosts) or confirmed by its
// fingerprint (trust on first use, pinned); a changed key is refused until accepted by name and
// new fingerprint. Every change is audited with its caller; passphrases go to the secrets service.
import type { Handlers } from '../api'
import { actorOr } from '../caller'
import type { Db } from '../db/database'
import { GantryError } from '../errors'
import type { Registry } from '../registry/registry'
import type { SecretStore } from '../secrets'
import type { TimeSeriesStore } from '../telemetry/timeseries'
import type { Fleet, Connector } from './fleet'
import type { HostsStore } from './hosts-store'

export type HostsMethods = Extract<keyof Handlers, `hosts.${string}`>

export function hostsHandlers(d: {
  fleet: Fleet
  hosts: HostsStore
  connector: Connector | null
  secrets: SecretStore
  registry: Registry
  store: TimeSeriesStore
  db: Db
  actor: string
}): Pick<Handlers, HostsMethods> {
  const { fleet, hosts, registry } = d
  const connector = (): Connector => {
    if (!d.connector) throw new GantryError('hosts/unsupported', 'this build of Gantry cannot reach hosts over SSH')
    return d.connector
  }
  /** Where a host is still used: removing it would orphan these. */
  const usedBy = (id: number): string[] => {
    const eps = d.db.prepare('SELECT name FROM serving_endpoints WHERE host_id = ?').all(id) as { name: string }[]
    const targets = (
      d.db.prepare('SELECT model, name, config_json FROM deploy_targets').all() as {
        model: string
        name: string
        config_json: string
      }[]
    ).filter((t) => (JSON.parse(t.config_json) as { host?: string }).host === hosts.byId(id)?.name)
    const monitors = (
      d.db.prepare('SELECT model, config_json FROM drift_monitors').all() as {
        model: string
        config_json: string
      }[]
    ).filter((m) => (JSON.parse(m.config_json) as { host?: string }).host === hosts.byId(id)?.name)
    return [
      ...eps.map((e) => `endpoint ${e.name}`),
      ...targets.map((t) => `deploy target ${t.model}/${t.name}`),
      ...monitors.map((m) => `the drift monitor of ${m.model}`),
    ]
  }

  return {
    'hosts.list': () => fleet.summaries(),
    'hosts.test': async (input) => {
      const settings = connector().resolve(input.target, input.identityFile)
      return connector().test(settings, input.passphrase ?? null)
    },
    'hosts.add': async (input) => {
      const c = connector()
      const settings = c.resolve(input.target, input.identityFile)
      const name = input.name ?? settings.alias ?? settings.hostname
      if (hosts.get(name)) throw new GantryError('hosts/duplicate-host', `a host named "${name}" exists already`)
      const probe = await c.test(settings, input.passphrase ?? null, input.acceptFingerprint ?? null)
      if (probe.knownHosts === 'mismatch') {
        throw new GantryError(
          'hosts/host-key-changed',
          `${settings.hostname} shows key ${probe.fingerprint}, but ~/.ssh/known_hosts has another for it: refused (a changed key may be an attacker in the middle)`,
        )
      }
      if (!probe.fingerprint) {
        throw new GantryError('hosts/unreachable', `cannot reach ${input.target}: ${probe.error ?? 'no answer'}`)
      }
      const known = probe.knownHosts === 'match'
      if (!known && input.acceptFingerprint !== probe.fingerprint) {
        throw new GantryError(
          'hosts/host-key-unknown',
          `${settings.hostname} is not in ~/.ssh/known_hosts; its ${probe.keyType} key is ${probe.fingerprint}. ` +
            'Compare it with the server (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub there) and confirm it to pin it.',
        )
      }
      if (!probe.ok) {
        const code = /auth|permission denied|passphrase/i.test(probe.error ?? '')
          ? 'hosts/auth-failed'
          : 'hosts/unreachable'
        throw new GantryError(code, `${input.target}: ${probe.error}`)
      }
      let secretRef: string | null = null
      if (input.passphrase) {
        secretRef = d.secrets.newRef()
        d.secrets.set(secretRef, input.passphrase)
      }
      const row = hosts.add({ name, ssh: settings, owner: input.owner?.trim() || null, secretRef })
      // Pinned whether known_hosts vouched for it or the operator confirmed it: a later change is seen.
      hosts.pinKey(name, { type: probe.keyType ?? 'unknown', fingerprint: probe.fingerprint }, actorOr(d.actor))
      registry.record('host.add', null, {
        name,
        address: `${settings.user}@${settings.hostname}:${settings.port}`,
        proxyJump: settings.proxyJump,
        identityFile: settings.identityFile,
        owner: row.owner,
        key: probe.fingerprint,
        trusted: known ? 'known_hosts' : 'confirmed by the operator (first use)',
      })
      fleet.sync()
      return fleet.summary(name)
    },
    'hosts.update': (input) => {
      const before = hosts.get(input.name)
      if (!before) throw new GantryError('hosts/unknown-host', `no host named "${input.name}"`)
      let secretRef = before.secretRef
      if (input.passphrase !== undefined) {
        if (secretRef) d.secrets.remove(secretRef)
        secretRef = null
        if (input.passphrase) {
          secretRef = d.secrets.newRef()
          d.secrets.set(secretRef, input.passphrase)
        }
      }
      const identityFile =
        input.identityFile === undefined || input.identityFile === null
          ? input.identityFile
          : connector().checkKeyFile(input.identityFile)
      const ssh = identityFile !== undefined && before.ssh ? { ...before.ssh, identityFile } : undefined
      hosts.update(input.name, {
        ...(input.owner !== undefined ? { owner: input.owner?.trim() || null } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        secretRef,
        ...(ssh ? { ssh } : {}),
      })
      registry.record('host.update', null, {
        name: input.name,
        ...(input.owner !== undefined ? { owner: input.owner } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        ...(input.identityFile !== undefined ? { identityFile: input.identityFile } : {}),
        ...(input.passphrase !== undefined ? { passphrase: input.passphrase ? 'changed' : 'removed' } : {}),
      })
      fleet.sync()
      return fleet.summary(input.name)
    },
    'hosts.acceptKey': (input) => {
      const row = hosts.get(input.name)
      if (!row || row.kind !== 'ssh') throw new GantryError('hosts/unknown-host', `no SSH host named "${input.name}"`)
      const seen = fleet.connection(input.name).fingerprint
      if (!seen || seen !== input.fingerprint) {
        throw new GantryError(
          'contract/invalid-input',
          `${input.name} shows ${seen ?? 'no key yet'}; only the key it shows now can be accepted (${input.fingerprint} given)`,
        )
      }
      const before = row.keyFingerprint
      hosts.pinKey(input.name, { type: row.keyType ?? 'unknown', fingerprint: input.fingerprint }, actorOr(d.actor))
      registry.record('host.key-accepted', null, { name: input.name, before, after: input.fingerprint })
      fleet.sync()
      return fleet.summary(input.name)
    },
    'hosts.remove': async (input) => {
      const row = hosts.get(input.name)
      if (!row) throw new GantryError('hosts/unknown-host', `no host named "${input.name}"`)
      const users = usedBy(row.id)
      if (users.length) {
        throw new GantryError(
          'hosts/in-use',
          `host ${input.name} is still used by ${users.join(', ')}: remove or move those first`,
        )
      }
      await fleet.release(input.name) // nothing of it is written after its series are gone
      d.store.flush()
      d.store.dropHost(row.id)
      hosts.remove(input.name)
      if (row.secretRef) d.secrets.remove(row.secretRef)
      registry.record('host.remove', null, { name: input.name })
      fleet.sync()
      return {}
    },
  }
}
