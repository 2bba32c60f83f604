// A model's drift: where its inference logs are read from and how they are windowed, the share of
// drifted features per window (history), and the latest window's full report.
import { useEffect, useState } from 'react'
import type { DriftWindow, MonitorStatus } from '../../../../shared/drift'
import { useBridge } from '../../bridge/context'
import { Sparkline } from '../../ui/Sparkline'
import { when } from '../models/useRegistry'
import { DriftResult, parseTypes } from './Drift'

export function ModelDrift({ model }: { model: string }) {
  const { bridge } = useBridge()
  const [status, setStatus] = useState<MonitorStatus | null>(null)
  const [history, setHistory] = useState<DriftWindow[]>([])
  const [folder, setFolder] = useState('')
  const [rows, setRows] = useState('1000')
  const [idColumn, setIdColumn] = useState('')
  const [types, setTypes] = useState('')
  const [error, setError] = useState<string | null>(null)
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
    const r = await bridge.call('drift.setMonitor', {
      model,
      config: folder.trim()
        ? {
            folder: folder.trim(),
            windowBy: 'rows',
            windowRows: Number(rows) || 1000,
            ...(idColumn.trim() ? { idColumn: idColumn.trim() } : {}),
            ...(types.trim() ? { types: parseTypes(types) } : {}),
          }
        : null,
    })
    setError(r.ok ? null : r.error.message)
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
      {history.length > 1 ? (
        <p className="small">
          Drifted share per window:{' '}
          <Sparkline points={trend} width={240} height={28} label="share of drifted features per window" />
        </p>
      ) : null}
      {latest ? <DriftResult r={latest.report} history={history} /> : null}
    </section>
  )
}
