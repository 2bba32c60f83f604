// The drift area's methods: one-off reports (through the file-job limiter) and the per-model
// monitors of inference-log folders.
import type { Handlers } from '../api'
import type { FileAccess } from '../files/local-files'
import { JOB_BUDGET } from '../files/limits'
import type { JobRunner } from '../util/jobs'
import type { DriftMonitor } from './monitor'
import { driftReport } from './report'

export type DriftMethods = Extract<keyof Handlers, `drift.${string}`>

export function driftHandlers(d: {
  drift: DriftMonitor
  files: FileAccess
  jobs: JobRunner
}): Pick<Handlers, DriftMethods> {
  const { drift, files, jobs } = d
  return {
    'drift.report': (input) =>
      jobs.run('a drift report', JOB_BUDGET.report, (signal) =>
        driftReport(files, input.reference, input.current, { ...input, signal }),
      ),
    'drift.setMonitor': (input) => drift.setMonitor(input.model, input.config),
    'drift.monitor': (input) => drift.status(input.model),
    'drift.poll': (input) =>
      jobs.run(`reading ${input.model}'s log folder`, JOB_BUDGET.report, () => drift.poll(input.model)),
    'drift.windows': (input) => drift.windows(input.model, input.limit),
  }
}
