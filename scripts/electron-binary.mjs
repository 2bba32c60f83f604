// Where the Electron binary is, or why there is none (an ELECTRON_SKIP_BINARY_DOWNLOAD install):
// shared by `npm start` (desktop or headless) and `npm run package`.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

export function electronBinary() {
  try {
    const path = createRequire(join(root, 'package.json'))('electron')
    if (typeof path === 'string' && existsSync(path)) return { path, why: null }
    return { path: null, why: `the Electron package points at ${path}, which does not exist` }
  } catch (err) {
    return { path: null, why: String(err?.message ?? err).split('\n')[0] }
  }
}
