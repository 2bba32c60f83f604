#!/usr/bin/env node
// The `gantry` command: runs the built CLI (out/main/cli.js), building it first if needed.
'use strict'
const { existsSync } = require('node:fs')
const { join } = require('node:path')
const { spawnSync } = require('node:child_process')

const root = join(__dirname, '..')
const cli = join(root, 'out', 'main', 'cli.js')
if (!existsSync(cli)) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit' })
  if (r.status !== 0 || !existsSync(cli)) {
    process.stderr.write('gantry: the CLI is not built and the build failed; run `npm run build`\n')
    process.exit(1)
  }
}
require(cli).main(process.argv)
