// The GPU stream: ONE long-lived `nvidia-smi --query-gpu=… --format=csv,noheader,nounits -lms N`
// child read line by line — no process per tick (multi-GPU start-up takes seconds; repeated spawns
// have hung drivers). Fields come from the driver's own --help-query-gpu. A silent child is
// reported "not responding" (a GPU fallen off the bus hangs nvidia-smi), killed, and replaced
// only after it has exited, so processes never pile up. The child runs on the host's access: a
// local process, or an exec channel on that host's SSH connection.
import type { Gpu } from '../../../../shared/gpu'
import type { HostAccess, HostProcess } from '../../hosts/access'
import { cellsFromLine, createLineReader, type LineReader } from './csv'
import { parseHelpQueryGpu, planFields, type FieldPlan } from './fields'

export type StreamState = 'starting' | 'ok' | 'no-driver' | 'not-responding' | 'error' | 'off'

export interface GpuStreamOptions {
  /** Where nvidia-smi runs: this machine, or a host over SSH. */
  access: HostAccess
  /** The nvidia-smi executable (default: found on PATH). */
  bin?: string
  intervalMs: number
  /** Silence longer than this (after the first sample) means "not responding". */
  stallMs?: number
  /** Grace for the first sample: multi-GPU nvidia-smi can take 5–10 s to start. */
  startupMs?: number
  now?: () => number
  env?: Record<string, string | undefined>
  onSample: (gpus: Gpu[], at: number) => void
  onState: (state: StreamState, reason: string | null) => void
}

export interface GpuStream {
  start(): void
  stop(): Promise<void>
  readonly state: StreamState
  readonly reason: string | null
  /** pid of the nvidia-smi child, if one is running here (null on another host). */
  readonly childPid: number | null
  /** Whether an nvidia-smi child is still there (on any host). */
  readonly childAlive: boolean
  /** How many nvidia-smi children were started (tests assert there is no pile-up). */
  readonly spawned: number
  readonly plan: FieldPlan | null
}

const NVML_FAILURE =
  /Failed to initialize NVML[^\n]*|Driver\/library version mismatch|NVIDIA-SMI has failed[^\n]*|couldn't communicate with the NVIDIA driver[^\n]*/i

export function driverFailure(text: string): string | null {
  const m = NVML_FAILURE.exec(text)
  if (!m) return null
  return /version mismatch/i.test(text)
    ? 'driver/library version mismatch: the kernel module and the user-space driver differ (reboot or reload the nvidia module)'
    : m[0].trim()
}

/** A `data` handler that hands on whole lines (without their \n or \r\n). Bytes are kept, not
 *  decoded, until a line ends: a line end is never inside a UTF-8 sequence, so a character cut
 *  between two reads comes out whole, and no string decoder runs over the pipe (measured on the
 *  2-core VM: a decoded stream costs ~30 µs more per read; readline ~40 µs more per tick). A
 *  stream that never ends a line cannot grow the wait past 64 KiB: that is garbage, dropped,
 *  and the stall watchdog reports it. */
export function splitLines(onLine: (line: string) => void): (chunk: Buffer) => void {
  let partial: Buffer | null = null
  return (chunk) => {
    const bytes = partial ? Buffer.concat([partial, chunk]) : chunk
    const end = bytes.lastIndexOf(10)
    if (end < 0) {
      partial = bytes.length > 65536 ? null : bytes
      return
    }
    const rest = bytes.length - end - 1
    partial = rest > 0 && rest <= 65536 ? Buffer.from(bytes.subarray(end + 1)) : null
    const text = bytes.toString('utf8', 0, end + 1)
    let start = 0
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      onLine(text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl))
      start = nl + 1
    }
  }
}

const pidText = (c: HostProcess): string => (c.pid === null ? '' : ` (pid ${c.pid})`)

export function createGpuStream(o: GpuStreamOptions): GpuStream {
  const bin = o.bin ?? 'nvidia-smi'
  const now = o.now ?? Date.now
  const stallMs = o.stallMs ?? Math.max(5000, o.intervalMs * 5)
  const startupMs = o.startupMs ?? Math.max(15_000, stallMs)
  const env = o.env
  let state: StreamState = 'off'
  let reason: string | null = null
  let stopped = true
  let child: HostProcess | null = null
  let plan: FieldPlan | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let watchdog: ReturnType<typeof setTimeout> | null = null
  let backoff = 2000
  let spawned = 0
  let lastValidAt = 0
  let sawSample = false
  let lastGarbage: string | null = null
  let pending: Gpu[] = []
  // The timestamp of the tick being gathered: all of a tick's lines carry the same one.
  let pendingTs = ''
  let killedByUs = false
  let killedAt = 0
  let reportedUnkillable = false
  // Bumped by start() and stop(): callbacks from an earlier run (a discovery in flight, a dying
  // child's last lines or its exit) compare it and stand down.
  let generation = 0

  function setState(s: StreamState, r: string | null): void {
    if (s === state && r === reason) return
    state = s
    reason = r
    o.onState(s, r)
  }

  function retry(ms: number): void {
    if (stopped) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      discover()
    }, ms)
  }

  function nextBackoff(): number {
    const b = backoff
    backoff = Math.min(backoff * 2, 60_000)
    return b
  }

  function discover(): void {
    if (stopped) return
    const gen = generation
    void o.access.run([bin, '--help-query-gpu'], { timeoutMs: 15_000, env, maxBytes: 8 * 1024 * 1024 }).then((r) => {
      if (stopped || gen !== generation) return
      const out = `${r.stdout}${r.stderr}`
      if (r.notFound) {
        setState('no-driver', 'no NVIDIA GPU (nvidia-smi not found)')
        return retry(60_000)
      }
      if (r.error) {
        setState('error', r.error)
        return retry(nextBackoff())
      }
      const failure = driverFailure(out)
      if (failure) {
        setState('error', failure)
        return retry(30_000)
      }
      if (r.timedOut) {
        setState('not-responding', 'nvidia-smi did not answer --help-query-gpu within 15 s')
        return retry(nextBackoff())
      }
      try {
        plan = planFields(parseHelpQueryGpu(r.stdout))
      } catch (e) {
        setState('error', `cannot use this nvidia-smi: ${(e as Error).message}`)
        return retry(60_000)
      }
      spawnChild(plan)
    })
  }

  function spawnChild(p: FieldPlan): void {
    if (stopped) return
    if (child) {
      // The previous nvidia-smi has not exited (stuck in the driver): never start a second one.
      setState('not-responding', `nvidia-smi${pidText(child)} from before has not exited; not starting another`)
      return retry(nextBackoff())
    }
    const gen = generation
    const args = [`--query-gpu=${p.query.join(',')}`, '--format=csv,noheader,nounits', '-lms', String(o.intervalMs)]
    const c = o.access.spawn([bin, ...args], { env })
    child = c
    spawned++
    killedByUs = false
    reportedUnkillable = false
    sawSample = false
    lastValidAt = now()
    pending = []
    scheduleCheck(startupMs + 1)
    let tail = ''
    const keep = (t: string): void => {
      tail = (tail + t).slice(-2000)
    }
    const current = (): boolean => !stopped && gen === generation && child === c
    c.onStderr((d: Buffer) => keep(d.toString()))
    const reader = createLineReader(p.logical)
    const width = p.logical.length
    c.onStdout(
      splitLines((line) => {
        if (current()) onLine(line, reader, width, keep)
      }),
    )
    c.onExit((code, signal, notFound, error) => {
      if (child === c) child = null
      if (stopped || gen !== generation) return
      if (notFound) setState('no-driver', 'no NVIDIA GPU (nvidia-smi not found)')
      else if (error) setState('error', `cannot start nvidia-smi: ${error}`)
      else if (!killedByUs) {
        const why =
          driverFailure(tail) ?? (tail.trim().split('\n').pop() || `nvidia-smi exited (${signal ?? `code ${code}`})`)
        setState('error', `nvidia-smi stopped: ${why}`)
      }
      retry(nextBackoff())
    })
  }

  function onLine(line: string, reader: LineReader, width: number, keep: (t: string) => void): void {
    if (!reader.split(line)) {
      if (line.trim() === '') return
      // Not ", "-separated as nvidia-smi writes: the tolerant split, or garbage.
      let cells: string[] | null
      try {
        cells = cellsFromLine(line, width)
      } catch {
        cells = null
      }
      if (!cells || !reader.split(cells.join(', '))) {
        lastGarbage = line.replace(/[^\x20-\x7e]/g, '?').slice(0, 80)
        keep(`${line}\n`)
        return
      }
    }
    // A tick is the lines with one timestamp; the GPU count says how many lines make it.
    if (pending.length > 0 && !reader.cellIs('timestamp', pendingTs)) flush() // an incomplete tick: show what came
    if (pending.length === 0) pendingTs = reader.cell('timestamp') ?? ''
    pending.push(reader.gpu(pending.length))
    if (pending.length >= reader.number('count')) flush()
  }

  function flush(): void {
    if (pending.length === 0) return
    const gpus = pending
    pending = []
    const at = now()
    lastValidAt = at
    sawSample = true
    lastGarbage = null
    backoff = 2000
    setState('ok', null)
    o.onSample(gpus, at)
  }

  /** The watchdog runs when something can next be due — not on a fixed interval, so a healthy
   *  stream costs no wake-ups beyond its own lines (one every stallMs at most). */
  function scheduleCheck(ms: number): void {
    if (stopped) return
    if (watchdog) clearTimeout(watchdog)
    watchdog = setTimeout(
      () => {
        watchdog = null
        checkStall()
      },
      Math.max(10, Math.ceil(ms)),
    )
    watchdog.unref?.()
  }

  function checkStall(): void {
    if (stopped || !child) return
    if (killedByUs) {
      // SIGKILL did not reap it within 10 s (stuck in the driver): say so once. The exit handler
      // schedules the replacement whenever it finally goes; until then there is no second child.
      if (!reportedUnkillable && now() - killedAt > 10_000) {
        reportedUnkillable = true
        setState(
          'not-responding',
          `nvidia-smi${pidText(child)} hung in the driver and cannot be killed; not starting another`,
        )
      }
      if (!reportedUnkillable) scheduleCheck(Math.min(10_001, killedAt + 10_001 - now()))
      return
    }
    const silent = now() - lastValidAt
    const limit = sawSample ? stallMs : startupMs
    // Not silent long enough yet: look again when it could be (never later than one limit from now,
    // whatever the clock did).
    if (silent <= limit) return scheduleCheck(Math.min(limit + 1, limit - silent + 1))
    const garbage = lastGarbage ? `; its output is unreadable ("${lastGarbage}")` : ''
    setState(
      'not-responding',
      `nvidia-smi not responding for ${Math.round(silent / 1000)} s${garbage} — a GPU may have fallen off the bus or the driver is hung`,
    )
    killedByUs = true
    killedAt = now()
    child.kill('SIGKILL')
    scheduleCheck(10_001)
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      generation++
      setState('starting', null)
      discover()
    },
    async stop() {
      stopped = true
      generation++
      if (timer) clearTimeout(timer)
      if (watchdog) clearTimeout(watchdog)
      timer = null
      watchdog = null
      pending = []
      const c = child
      if (c && !c.ended) {
        const exited = new Promise<void>((r) => c.onExit(() => r()))
        c.kill('SIGTERM')
        const t = setTimeout(() => c.kill('SIGKILL'), 1000)
        let bound: ReturnType<typeof setTimeout> | undefined
        await Promise.race([exited, new Promise((r) => (bound = setTimeout(r, 2000)))])
        clearTimeout(t)
        clearTimeout(bound)
      }
      // A child stuck in the driver stays recorded, so a later start() cannot add a second one.
      if (c && child === c && c.ended) child = null
      if (stopped) setState('off', null)
    },
    get state() {
      return state
    },
    get reason() {
      return reason
    },
    get childPid() {
      return child?.pid ?? null
    },
    get childAlive() {
      return child !== null && !child.ended
    },
    get spawned() {
      return spawned
    },
    get plan() {
      return plan
    },
  }
}
