// Builds the app (main, preload, renderer) when out/ is missing or older than the sources.
// Runs from `npm install` (prepare) so that `npm start` and the `gantry` bin work straight away.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const stamp = join(root, 'out', 'main', 'cli.js')

function newest(dir) {
  let t = 0
  if (!existsSync(dir)) return t
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

export function buildIfNeeded({ force = false } = {}) {
  const config = join(root, 'electron.vite.config.ts')
  if (!existsSync(join(root, 'src')) || !existsSync(config)) return
  const srcTime = Math.max(newest(join(root, 'src')), statSync(config).mtimeMs)
  if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= srcTime) return
  process.stderr.write('gantry: building the app (electron-vite build)…\n')
  const bin = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  const r = spawnSync(process.execPath, [bin, 'build'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) {
    process.stderr.write('gantry: build failed\n')
    process.exit(r.status ?? 1)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) buildIfNeeded({ force: process.argv.includes('--force') })
