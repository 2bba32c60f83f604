// `npm start`: the desktop app where the Electron binary is present; where it is not (air-gapped
// installs with ELECTRON_SKIP_BINARY_DOWNLOAD, CI, this build machine) it says so in one line and
// serves the same console headless on 127.0.0.1 instead, printing its URL.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildIfNeeded } from './build-if-needed.mjs'
import { electronBinary } from './electron-binary.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)

function run(cmd, argv) {
  const child = spawn(cmd, argv, { cwd: root, stdio: 'inherit' })
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

buildIfNeeded()
const electron = process.env.GANTRY_HEADLESS === '1' ? { path: null, why: 'GANTRY_HEADLESS=1' } : electronBinary()
if (electron.path) {
  run(electron.path, [root, ...args])
} else {
  console.log(
    `gantry: Electron binary not available (${electron.why}); serving the console headless instead — open the URL below in a browser.`,
  )
  run(process.execPath, [join(root, 'out', 'main', 'cli.js'), 'serve', ...args])
}
