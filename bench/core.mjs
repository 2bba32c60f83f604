// A quiet core (no pollers) on a data directory, with a `call` that throws on an error Result:
// what the registry and rollback benchmarks drive.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { root } from '../scripts/console-process.mjs'

const require = createRequire(import.meta.url)
export const built = () => require(join(root, 'out/main/bench.js'))

export function quietCore(dataDir) {
  const g = built().createGantry({
    dataDir,
    actor: 'bench',
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    log: () => {},
  })
  const call = async (m, input) => {
    const r = await g.api.call(m, input)
    if (!r.ok) throw new Error(`${m}: ${r.error.message}`)
    return r.data
  }
  return { g, call }
}
