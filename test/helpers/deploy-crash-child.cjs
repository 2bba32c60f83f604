// The deploy crash test's victim: runs one deploy on the built core and SIGKILLs itself right
// after the journaled step named by its last argument (intent, switching, switched, reloaded,
// verified, reverting, revert-switched).
const { crashChildCore } = require('./crash-child-core.cjs')

const [dataDir, model, version, targetId, crashAt] = process.argv.slice(2)
const g = crashChildCore(dataDir, {
  pollTimeoutMs: 1000,
  deployAfterStep: (step) => {
    if (step === crashAt) process.kill(process.pid, 'SIGKILL')
  },
})
g.api.call('deploy.run', { model, version: Number(version), targetId: Number(targetId) }).then((r) => {
  process.stdout.write(`finished without reaching ${crashAt}: ${JSON.stringify(r)}\n`)
  process.exit(3)
})
