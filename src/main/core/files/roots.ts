// The allowed roots the operator set (`gantry roots add|remove`), kept in the database's meta
// table so every process on the data directory — a running console included — sees a change at
// once. GANTRY_ROOTS overrides them (policy.ts); with neither, the defaults apply.
import type { Db } from '../db/database'

const KEY = 'files.roots'

export interface RootsStore {
  /** The stored roots, or null when the operator never set any. */
  get(): string[] | null
  set(roots: readonly string[]): void
}

export function createRootsStore(db: Db): RootsStore {
  const read = db.prepare('SELECT value FROM meta WHERE key = ?')
  const write = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  )
  return {
    get() {
      const r = read.get(KEY) as { value: string } | undefined
      if (!r) return null
      try {
        const v = JSON.parse(r.value) as unknown
        return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null
      } catch {
        return null
      }
    },
    set(roots) {
      write.run(KEY, JSON.stringify([...roots]))
    },
  }
}
