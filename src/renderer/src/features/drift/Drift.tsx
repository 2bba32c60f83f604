// Drift: a report between two files on the core's machine (a model's reference data and copied
// inference logs), computed by the same code as `gantry drift`. Skew first, then every column
// sorted by how far past its threshold it is. Continuous per-model monitoring (a watched log
// folder, windows, history charts) is the rest of issue #6 and is not built yet: the screen says so.
import { Fragment, useState } from 'react'
import type { DriftColumn, DriftReport, DriftWindow } from '../../../../shared/drift'
import { Sparkline } from '../../ui/Sparkline'
import { useBridge } from '../../bridge/context'
import { pct } from '../../ui/format'
import { Screen } from '../../ui/Screen'

const fmt = (v: number | null, d = 4): string =>
  v === null ? '—' : !Number.isFinite(v) ? String(v) : Math.abs(v) < 1e-4 && v !== 0 ? v.toExponential(2) : v.toFixed(d)

type ColumnType = 'numeric' | 'categorical' | 'boolean' | 'datetime' | 'identifier' | 'text'

/** "zip=categorical, note=text" → { zip: 'categorical', note: 'text' } (unknown types dropped: the
 *  core would refuse them with a clear error anyway). */
export function parseTypes(text: string): Record<string, ColumnType> {
  const out: Record<string, ColumnType> = {}
  for (const part of text.split(',')) {
    const [k, v] = part.split('=').map((x) => x.trim())
    if (k && v) out[k] = v as ColumnType
  }
  return out
}

export function Drift() {
  const { bridge } = useBridge()
  const [reference, setReference] = useState('')
  const [current, setCurrent] = useState('')
  const [idColumn, setIdColumn] = useState('')
  const [prediction, setPrediction] = useState('')
  const [types, setTypes] = useState('')
  const [busy, setBusy] = useState(false)
  const [report, setReport] = useState<DriftReport | null>(null)
  const [error, setError] = useState<string | null>(null)

  async function run(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    setBusy(true)
    setError(null)
    const r = await bridge.call('drift.report', {
      reference: reference.trim(),
      current: current.trim(),
      ...(idColumn.trim() ? { idColumn: idColumn.trim() } : {}),
      ...(prediction.trim()
        ? {
            predictionColumns: prediction
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          }
        : {}),
      ...(types.trim() ? { types: parseTypes(types) } : {}),
    })
    setBusy(false)
    if (r.ok) setReport(r.data)
    else {
      setReport(null)
      setError(r.error.message)
    }
  }

  return (
    <Screen id="drift" title="Drift" state="ready">
      <p className="subtitle">
        Compare a reference dataset with current data (CSV, JSONL or Parquet on the machine running Gantry). Methods and
        thresholds follow Evidently’s defaults; statistics equal scipy’s. To watch a model’s inference logs over time,
        open the model’s page (Models) and set up its drift monitor.
      </p>
      <form className="panel form-grid" onSubmit={(e) => void run(e)} data-testid="drift-form">
        <label>
          Reference data
          <input
            required
            value={reference}
            onChange={(e) => setReference(e.target.value)}
            placeholder="/data/fraud/reference.csv"
          />
        </label>
        <label>
          Current data
          <input
            required
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            placeholder="/var/log/serving/fraud/2026-11-25.jsonl"
          />
        </label>
        <label>
          Identifier column
          <input value={idColumn} onChange={(e) => setIdColumn(e.target.value)} placeholder="id" />
        </label>
        <label>
          Prediction column(s)
          <input value={prediction} onChange={(e) => setPrediction(e.target.value)} placeholder="y_pred_proba" />
        </label>
        <label>
          Types where inference is wrong
          <input value={types} onChange={(e) => setTypes(e.target.value)} placeholder="zip=categorical, note=text" />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Computing…' : 'Compare'}
        </button>
      </form>
      {error ? (
        <p className="state-note error" role="alert">
          {error}
        </p>
      ) : null}
      {report ? <DriftResult r={report} /> : null}
    </Screen>
  )
}

/** Reference vs current shares as paired bars (plain SVG: one per bin or category). */
function Overlay({ c }: { c: DriftColumn }) {
  const d = c.distribution
  if (!d) return <p className="muted small">No distribution for this column.</p>
  const max = Math.max(...d.reference, ...d.current, 1e-9)
  const bw = 14
  const gap = 10
  const h = 110
  const width = d.labels.length * (2 * bw + gap)
  return (
    <figure className="overlay" data-testid="overlay">
      <svg width={width} height={h + 4} role="img" aria-label={`${c.name}: reference and current distribution`}>
        {d.labels.map((label, i) => {
          const x = i * (2 * bw + gap)
          const rh = (d.reference[i] / max) * h
          const ch = (d.current[i] / max) * h
          return (
            <g key={label}>
              <title>{`${label}: reference ${(d.reference[i] * 100).toFixed(1)} %, current ${(d.current[i] * 100).toFixed(1)} %`}</title>
              <rect className="bar-ref" x={x} y={h - rh} width={bw} height={rh} />
              <rect className="bar-cur" x={x + bw} y={h - ch} width={bw} height={ch} />
            </g>
          )
        })}
      </svg>
      <figcaption className="small muted">
        <span className="key key-ref" /> reference <span className="key key-cur" /> current · {d.labels[0]} …{' '}
        {d.labels[d.labels.length - 1]}
      </figcaption>
    </figure>
  )
}

export function DriftResult({ r, history }: { r: DriftReport; history?: DriftWindow[] }) {
  const [open, setOpen] = useState<string | null>(null)
  const skew = r.skew
  const hasSkew = skew.missingInCurrent.length + skew.newInCurrent.length + skew.typeChanges.length > 0
  return (
    <>
      <section className="panel" data-testid="drift-verdict" data-drifted={String(r.dataset.drifted)}>
        <div className="health-head">
          <h2>{r.dataset.drifted ? 'Dataset drifted' : 'Dataset not drifted'}</h2>
          <span className={`badge badge-${r.dataset.drifted ? 'critical' : 'ok'}`}>
            <span className="dot" aria-hidden="true" />
            {r.dataset.driftedCount} of {r.dataset.testedCount} features ({pct(r.dataset.share * 100, 0)}; threshold{' '}
            {pct(r.dataset.threshold * 100, 0)})
          </span>
        </div>
        <p className="muted small">
          {r.reference.rows} reference rows · {r.current.rows} current rows
        </p>
        {r.warnings.length ? (
          <ul className="reasons small" data-testid="drift-warnings">
            {r.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        ) : null}
      </section>
      {r.performance ? (
        <section className="panel table-wrap" data-testid="drift-performance">
          <h2 className="pad">Realized performance</h2>
          <table className="table">
            <thead>
              <tr>
                <th scope="col" />
                <th scope="col" className="num">
                  Rows with truth
                </th>
                <th scope="col" className="num">
                  Accuracy
                </th>
                <th scope="col" className="num">
                  Precision
                </th>
                <th scope="col" className="num">
                  Recall
                </th>
                <th scope="col" className="num">
                  F1
                </th>
                <th scope="col" className="num">
                  ROC AUC
                </th>
                <th scope="col" className="num">
                  MAE
                </th>
                <th scope="col" className="num">
                  RMSE
                </th>
              </tr>
            </thead>
            <tbody>
              {(['reference', 'current'] as const).map((k) => {
                const p = r.performance?.[k]
                if (!p) return null
                const c = p.classification
                return (
                  <tr key={k} data-perf={k}>
                    <th scope="row">{k}</th>
                    <td className="num">
                      {p.matched} / {p.rows}
                    </td>
                    <td className="num">{fmt(c?.accuracy ?? null, 3)}</td>
                    <td className="num">{fmt(c?.precision ?? null, 3)}</td>
                    <td className="num">{fmt(c?.recall ?? null, 3)}</td>
                    <td className="num">{fmt(c?.f1 ?? null, 3)}</td>
                    <td className="num">{fmt(c?.rocAuc ?? null, 3)}</td>
                    <td className="num">{fmt(p.regression?.mae ?? null)}</td>
                    <td className="num">{fmt(p.regression?.rmse ?? null)}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </section>
      ) : null}
      {hasSkew ? (
        <section className="panel" data-testid="drift-skew">
          <h2>Training–serving skew</h2>
          <ul className="reasons">
            {skew.missingInCurrent.map((c) => (
              <li key={`m-${c}`}>{c}: in the reference, absent now</li>
            ))}
            {skew.newInCurrent.map((c) => (
              <li key={`n-${c}`}>{c}: new, not in the reference</li>
            ))}
            {skew.typeChanges.map((t) => (
              <li key={`t-${t.column}`}>
                {t.column}: was {t.reference}, now {t.current}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section className="panel table-wrap">
        <table className="table dt-table fit" data-testid="drift-columns">
          <colgroup>
            <col />
            <col style={{ width: '8%' }} />
            <col style={{ width: '10%' }} />
            <col style={{ width: '8%' }} />
            <col style={{ width: '8%' }} />
            <col style={{ width: '8%' }} />
            <col style={{ width: '10%' }} />
            <col style={{ width: '11%' }} />
            <col style={{ width: '9%' }} />
            <col style={{ width: '7%' }} />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
              <th scope="col">Method</th>
              <th scope="col" className="num">
                Value
              </th>
              <th scope="col" className="num">
                p-value
              </th>
              <th scope="col" className="num">
                Threshold
              </th>
              <th scope="col">Verdict</th>
              <th scope="col" className="num">
                Missing (ref → cur)
              </th>
              <th scope="col" className="num">
                Out of range / unseen
              </th>
              <th scope="col" className="num">
                PSI
              </th>
            </tr>
          </thead>
          <tbody>
            {r.columns.map((c) => (
              <Fragment key={c.name}>
                <tr
                  data-column={c.name}
                  data-drifted={String(c.drifted)}
                  onClick={() => setOpen(open === c.name ? null : c.name)}
                >
                  <td className="mono" title={c.name}>
                    {c.name}
                    {c.role === 'prediction' ? <span className="tag">prediction</span> : null}
                  </td>
                  <td>{c.type}</td>
                  <td>
                    {c.method ?? '—'}
                    {c.logBase ? <span className="muted small"> (ln)</span> : null}
                  </td>
                  <td className="num" title={c.note ?? undefined}>
                    {c.statistic === null && c.note?.startsWith('χ² is infinite') ? '∞' : fmt(c.statistic)}
                    {c.note && c.drifted !== null ? (
                      <span className="note-mark" aria-label={c.note}>
                        {' '}
                        ⓘ
                      </span>
                    ) : null}
                  </td>
                  <td className="num">{fmt(c.pvalue)}</td>
                  <td className="num">{fmt(c.threshold, 2)}</td>
                  <td
                    className={c.drifted ? 'intent-mismatch' : c.drifted === false ? 'intent-match' : 'muted'}
                    title={c.drifted === null ? (c.reason ?? undefined) : undefined}
                  >
                    {c.drifted === null ? c.reason : c.drifted ? 'drifted' : 'ok'}
                  </td>
                  <td className="num">
                    {pct(c.missingShare.reference * 100)} → {pct(c.missingShare.current * 100)}
                  </td>
                  <td className="num">{pct((c.outOfRangeShare ?? c.unseenShare ?? NaN) * 100)}</td>
                  <td className="num">{fmt(c.psi, 3)}</td>
                </tr>
                {open === c.name ? (
                  <tr className="feature-detail" data-testid="feature-detail">
                    <td colSpan={10}>
                      <Overlay c={c} />
                      {history && history.length > 1 ? (
                        <p className="small">
                          {c.method ?? 'statistic'} per window (oldest first):{' '}
                          <Sparkline
                            width={260}
                            height={30}
                            label={`${c.name} per window`}
                            points={[...history]
                              .reverse()
                              .map(
                                (w) =>
                                  [w.at, w.report.columns.find((x) => x.name === c.name)?.statistic ?? null] as [
                                    number,
                                    number | null,
                                  ],
                              )}
                          />
                        </p>
                      ) : null}
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      </section>
    </>
  )
}
