// The crash tests' victims run the built core (out/main/bench.js) in a child process with every
// background poller off, so only what the test drives happens before it is SIGKILLed.
const { join } = require('node:path')
const { createGantry } = require(join(__dirname, '..', '..', 'out', 'main', 'bench.js'))

/** A core on `dataDir` acting as "crash-child", pollers off; `extra` adds or overrides options. */
exports.crashChildCore = (dataDir, extra = {}) =>
  createGantry({
    dataDir,
    actor: 'crash-child',
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    log: () => {},
    ...extra,
  })
