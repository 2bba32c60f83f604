// One GPU: health with every reason, history charts (15 min … 7 days), who is using it (user and
// container), clock event reasons, ECC / remapped rows, PCIe, and the MIG layout from `-q -x`.
import { useState } from 'react'
import { useBridge } from '../../bridge/context'
import { useShallow } from 'zustand/react/shallow'
import type { Gpu } from '../../../../shared/contract'
import { useResolvedTheme } from '../../app/theme'
import { useStore } from '../../store'
import { Chart } from '../../ui/Chart'
import { HealthBadge, HealthReasons } from '../../ui/Health'
import { Screen } from '../../ui/Screen'
import { stateText } from './Gpus'
import { GPU_CHARTS, GPU_RANGES } from './slice'

const v = (n: number | string | null | undefined, unit = ''): string =>
  n === null || n === undefined ? '—' : `${n}${unit}`
const yn = (b: boolean | null): string => (b === null ? '—' : b ? 'yes' : 'no')

function Facts({ rows }: { rows: [string, string][] }) {
  return (
    <dl className="facts">{rows.map(([k, val]) => [<dt key={`${k}-t`}>{k}</dt>, <dd key={`${k}-d`}>{val}</dd>])}</dl>
  )
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
                    <Chart
                      label={`${series.label} of GPU ${gpu.index}`}
                      theme={theme}
                      height={160}
                      yMax={series.max}
                      yFormat={(x) => `${Math.round(x)} ${series.unit}`}
                      xRange={h ? [h.from, h.to] : undefined}
                      series={[{ name: series.label, points: h?.points ?? [], color: '#4c9aff' }]}
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
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">PID</th>
                    <th scope="col">User</th>
                    <th scope="col">Container</th>
                    <th scope="col">Process</th>
                    <th scope="col" className="num">
                      GPU memory
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {procs.map((p) => (
                    <tr key={p.pid}>
                      <td className="mono">{p.pid}</td>
                      <td>{p.user ?? <span className="muted">unknown</span>}</td>
                      <td className="mono">{p.container ?? <span className="muted">—</span>}</td>
                      <td className="mono">{p.name}</td>
                      <td className="num">{v(p.usedMemoryMiB, ' MiB')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>

          <div className="two-col">
            <section className="panel">
              <h2>Clocks and power</h2>
              <Facts
                rows={[
                  [
                    'Clock event reasons',
                    gpu.clockEventReasons === null ? 'unknown' : gpu.clockEventReasons.join(', ') || 'none',
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
