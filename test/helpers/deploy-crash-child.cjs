// The deploy crash test's victim: runs one deploy on the built core and SIGKILLs itself right
// after the journaled step named by its last argument (intent, switching, switched, reloaded,
// verified, reverting, revert-switched).
const { join } = require('node:path')
const { createGantry } = require(join(__dirname, '..', '..', 'out', 'main', 'bench.js'))

const [dataDir, model, version, targetId, crashAt] = process.argv.slice(2)
const g = createGantry({
  dataDir,
  actor: 'crash-child',
  hostIntervalMs: 0,
  storageIntervalMs: 0,
  gpuIntervalMs: 0,
  servingIntervalMs: 0,
  pollTimeoutMs: 1000,
  log: () => {},
  deployAfterStep: (step) => {
    if (step === crashAt) process.kill(process.pid, 'SIGKILL')
  },
})
g.api.call('deploy.run', { model, version: Number(version), targetId: Number(targetId) }).then((r) => {
  process.stdout.write(`finished without reaching ${crashAt}: ${JSON.stringify(r)}\n`)
  process.exit(3)
})
