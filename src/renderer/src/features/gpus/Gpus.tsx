// GPUs: one tile per GPU (utilization, memory, temperature, power against its limit, health with
// the reason). Tiles are plain DOM with no chart each, so 64 GPUs updating at 1 Hz stay cheap; a
// host of hundreds renders only the rows of tiles in view.
import { useVirtualizer } from '@tanstack/react-virtual'
import { memo, useLayoutEffect, useRef, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { Gpu, GpuSnapshot, Health } from '../../../../shared/contract'
import { hostHref } from '../../app/slice'
import { useStore } from '../../store'
import { HealthBadge, LEVEL_RANK } from '../../ui/Health'
import { Sparkline } from '../../ui/Sparkline'
import { DataTable } from '../../ui/DataTable'
import { createColumnHelper } from '@tanstack/react-table'
import { Screen } from '../../ui/Screen'
import { AlertMark } from '../alerts/AlertMark'

const mib = (n: number | null): string => (n === null ? '—' : n >= 1024 ? `${(n / 1024).toFixed(1)} GiB` : `${n} MiB`)
const num = (n: number | null, unit: string, d = 0): string => (n === null ? '—' : `${n.toFixed(d)} ${unit}`)
/** "30.9 / 31.7 GiB": one unit for both, so the pair fits a tile. */
function pair(used: number | null, total: number | null): string {
  if (total === null) return mib(used)
  const gib = total >= 1024
  const f = (x: number | null): string => (x === null ? '—' : gib ? (x / 1024).toFixed(1) : String(x))
  return `${f(used)} / ${f(total)} ${gib ? 'GiB' : 'MiB'}`
}
const pctOf = (a: number | null, b: number | null): number | null => (a === null || !b ? null : (a / b) * 100)

export function stateText(s: GpuSnapshot): string | null {
  switch (s.state) {
    case 'ok':
      return null
    case 'starting':
      return 'Starting the nvidia-smi stream…'
    case 'off':
      return 'GPU telemetry is switched off (GANTRY_GPU_INTERVAL_MS=0).'
    default:
      return s.reason
  }
}

// Meters are neutral: a busy GPU or a full framebuffer (frameworks preallocate) is not a fault.
// Health is the badge and the tile's edge, decided by the diagnosis.
function Meter({ label, value, text, title }: { label: string; value: number | null; text: string; title?: string }) {
  return (
    <div className="meter" title={title}>
      <span className="meter-label">{label}</span>
      <span className={`bar ${value === null ? 'level-unknown' : 'neutral'}`}>
        <span style={{ width: `${value === null ? 0 : Math.min(100, value)}%` }} />
      </span>
      <span className="meter-value">{text}</span>
    </div>
  )
}

const GpuTile = memo(function GpuTile({
  gpu,
  health,
  host,
  trend,
  procs,
}: {
  gpu: Gpu
  health: Health | undefined
  host: string
  trend: readonly [number, number | null][] | undefined
  procs: number | null
}) {
  const h = health ?? { level: 'unknown' as const, reasons: [] }
  const utilWhy = gpu.utilization.gpuPct === null ? gpu.unavailable['utilization.gpu'] : undefined
  return (
    <a
      className={`tile level-${h.level}`}
      href={hostHref(host, 'gpus', gpu.uuid)}
      data-gpu={gpu.uuid}
      data-health={h.level}
    >
      <div className="tile-head">
        <span className="tile-title">
          <strong>GPU {gpu.index}</strong> <span className="muted">{gpu.name}</span>
        </span>
        <AlertMark about={{ gpu: gpu.uuid }} inside />
        <HealthBadge level={h.level} compact />
      </div>
      <p className="tile-reason">{h.reasons[0] ?? (gpu.mig.mode === 'Enabled' ? 'MIG enabled' : 'healthy')}</p>
      <Meter
        label="Util"
        value={gpu.utilization.gpuPct}
        text={gpu.utilization.gpuPct === null ? `n/a${utilWhy ? ` (${utilWhy})` : ''}` : `${gpu.utilization.gpuPct} %`}
      />
      <Meter
        label="Mem"
        value={pctOf(gpu.memory.usedMiB, gpu.memory.totalMiB)}
        text={pair(gpu.memory.usedMiB, gpu.memory.totalMiB)}
        title={`${mib(gpu.memory.usedMiB)} of ${mib(gpu.memory.totalMiB)}`}
      />
      <Meter
        label="Power"
        value={pctOf(gpu.power.drawW, gpu.power.limitW)}
        text={`${gpu.power.drawW === null ? '—' : gpu.power.drawW.toFixed(0)} / ${num(gpu.power.limitW, 'W')}`}
      />
      <div className="tile-trend">
        <Sparkline
          points={trend ?? []}
          width={150}
          height={18}
          label={`GPU ${gpu.index} utilization`}
          format={(v) => `${Math.round(v)} %`}
        />
        <span className="muted small" data-testid="tile-procs">
          {procs === null ? 'processes not read yet' : `${procs} process${procs === 1 ? '' : 'es'}`}
        </span>
      </div>
      <div className="tile-foot muted">
        <span>{num(gpu.temperature.gpuC, '°C')}</span>
        <span>{gpu.pstate ?? ''}</span>
        <span>{gpu.fanPct === null ? '' : `fan ${gpu.fanPct} %`}</span>
      </div>
    </a>
  )
})

export function Gpus() {
  const hostName = useStore((st) => st.hostName)
  const { gpu, state, error, trend } = useStore(
    useShallow((s) => ({ gpu: s.gpu, state: s.gpuState, error: s.gpuError, trend: s.gpuTrend })),
  )
  const [view, setView] = useState<'tiles' | 'list'>(() =>
    localStorage.getItem('gantry-gpu-view') === 'list' ? 'list' : 'tiles',
  )
  const choose = (v: 'tiles' | 'list'): void => {
    localStorage.setItem('gantry-gpu-view', v)
    setView(v)
  }
  const procs = processCounts(gpu)
  const health = new Map(gpu?.health.map((h) => [h.uuid, h.health]))
  const note = gpu ? stateText(gpu) : null
  const screenState =
    state === 'error'
      ? 'error'
      : !gpu || gpu.state === 'starting'
        ? 'loading'
        : gpu.gpus.length === 0
          ? 'empty'
          : 'ready'
  const counts = { ok: 0, warning: 0, critical: 0, unknown: 0 }
  for (const h of health.values()) counts[h.level]++
  return (
    <Screen
      id="gpus"
      title={hostName === 'local' ? 'GPUs' : `GPUs · ${hostName}`}
      state={screenState}
      updatedAt={gpu?.at ?? null}
      error={error}
      emptyText={note ?? 'This host reports no GPUs.'}
    >
      {gpu && note ? (
        <p className="state-note warn" role="status" data-testid="gpu-state">
          {note} — showing the last values received.
        </p>
      ) : null}
      {gpu ? (
        <p className="subtitle" data-testid="gpu-summary">
          {gpu.gpus.length} GPU{gpu.gpus.length === 1 ? '' : 's'} · driver {gpu.driverVersion ?? 'unknown'} ·{' '}
          {counts.critical} critical · {counts.warning} warning · {counts.ok} healthy
          {gpu.xids === null ? ' · kernel log not readable (XIDs unknown)' : ''}
        </p>
      ) : null}
      {gpu && gpu.gpus.length ? (
        <div className="segmented" role="group" aria-label="View">
          <button type="button" aria-pressed={view === 'tiles'} onClick={() => choose('tiles')}>
            Tiles
          </button>
          <button type="button" aria-pressed={view === 'list'} onClick={() => choose('list')}>
            List
          </button>
        </div>
      ) : null}
      {gpu && view === 'list' ? (
        <section className="panel table-wrap">
          <GpuList gpus={gpu.gpus} health={health} host={hostName} procs={procs} />
        </section>
      ) : gpu && gpu.gpus.length > VIRTUAL_FROM ? (
        <VirtualTiles gpus={gpu.gpus} health={health} host={hostName} trend={trend} procs={procs} />
      ) : (
        <div className="tiles" data-testid="gpu-tiles">
          {gpu?.gpus.map((g) => (
            <GpuTile
              key={g.uuid}
              gpu={g}
              health={health.get(g.uuid)}
              host={hostName}
              trend={trend[g.uuid]}
              procs={procs.get(g.uuid) ?? (gpu.processesAt === null ? null : 0)}
            />
          ))}
        </div>
      )}
    </Screen>
  )
}

/** Above this many GPUs only the rows of tiles in view are rendered (a fleet host of 512 GPUs). */
const VIRTUAL_FROM = 96
const TILE_MIN_PX = 250
const GAP_PX = 12

function VirtualTiles({
  gpus,
  health,
  host,
  trend,
  procs,
}: {
  gpus: Gpu[]
  health: Map<string, Health>
  host: string
  trend: Record<string, [number, number | null][]>
  procs: Map<string, number>
}) {
  const ref = useRef<HTMLDivElement>(null)
  const [width, setWidth] = useState(1000)
  const [margin, setMargin] = useState(0)
  useLayoutEffect(() => {
    const el = ref.current
    const main = el?.closest('main')
    if (!el || !main) return
    const measure = (): void => {
      setWidth(el.clientWidth)
      setMargin(el.getBoundingClientRect().top - main.getBoundingClientRect().top + main.scrollTop)
    }
    measure()
    const ro = new ResizeObserver(measure)
    ro.observe(el)
    return () => ro.disconnect()
  }, [])
  const cols = Math.max(1, Math.floor((width + GAP_PX) / (TILE_MIN_PX + GAP_PX)))
  const rows = Math.ceil(gpus.length / cols)
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read on each render, never memoized
  const v = useVirtualizer({
    count: rows,
    getScrollElement: () => ref.current?.closest('main') ?? null,
    estimateSize: () => 200,
    overscan: 3,
    scrollMargin: margin,
  })
  const items = v.getVirtualItems()
  const top = items.length ? items[0].start - margin : 0
  const bottom = items.length ? v.getTotalSize() - (items[items.length - 1].end - margin) : 0
  return (
    <div ref={ref} data-testid="gpu-tiles" style={{ paddingTop: top, paddingBottom: bottom }}>
      {items.map((row) => (
        <div
          key={row.index}
          ref={v.measureElement}
          data-index={row.index}
          className="tiles"
          style={{ gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))`, paddingBottom: GAP_PX }}
        >
          {gpus.slice(row.index * cols, row.index * cols + cols).map((g) => (
            <GpuTile
              key={g.uuid}
              gpu={g}
              health={health.get(g.uuid)}
              host={host}
              trend={trend[g.uuid]}
              procs={procs.get(g.uuid) ?? 0}
            />
          ))}
        </div>
      ))}
    </div>
  )
}

/** Compute processes per GPU uuid from the snapshot's last process reading. */
function processCounts(gpu: GpuSnapshot | null): Map<string, number> {
  const out = new Map<string, number>()
  for (const p of gpu?.processes ?? []) if (p.gpuUuid) out.set(p.gpuUuid, (out.get(p.gpuUuid) ?? 0) + 1)
  return out
}

type Row = { gpu: Gpu; health: Health; procs: number; host: string }
const gcol = createColumnHelper<Row>()
const LIST_COLUMNS = [
  gcol.accessor((r) => r.gpu.index, {
    id: 'gpu',
    header: 'GPU',
    meta: { width: 70, num: true },
    cell: (c) => <span className="mono">{c.getValue()}</span>,
  }),
  gcol.accessor((r) => LEVEL_RANK[r.health.level], {
    id: 'health',
    header: 'Health',
    meta: { title: (r) => r.health.reasons.join('\n') || 'healthy' },
    cell: (c) => (
      <>
        <HealthBadge
          level={c.row.original.health.level}
          compact
          label={`GPU ${c.row.original.gpu.index}: ${c.row.original.health.level}`}
        />{' '}
        <a href={hostHref(c.row.original.host, 'gpus', c.row.original.gpu.uuid)} className="small">
          {c.row.original.health.reasons[0] ?? 'healthy'}
        </a>
      </>
    ),
  }),
  gcol.accessor((r) => r.gpu.name, { id: 'name', header: 'Model', meta: { width: 200, priority: 3 } }),
  gcol.accessor((r) => r.gpu.utilization.gpuPct ?? -1, {
    id: 'util',
    header: 'Util',
    meta: { width: 70, num: true },
    cell: (c) => num(c.row.original.gpu.utilization.gpuPct, '%'),
  }),
  gcol.accessor((r) => pctOf(r.gpu.memory.usedMiB, r.gpu.memory.totalMiB) ?? -1, {
    id: 'mem',
    header: 'Memory',
    meta: { width: 140, num: true },
    cell: (c) => pair(c.row.original.gpu.memory.usedMiB, c.row.original.gpu.memory.totalMiB),
  }),
  gcol.accessor((r) => r.gpu.temperature.gpuC ?? -1, {
    id: 'temp',
    header: 'Temp',
    meta: { width: 70, num: true },
    cell: (c) => num(c.row.original.gpu.temperature.gpuC, '°C'),
  }),
  gcol.accessor((r) => r.gpu.power.drawW ?? -1, {
    id: 'power',
    header: 'Power',
    meta: { width: 110, num: true, priority: 2 },
    cell: (c) =>
      `${c.row.original.gpu.power.drawW === null ? '—' : c.row.original.gpu.power.drawW.toFixed(0)} / ${num(c.row.original.gpu.power.limitW, 'W')}`,
  }),
  gcol.accessor('procs', { header: 'Procs', meta: { width: 70, num: true, priority: 2 } }),
]

/** Many GPUs at once: one dense row each, sortable (worst first), filterable, j/k and Enter. */
function GpuList({
  gpus,
  health,
  host,
  procs,
}: {
  gpus: Gpu[]
  health: Map<string, Health>
  host: string
  procs: Map<string, number>
}) {
  const rows = gpus.map((g) => ({
    gpu: g,
    health: health.get(g.uuid) ?? { level: 'unknown' as const, reasons: [] },
    procs: procs.get(g.uuid) ?? 0,
    host,
  }))
  return (
    <DataTable
      label="GPUs"
      testId="gpu-list"
      data={rows}
      columns={LIST_COLUMNS}
      rowKey={(r) => r.gpu.uuid}
      rowAttrs={(r) => ({ 'data-gpu': r.gpu.uuid, 'data-health': r.health.level })}
      onOpen={(r) => (window.location.hash = hostHref(host, 'gpus', r.gpu.uuid))}
      filterPlaceholder="Filter GPUs"
      initialSort={[{ id: 'health', desc: true }]}
      maxHeight={640}
    />
  )
}
