// bench/host-poll: CPU (% of one core) and peak RSS of `gantry serve` idling with host polling at
// 1 Hz (storage every 10 s), against a baseline measured in the same run: the same server with
// polling off. CPU counts the process and the helpers it spawns and reaps (df, lsblk: utime,
// stime, cutime, cstime from /proc/PID/stat). Duration: BENCH_SECONDS (default 60).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const seconds = Number(process.env.BENCH_SECONDS ?? 60)
const TICK = 100 // USER_HZ on Linux

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields after the name: state(0) ... utime(11) stime(12) cutime(13) cstime(14)
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
}
function peakRssKiB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : NaN
}

async function measure(env) {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-'))
  const child = spawn(
    process.execPath,
    [join(root, 'out/main/cli.js'), 'serve', '--port', '0', '--data-dir', dataDir],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      if (/Gantry console:/.test(out)) resolve()
    })
    child.on('exit', (c) => reject(new Error(`gantry serve exited ${c}`)))
  })
  await new Promise((r) => setTimeout(r, 3000)) // past start-up
  const t0 = process.hrtime.bigint()
  const c0 = cpuTicks(child.pid)
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const c1 = cpuTicks(child.pid)
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const rss = peakRssKiB(child.pid)
  child.kill('SIGTERM')
  await new Promise((r) => child.once('exit', r))
  rmSync(dataDir, { recursive: true, force: true })
  return { cpuPct: ((c1 - c0) / TICK / wall) * 100, rssMiB: rss / 1024, wall }
}

export async function benchHostPoll() {
  const base = await measure({ GANTRY_HOST_INTERVAL_MS: '0', GANTRY_STORAGE_INTERVAL_MS: '0' })
  const polled = await measure({ GANTRY_HOST_INTERVAL_MS: '1000', GANTRY_STORAGE_INTERVAL_MS: '10000' })
  const ratio = base.cpuPct > 0 ? polled.cpuPct / base.cpuPct : Infinity
  return (
    `host-poll: gantry serve polling host at 1 Hz (storage every 10 s) for ${Math.round(polled.wall)} s: ` +
    `CPU ${polled.cpuPct.toFixed(2)} % of one core, peak RSS ${polled.rssMiB.toFixed(1)} MiB; ` +
    `baseline (same server, polling off) CPU ${base.cpuPct.toFixed(2)} %, peak RSS ${base.rssMiB.toFixed(1)} MiB; ` +
    `ratio ${Number.isFinite(ratio) ? ratio.toFixed(1) : 'inf'}x CPU vs baseline`
  )
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchHostPoll())
