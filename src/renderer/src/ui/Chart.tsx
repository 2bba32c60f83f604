// A line chart through echarts/core with only the parts used (tree-shaken). Receives
// already-downsampled series; colours come from the theme's CSS variables.
import { LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import * as echarts from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'
import { useEffect, useRef } from 'react'

echarts.use([LineChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer])

export interface ChartSeries {
  name: string
  points: readonly (readonly [number, number, ...number[]])[]
  color?: string
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim()
}

export function Chart(props: {
  series: ChartSeries[]
  yMax?: number
  yFormat?: (v: number) => string
  height?: number
  /** Pin the time axis to the requested range so sparse history shows where it starts. */
  xRange?: readonly [number, number]
  label: string
  theme: string
}) {
  const el = useRef<HTMLDivElement>(null)
  const chart = useRef<echarts.ECharts | null>(null)

  useEffect(() => {
    if (!el.current) return
    const c = echarts.init(el.current, undefined, { renderer: 'canvas' })
    chart.current = c
    const ro = new ResizeObserver(() => c.resize())
    ro.observe(el.current)
    return () => {
      ro.disconnect()
      c.dispose()
      chart.current = null
    }
  }, [])

  useEffect(() => {
    const c = chart.current
    if (!c) return
    const text = cssVar('--text-muted')
    const grid = cssVar('--border')
    const fmt = props.yFormat ?? ((v: number) => String(v))
    c.setOption(
      {
        animation: false,
        grid: { left: 56, right: 16, top: 28, bottom: 28 },
        legend: { show: props.series.length > 1, top: 0, textStyle: { color: text } },
        tooltip: {
          trigger: 'axis',
          valueFormatter: (v: unknown) => (typeof v === 'number' ? fmt(v) : String(v)),
        },
        xAxis: {
          type: 'time',
          min: props.xRange?.[0],
          max: props.xRange?.[1],
          axisLabel: { color: text },
          axisLine: { lineStyle: { color: grid } },
          splitLine: { show: false },
        },
        yAxis: {
          type: 'value',
          min: 0,
          max: props.yMax,
          axisLabel: { color: text, formatter: fmt },
          splitLine: { lineStyle: { color: grid } },
        },
        series: props.series.map((s) => ({
          name: s.name,
          type: 'line',
          showSymbol: s.points.length < 30, // a few points would be invisible as a bare line
          sampling: 'lttb',
          lineStyle: { width: 1.5 },
          color: s.color,
          data: s.points.map((p) => [p[0], p[1]]),
        })),
      },
      { notMerge: true },
    )
  }, [props.series, props.yMax, props.yFormat, props.theme, props.xRange])

  return <div ref={el} className="chart" role="img" aria-label={props.label} style={{ height: props.height ?? 220 }} />
}
