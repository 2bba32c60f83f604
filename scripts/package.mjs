// `npm run package`: builds the app and packages the desktop binary with electron-builder
// (electron-builder.yml: one ASAR, fuses flipped). Packaging needs the Electron binary, which an
// air-gapped or ELECTRON_SKIP_BINARY_DOWNLOAD install does not have: then it says so and stops.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { buildIfNeeded } from './build-if-needed.mjs'
import { electronBinary } from './electron-binary.mjs'

const root = join(import.meta.dirname, '..')
const electron = electronBinary()
if (!electron.path) {
  console.error(
    `gantry: cannot package the desktop app here: no Electron binary (${electron.why}). ` +
      'Install with network access (without ELECTRON_SKIP_BINARY_DOWNLOAD) or point electron-builder at a local copy (electronDist).',
  )
  process.exit(1)
}
buildIfNeeded()
const r = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'electron-builder', 'cli.js'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
)
process.exit(r.status ?? 1)
