// A tiny inline trend line for table cells: plain SVG (one path), so a table of endpoints can
// carry one per row without a chart instance each. Gaps (null) break the line; no data says so.
export function Sparkline({
  points,
  width = 96,
  height = 22,
  label,
}: {
  points: readonly (readonly [number, number | null])[]
  width?: number
  height?: number
  label: string
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
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      role="img"
      aria-label={`${label}: ${lo.toFixed(2)} to ${hi.toFixed(2)}`}
    >
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  )
}
