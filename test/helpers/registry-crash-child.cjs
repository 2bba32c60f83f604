// The registry crash test's victim: registers versions and moves aliases and stages in a loop on
// the built core (out/main/bench.js), printing "ACK <json>" only after each change has returned,
// i.e. was acknowledged to its caller. The test SIGKILLs it at random points.
const { join } = require('node:path')
const { crashChildCore } = require('./crash-child-core.cjs')

const [dataDir, artifacts, seed] = process.argv.slice(2)
const g = crashChildCore(dataDir)
const ack = (x) => process.stdout.write(`ACK ${JSON.stringify(x)}\n`)
async function call(method, input) {
  const r = await g.api.call(method, input)
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`)
  return r.data
}

;(async () => {
  let i = Number(seed)
  for (;;) {
    const model = `m${i % 3}`
    const file = join(artifacts, `a${i % 8}`)
    const v = await call('registry.register', { model, artifact: file })
    ack({ op: 'register', model, version: v.version, sha256: v.artifact.sha256 })
    await call('registry.setAlias', { name: model, alias: 'candidate', version: v.version })
    ack({ op: 'alias', model, alias: 'candidate', version: v.version })
    await call('registry.transition', { name: model, version: v.version, stage: 'staging' })
    ack({ op: 'stage', model, version: v.version, stage: 'staging' })
    if (i % 2 === 0) {
      await call('registry.transition', { name: model, version: v.version, stage: 'production' })
      ack({ op: 'stage', model, version: v.version, stage: 'production' })
    }
    i++
  }
})().catch((err) => {
  process.stderr.write(`crash child failed: ${err.stack || err}\n`)
  process.exit(1)
})
