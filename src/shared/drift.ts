// A drift report: skew between training and serving columns first, then per column the method,
// statistic, p-value (where the method has one), threshold and verdict, and the dataset verdict.
import { z } from 'zod'
import { HostName } from './hosts'

export const DRIFT_METHODS = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi'] as const
export const DriftMethod = z.enum(DRIFT_METHODS)
export type DriftMethod = z.infer<typeof DriftMethod>
export const ColumnTypeSchema = z.enum(['numeric', 'categorical', 'boolean', 'datetime', 'identifier', 'text'])

export const DriftColumn = z.object({
  name: z.string(),
  type: ColumnTypeSchema,
  role: z.enum(['feature', 'prediction', 'identifier']),
  /** null where the column is not tested (identifier, datetime, text, no values), with the reason. */
  method: DriftMethod.nullable(),
  /** null where not tested, or where it is not a finite number (an infinite χ²: see `note`). */
  statistic: z.number().nullable(),
  pvalue: z.number().nullable(),
  threshold: z.number().nullable(),
  drifted: z.boolean().nullable(),
  /** Jensen–Shannon's logarithm base ('e': range 0–0.833, as Evidently; base 2 would be 0–1). */
  logBase: z.enum(['e']).nullable(),
  nReference: z.number().int(),
  nCurrent: z.number().int(),
  missingShare: z.object({ reference: z.number(), current: z.number() }),
  /** Numeric: share of current values outside the reference's [min, max]. */
  outOfRangeShare: z.number().nullable(),
  /** Categorical: share of current values never seen in the reference. */
  unseenShare: z.number().nullable(),
  /** On ten reference-quantile bins (numeric) or the categories, ε = 1e-4 for empty bins. */
  psi: z.number().nullable(),
  /** Reference vs current shares, for the overlay: numeric on the ten reference-quantile bins,
   *  categorical on the most frequent categories (at most 20). */
  distribution: z
    .object({ labels: z.array(z.string()), reference: z.array(z.number()), current: z.array(z.number()) })
    .nullable(),
  reason: z.string().nullable(),
  /** A tested column's caveat: why its statistic is not a finite number, what was read around. */
  note: z.string().nullable().default(null),
})
export type DriftColumn = z.infer<typeof DriftColumn>

export const Performance = z.object({
  /** Prediction rows read, and how many found their ground truth. */
  rows: z.number().int(),
  matched: z.number().int(),
  classification: z
    .object({
      accuracy: z.number().nullable(),
      precision: z.number().nullable(),
      recall: z.number().nullable(),
      f1: z.number().nullable(),
      rocAuc: z.number().nullable(),
    })
    .nullable(),
  regression: z.object({ mae: z.number(), rmse: z.number() }).nullable(),
})
export type Performance = z.infer<typeof Performance>

export const DriftReport = z.object({
  reference: z.object({ path: z.string(), rows: z.number().int() }),
  current: z.object({ path: z.string(), rows: z.number().int() }),
  skew: z.object({
    missingInCurrent: z.array(z.string()),
    newInCurrent: z.array(z.string()),
    typeChanges: z.array(z.object({ column: z.string(), reference: z.string(), current: z.string() })),
  }),
  columns: z.array(DriftColumn),
  dataset: z.object({
    drifted: z.boolean(),
    share: z.number(),
    driftedCount: z.number().int(),
    testedCount: z.number().int(),
    threshold: z.number(),
  }),
  /** Realized performance where ground truth was given: on the (labelled) reference and now. */
  performance: z.object({ reference: Performance.nullable(), current: Performance.nullable() }).nullable(),
  /** What was read around in the files (rows skipped and why). */
  warnings: z.array(z.string()).default([]),
})
export type DriftReport = z.infer<typeof DriftReport>

export const GroundTruth = z
  .object({
    /** A file of (id, target) rows joined to the current data by id; omitted: the target is in the data. */
    path: z.string().min(1).max(4096).optional(),
    idColumn: z.string().max(300),
    targetColumn: z.string().max(300),
    predictionColumn: z.string().max(300),
    scoreColumn: z.string().max(300).optional(),
    task: z.enum(['classification', 'regression']).default('classification'),
  })
  .strict()
export type GroundTruth = z.infer<typeof GroundTruth>

/** Realized performance per monitor window: the logged prediction of each row joined later, by the
 *  monitor's id column, with ground truth that arrives in its own files. */
export const MonitorPerformance = z
  .object({
    /** A file, or a folder of CSV / JSONL / Parquet files, of (id, target) rows; re-read when it changes. */
    groundTruth: z.string().min(1).max(4096),
    targetColumn: z.string().min(1).max(300),
    /** The logged prediction (the class for classifiers, the value for regressors). */
    predictionColumn: z.string().min(1).max(300),
    /** The logged score for ROC AUC (a probability); classifiers only. */
    scoreColumn: z.string().min(1).max(300).optional(),
    task: z.enum(['classification', 'regression']).default('classification'),
  })
  .strict()
export type MonitorPerformance = z.infer<typeof MonitorPerformance>

/** Watching a model's inference logs: a folder of JSONL / CSV files (lines appended) and
 *  Parquet files (read once complete), cut into windows. */
export const DriftMonitorConfig = z
  .object({
    /** The host the folder is on (read over SFTP for an SSH host); default this machine. */
    host: HostName.optional(),
    folder: z.string().min(1).max(4096),
    /** 'rows': every `windowRows` rows; otherwise by the hour / day / week of `timestampColumn`
     *  (or of the time Gantry read the row, without one). */
    windowBy: z.enum(['rows', 'hour', 'day', 'week']).default('rows'),
    windowRows: z.number().int().min(10).max(10_000_000).default(1000),
    timestampColumn: z.string().max(300).optional(),
    idColumn: z.string().max(300).optional(),
    predictionColumns: z.array(z.string().max(300)).max(50).optional(),
    methods: z.record(z.string().max(300), DriftMethod).optional(),
    thresholds: z.record(z.string().max(300), z.number().min(0)).optional(),
    /** Column types where inference is wrong (e.g. a numeric code that is really a category). */
    types: z.record(z.string().max(300), ColumnTypeSchema).optional(),
    driftShare: z.number().min(0).max(1).optional(),
    /** Realized performance per window once ground truth arrives (needs idColumn). */
    performance: MonitorPerformance.optional(),
  })
  .strict()
export type DriftMonitorConfig = z.infer<typeof DriftMonitorConfig>
export type DriftMonitorConfigInput = z.input<typeof DriftMonitorConfig>

export const DriftWindow = z.object({
  id: z.number().int(),
  model: z.string(),
  version: z.number().int().nullable(),
  /** Time windows: [start, end); row windows: null. */
  windowStart: z.number().nullable(),
  windowEnd: z.number().nullable(),
  rows: z.number().int(),
  drifted: z.boolean(),
  share: z.number(),
  report: DriftReport,
  /** Realized performance of the window's predictions against the ground truth that has arrived
   *  so far (matched < rows until all of it has); null when not configured or none arrived yet. */
  performance: Performance.nullable(),
  /** When the performance was last computed. */
  performanceAt: z.number().nullable(),
  at: z.number(),
})
export type DriftWindow = z.infer<typeof DriftWindow>

/** A window whose dataset verdict differs from the window before it: drift began (or, with
 *  drifted false, ended). What the alerts area routes; every window is also a drift.window. */
export const DriftCrossing = z.object({
  model: z.string(),
  windowId: z.number().int(),
  drifted: z.boolean(),
  /** The previous window's verdict; null for a model's first window. */
  previous: z.boolean().nullable(),
  share: z.number(),
  threshold: z.number(),
  at: z.number(),
})
export type DriftCrossing = z.infer<typeof DriftCrossing>

export const MonitorStatus = z.object({
  model: z.string(),
  config: DriftMonitorConfig.nullable(),
  /** Rows read into the window that is still open. */
  openRows: z.number().int(),
  problems: z.array(z.string()),
  /** The last read of the folder failed (it stays until a read succeeds). */
  lastError: z.object({ message: z.string(), at: z.number() }).nullable().default(null),
  latest: DriftWindow.nullable(),
  /** After setting a monitor: whether its read positions were kept, or reset and why. */
  note: z.string().nullable().default(null),
})
export type MonitorStatus = z.infer<typeof MonitorStatus>
