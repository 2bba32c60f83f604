// The drift crash test's victim: polls a model's drift monitor on the built core
// (out/main/bench.js) until a poll closes nothing more, printing "WINDOW <rows>" for every window
// it closed and "DONE" at the end. The test SIGKILLs it at random points.
const { crashChildCore } = require('./crash-child-core.cjs')

const [dataDir] = process.argv.slice(2)
const g = crashChildCore(dataDir, { driftIntervalMs: 0 })
g.events.on('drift.window', (w) => process.stdout.write(`WINDOW ${w.rows}\n`))
;(async () => {
  for (;;) {
    const r = await g.api.call('drift.poll', { model: 'housing' })
    if (!r.ok) throw new Error(`drift.poll: ${r.error.code} ${r.error.message}`)
    if (r.data.length === 0) break
  }
  process.stdout.write('DONE\n')
  await g.stop()
  process.exit(0)
})().catch((err) => {
  process.stderr.write(`${err.stack}\n`)
  process.exit(1)
})
