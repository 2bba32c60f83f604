// Size and time budgets of the file jobs the API can start, in one place. Sizes can be raised per
// site through the environment where real inputs are larger.

const num = (v: string | undefined, d: number): number => {
  const n = Number(v)
  return v !== undefined && v !== '' && Number.isFinite(n) && n > 0 ? n : d
}

/** A dataset, ground-truth file or inference log read by a drift report (default 4 GiB). */
export const maxDatasetBytes = (env: NodeJS.ProcessEnv = process.env): number =>
  num(env.GANTRY_MAX_DATASET_BYTES, 4 * 1024 ** 3)

/** An MLflow export (JSON) read whole. */
export const MAX_IMPORT_BYTES = 64 * 1024 ** 2
/** A Triton config.pbtxt, read whole. */
export const MAX_CONFIG_BYTES = 1024 ** 2

/** Wall-clock budgets (queueing included) of the jobs the API runs. */
export const JOB_BUDGET = {
  /** A one-off drift report over two datasets. */
  report: { timeoutMs: 15 * 60_000 },
  /** Hashing an artifact to register or verify it (tens of GB at ~1 GB/s). */
  hash: { timeoutMs: 3 * 3600_000 },
  /** Reading and importing an MLflow export. */
  import: { timeoutMs: 10 * 60_000 },
  /** Scanning (and hashing) a Triton model repository. */
  scan: { timeoutMs: 3 * 3600_000 },
} as const

/** File jobs that run at once; more wait, up to the queue limit. */
export const JOB_CONCURRENCY = 2
export const JOB_QUEUE_LIMIT = 16
