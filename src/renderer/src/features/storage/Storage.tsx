// Storage: every mounted filesystem with usage, time-to-full forecast and health (worst first),
// and the selected filesystem's usage history over a chosen range.
import { useMemo, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { Filesystem } from '../../../../shared/contract'
import { useResolvedTheme } from '../../app/theme'
import { useStore } from '../../store'
import { Chart } from '../../ui/Chart'
import { bytes, pct, rate, until } from '../../ui/format'
import { LEVEL_RANK, HealthBadge } from '../../ui/Health'
import { useNow } from '../../ui/hooks'
import { Screen } from '../../ui/Screen'
import { STORAGE_RANGES } from './slice'
import { AlertMark } from '../alerts/AlertMark'

type SortKey = 'mount' | 'size' | 'usedPct' | 'available' | 'forecast'

function forecastText(f: Filesystem, now: number): string {
  const fc = f.forecast
  switch (fc.state) {
    case 'filling':
      return fc.fullAt ? `full in ${until(fc.fullAt, now)} (+${bytes(fc.bytesPerDay)}/day)` : 'filling'
    case 'shrinking':
      return `shrinking (${bytes(fc.bytesPerDay)}/day)`
    case 'stable':
      return 'stable'
    default:
      return `collecting history (${Math.round(fc.basisMs / 60_000)} of 30 min)`
  }
}

function sortValue(f: Filesystem, key: SortKey): number | string {
  switch (key) {
    case 'mount':
      return f.mount
    case 'size':
      return f.size
    case 'available':
      return f.available
    case 'forecast':
      return f.forecast.fullAt ?? Number.MAX_SAFE_INTEGER
    default:
      return LEVEL_RANK[f.health.level] * 1000 + f.usedPct
  }
}

export function Storage() {
  const hostName = useStore((st) => st.hostName)
  const s = useStore(
    useShallow((st) => ({
      storage: st.storage,
      state: st.storageState,
      error: st.storageError,
      selected: st.selectedMount,
      rangeMs: st.rangeMs,
      history: st.mountHistory,
      historyState: st.mountHistoryState,
      historyError: st.mountHistoryError,
      selectMount: st.selectMount,
      setRange: st.setRange,
    })),
  )
  const now = useNow(5000)
  const theme = useResolvedTheme()
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'usedPct', desc: true })
  const rows = useMemo(() => {
    const list = [...(s.storage?.filesystems ?? [])]
    list.sort((a, b) => {
      const x = sortValue(a, sort.key)
      const y = sortValue(b, sort.key)
      const c = typeof x === 'string' ? x.localeCompare(String(y)) : x - (y as number)
      return sort.desc ? -c : c
    })
    return list
  }, [s.storage, sort])

  const state =
    s.state === 'error'
      ? 'error'
      : !s.storage
        ? 'loading'
        : s.storage.filesystems.length === 0 && s.storage.problems.length === 0
          ? 'empty'
          : 'ready'
  const header = (key: SortKey, label: string, numeric = false) => (
    <th
      scope="col"
      className={numeric ? 'num' : undefined}
      aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
    >
      <button type="button" onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : key !== 'mount' })}>
        {label}
        {sort.key === key ? (sort.desc ? ' ↓' : ' ↑') : ''}
      </button>
    </th>
  )
  const selectedFs = rows.find((f) => f.mount === s.selected)

  return (
    <Screen
      id="storage"
      title={hostName === 'local' ? 'Storage' : `Storage · ${hostName}`}
      state={state}
      updatedAt={s.storage?.at ?? null}
      error={s.error}
      emptyText="This host reports no mounted filesystems."
    >
      {s.storage && s.storage.problems.length > 0 ? (
        <p className="state-note warn" role="status" data-testid="storage-problems">
          {s.storage.problems.join('; ')}
        </p>
      ) : null}
      <div className="cards">
        <div className="card">
          <span className="card-label">Disk read</span>
          <span className="card-value">{rate(s.storage?.io?.readBytesPerSec)}</span>
          <span className="card-sub">
            {s.storage?.io?.readOpsPerSec != null
              ? `${s.storage.io.readOpsPerSec.toFixed(0)} ops/s`
              : 'rate needs two polls'}
          </span>
        </div>
        <div className="card">
          <span className="card-label">Disk write</span>
          <span className="card-value">{rate(s.storage?.io?.writeBytesPerSec)}</span>
          <span className="card-sub">
            {s.storage?.io?.writeOpsPerSec != null
              ? `${s.storage.io.writeOpsPerSec.toFixed(0)} ops/s`
              : 'rate needs two polls'}
          </span>
        </div>
      </div>
      <div className="panel table-wrap">
        <table className="table" data-testid="fs-table">
          <thead>
            <tr>
              {header('mount', 'Mount')}
              <th scope="col">Device</th>
              <th scope="col">Type</th>
              {header('size', 'Size', true)}
              <th scope="col" className="num">
                Used
              </th>
              {header('available', 'Available', true)}
              {header('usedPct', 'Use')}
              {header('forecast', 'Forecast')}
            </tr>
          </thead>
          <tbody>
            {rows.map((f) => (
              <tr
                key={f.mount}
                className={f.mount === s.selected ? 'selected' : undefined}
                tabIndex={0}
                aria-selected={f.mount === s.selected}
                data-mount={f.mount}
                onClick={() => s.selectMount(f.mount)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault()
                    s.selectMount(f.mount)
                  }
                }}
              >
                <td>
                  <HealthBadge level={f.health.level} compact /> <span className="mono">{f.mount}</span>
                  <AlertMark about={{ host: hostName, filesystem: f.mount }} />
                  {f.readOnly ? <span className="tag">read-only</span> : null}
                </td>
                <td className="mono muted">{f.device}</td>
                <td className="muted">{f.type}</td>
                <td className="num">{bytes(f.size)}</td>
                <td className="num">{bytes(f.used)}</td>
                <td className="num">{bytes(f.available)}</td>
                <td>
                  <span className="use-cell">
                    <span className={`bar level-${f.health.level}`} title={f.health.reasons.join('\n')}>
                      <span style={{ width: `${Math.min(100, f.usedPct)}%` }} />
                    </span>
                    <span className="bar-value">{pct(f.usedPct)}</span>
                  </span>
                </td>
                <td className={f.forecast.state === 'filling' ? 'forecast-filling' : 'muted'}>
                  {forecastText(f, now)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {selectedFs ? (
        <section
          className="panel"
          aria-label={`History of ${selectedFs.mount}`}
          data-testid="fs-history"
          data-state={s.historyState}
        >
          <div className="health-head">
            <h2>
              <span className="mono">{selectedFs.mount}</span> · used over time
            </h2>
            <div className="segmented" role="group" aria-label="Range">
              {STORAGE_RANGES.map((r) => (
                <button key={r.ms} type="button" aria-pressed={s.rangeMs === r.ms} onClick={() => s.setRange(r.ms)}>
                  {r.label}
                </button>
              ))}
            </div>
          </div>
          {selectedFs.health.reasons.length > 0 ? (
            <ul className="reasons">
              {selectedFs.health.reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          ) : null}
          {s.historyState === 'error' ? (
            <p className="state-note error">{s.historyError}</p>
          ) : s.historyState === 'empty' ? (
            <p className="state-note">
              No history for this range yet: samples are kept from the moment Gantry first saw this filesystem.
            </p>
          ) : (
            <Chart
              label={`Use of ${selectedFs.mount} over time`}
              theme={theme}
              yMax={100}
              unit="%"
              yFormat={(v) => `${Math.round(v)} %`}
              xRange={s.history ? [s.history.from, s.history.to] : undefined}
              thresholds={[
                { value: 90, label: 'warning at 90 %', level: 'warning' },
                { value: 95, label: 'critical at 95 %', level: 'critical' },
              ]}
              series={[{ name: 'Used', points: s.history?.points ?? [], color: '#4c9aff' }]}
            />
          )}
          {s.history ? (
            <p className="muted small">
              {s.history.points.length} points · {s.history.source} · bucket {Math.round(s.history.stepMs / 1000)} s
            </p>
          ) : null}
        </section>
      ) : null}
    </Screen>
  )
}
