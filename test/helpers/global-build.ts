// Vitest global setup: the CLI and start-script tests run the built app, so build it if stale.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

export default function setup(): void {
  if (process.env.GANTRY_SKIP_BUILD === '1') return
  const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-if-needed.mjs')], {
    stdio: 'inherit',
  })
  if (r.status !== 0) throw new Error('building the app for the tests failed')
}
