// `npm test`: every test. Checks the native SQLite binding first (npm 11 skips install scripts it
// was not told to allow, which would leave better-sqlite3 unbuilt: fail loudly, never skip),
// builds the app, runs vitest (unit + integration) and Playwright (e2e in Debian Chromium), then
// prints one closing line counting both: "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildIfNeeded } from './build-if-needed.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))

try {
  const Database = require('better-sqlite3')
  new Database(':memory:').close()
} catch (err) {
  console.error(
    `npm test: the better-sqlite3 native binding is missing or broken (${String(err?.message ?? err).split('\n')[0]}).\n` +
      'Its install script must run: package.json allows it under "allowScripts"; rebuild with `npm rebuild better-sqlite3`.',
  )
  process.exit(1)
}

buildIfNeeded()

const bin = (pkg, file) => join(root, 'node_modules', pkg, file)
const vitestJson = join(root, '.vitest-results.json')
const pwJson = join(root, '.playwright-results.json')
for (const f of [vitestJson, pwJson]) rmSync(f, { force: true })

const only = process.argv[2] // "unit" or "e2e" to run one half
const status = {}
if (only !== 'e2e') {
  status.vitest = spawnSync(
    process.execPath,
    [bin('vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile=${vitestJson}`],
    { cwd: root, stdio: 'inherit' },
  ).status
}
if (only !== 'unit') {
  status.playwright = spawnSync(process.execPath, [bin('@playwright/test', 'cli.js'), 'test'], {
    cwd: root,
    stdio: 'inherit',
  }).status
}

let passed = 0
let failed = 0
let skipped = 0
if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'))
  passed += v.numPassedTests
  failed += v.numFailedTests
  skipped += v.numPendingTests + v.numTodoTests
} else if ('vitest' in status) {
  failed += 1 // the runner died before reporting
}
if (existsSync(pwJson)) {
  const p = JSON.parse(readFileSync(pwJson, 'utf8')).stats
  passed += p.expected + p.flaky
  failed += p.unexpected
  skipped += p.skipped
} else if ('playwright' in status) {
  failed += 1
}
const runnerFailed = Object.values(status).some((s) => s !== 0)
if (runnerFailed && failed === 0) failed = 1 // a runner failed outside any test (setup, build)
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || runnerFailed ? 1 : 0)
