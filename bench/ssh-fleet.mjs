// bench/ssh-fleet: `gantry serve` watching HOSTS SSH hosts (default 50) on a local sshd, each a
// stand-in 8-GPU host streaming at 1 Hz, plus its host probe (1 Hz) and storage probe (10 s), for
// BENCH_SECONDS (default 60); the stand-in is bench/standin/nvidia-smi (the recording's answers,
// replayed from a cache by a shell loop). Reported: Gantry's CPU (% of one core, the process and anything it
// reaps), peak RSS, CPU per GPU sample, and database growth per hour and per day (SQLite's page
// count). Baseline, same run, same sshd: the usual script — per host per tick one
// `ssh -o ControlMaster=auto -o ControlPersist … nvidia-smi --query-gpu=… --format=csv`; its CPU is
// the ssh clients' plus their ControlMaster processes'. Only the console side is counted on both
// sides (sshd and the stand-in run on the same 2 cores, so both sides compete with them alike).
// Needs root (sshd, useradd) and openssh-server; says so and skips otherwise.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root, startConsole } from '../scripts/console-process.mjs'

const require = createRequire(import.meta.url)
const { createLogin, sshdUnavailable, startSshd } = require('../scripts/sshd.cjs')
const Database = require('better-sqlite3')

const seconds = Number(process.env.BENCH_SECONDS ?? 60)
const HOSTS = Number(process.env.BENCH_HOSTS ?? 50)
const TICK = 100 // USER_HZ
const FIELDS = 'index,uuid,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw'

/** utime+stime (+ reaped children's) of a process, in ticks; 0 when it is gone. */
function ticks(pid, withChildren = true) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0)
  } catch {
    return 0
  }
}
const peakRssMiB = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Bytes in use (pages not on the free list), and the time-series tables' share of them. */
function dbBytes(path) {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    const pages = db.pragma('page_count', { simple: true })
    const free = db.pragma('freelist_count', { simple: true })
    const table = (name) => db.prepare('SELECT coalesce(sum(pgsize), 0) AS b FROM dbstat WHERE name = ?').get(name).b
    return {
      total: (pages - free) * db.pragma('page_size', { simple: true }),
      chunk: table('ts_chunk'),
      rollup: table('ts_rollup'),
      rollupRows: db.prepare('SELECT count(*) AS n FROM ts_rollup').get().n,
      series: db.prepare('SELECT count(*) AS n FROM ts_series').get().n,
    }
  } finally {
    db.close()
  }
}

async function api(c, method, input = {}) {
  const res = await fetch(`${c.url}api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  })
  const r = await res.json()
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`)
  return r.data
}

async function gantrySide(login, sshd, env) {
  const c = await startConsole(
    {
      ...env,
      GANTRY_HOST_INTERVAL_MS: '1000',
      GANTRY_STORAGE_INTERVAL_MS: '10000',
      GANTRY_GPU_INTERVAL_MS: '1000',
      GANTRY_SERVING_INTERVAL_MS: '0',
      // The simulated servers load the 2 cores Gantry runs on: handshakes get slow as hosts add up.
      GANTRY_SSH_TIMEOUT_MS: '30000',
    },
    'gantry-bench-fleet-',
  )
  try {
    const t0add = Date.now()
    for (let i = 0; i < HOSTS; i++) {
      if (i % 10 === 0)
        process.stderr.write(
          `ssh-fleet: adding host ${i + 1}/${HOSTS} (${Math.round((Date.now() - t0add) / 1000)} s)\n`,
        )
      // The stand-ins already streaming load this same VM: a handshake may miss its deadline.
      for (let attempt = 1; ; attempt++) {
        try {
          await api(c, 'hosts.add', {
            target: `${login.user}@127.0.0.1:${sshd.port}`,
            identityFile: login.key,
            name: `gpu-${String(i).padStart(2, '0')}`,
          })
          break
        } catch (err) {
          if (attempt >= 5) throw err
          process.stderr.write(`ssh-fleet: host ${i + 1}: ${err.message}; again\n`)
          await sleep(3000)
        }
      }
    }
    // Every host up and streaming before anything is counted (or, after 5 minutes on a machine
    // that also runs all the simulated servers, at least 90 % of them: samples are counted, not
    // assumed), then a settling period.
    const until = Date.now() + 300_000
    let streaming = 0
    for (;;) {
      const list = await api(c, 'hosts.list')
      streaming = list.filter((h) => h.kind === 'ssh' && h.connection.state === 'up' && h.gpus.count === 8).length
      if (streaming === HOSTS) break
      if (Date.now() > until) {
        if (streaming < HOSTS * 0.9) throw new Error(`only ${streaming}/${HOSTS} hosts streaming after 300 s`)
        break
      }
      await sleep(1000)
    }
    await sleep(10_000)
    const dbPath = join(c.dataDir, 'gantry.db')
    const t0 = Date.now()
    const c0 = ticks(c.child.pid)
    const d0 = dbBytes(dbPath)
    await sleep(seconds * 1000)
    const c1 = ticks(c.child.pid)
    const wall = (Date.now() - t0) / 1000
    await sleep(11_000) // one more flush (10 s) so the window's samples are in the file
    const d1 = dbBytes(dbPath)
    // GPU samples in the window: each host's GPUs report once a second; count them from the store.
    let samples = 0
    const firstGpu = (await api(c, 'gpu.snapshot', { host: 'gpu-00' })).gpus[0].uuid
    for (let i = 0; i < HOSTS; i++) {
      const q = await api(c, 'telemetry.query', {
        host: `gpu-${String(i).padStart(2, '0')}`,
        key: `gpu.util:${firstGpu}`,
        rangeMs: Date.now() - t0 + 1000,
        maxPoints: 5000,
      }).catch(() => ({ points: [] })) // a host that never streamed has no series
      samples += q.points.filter((p) => p[0] >= t0 && p[0] < t0 + wall * 1000).length * 8
    }
    const rss = peakRssMiB(c.child.pid)
    return {
      cpuPct: ((c1 - c0) / TICK / wall) * 100,
      cpuSec: (c1 - c0) / TICK,
      rss,
      wall,
      samples,
      dbPerHour: ((d1.total - d0.total) / (wall + 11)) * 3600,
      rawPerHour: ((d1.chunk - d0.chunk) / (wall + 11)) * 3600,
      // A series adds one 1-minute and (each hour) one 1-hour rollup row: 1,464 rows a day, each
      // the size rows of the table have now. Raw chunks are held 3 hours, then pruned.
      rollupPerDay: d1.series * 1464 * (d1.rollup / Math.max(1, d1.rollupRows)),
      series: d1.series,
      streaming,
    }
  } finally {
    c.child.kill('SIGTERM')
    await new Promise((r) => c.child.once('exit', r))
    rmSync(c.dataDir, { recursive: true, force: true })
  }
}

/** CPU seconds of the children this process reaped while `f` ran (their own reaped children included). */
async function reapedCpu(f) {
  const read = () => {
    const st = readFileSync('/proc/self/stat', 'utf8')
    const x = st.slice(st.lastIndexOf(')') + 2).split(' ')
    return (Number(x[13]) + Number(x[14])) / TICK
  }
  const c0 = read()
  const result = await f()
  return { result, sec: read() - c0 }
}

/** The usual script: one multiplexed ssh per host per tick, for as long as Gantry was measured. */
async function baselineSide(login, sshd) {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-cm-'))
  const known = join(dir, 'known_hosts')
  writeFileSync(known, `${sshd.knownHostsLine}\n`)
  // Each host its own ControlPath (as each would be a different server); each tick's calls run in
  // parallel, as a cron-style collector does, and the next tick waits for them.
  const ssh = (out) =>
    `ssh -o ControlMaster=auto -o ControlPath=${dir}/cm-$h -o ControlPersist=300 -o BatchMode=yes ` +
    `-o UserKnownHostsFile=${known} -o StrictHostKeyChecking=yes -i ${login.key} -p ${sshd.port} ` +
    `${login.user}@127.0.0.1 nvidia-smi --query-gpu=${FIELDS} --format=csv ${out} 2>/dev/null &`
  const round = [`  for h in $(seq 1 ${HOSTS}); do`, `    ${ssh(`>> ${dir}/out-$h.csv`)}`, '  done', '  wait']
  const script = join(dir, 'poll.sh')
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `end=$(( $(date +%s) + ${seconds} ))`,
      'while [ "$(date +%s)" -lt "$end" ]; do',
      ...round,
      '  sleep 1',
      'done',
      '',
    ].join('\n'),
  )
  // One round first, so the masters are up (the script would have been running for a while).
  spawnSync('sh', ['-c', [...round.map((l) => l.replace(`>> ${dir}/out-$h.csv`, '>/dev/null'))].join('\n')], {
    timeout: 60_000,
  })
  const masters = () =>
    spawnSync('pgrep', ['-f', `ControlPath=${dir}/cm-`], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number)
  const m0 = new Map(masters().map((p) => [p, ticks(p, false)]))
  const t0 = Date.now()
  const { sec: clientsSec } = await reapedCpu(
    () => new Promise((r) => spawn('sh', [script], { stdio: 'ignore' }).once('exit', r)),
  )
  const wall = (Date.now() - t0) / 1000
  let masterTicks = 0
  for (const p of masters()) masterTicks += ticks(p, false) - (m0.get(p) ?? 0)
  let rows = 0
  for (let h = 1; h <= HOSTS; h++) {
    try {
      rows += readFileSync(join(dir, `out-${h}.csv`), 'utf8')
        .split('\n')
        .filter((l) => /^\d+, GPU-/.test(l)).length
    } catch {
      // no answer from that host
    }
  }
  spawnSync('pkill', ['-f', `ControlPath=${dir}/cm-`])
  rmSync(dir, { recursive: true, force: true })
  const cpuSec = clientsSec + masterTicks / TICK
  return { wall, cpuSec, cpuPct: (cpuSec / wall) * 100, samples: rows }
}

export async function benchSshFleet() {
  const why = sshdUnavailable()
  if (why) return `ssh-fleet: skipped (${why})`
  const login = createLogin()
  // The light stand-in (bench/standin/nvidia-smi): the test stand-in's answers cached per command
  // line, so that 50 simulated servers do not start Node on these 2 cores for every query.
  const cache = mkdtempSync(join(tmpdir(), 'gantry-standin-'))
  chmodSync(cache, 0o1777)
  const env = {
    PATH: `${join(root, 'bench', 'standin')}:/usr/local/bin:/usr/bin:/bin`,
    STANDIN_XML: join(root, 'test/fixtures/gpu/datakit__gtx-8card-v100s.xml'),
    STANDIN_CACHE: cache,
  }
  const sshd = await startSshd({ users: [login.user], env })
  try {
    const known = join(login.keys, 'known_hosts')
    writeFileSync(known, `${sshd.knownHostsLine}\n`)
    const g = await gantrySide(login, sshd, {
      GANTRY_KNOWN_HOSTS: known,
      GANTRY_SSH_KEY_DIRS: login.keys,
      GANTRY_SSH_CONFIG: join(login.keys, 'none'),
      SSH_AUTH_SOCK: '',
    })
    await sleep(3000)
    // Baseline CPU: the script's and its ssh clients' (reaped), plus the ControlMaster processes'.
    const b = await baselineSide(login, sshd)
    const gPer = (g.cpuSec * 1e6) / g.samples
    const bPer = (b.cpuSec * 1e6) / Math.max(1, b.samples)
    const ratio = bPer / gPer
    // Steady state: raw chunks are pruned after 3 hours, so a day adds the rollups only; the first
    // day also fills the 3-hour raw window. Both are counted against the target.
    // On this VM the simulated servers share Gantry's 2 cores, and at 50 hosts their loops fall
    // behind (fewer ticks than 1 Hz arrive): the raw write rate is scaled to the full 1 Hz rate.
    const expected = g.streaming * 8 * g.wall
    const full = expected / Math.max(1, g.samples)
    const rawHeldMB = (g.rawPerHour * Math.max(1, full) * 3) / 1e6
    const perDayMB = g.rollupPerDay / 1e6 + rawHeldMB
    const met = [
      ratio >= 20 ? 'CPU per sample ≥ 20× less: met' : `CPU per sample ≥ 20× less: NOT met`,
      g.cpuPct < 10 ? 'under 10 % of a core: met' : 'under 10 % of a core: NOT met',
      g.rss < 350 ? 'under 350 MB RSS: met' : 'under 350 MB RSS: NOT met',
      perDayMB < 300 ? 'under 300 MB/day: met' : 'under 300 MB/day: NOT met',
    ]
    return (
      `ssh-fleet: ${HOSTS} SSH hosts (${g.streaming} streaming when measured) × 8 stand-in GPUs at 1 Hz (+ host probe 1 Hz, storage 10 s) for ${Math.round(g.wall)} s — ` +
      `Gantry CPU ${g.cpuPct.toFixed(2)} % of one core, ${gPer.toFixed(1)} µs per GPU sample (${g.samples} samples), ` +
      `peak RSS ${g.rss.toFixed(0)} MiB, database written at ${(g.dbPerHour / 1e6).toFixed(1)} MB/h (raw chunks ${(g.rawPerHour / 1e6).toFixed(1)} MB/h, ` +
      `held 3 h at the full 1 Hz rate (${((100 * g.samples) / expected).toFixed(0)} % of the ticks arrived): ${rawHeldMB.toFixed(0)} MB; rollups of ${g.series} series ${(g.rollupPerDay / 1e6).toFixed(0)} MB/day) — first day +${perDayMB.toFixed(0)} MB, later days +${(g.rollupPerDay / 1e6).toFixed(0)} MB; ` +
      `baseline ssh ControlMaster per host per tick: CPU ${b.cpuPct.toFixed(1)} % of one core, ${bPer.toFixed(1)} µs per GPU sample ` +
      `(${b.samples} samples in ${Math.round(b.wall)} s); ratio ${ratio.toFixed(1)}× less CPU per sample; ${met.join(', ')}`
    )
  } finally {
    await sshd.stop()
    login.remove()
    rmSync(cache, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchSshFleet())
