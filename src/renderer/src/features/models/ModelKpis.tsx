// A model's business KPIs on its page: each PromQL query's value now, its threshold and which way is
// good, and its last 24 h charted from Prometheus (query_range); adding, changing and removing one.
// The automatic-rollback rule can use them ("A business KPI past its threshold").
import { useCallback, useEffect, useState } from 'react'
import type { Kpi } from '../../../../shared/prometheus'
import { useResolvedTheme } from '../../app/theme'
import { useBridge } from '../../bridge/context'
import { Chart } from '../../ui/Chart'

const RANGE_MS = 24 * 3600_000

export function ModelKpis({ model }: { model: string }) {
  const { bridge } = useBridge()
  const theme = useResolvedTheme()
  const [kpis, setKpis] = useState<Kpi[] | null>(null)
  const [sources, setSources] = useState<string[]>([])
  const [error, setError] = useState<string | null>(null)
  const [editing, setEditing] = useState(false)
  const [form, setForm] = useState({ name: '', source: '', query: '', lower: false, threshold: '', unit: '' })

  const [rev, setRev] = useState(0)
  const load = useCallback(() => setRev((r) => r + 1), [])
  useEffect(() => {
    let alive = true
    void Promise.all([
      bridge.call('kpi.list', { model, rangeMs: RANGE_MS, maxPoints: 288 }),
      bridge.call('prometheus.list'),
    ]).then(([k, s]) => {
      if (!alive) return
      if (k.ok) setKpis(k.data)
      else setError(k.error.message)
      if (s.ok) setSources(s.data.map((x) => x.name))
    })
    return () => {
      alive = false
    }
  }, [bridge, model, rev])
  useEffect(() => {
    const t = setInterval(load, 60_000)
    return () => clearInterval(t)
  }, [load])

  async function save(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    setError(null)
    const r = await bridge.call('kpi.set', {
      model,
      name: form.name.trim(),
      source: form.source || sources[0] || '',
      query: form.query.trim(),
      direction: form.lower ? 'lower-is-better' : 'higher-is-better',
      threshold: form.threshold.trim() === '' ? null : Number(form.threshold),
      unit: form.unit.trim(),
    })
    if (!r.ok) return setError(r.error.message)
    setEditing(false)
    load()
  }
  async function remove(name: string): Promise<void> {
    const r = await bridge.call('kpi.remove', { model, name })
    if (!r.ok) setError(r.error.message)
    load()
  }

  if (kpis === null && !error) return null
  return (
    <section className="panel" data-testid="model-kpis">
      <div className="health-head">
        <h2>Business KPIs</h2>
        {sources.length ? (
          <button type="button" onClick={() => setEditing(!editing)} data-testid="kpi-add">
            {editing ? 'Cancel' : 'Add KPI…'}
          </button>
        ) : null}
      </div>
      {kpis && kpis.length === 0 && !editing ? (
        <p className="muted small">
          {sources.length
            ? 'None yet. A KPI is a PromQL query (conversion rate, fraud caught per hour) with the line it must not cross.'
            : 'KPIs are asked of a Prometheus source: add one on the Hosts screen first.'}
        </p>
      ) : null}
      {editing ? (
        <form className="form-grid pad" onSubmit={save} data-testid="kpi-form">
          <label>
            Name
            <input
              required
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
              placeholder="conversion rate"
            />
          </label>
          <label>
            Source
            <select value={form.source || sources[0]} onChange={(e) => setForm({ ...form, source: e.target.value })}>
              {sources.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            PromQL (one value: aggregate it)
            <input
              required
              value={form.query}
              onChange={(e) => setForm({ ...form, query: e.target.value })}
              placeholder='sum(rate(orders_total{model="fraud"}[5m]))'
              className="mono"
            />
          </label>
          <label>
            Threshold
            <input
              value={form.threshold}
              onChange={(e) => setForm({ ...form, threshold: e.target.value })}
              inputMode="decimal"
            />
          </label>
          <label>
            Unit
            <input value={form.unit} onChange={(e) => setForm({ ...form, unit: e.target.value })} placeholder="%" />
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={form.lower}
              onChange={(e) => setForm({ ...form, lower: e.target.checked })}
            />{' '}
            Lower is better (a value above the threshold is bad)
          </label>
          <button type="submit" className="primary">
            Save KPI
          </button>
        </form>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {(kpis ?? []).map((k) => (
        <div key={k.name} className="pad" data-kpi={k.name}>
          <div className="health-head">
            <strong>{k.name}</strong>
            <span className={k.breached ? 'error' : 'muted'}>
              {k.value === null ? '—' : `${Number(k.value.toPrecision(4))}${k.unit ? ` ${k.unit}` : ''}`}
              {k.threshold !== null
                ? ` · wants ${k.direction === 'higher-is-better' ? '≥' : '≤'} ${k.threshold}${k.breached ? ' — PAST THRESHOLD' : ''}`
                : ''}
            </span>
            <button type="button" className="link-button" onClick={() => void remove(k.name)}>
              Remove
            </button>
          </div>
          <div className="muted small mono">
            [{k.source}] {k.query}
          </div>
          {k.error ? <div className="small detail">{k.error}</div> : null}
          <Chart
            label={`${k.name}, last 24 h`}
            series={[
              {
                name: k.name,
                points: k.points.filter((p): p is [number, number] => p[1] !== null),
              },
            ]}
            height={120}
            theme={theme}
          />
        </div>
      ))}
    </section>
  )
}
