// A tiny inline trend line for table cells: plain SVG (one path), so a table of endpoints can
// carry one per row without a chart instance each. Gaps (null) break the line; no data says so.
import { clock } from './format'

export function Sparkline({
  points,
  width = 96,
  height = 22,
  label,
  format = (v: number) => v.toFixed(2),
}: {
  points: readonly (readonly [number, number | null])[]
  width?: number
  height?: number
  label: string
  /** How a value reads (its unit): the last value is printed beside the line, the range on hover. */
  format?: (v: number) => string
}) {
  const vals = points.map((p) => p[1]).filter((v): v is number => v !== null && Number.isFinite(v))
  if (points.length < 2 || vals.length < 2) {
    return (
      <span className="muted small" aria-label={`${label}: not enough history yet`}>
        —
      </span>
    )
  }
  const t0 = points[0][0]
  const t1 = points[points.length - 1][0]
  const lo = Math.min(...vals)
  const hi = Math.max(...vals)
  const x = (t: number): number => (t1 === t0 ? 0 : ((t - t0) / (t1 - t0)) * (width - 2) + 1)
  const y = (v: number): number => (hi === lo ? height / 2 : height - 1 - ((v - lo) / (hi - lo)) * (height - 2))
  let d = ''
  let pen = false
  for (const [t, v] of points) {
    if (v === null || !Number.isFinite(v)) {
      pen = false
      continue
    }
    d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`
    pen = true
  }
  const last = vals[vals.length - 1]
  const words = `${label}: now ${format(last)}; ${format(lo)} to ${format(hi)} since ${clock(t0)}`
  return (
    <span className="spark" title={words}>
      <svg className="sparkline" width={width} height={height} role="img" aria-label={words}>
        <line x1="0" x2={width} y1={height - 0.5} y2={height - 0.5} className="spark-axis" />
        <path d={d} fill="none" stroke="currentColor" strokeWidth="1.5" />
      </svg>
      <span className="small spark-value">{format(last)}</span>
    </span>
  )
}
