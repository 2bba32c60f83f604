// Resolves where Gantry keeps its data and how often it polls: flags beat GANTRY_HOME beat the
// OS application-data directory. Every door (desktop, headless, CLI) resolves it the same way,
// so they all open the same database.
import { homedir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'

export interface GantryConfig {
  /** Absolute path of the data directory (holds gantry.db and the server token). */
  dataDir: string
  /** Which door opened the core; shown in app.info. */
  door: 'electron' | 'server' | 'cli'
  /** Host (CPU, memory, load, disk IO) poll interval; 0 disables the poller. */
  hostIntervalMs: number
  /** Filesystem poll interval; 0 disables the poller. */
  storageIntervalMs: number
  /** GPU stream interval (nvidia-smi -lms); 0 disables GPU telemetry. */
  gpuIntervalMs: number
  /** GPU process table (--query-compute-apps) interval. */
  gpuProcessIntervalMs: number
  /** The nvidia-smi executable; found on PATH by default. */
  nvidiaSmi: string
  /** How often each saved model-server endpoint is probed; 0 disables polling. */
  servingIntervalMs: number
  /** How often each Prometheus source is asked about its fleet (GANTRY_PROM_INTERVAL_MS). */
  promIntervalMs: number
  /** How often the alert rules are evaluated in a console (GANTRY_ALERT_INTERVAL_MS, default 15 s); 0 disables. */
  alertIntervalMs: number
  /** How often a console's release runner looks at its releases (0: never, tests drive it). */
  releaseTickMs: number
  /** Alert grouping: group_wait, group_interval, repeat_interval (GANTRY_ALERT_GROUP_WAIT_MS, …). */
  alertTimers: { groupWaitMs: number; groupIntervalMs: number; repeatIntervalMs: number }
  /** How often watched inference-log folders are read; 0 disables. */
  driftIntervalMs: number
  /** A poll that takes longer than this is reported degraded. */
  pollTimeoutMs: number
  /** How long stop() may take before it gives up waiting on services. */
  stopTimeoutMs: number
  /** Who the registry's audit rows name: GANTRY_ACTOR, else the OS user. */
  actor: string
  /** A candidate older than this many days is flagged on the Models screen. */
  staleCandidateDays: number
  /** An owner who has not reviewed a model in this many days is flagged. */
  reviewDays: number
  /** Overrides for tests: a clock and the probes. */
  now?: () => number
}

function osUser(): string {
  try {
    return userInfo().username || 'unknown'
  } catch {
    return process.env.USER || process.env.USERNAME || 'unknown'
  }
}

export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.GANTRY_HOME) return resolve(env.GANTRY_HOME)
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Gantry')
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Gantry')
  return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'gantry')
}

export function resolveConfig(
  opts: Partial<GantryConfig> & { dataDir?: string },
  env: NodeJS.ProcessEnv = process.env,
): GantryConfig {
  const num = (v: string | undefined, d: number): number => {
    if (v === undefined || v === '') return d
    const n = Number(v)
    return Number.isFinite(n) && n >= 0 ? n : d
  }
  return {
    door: opts.door ?? 'cli',
    dataDir: opts.dataDir ? resolve(opts.dataDir) : defaultDataDir(env),
    hostIntervalMs: opts.hostIntervalMs ?? num(env.GANTRY_HOST_INTERVAL_MS, 1000),
    storageIntervalMs: opts.storageIntervalMs ?? num(env.GANTRY_STORAGE_INTERVAL_MS, 10_000),
    gpuIntervalMs: opts.gpuIntervalMs ?? num(env.GANTRY_GPU_INTERVAL_MS, 1000),
    gpuProcessIntervalMs: opts.gpuProcessIntervalMs ?? num(env.GANTRY_GPU_PROCESS_INTERVAL_MS, 10_000),
    nvidiaSmi: opts.nvidiaSmi ?? (env.GANTRY_NVIDIA_SMI || 'nvidia-smi'),
    servingIntervalMs: opts.servingIntervalMs ?? num(env.GANTRY_SERVING_INTERVAL_MS, 15_000),
    promIntervalMs: opts.promIntervalMs ?? num(env.GANTRY_PROM_INTERVAL_MS, 5000),
    alertIntervalMs: opts.alertIntervalMs ?? num(env.GANTRY_ALERT_INTERVAL_MS, 15_000),
    releaseTickMs: opts.releaseTickMs ?? num(env.GANTRY_RELEASE_TICK_MS, 1000),
    alertTimers: opts.alertTimers ?? {
      groupWaitMs: num(env.GANTRY_ALERT_GROUP_WAIT_MS, 0),
      groupIntervalMs: num(env.GANTRY_ALERT_GROUP_INTERVAL_MS, 5 * 60_000),
      repeatIntervalMs: num(env.GANTRY_ALERT_REPEAT_INTERVAL_MS, 4 * 3600_000),
    },
    pollTimeoutMs: opts.pollTimeoutMs ?? num(env.GANTRY_POLL_TIMEOUT_MS, 5000),
    driftIntervalMs: opts.driftIntervalMs ?? num(env.GANTRY_DRIFT_INTERVAL_MS, 30_000),
    stopTimeoutMs: opts.stopTimeoutMs ?? 3000,
    actor: opts.actor ?? (env.GANTRY_ACTOR?.trim() || osUser()),
    staleCandidateDays: opts.staleCandidateDays ?? num(env.GANTRY_STALE_CANDIDATE_DAYS, 14),
    reviewDays: opts.reviewDays ?? num(env.GANTRY_REVIEW_DAYS, 90),
    now: opts.now,
  }
}
