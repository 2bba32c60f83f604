// `gantry drift`: a one-off drift report for field engineers working on copied logs — the same
// computation the console runs, on two CSV / JSONL / Parquet files, streamed.
import { Command } from 'commander'
import type { DriftReport, DriftWindow, MonitorStatus } from '../../shared/drift'
import { DRIFT_METHODS } from '../../shared/drift'
import type { Gantry } from '../core'
import { GantryError } from '../core/errors'

type WithCore = (f: (g: Gantry) => Promise<void>, opts?: { readOnly?: boolean }) => Promise<void>
const collect = (v: string, prev: string[] = []): string[] => [...prev, v]

function perColumn<T>(list: string[] | undefined, what: string, parse: (v: string) => T): Record<string, T> {
  const out: Record<string, T> = {}
  for (const item of list ?? []) {
    const i = item.lastIndexOf('=')
    if (i <= 0) throw new GantryError('contract/invalid-input', `--${what} ${item}: expected COLUMN=VALUE`)
    out[item.slice(0, i)] = parse(item.slice(i + 1))
  }
  return out
}

const fmt = (v: number | null, d = 4): string =>
  v === null ? '—' : Math.abs(v) < 1e-4 && v !== 0 ? v.toExponential(2) : v.toFixed(d)

export function formatDrift(r: DriftReport): string {
  const lines = [
    `reference ${r.reference.path} (${r.reference.rows} rows) vs current ${r.current.path} (${r.current.rows} rows)`,
    `dataset: ${r.dataset.drifted ? 'DRIFTED' : 'not drifted'} — ${r.dataset.driftedCount} of ${r.dataset.testedCount} features drifted (share ${(r.dataset.share * 100).toFixed(0)} %, threshold ${(r.dataset.threshold * 100).toFixed(0)} %)`,
  ]
  const s = r.skew
  if (s.missingInCurrent.length) lines.push(`skew: missing in current: ${s.missingInCurrent.join(', ')}`)
  if (s.newInCurrent.length) lines.push(`skew: new in current: ${s.newInCurrent.join(', ')}`)
  for (const t of s.typeChanges) lines.push(`skew: ${t.column} was ${t.reference}, now ${t.current}`)
  const w = Math.max(6, ...r.columns.map((c) => c.name.length))
  lines.push(
    `${'COLUMN'.padEnd(w)}  ${'TYPE'.padEnd(11)} ${'METHOD'.padEnd(13)} ${'STATISTIC'.padStart(10)} ${'P-VALUE'.padStart(10)} ${'THRESH'.padStart(7)}  VERDICT`,
  )
  for (const c of r.columns) {
    lines.push(
      `${c.name.padEnd(w)}  ${c.type.padEnd(11)} ${(c.method ?? '—').padEnd(13)} ${(c.statistic === null && c.note?.startsWith('χ² is infinite') ? '∞' : fmt(c.statistic)).padStart(10)} ${fmt(c.pvalue).padStart(10)} ${fmt(c.threshold, 2).padStart(7)}  ${
        c.drifted === null ? `not tested (${c.reason})` : c.drifted ? 'DRIFTED' : 'ok'
      }${c.role === 'prediction' ? ' [prediction]' : ''}`,
    )
    if (c.note && c.drifted !== null) lines.push(`${''.padEnd(w)}  note: ${c.note}`)
  }
  for (const warning of r.warnings) lines.push(`! ${warning}`)
  const perf = r.performance
  if (perf) {
    const show = (label: string, p: typeof perf.current): void => {
      if (!p) return
      const c = p.classification
      const g = p.regression
      lines.push(
        `${label}: ${p.matched} of ${p.rows} rows with ground truth — ` +
          (c
            ? `accuracy ${fmt(c.accuracy, 3)}, precision ${fmt(c.precision, 3)}, recall ${fmt(c.recall, 3)}, F1 ${fmt(c.f1, 3)}, ROC AUC ${fmt(c.rocAuc, 3)}`
            : g
              ? `MAE ${fmt(g.mae)}, RMSE ${fmt(g.rmse)}`
              : 'no metrics'),
      )
    }
    show('performance (reference)', perf.reference)
    show('performance (current)', perf.current)
  }
  return `${lines.join('\n')}\n`
}

export function addDriftCommands(program: Command, withCore: WithCore): void {
  program
    .command('drift-monitor <model>')
    .description(
      "watch a model's inference-log folder (JSONL / CSV / Parquet): windows compared with the production reference",
    )
    .option('--folder <dir>', 'the folder the serving stack writes logs into')
    .option('--host <name>', 'the host the folder is on (a host of `gantry hosts`; default this machine)')
    .option('--rows <n>', 'rows per window', Number)
    .option('--by <period>', 'window by hour, day or week of --timestamp instead of by rows')
    .option('--timestamp <column>', 'the time column for --by')
    .option('--id <column>', 'the identifier column (never tested; joins ground truth)')
    .option('--truth <path>', 'ground truth arriving later: a file or folder of (id, target) rows')
    .option('--target <column>', 'the target column in the ground truth')
    .option('--prediction <column>', 'the logged prediction column')
    .option('--score <column>', 'the logged score column (for ROC AUC)')
    .option('--regression', 'the model is a regressor (MAE / RMSE instead of classification metrics)')
    .option('--read', 'read what is new now and print the windows that closed')
    .option('--off', 'stop watching')
    .option('--json', 'print as JSON')
    .action(
      async (
        model: string,
        o: {
          folder?: string
          host?: string
          rows?: number
          by?: string
          timestamp?: string
          id?: string
          truth?: string
          target?: string
          prediction?: string
          score?: string
          regression?: boolean
          read?: boolean
          off?: boolean
          json?: boolean
        },
      ) => {
        await withCore(async (g) => {
          const call = async (
            m: 'drift.setMonitor' | 'drift.poll' | 'drift.monitor' | 'drift.windows',
            input: unknown,
          ): Promise<unknown> => {
            const r = await g.api.call(m, input)
            if (!r.ok) throw new GantryError(r.error.code, r.error.message)
            return r.data
          }
          let note: string | null = null
          if (o.off) await call('drift.setMonitor', { model, config: null })
          else if (o.folder) {
            const set = (await call('drift.setMonitor', {
              model,
              config: {
                ...(o.host ? { host: o.host } : {}),
                folder: o.folder,
                windowBy: o.by ?? 'rows',
                ...(o.rows ? { windowRows: o.rows } : {}),
                ...(o.timestamp ? { timestampColumn: o.timestamp } : {}),
                ...(o.id ? { idColumn: o.id } : {}),
                ...(o.truth
                  ? {
                      performance: {
                        groundTruth: o.truth,
                        targetColumn: o.target ?? '',
                        predictionColumn: o.prediction ?? '',
                        ...(o.score ? { scoreColumn: o.score } : {}),
                        task: o.regression ? 'regression' : 'classification',
                      },
                    }
                  : {}),
              },
            })) as MonitorStatus
            note = set.note
          }
          const closed = o.read ? ((await call('drift.poll', { model })) as DriftWindow[]) : []
          const st = (await call('drift.monitor', { model })) as MonitorStatus
          const scored = st.config?.performance
            ? ((await call('drift.windows', { model, limit: 10 })) as DriftWindow[])
            : []
          if (o.json)
            return void process.stdout.write(
              `${JSON.stringify({ status: { ...st, note }, closed, windows: scored }, null, 2)}\n`,
            )
          const perf = (w: DriftWindow): string => {
            const p = w.performance
            if (!p) return st.config?.performance ? '; ground truth: none yet' : ''
            const c = p.classification
            const r = p.regression
            const f = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(3))
            const metrics = c
              ? `accuracy ${f(c.accuracy)}, F1 ${f(c.f1)}, ROC AUC ${f(c.rocAuc)}`
              : r
                ? `MAE ${f(r.mae)}, RMSE ${f(r.rmse)}`
                : 'no metric'
            return `; truth for ${p.matched}/${p.rows} rows: ${metrics}`
          }
          const line = (w: DriftWindow) =>
            `  window #${w.id} of ${w.rows} rows: ${w.drifted ? 'DRIFTED' : 'ok'} (${Math.round(w.share * 100)} % of features)${perf(w)}\n`
          process.stdout.write(
            `${st.config ? `${model}: watching ${st.config.folder}; ${st.openRows} row(s) in the open window` : `${model}: not monitored`}\n` +
              (note ? `  ${note}\n` : '') +
              (closed.length ? `closed now:\n${closed.map(line).join('')}` : '') +
              (scored.length ? `latest windows:\n${scored.map(line).join('')}` : ''),
          )
        })
      },
    )

  program
    .command('drift')
    .description(
      'a one-off drift report: reference vs current data (CSV, JSONL or Parquet), per column and for the dataset',
    )
    .requiredOption('--reference <path>', 'the reference data (training or a known-good period)')
    .requiredOption('--current <path>', 'the current data (e.g. copied inference logs)')
    .option('--id <column>', 'the identifier column (never tested)')
    .option('--prediction <column>', 'a prediction column (reported as prediction drift; repeatable)', collect)
    .option('--method <column=method>', `a method for a column: ${DRIFT_METHODS.join(', ')} (repeatable)`, collect)
    .option('--threshold <column=value>', 'a threshold for a column (repeatable)', collect)
    .option('--drift-share <share>', 'share of drifted features that makes the dataset drifted (default 0.5)', Number)
    .option('--ground-truth <path>', 'realized performance: (id, target) rows joined to the current data by --id')
    .option('--target <column>', 'the ground truth column (also read from a labelled reference)')
    .option('--score <column>', 'a score / probability column for ROC AUC')
    .option('--regression', 'the model is a regressor (MAE, RMSE) rather than a classifier')
    .option('--json', 'print the report as JSON')
    .action(
      async (o: {
        reference: string
        current: string
        id?: string
        prediction?: string[]
        method?: string[]
        threshold?: string[]
        driftShare?: number
        groundTruth?: string
        target?: string
        score?: string
        regression?: boolean
        json?: boolean
      }) => {
        await withCore(async (g) => {
          const r = await g.api.call('drift.report', {
            reference: o.reference,
            current: o.current,
            idColumn: o.id,
            predictionColumns: o.prediction,
            methods: perColumn(o.method, 'method', (v) => v),
            thresholds: perColumn(o.threshold, 'threshold', (v) => {
              const n = Number(v)
              if (!Number.isFinite(n)) throw new GantryError('contract/invalid-input', `--threshold ${v}: not a number`)
              return n
            }),
            driftShare: o.driftShare,
            ...(o.target
              ? {
                  groundTruth: {
                    ...(o.groundTruth ? { path: o.groundTruth } : {}),
                    idColumn: o.id ?? 'id',
                    targetColumn: o.target,
                    predictionColumn: o.prediction?.[0] ?? 'prediction',
                    ...(o.score ? { scoreColumn: o.score } : {}),
                    task: o.regression ? 'regression' : 'classification',
                  },
                }
              : {}),
          })
          if (!r.ok) throw new GantryError(r.error.code, r.error.message)
          const report = r.data as DriftReport
          process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatDrift(report))
        })
      },
    )
}
