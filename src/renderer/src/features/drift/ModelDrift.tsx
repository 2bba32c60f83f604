// A model's drift: where its inference logs are read from and how they are windowed, the share of
// drifted features per window (history), realized performance per window once ground truth
// arrives, and the latest window's full report.
import { useEffect, useState } from 'react'
import type { DriftMonitorConfig, DriftWindow, MonitorStatus, Performance } from '../../../../shared/drift'
import { useBridge } from '../../bridge/context'
import { Sparkline } from '../../ui/Sparkline'
import { DriftResult, parseTypes } from './Drift'
import { when } from '../../ui/format'

export function ModelDrift({ model }: { model: string }) {
  const { bridge } = useBridge()
  const [status, setStatus] = useState<MonitorStatus | null>(null)
  const [history, setHistory] = useState<DriftWindow[]>([])
  const [folder, setFolder] = useState('')
  const [rows, setRows] = useState('1000')
  const [idColumn, setIdColumn] = useState('')
  const [types, setTypes] = useState('')
  const [truth, setTruth] = useState('')
  const [target, setTarget] = useState('')
  const [predCol, setPredCol] = useState('')
  const [scoreCol, setScoreCol] = useState('')
  const [task, setTask] = useState<'classification' | 'regression'>('classification')
  const [error, setError] = useState<string | null>(null)
  const [note, setNote] = useState<string | null>(null)
  const [tick, setTick] = useState(0)

  useEffect(() => {
    let alive = true
    void bridge.call('drift.monitor', { model }).then((r) => {
      if (!alive || !r.ok) return
      setStatus(r.data)
      if (r.data.config && !folder) {
        setFolder(r.data.config.folder)
        setRows(String(r.data.config.windowRows))
        setIdColumn(r.data.config.idColumn ?? '')
        setTypes(
          Object.entries(r.data.config.types ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(', '),
        )
        const p = r.data.config.performance
        if (p) {
          setTruth(p.groundTruth)
          setTarget(p.targetColumn)
          setPredCol(p.predictionColumn)
          setScoreCol(p.scoreColumn ?? '')
          setTask(p.task)
        }
      }
    })
    void bridge.call('drift.windows', { model, limit: 50 }).then((r) => {
      if (alive && r.ok) setHistory(r.data)
    })
    return () => {
      alive = false
    }
    // folder is only read to prefill once
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [bridge, model, tick])
  useEffect(() => bridge.on('drift.window', (w) => w.model === model && setTick((t) => t + 1)), [bridge, model])

  async function save(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    // Settings made elsewhere (CLI, API: methods, thresholds, time windows…) are kept; the form
    // changes only what it shows.
    const before: Partial<DriftMonitorConfig> = status?.config ?? {}
    const { idColumn: _id, types: _types, performance: _perf, ...kept } = before
    const config = folder.trim()
      ? {
          ...kept,
          folder: folder.trim(),
          windowBy: before.windowBy ?? 'rows',
          windowRows: Number(rows) || 1000,
          ...(idColumn.trim() ? { idColumn: idColumn.trim() } : {}),
          ...(types.trim() ? { types: parseTypes(types) } : {}),
          ...(truth.trim()
            ? {
                performance: {
                  groundTruth: truth.trim(),
                  targetColumn: target.trim(),
                  predictionColumn: predCol.trim(),
                  ...(scoreCol.trim() ? { scoreColumn: scoreCol.trim() } : {}),
                  task,
                },
              }
            : {}),
        }
      : null
    const r = await bridge.call('drift.setMonitor', { model, config })
    setError(r.ok ? null : r.error.message)
    setNote(r.ok ? r.data.note : null)
    setTick((t) => t + 1)
  }
  async function pollNow(): Promise<void> {
    const r = await bridge.call('drift.poll', { model })
    setError(r.ok ? null : r.error.message)
    setTick((t) => t + 1)
  }

  const latest = status?.latest ?? null
  const trend = [...history].reverse().map((w) => [w.at, w.share * 100] as [number, number])
  return (
    <section className="panel" data-testid="model-drift">
      <div className="health-head">
        <h2>Drift</h2>
        {latest ? (
          <span className={`badge badge-${latest.drifted ? 'critical' : 'ok'}`} data-drifted={String(latest.drifted)}>
            <span className="dot" aria-hidden="true" />
            {latest.drifted ? 'drifted' : 'no drift'} · {Math.round(latest.share * 100)} % of features · {latest.rows}{' '}
            rows · {when(latest.at)}
          </span>
        ) : (
          <span className="muted small">{status?.config ? 'no window closed yet' : 'not monitored'}</span>
        )}
      </div>
      <form className="form-grid" onSubmit={(e) => void save(e)}>
        <label>
          Inference-log folder (JSONL / CSV / Parquet)
          <input value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="/var/log/serving/fraud" />
        </label>
        <label>
          Rows per window
          <input value={rows} onChange={(e) => setRows(e.target.value)} inputMode="numeric" />
        </label>
        <label>
          Identifier column
          <input value={idColumn} onChange={(e) => setIdColumn(e.target.value)} />
        </label>
        <label>
          Types where inference is wrong
          <input value={types} onChange={(e) => setTypes(e.target.value)} placeholder="zip=categorical" />
        </label>
        <label>
          Ground truth (file or folder, joined by the id column)
          <input value={truth} onChange={(e) => setTruth(e.target.value)} placeholder="/data/fraud/labels" />
        </label>
        {truth.trim() ? (
          <>
            <label>
              Target column (in the ground truth)
              <input value={target} onChange={(e) => setTarget(e.target.value)} placeholder="label" required />
            </label>
            <label>
              Prediction column (logged)
              <input value={predCol} onChange={(e) => setPredCol(e.target.value)} placeholder="y_pred" required />
            </label>
            <label>
              Score column (for ROC AUC)
              <input value={scoreCol} onChange={(e) => setScoreCol(e.target.value)} placeholder="y_pred_proba" />
            </label>
            <label>
              Task
              <select value={task} onChange={(e) => setTask(e.target.value as 'classification' | 'regression')}>
                <option value="classification">classification</option>
                <option value="regression">regression</option>
              </select>
            </label>
          </>
        ) : null}
        <button type="submit">{folder.trim() ? 'Watch' : 'Stop watching'}</button>
        {status?.config ? (
          <button type="button" onClick={() => void pollNow()}>
            Read now
          </button>
        ) : null}
      </form>
      {status?.config ? (
        <p className="muted small">
          {status.openRows} row(s) in the open window · compared with the production version’s reference dataset
          {status.problems.length ? ` · ${status.problems.join('; ')}` : ''}
        </p>
      ) : null}
      {error ? (
        <p className="state-note error" role="alert">
          {error}
        </p>
      ) : null}
      {note && !error ? (
        <p className="state-note small" data-testid="monitor-note">
          {note}
        </p>
      ) : null}
      {history.length > 1 ? (
        <p className="small">
          Drifted share per window:{' '}
          <Sparkline points={trend} width={240} height={28} label="share of drifted features per window" />
        </p>
      ) : null}
      {history.some((w) => w.performance) || status?.config?.performance ? <WindowTable history={history} /> : null}
      {latest ? <DriftResult r={latest.report} history={history} /> : null}
    </section>
  )
}

const pct = (v: number | null | undefined): string =>
  v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`
const fixed = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v.toFixed(3))

/** The headline metric of a window's realized performance: ROC AUC, else accuracy; RMSE for regressors. */
function headline(p: Performance | null): [string, number] | null {
  if (!p) return null
  if (p.classification) {
    if (p.classification.rocAuc !== null) return ['ROC AUC', p.classification.rocAuc]
    if (p.classification.accuracy !== null) return ['accuracy', p.classification.accuracy]
  }
  if (p.regression) return ['RMSE', p.regression.rmse]
  return null
}

/** Windows, newest first: rows, drifted share, and realized performance as far as truth has arrived. */
function WindowTable({ history }: { history: DriftWindow[] }) {
  const scored = [...history].reverse().filter((w) => headline(w.performance))
  const metric = scored.length ? headline(scored[scored.length - 1].performance)![0] : null
  const points = scored
    .filter((w) => headline(w.performance)![0] === metric)
    .map((w) => [w.at, headline(w.performance)![1]] as [number, number])
  return (
    <div data-testid="drift-windows">
      <h3>Windows</h3>
      {points.length > 1 ? (
        <p className="small">
          Realized {metric} per window:{' '}
          <Sparkline points={points} width={240} height={28} label={`realized ${metric} per window`} />
        </p>
      ) : null}
      <table className="table">
        <thead>
          <tr>
            <th>Closed</th>
            <th>Window</th>
            <th className="num">Rows</th>
            <th>Drift</th>
            <th className="num">Truth arrived</th>
            <th className="num">Accuracy</th>
            <th className="num">F1</th>
            <th className="num">ROC AUC</th>
            <th className="num">MAE</th>
            <th className="num">RMSE</th>
          </tr>
        </thead>
        <tbody>
          {history.slice(0, 20).map((w) => {
            const p = w.performance
            const c = p?.classification
            const r = p?.regression
            return (
              <tr key={w.id} data-window={w.id}>
                <td>{when(w.at)}</td>
                <td className="small">
                  {w.windowStart !== null && w.windowEnd !== null
                    ? `${when(w.windowStart)} – ${when(w.windowEnd)}`
                    : `#${w.id}`}
                </td>
                <td className="num">{w.rows}</td>
                <td>
                  <span className={`badge badge-${w.drifted ? 'critical' : 'ok'}`}>
                    {w.drifted ? 'drifted' : 'ok'} · {Math.round(w.share * 100)} %
                  </span>
                </td>
                <td className="num" title={p ? `${p.matched} of ${p.rows} rows have their ground truth` : 'none yet'}>
                  {p ? pct(p.matched / Math.max(1, p.rows)) : 'none yet'}
                </td>
                <td className="num">{pct(c?.accuracy)}</td>
                <td className="num">{fixed(c?.f1)}</td>
                <td className="num">{fixed(c?.rocAuc)}</td>
                <td className="num">{fixed(r?.mae)}</td>
                <td className="num">{fixed(r?.rmse)}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
