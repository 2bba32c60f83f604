// A line chart through echarts/core with only the parts used (tree-shaken). Receives
// already-downsampled series; colours come from the theme's CSS variables. Readable: axes with
// units, a hover tooltip with a crosshair shared by the charts of one `group` (a page's charts
// move together), threshold lines (a GPU's slowdown temperature, its power limit, a filesystem's
// 90 %), drag on the chart to zoom into a span (double-click or "reset zoom" to go back). The
// chart is built once per theme; new samples only replace the series' data (no rebuild).
import { LineChart } from 'echarts/charts'
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  ToolboxComponent,
  TooltipComponent,
} from 'echarts/components'
import * as echarts from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'
import { useEffect, useRef, useState } from 'react'
import { clock, when } from './format'

echarts.use([
  LineChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  MarkLineComponent,
  DataZoomComponent,
  ToolboxComponent,
  CanvasRenderer,
])

/** The live charts of each group (a page's charts), for the shared hover. */
const GROUPS = new Map<string, Set<echarts.ECharts>>()
let syncing = false

export interface ChartSeries {
  name: string
  points: readonly (readonly [number, number, ...number[]])[]
  color?: string
}

export interface Threshold {
  value: number
  label: string
  level?: 'warning' | 'critical'
}

/** The next round number at or above x (an axis top that falls on a tick: 95 → 100, 262 → 300). */
function niceCeil(x: number): number {
  if (!(x > 0)) return 1
  const step = 10 ** Math.floor(Math.log10(x))
  return Math.ceil(x / step) * step
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim()
}

export function Chart(props: {
  series: ChartSeries[]
  yMax?: number
  yFormat?: (v: number) => string
  /** The value axis' unit, named on the axis ("°C", "W", "%"). */
  unit?: string
  height?: number
  /** Pin the time axis to the requested range so sparse history shows where it starts. */
  xRange?: readonly [number, number]
  /** Lines a value should stay on one side of, each named. */
  thresholds?: readonly Threshold[]
  /** Charts of one group share their tooltip and crosshair (and zoom), e.g. a GPU page's. */
  group?: string
  label: string
  theme: string
}) {
  const el = useRef<HTMLDivElement>(null)
  const chart = useRef<echarts.ECharts | null>(null)
  const [zoomed, setZoomed] = useState(false)
  const fmtRef = useRef(props.yFormat)
  useEffect(() => {
    fmtRef.current = props.yFormat
  }, [props.yFormat])

  useEffect(() => {
    if (!el.current) return
    const c = echarts.init(el.current, undefined, { renderer: 'canvas' })
    chart.current = c
    const ro = new ResizeObserver(() => c.resize())
    ro.observe(el.current)
    c.on('datazoom', () => {
      const z = (c.getOption() as { dataZoom?: { start?: number; end?: number }[] }).dataZoom?.[0]
      setZoomed(!!z && ((z.start ?? 0) > 0 || (z.end ?? 100) < 100))
    })
    return () => {
      ro.disconnect()
      c.dispose()
      chart.current = null
    }
  }, [])

  // A group's charts show the hovered time together. Done by hand (not echarts.connect, which
  // also re-syncs every chart's zoom on each data update: long tasks on a live page).
  useEffect(() => {
    const c = chart.current
    const g = props.group
    if (!c || !g) return
    const members = GROUPS.get(g) ?? new Set<echarts.ECharts>()
    GROUPS.set(g, members)
    members.add(c)
    const onPointer = (e: unknown): void => {
      if (syncing) return
      const x = (e as { axesInfo?: { axisDim: string; value: number }[] }).axesInfo?.find(
        (a) => a.axisDim === 'x',
      )?.value
      if (x === undefined) return
      syncing = true
      try {
        for (const other of members) {
          if (other === c || other.isDisposed()) continue
          const px = other.convertToPixel({ xAxisIndex: 0 }, x) as number
          if (Number.isFinite(px)) other.dispatchAction({ type: 'showTip', x: px, y: other.getHeight() / 2 })
        }
      } finally {
        syncing = false
      }
    }
    const onOut = (): void => {
      for (const other of members) if (other !== c && !other.isDisposed()) other.dispatchAction({ type: 'hideTip' })
    }
    c.on('updateAxisPointer', onPointer)
    c.getZr().on('globalout', onOut)
    return () => {
      members.delete(c)
      if (!c.isDisposed()) {
        c.off('updateAxisPointer', onPointer)
        c.getZr().off('globalout', onOut)
      }
    }
  }, [props.group])

  // The frame: axes, tooltip, zoom, thresholds. Rebuilt only when these change (theme, range, unit).
  const thresholdsKey = JSON.stringify(props.thresholds ?? [])
  useEffect(() => {
    const c = chart.current
    if (!c) return
    const text = cssVar('--text-muted')
    const grid = cssVar('--border')
    const warn = cssVar('--warning')
    const crit = cssVar('--critical')
    const fmt = (v: number): string => (fmtRef.current ?? String)(v)
    const lines = (JSON.parse(thresholdsKey) as Threshold[]).map((t) => ({
      yAxis: t.value,
      name: t.label,
      label: { formatter: t.label, color: t.level === 'critical' ? crit : warn, position: 'insideStartTop' },
      lineStyle: { color: t.level === 'critical' ? crit : warn, type: 'dashed', width: 1 },
    }))
    c.setOption(
      {
        animation: false,
        grid: { left: 60, right: 16, top: 28, bottom: 30 },
        legend: { show: props.series.length > 1, top: 0, textStyle: { color: text } },
        tooltip: {
          trigger: 'axis',
          axisPointer: { type: 'cross', label: { show: false } },
          formatter: (params: unknown) => {
            const ps = params as { axisValue: number; seriesName: string; value: [number, number]; color: string }[]
            if (!ps.length) return ''
            const rows = ps
              .map((p) => `<span style="color:${p.color}">●</span> ${p.seriesName}: <b>${fmt(p.value[1])}</b>`)
              .join('<br/>')
            return `${when(ps[0].axisValue)}<br/>${rows}`
          },
        },
        toolbox: {
          show: true,
          right: 8,
          top: 0,
          itemSize: 12,
          iconStyle: { borderColor: text },
          feature: { dataZoom: { yAxisIndex: 'none', title: { zoom: 'drag to zoom', back: 'reset zoom' } } },
        },
        dataZoom: [{ type: 'inside', xAxisIndex: 0, filterMode: 'none', zoomOnMouseWheel: 'shift' }],
        xAxis: {
          type: 'time',
          axisLabel: { color: text, formatter: (v: number) => clock(v).slice(0, 5) },
          axisLine: { lineStyle: { color: grid } },
          splitLine: { show: false },
        },
        yAxis: {
          type: 'value',
          min: 0,
          // A threshold above the data still shows: the axis reaches past it.
          max:
            props.yMax ??
            (lines.length
              ? (v: { max: number }) => niceCeil(Math.max(v.max, ...lines.map((l) => l.yAxis * 1.05)))
              : undefined),
          name: props.unit,
          nameTextStyle: { color: text, align: 'right' },
          axisLabel: { color: text, formatter: fmt },
          splitLine: { lineStyle: { color: grid } },
        },
        series: props.series.map((s, i) => ({
          id: `s${i}`,
          name: s.name,
          type: 'line',
          sampling: 'lttb',
          lineStyle: { width: 1.5 },
          color: s.color,
          markLine: i === 0 && lines.length ? { symbol: 'none', silent: true, data: lines } : undefined,
        })),
      },
      { notMerge: true },
    )
    // Dragging across the plot selects a span to zoom into (no toolbox click first).
    c.dispatchAction({ type: 'takeGlobalCursor', key: 'dataZoomSelect', dataZoomSelectActive: true })
    // The series count is part of the frame; its data follows below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.theme, props.yMax, props.unit, props.series.length, thresholdsKey])

  // New samples: only the data moves (merged into the frame, drawn on the next frame).
  useEffect(() => {
    const c = chart.current
    if (!c) return
    c.setOption(
      {
        xAxis: { min: props.xRange?.[0], max: props.xRange?.[1] },
        series: props.series.map((s, i) => ({
          id: `s${i}`,
          showSymbol: s.points.length < 30, // a few points would be invisible as a bare line
          data: s.points.map((p) => [p[0], p[1]]),
        })),
      },
      { lazyUpdate: true },
    )
  }, [props.series, props.theme, props.xRange, props.yMax, props.unit, thresholdsKey])

  return (
    <div className="chart-wrap">
      <div
        ref={el}
        className="chart"
        role="img"
        aria-label={props.label}
        style={{ height: props.height ?? 220 }}
        onDoubleClick={() => chart.current?.dispatchAction({ type: 'dataZoom', start: 0, end: 100 })}
      />
      {zoomed ? (
        <button
          type="button"
          className="link-button small chart-reset"
          onClick={() => chart.current?.dispatchAction({ type: 'dataZoom', start: 0, end: 100 })}
        >
          reset zoom
        </button>
      ) : null}
    </div>
  )
}
