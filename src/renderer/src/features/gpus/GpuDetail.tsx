// One GPU: health with every reason, history charts (15 min … 7 days), who is using it (user and
// container), clock event reasons, ECC / remapped rows, PCIe, and the MIG layout from `-q -x`.
import { useCallback, useMemo, useState } from 'react'
import { useBridge } from '../../bridge/context'
import { useShallow } from 'zustand/react/shallow'
import type { Gpu, GpuProcess, Series } from '../../../../shared/contract'
import { CLOCK_EVENT_REASONS } from '../../../../shared/gpu'
import { createColumnHelper } from '@tanstack/react-table'
import { DataTable } from '../../ui/DataTable'
import { bytes, duration, stamp, yn } from '../../ui/format'
import { useResolvedTheme } from '../../app/theme'
import { useStore } from '../../store'
import { Chart, type Threshold } from '../../ui/Chart'
import { GPU_SERIES } from '../../../../shared/series'
import { HealthBadge, HealthReasons } from '../../ui/Health'
import { Screen } from '../../ui/Screen'
import { stateText } from './Gpus'
import { GPU_CHARTS, GPU_RANGES } from './slice'

const v = (n: number | string | null | undefined, unit = ''): string =>
  n === null || n === undefined ? '—' : `${n}${unit}`

function Facts({ rows }: { rows: [string, string][] }) {
  return (
    <dl className="facts">{rows.map(([k, val]) => [<dt key={`${k}-t`}>{k}</dt>, <dd key={`${k}-d`}>{val}</dd>])}</dl>
  )
}

const pcol = createColumnHelper<GpuProcess>()
const since = (t: number | null): string => (t === null ? '—' : duration(Math.max(0, (Date.now() - t) / 1000)))
/** nvitop's columns: who, what, how much of the GPU, the CPU and the host's memory, for how long. */
const PROCESS_COLUMNS = [
  pcol.accessor('pid', {
    header: 'PID',
    meta: { width: 80 },
    cell: (c) => <span className="mono">{c.getValue()}</span>,
  }),
  pcol.accessor((p) => p.user ?? '', {
    id: 'user',
    header: 'User',
    meta: { width: 110, title: (p) => p.user ?? p.unknownWhy ?? 'unknown' },
    cell: (c) =>
      c.row.original.user ?? (
        <span className="muted why" title={c.row.original.unknownWhy ?? undefined}>
          unknown (why?)
        </span>
      ),
  }),
  pcol.accessor((p) => p.container ?? '', {
    id: 'container',
    header: 'Container',
    meta: { width: 120, priority: 2 },
    cell: (c) => <span className="mono">{c.getValue() || <span className="muted">—</span>}</span>,
  }),
  pcol.accessor((p) => p.command ?? p.name, {
    id: 'command',
    header: 'Command',
    cell: (c) => <span className="mono small">{c.getValue()}</span>,
  }),
  pcol.accessor((p) => p.usedMemoryMiB ?? -1, {
    id: 'mem',
    header: 'GPU memory',
    meta: { width: 110, num: true },
    cell: (c) => v(c.row.original.usedMemoryMiB, ' MiB'),
  }),
  pcol.accessor((p) => p.smPct ?? -1, {
    id: 'sm',
    header: 'SM',
    meta: {
      width: 70,
      num: true,
      title: (p) => (p.smPct === null ? 'no pmon sample for it' : `${p.smPct} % of the SMs`),
    },
    cell: (c) => (c.row.original.smPct === null ? '—' : `${c.row.original.smPct} %`),
  }),
  pcol.accessor((p) => p.cpuPct ?? -1, {
    id: 'cpu',
    header: 'CPU',
    meta: {
      width: 70,
      num: true,
      priority: 2,
      title: (p) => (p.cpuPct === null ? 'known from the second reading' : `${p.cpuPct.toFixed(1)} % of one core`),
    },
    cell: (c) => (c.row.original.cpuPct === null ? '—' : `${c.row.original.cpuPct.toFixed(0)} %`),
  }),
  pcol.accessor((p) => p.hostMemBytes ?? -1, {
    id: 'rss',
    header: 'Host mem',
    meta: { width: 110, num: true, priority: 2 },
    cell: (c) => bytes(c.row.original.hostMemBytes),
  }),
  pcol.accessor((p) => p.startedAt ?? 0, {
    id: 'runtime',
    header: 'Running for',
    meta: { width: 110, priority: 3, title: (p) => (p.startedAt ? `since ${stamp(p.startedAt)}` : 'unknown') },
    cell: (c) => since(c.row.original.startedAt),
  }),
]

/** One history chart of a GPU page. Its series and lines are memoized on the history and the
 *  limits: the page re-renders with every 1 Hz sample, the chart only when its data moved. */
function HistoryChart({
  spec,
  h,
  gpu,
  slowdownC,
  uuid,
  theme,
}: {
  spec: (typeof GPU_CHARTS)[number]
  h: Series | null | undefined
  gpu: Gpu
  /** The slowdown temperature: the live stream may not carry it, the -q -x detail does. */
  slowdownC: number | null
  uuid: string
  theme: string
}) {
  const slowdown = slowdownC
  const limit = gpu.power.limitW
  const series = useMemo(() => [{ name: spec.label, points: h?.points ?? [], color: '#4c9aff' }], [h, spec.label])
  const range = useMemo(() => (h ? ([h.from, h.to] as const) : undefined), [h])
  const thresholds = useMemo(() => thresholdsOf(spec.key, slowdown, limit), [spec.key, slowdown, limit])
  const format = useCallback((x: number) => `${Math.round(x)} ${spec.unit}`, [spec.unit])
  return (
    <Chart
      label={`${spec.label} of GPU ${gpu.index}`}
      theme={theme}
      height={160}
      group={`gpu-${uuid}`}
      unit={spec.unit}
      yMax={spec.max}
      yFormat={format}
      xRange={range}
      thresholds={thresholds}
      series={series}
    />
  )
}

/** The lines a GPU's own limits draw on its charts: its slowdown temperature, its power limit. */
function thresholdsOf(key: string, slowdownC: number | null, limitW: number | null): Threshold[] {
  if (key === GPU_SERIES.temp.key && slowdownC !== null)
    return [{ value: slowdownC, label: `slowdown ${slowdownC} °C`, level: 'critical' }]
  if (key === GPU_SERIES.power.key && limitW !== null)
    return [{ value: limitW, label: `power limit ${Math.round(limitW)} W`, level: 'warning' }]
  return []
}

export function GpuDetailScreen({ uuid }: { uuid: string }) {
  const hostName = useStore((st) => st.hostName)
  const s = useStore(
    useShallow((st) => ({
      snap: st.gpu,
      rangeMs: st.gpuRangeMs,
      setRange: st.setGpuRange,
      history: st.gpuHistory,
      detail: st.gpuDetail,
      detailState: st.gpuDetailState,
      detailError: st.gpuDetailError,
    })),
  )
  const theme = useResolvedTheme()
  const gpu: Gpu | undefined = s.snap?.gpus.find((g) => g.uuid === uuid)
  const detailGpu = s.detail?.gpus.find((g) => g.uuid === uuid)
  const health = s.snap?.health.find((h) => h.uuid === uuid)?.health ?? { level: 'unknown' as const, reasons: [] }
  const procs = s.snap?.processes.filter((p) => p.gpuUuid === uuid) ?? []
  const state = !s.snap ? 'loading' : gpu ? 'ready' : 'empty'
  const note = s.snap ? stateText(s.snap) : null
  const mig = detailGpu?.mig ?? gpu?.mig

  return (
    <Screen
      id="gpu-detail"
      title={`${gpu ? `GPU ${gpu.index} · ${gpu.name}` : 'GPU'}${hostName === 'local' ? '' : ` · ${hostName}`}`}
      state={state}
      updatedAt={s.snap?.at ?? null}
      emptyText={`No GPU with uuid ${uuid} on this host.`}
      actions={<a href="#/gpus">← All GPUs</a>}
    >
      {gpu ? (
        <>
          <p className="subtitle mono">
            {gpu.uuid} · {gpu.busId ?? 'bus unknown'} · driver {gpu.driverVersion ?? '—'}
          </p>
          {note ? <p className="state-note warn">{note}</p> : null}
          <section className={`panel health-panel level-${health.level}`} data-testid="gpu-health">
            <div className="health-head">
              <h2>Diagnosis</h2>
              <HealthBadge level={health.level} />
            </div>
            <HealthReasons health={health} okText="No thermal, power, ECC, remap, PCIe or XID findings." />
            {health.reasons.some((r) => r.includes('latched until acknowledged')) ? (
              <AckXid host={hostName} uuid={uuid} />
            ) : null}
          </section>

          <section className="panel" data-testid="gpu-history">
            <div className="health-head">
              <h2>History</h2>
              <div className="segmented" role="group" aria-label="Range">
                {GPU_RANGES.map((r) => (
                  <button key={r.ms} type="button" aria-pressed={s.rangeMs === r.ms} onClick={() => s.setRange(r.ms)}>
                    {r.label}
                  </button>
                ))}
              </div>
            </div>
            <div className="chart-grid">
              {GPU_CHARTS.map((series) => {
                const h = s.history[`${series.key}:${uuid}`]
                return (
                  <div key={series.key}>
                    <h3 className="chart-title">{series.label}</h3>
                    <HistoryChart
                      spec={series}
                      h={h}
                      gpu={gpu}
                      slowdownC={detailGpu?.temperature.slowdownC ?? gpu.temperature.slowdownC}
                      uuid={uuid}
                      theme={theme}
                    />
                  </div>
                )
              })}
            </div>
          </section>

          <section className="panel table-wrap" data-testid="gpu-processes">
            <h2 className="pad">Processes</h2>
            {procs.length === 0 ? (
              <p className="muted pad">
                {s.snap?.processesAt ? 'No compute processes on this GPU.' : 'Process list not read yet.'}
              </p>
            ) : (
              <DataTable
                label={`Processes on GPU ${gpu.index}`}
                data={procs}
                columns={PROCESS_COLUMNS}
                rowKey={(p) => String(p.pid)}
                rowAttrs={(p) => ({ 'data-pid': String(p.pid) })}
                initialSort={[{ id: 'mem', desc: true }]}
                filterPlaceholder="Filter processes"
              />
            )}
          </section>

          <div className="two-col">
            <section className="panel">
              <h2>Clocks and power</h2>
              <Facts
                rows={[
                  [
                    'Clock event reasons',
                    gpu.clockEventReasons === null
                      ? 'unknown'
                      : gpu.clockEventReasons
                          .map((r) => CLOCK_EVENT_REASONS[r]?.title ?? r.replace(/_/g, ' '))
                          .join('; ') || 'none',
                  ],
                  ['SM clock', `${v(gpu.clocks.smMHz, ' MHz')} (max ${v(gpu.clocks.maxSmMHz, ' MHz')})`],
                  ['Memory clock', v(gpu.clocks.memoryMHz, ' MHz')],
                  ['Power', `${v(gpu.power.drawW, ' W')} of ${v(gpu.power.limitW, ' W')}`],
                  [
                    'Temperature',
                    `${v(gpu.temperature.gpuC, ' °C')} (memory ${v(gpu.temperature.memoryC, ' °C')}, slowdown ${v(detailGpu?.temperature.slowdownC, ' °C')})`,
                  ],
                  ['Performance state', v(gpu.pstate)],
                ]}
              />
            </section>
            <section className="panel">
              <h2>Memory errors and link</h2>
              <Facts
                rows={[
                  ['ECC mode', v(gpu.ecc.mode)],
                  ['ECC uncorrected (volatile)', v(gpu.ecc.uncorrectedVolatile)],
                  ['ECC corrected (volatile)', v(gpu.ecc.correctedVolatile)],
                  [
                    'Retired pages (SBE / DBE)',
                    `${v(gpu.retiredPages.singleBit)} / ${v(gpu.retiredPages.doubleBit)}, pending ${yn(gpu.retiredPages.pending)}`,
                  ],
                  [
                    'Remapped rows',
                    `${v(gpu.remappedRows.correctable)} corr / ${v(gpu.remappedRows.uncorrectable)} unc, pending ${yn(gpu.remappedRows.pending)}, failure ${yn(gpu.remappedRows.failure)}`,
                  ],
                  [
                    'PCIe',
                    `Gen${v(gpu.pcie.genCurrent)} x${v(gpu.pcie.widthCurrent)} (max Gen${v(gpu.pcie.genMax)} x${v(gpu.pcie.widthMax)})`,
                  ],
                ]}
              />
            </section>
          </div>

          <section className="panel" data-testid="gpu-mig" data-state={s.detailState}>
            <h2>MIG and full detail</h2>
            <p className="muted">
              MIG mode: {v(mig?.mode)}
              {s.detailState === 'loading' ? ' · reading nvidia-smi -q -x…' : ''}
              {s.detailState === 'error' ? ` · full detail unavailable: ${s.detailError}` : ''}
              {s.detail ? ` · -q -x read, schema ${s.detail.schema}` : ''}
            </p>
            {mig && mig.devices.length > 0 ? (
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Instance</th>
                    <th scope="col">GI / CI</th>
                    <th scope="col">SMs</th>
                    <th scope="col" className="num">
                      Memory
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {mig.devices.map((d, i) => (
                    <tr key={d.uuid ?? i}>
                      <td>{d.profile ?? `MIG ${d.index ?? i}`}</td>
                      <td>
                        {v(d.gpuInstanceId)} / {v(d.computeInstanceId)}
                      </td>
                      <td>{v(d.smCount)}</td>
                      <td className="num">
                        {v(d.memoryUsedMiB, ' MiB')} of {v(d.memoryTotalMiB, ' MiB')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
            {Object.keys(gpu.unavailable).length > 0 ? (
              <p className="muted small">
                Not reported by this driver:{' '}
                {Object.entries(gpu.unavailable)
                  .map(([k, why]) => `${k} (${why})`)
                  .join(', ')}
              </p>
            ) : null}
          </section>
        </>
      ) : null}
    </Screen>
  )
}

/** dcgm-exporter keeps only the last XID: Gantry latches each one until someone says it was handled. */
function AckXid({ host, uuid }: { host: string; uuid: string }) {
  const { bridge } = useBridge()
  const [note, setNote] = useState('')
  const [msg, setMsg] = useState<string | null>(null)
  async function ack(e: React.FormEvent): Promise<void> {
    e.preventDefault()
    const r = await bridge.call('prometheus.ackXid', { host, uuid, ...(note.trim() ? { note: note.trim() } : {}) })
    setMsg(r.ok ? `Acknowledged (${r.data.acknowledged}).` : r.error.message)
  }
  return (
    <form className="toolbar pad-y" onSubmit={ack} data-testid="ack-xid">
      <input
        value={note}
        onChange={(e) => setNote(e.target.value)}
        placeholder="what was done (reset, RMA…)"
        aria-label="Note"
      />
      <button type="submit">Acknowledge XID</button>
      {msg ? <span className="small muted">{msg}</span> : null}
    </form>
  )
}
