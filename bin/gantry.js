#!/usr/bin/env node
// The `gantry` command: runs the built CLI (out/main/cli.js), building it first if needed.
'use strict'
// Headroom in libuv's thread pool (4 by default) for file reads, DNS and crypto: Gantry bounds its
// own file jobs (util/jobs.ts), but a read stuck on a dead network mount still holds a thread.
// Must be set before the first use of the pool, so here, before anything loads.
process.env.UV_THREADPOOL_SIZE ??= '16'
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
