// Builds the app if stale and checks the browser is where .ci/run installs it: a missing
// Chromium fails the run loudly instead of skipping the UI tests.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export default function globalSetup(): void {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (!existsSync(chromium)) {
    throw new Error(`Chromium not found at ${chromium}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  }
  const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-if-needed.mjs')], {
    stdio: 'inherit',
  })
  if (r.status !== 0) throw new Error('building the app for the e2e tests failed')
}
