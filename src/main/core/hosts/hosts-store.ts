// The hosts table's one owner: rows for this machine (id 1, "local", always there) and each SSH
// host — its settings, owner, pinned key, and the reference to its key file's passphrase in the
// secrets service. Every change is audited by the caller through `audit`.
import type { Db } from '../db/database'
import { GantryError } from '../errors'
import { LOCAL_HOST, SshSettings, type HostKind } from '../../../shared/hosts'

export interface HostRow {
  id: number
  name: string
  kind: HostKind
  /** null for this machine. */
  ssh: SshSettings | null
  owner: string | null
  enabled: boolean
  /** The pinned host key: its type and SHA256 fingerprint (null: trust known_hosts alone). */
  keyType: string | null
  keyFingerprint: string | null
  keyPinnedAt: number | null
  keyPinnedBy: string | null
  secretRef: string | null
  createdAt: number
  updatedAt: number
}

interface Raw {
  id: number
  name: string
  kind: HostKind
  settings_json: string
  owner: string | null
  enabled: number
  key_type: string | null
  key_fingerprint: string | null
  key_pinned_at: number | null
  key_pinned_by: string | null
  secret_ref: string | null
  created_at: number
  updated_at: number
}

export interface HostsStore {
  list(): HostRow[]
  get(name: string): HostRow | null
  byId(id: number): HostRow | null
  add(row: { name: string; ssh: SshSettings; owner: string | null; secretRef: string | null }): HostRow
  update(
    name: string,
    patch: Partial<Pick<HostRow, 'owner' | 'enabled' | 'secretRef'>> & { ssh?: SshSettings },
  ): HostRow
  pinKey(name: string, key: { type: string; fingerprint: string }, by: string): HostRow
  remove(name: string): HostRow
  /** A number that changes whenever any row changes (another process's edit shows in it too). */
  revision(): string
}

function toRow(r: Raw): HostRow {
  let ssh: SshSettings | null = null
  if (r.kind === 'ssh') {
    const parsed = SshSettings.safeParse(JSON.parse(r.settings_json || '{}'))
    ssh = parsed.success ? parsed.data : null
  }
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    ssh,
    owner: r.owner,
    enabled: r.enabled === 1,
    keyType: r.key_type,
    keyFingerprint: r.key_fingerprint,
    keyPinnedAt: r.key_pinned_at,
    keyPinnedBy: r.key_pinned_by,
    secretRef: r.secret_ref,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export function createHostsStore(db: Db, now: () => number): HostsStore {
  const all = db.prepare('SELECT * FROM hosts ORDER BY id')
  const byName = db.prepare('SELECT * FROM hosts WHERE name = ?')
  const byIdQ = db.prepare('SELECT * FROM hosts WHERE id = ?')
  const rev = db.prepare(
    'SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), 0) AS t, COALESCE(SUM(id), 0) AS s FROM hosts',
  )
  const must = (name: string): HostRow => {
    const r = byName.get(name) as Raw | undefined
    if (!r) throw new GantryError('hosts/unknown-host', `no host named "${name}"`)
    return toRow(r)
  }
  return {
    list: () => (all.all() as Raw[]).map(toRow),
    get: (name) => {
      const r = byName.get(name) as Raw | undefined
      return r ? toRow(r) : null
    },
    byId: (id) => {
      const r = byIdQ.get(id) as Raw | undefined
      return r ? toRow(r) : null
    },
    add(row) {
      if (row.name === LOCAL_HOST || byName.get(row.name)) {
        throw new GantryError('hosts/duplicate-host', `a host named "${row.name}" exists already`)
      }
      const t = now()
      db.prepare(
        `INSERT INTO hosts (name, kind, settings_json, owner, secret_ref, created_at, updated_at)
         VALUES (?, 'ssh', ?, ?, ?, ?, ?)`,
      ).run(row.name, JSON.stringify(row.ssh), row.owner, row.secretRef, t, t)
      return must(row.name)
    },
    update(name, patch) {
      const before = must(name)
      db.prepare(
        `UPDATE hosts SET owner = ?, enabled = ?, secret_ref = ?, settings_json = ?, updated_at = ? WHERE id = ?`,
      ).run(
        patch.owner !== undefined ? patch.owner : before.owner,
        (patch.enabled ?? before.enabled) ? 1 : 0,
        patch.secretRef !== undefined ? patch.secretRef : before.secretRef,
        JSON.stringify(patch.ssh ?? before.ssh ?? {}),
        Math.max(now(), before.updatedAt + 1),
        before.id,
      )
      return must(name)
    },
    pinKey(name, key, by) {
      const before = must(name)
      const t = Math.max(now(), before.updatedAt + 1)
      db.prepare(
        'UPDATE hosts SET key_type = ?, key_fingerprint = ?, key_pinned_at = ?, key_pinned_by = ?, updated_at = ? WHERE id = ?',
      ).run(key.type, key.fingerprint, t, by, t, before.id)
      return must(name)
    },
    remove(name) {
      const r = must(name)
      if (r.kind === 'local') throw new GantryError('contract/invalid-input', 'this machine ("local") is always a host')
      db.prepare('DELETE FROM hosts WHERE id = ?').run(r.id)
      return r
    },
    revision() {
      const r = rev.get() as { n: number; t: number; s: number }
      return `${r.n}:${r.t}:${r.s}`
    },
  }
}
