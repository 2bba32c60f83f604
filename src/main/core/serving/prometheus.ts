// Reading the Prometheus text exposition format (0.0.4) that model servers publish, and the
// arithmetic on it: counter deltas across scrapes and latency quantiles from histogram bucket
// deltas (Prometheus' histogram_quantile interpolation, `le` bounds read from each scrape).
//
// Hand-written on purpose: the npm parsers tried against the recorded bodies lose data.
// parse-prometheus-text-format 1.1.1 drops the labels, _sum and _count of every labelled
// histogram, and exposition 1.2.0 returns labelled histograms empty and mangles TorchServe's
// trailing comma. Both would make per-model latency impossible (notes in README).

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Family {
  name: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  help: string | null
  samples: Sample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/

function parseValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity
  if (s === '-Inf') return -Infinity
  if (s === 'NaN') return NaN
  const v = Number(s)
  if (s === '' || Number.isNaN(v)) throw new Error(`bad value "${s.slice(0, 40)}"`)
  return v
}

/** Labels from `{a="x",b="y\"z",}` starting at `i` (the "{"); returns them and the index after "}". */
function parseLabels(line: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {}
  i++ // {
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++ // TorchServe writes a trailing comma
    if (line[i] === '}') return [labels, i + 1]
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))
    if (!m) throw new Error(`bad label name at column ${i + 1}`)
    const key = m[0]
    i += key.length
    while (line[i] === ' ') i++
    if (line[i] !== '=' || line[i + 1] !== '"') throw new Error(`expected ="…" after label ${key}`)
    i += 2
    let value = ''
    for (;;) {
      const c = line[i]
      if (c === undefined) throw new Error(`unterminated value of label ${key}`)
      if (c === '"') break
      if (c === '\\') {
        const n = line[i + 1]
        value += n === 'n' ? '\n' : n
        i += 2
      } else {
        value += c
        i++
      }
    }
    labels[key] = value
    i++ // closing quote
  }
}

/** The family a sample belongs to: histogram/summary series carry _bucket/_sum/_count suffixes. */
function familyOf(name: string, types: Map<string, Family['type']>): string {
  if (types.has(name)) return name
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length)
      const t = types.get(base)
      if (t === 'histogram' || t === 'summary') return base
    }
  }
  return name
}

export interface ParseResult {
  families: Map<string, Family>
  /** Lines that could not be read, with why (garbage does not throw away the rest). */
  errors: string[]
}

export function parsePrometheusText(text: string): ParseResult {
  const types = new Map<string, Family['type']>()
  const helps = new Map<string, string>()
  const families = new Map<string, Family>()
  const errors: string[] = []
  const lines = text.split('\n')
  // TYPE lines first: a family's samples may come before its TYPE in sloppy exporters.
  for (const raw of lines) {
    const m = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(raw)
    if (m)
      types.set(
        m[1],
        (['counter', 'gauge', 'histogram', 'summary'].includes(m[2]) ? m[2] : 'untyped') as Family['type'],
      )
    const h = /^#\s*HELP\s+(\S+)\s?(.*)$/.exec(raw)
    if (h) helps.set(h[1], h[2])
  }
  lines.forEach((raw, n) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    try {
      const m = NAME.exec(line)
      if (!m) throw new Error('no metric name')
      let i = m[0].length
      let labels: Record<string, string> = {}
      if (line[i] === '{') [labels, i] = parseLabels(line, i)
      const rest = line.slice(i).trim().split(/\s+/)
      const value = parseValue(rest[0] ?? '')
      const fam = familyOf(m[0], types)
      let f = families.get(fam)
      if (!f)
        families.set(
          fam,
          (f = { name: fam, type: types.get(fam) ?? 'untyped', help: helps.get(fam) ?? null, samples: [] }),
        )
      f.samples.push({ name: m[0], labels, value })
    } catch (err) {
      if (errors.length < 20) errors.push(`line ${n + 1}: ${(err as Error).message}`)
    }
  })
  return { families, errors }
}

export interface Histogram {
  labels: Record<string, string>
  /** [upper bound, cumulative count], sorted by bound; the last bound is +Inf. */
  buckets: [number, number][]
  sum: number | null
  count: number | null
}

const key = (labels: Record<string, string>): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',')

/** The series of a histogram family, one per label set (without `le`). */
export function histograms(f: Family): Histogram[] {
  const out = new Map<string, Histogram>()
  for (const s of f.samples) {
    const { le, ...rest } = s.labels
    const k = key(rest)
    let h = out.get(k)
    if (!h) out.set(k, (h = { labels: rest, buckets: [], sum: null, count: null }))
    if (s.name.endsWith('_bucket') && le !== undefined) h.buckets.push([parseValue(le), s.value])
    else if (s.name.endsWith('_sum')) h.sum = s.value
    else if (s.name.endsWith('_count')) h.count = s.value
  }
  for (const h of out.values()) h.buckets.sort((a, b) => a[0] - b[0])
  return [...out.values()]
}

/** Observations between two scrapes. A counter reset (any bucket went down), or a changed bucket
 *  set (an upgrade changed the boundaries), restarts from the current scrape alone. */
export function histogramDelta(prev: Histogram | null, cur: Histogram): Histogram {
  if (!prev || prev.buckets.length !== cur.buckets.length || prev.buckets.some((b, i) => b[0] !== cur.buckets[i][0])) {
    return cur
  }
  const buckets = cur.buckets.map(([le, c], i) => [le, c - prev.buckets[i][1]] as [number, number])
  if (buckets.some(([, c]) => c < 0)) return cur
  return {
    labels: cur.labels,
    buckets,
    sum: cur.sum !== null && prev.sum !== null ? cur.sum - prev.sum : null,
    count: cur.count !== null && prev.count !== null ? cur.count - prev.count : null,
  }
}

/** Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank; a rank
 *  in the +Inf bucket answers the highest finite bound. Null when there were no observations. */
export function histogramQuantile(q: number, buckets: readonly [number, number][]): number | null {
  if (buckets.length === 0) return null
  const total = buckets[buckets.length - 1][1]
  if (!(total > 0)) return null
  const rank = q * total
  for (let i = 0; i < buckets.length; i++) {
    const [le, c] = buckets[i]
    if (c >= rank) {
      if (le === Infinity) return i > 0 ? buckets[i - 1][0] : null
      const lower = i > 0 ? buckets[i - 1][0] : 0
      const below = i > 0 ? buckets[i - 1][1] : 0
      if (c === below) return le
      return lower + (le - lower) * ((rank - below) / (c - below))
    }
  }
  return null
}

/** How much a counter grew between scrapes; a reset (the process restarted) counts from zero. */
export function counterDelta(prev: number | null, cur: number): number {
  if (prev === null) return cur
  return cur >= prev ? cur - prev : cur
}
