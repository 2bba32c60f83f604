// `npm run bench`: runs every benchmark in turn (never in parallel: they would skew each other),
// prints one result line each with its ratio against the baseline measured in the same run, and
// rewrites bench/RESULTS.md with the lines, the machine and the command.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildIfNeeded } from '../scripts/build-if-needed.mjs'
import { benchGpuStream } from './gpu-stream.mjs'
import { benchGpuTiles } from './gpu-tiles.mjs'
import { benchHostPoll } from './host-poll.mjs'
import { benchProbeFleet } from './probe-fleet.mjs'
import { benchRegistry } from './registry.mjs'
import { benchRollback } from './rollback.mjs'
import { benchDrift } from './drift.mjs'
import { benchSshFleet } from './ssh-fleet.mjs'
import { benchPromFleet } from './prom-fleet.mjs'
import { benchAlerts } from './alerts.mjs'
import { benchRelease } from './release.mjs'

const here = dirname(fileURLToPath(import.meta.url))
buildIfNeeded()
const benches = {
  'host-poll': benchHostPoll,
  'gpu-stream': benchGpuStream,
  'gpu-tiles': benchGpuTiles,
  'probe-fleet': benchProbeFleet,
  registry: benchRegistry,
  rollback: benchRollback,
  drift: benchDrift,
  'ssh-fleet': benchSshFleet,
  'prom-fleet': benchPromFleet,
  alerts: benchAlerts,
  release: benchRelease,
}
const only = process.argv.slice(2)
const lines = []
for (const [name, run] of Object.entries(benches)) {
  if (only.length && !only.includes(name)) continue
  const line = await run()
  console.log(line)
  lines.push(line)
  // Let the machine settle before the next one: the registry benchmark leaves a 2 GiB file's
  // dirty pages to write back, which otherwise lands (and fsyncs wait) in the next measurement.
  spawnSync('sync')
  await new Promise((r) => setTimeout(r, 3000))
}
const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
const md = `# Benchmark results

Produced by \`npm run bench\`${process.env.BENCH_SECONDS ? ` with BENCH_SECONDS=${process.env.BENCH_SECONDS}` : ''} on ${new Date().toISOString().slice(0, 10)}:
${os.cpus().length} × ${cpu}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.
Each line compares against a baseline measured in the same run.

${lines.map((l) => `- ${l}`).join('\n')}
`
if (!only.length) writeFileSync(join(here, 'RESULTS.md'), md)
