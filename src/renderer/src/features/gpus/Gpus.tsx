// GPUs: one tile per GPU (utilization, memory, temperature, power against its limit, health with
// the reason). Tiles are plain DOM with no chart each, so 64 GPUs updating at 1 Hz stay cheap; a
// host of hundreds renders only the rows of tiles in view.
import { useVirtualizer } from '@tanstack/react-virtual'
import { memo, useLayoutEffect, useRef, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { Gpu, GpuSnapshot, Health } from '../../../../shared/contract'
import { hostHref } from '../../app/slice'
import { useStore } from '../../store'
import { HealthBadge } from '../../ui/Health'
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

const GpuTile = memo(function GpuTile({ gpu, health, host }: { gpu: Gpu; health: Health | undefined; host: string }) {
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
  const { gpu, state, error } = useStore(useShallow((s) => ({ gpu: s.gpu, state: s.gpuState, error: s.gpuError })))
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
      {gpu && gpu.gpus.length > VIRTUAL_FROM ? (
        <VirtualTiles gpus={gpu.gpus} health={health} host={hostName} />
      ) : (
        <div className="tiles" data-testid="gpu-tiles">
          {gpu?.gpus.map((g) => (
            <GpuTile key={g.uuid} gpu={g} health={health.get(g.uuid)} host={hostName} />
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

function VirtualTiles({ gpus, health, host }: { gpus: Gpu[]; health: Map<string, Health>; host: string }) {
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
            <GpuTile key={g.uuid} gpu={g} health={health.get(g.uuid)} host={host} />
          ))}
        </div>
      ))}
    </div>
  )
}
