// Two-sample statistics for drift, written to give the numbers the reference implementations give
// (scipy 1.10: stats.ks_2samp, stats.chisquare, stats.wasserstein_distance,
// spatial.distance.jensenshannon) — the tests compare against scipy itself on real data.
// Inputs are plain Float64Arrays / counts: nothing here sees a row object.
import { kolmogorovFiniteSf } from './kolmogorov'

/** Sorts a copy ascending (NaN must have been removed by the caller). */
export function sorted(values: ArrayLike<number>): Float64Array {
  return sortFloat64(Float64Array.from(values))
}

const DIGITS = 65536
/**
 * Sorts in place, ascending, in the order Float64Array.prototype.sort gives (−0 before +0; no NaN
 * expected): an LSD radix sort on the IEEE-754 bits made order-preserving (negative: all bits
 * flipped; positive: sign bit set), 16 bits per pass, passes where every key shares the digit
 * skipped. About 3× faster than the built-in sort on a million values (bench/drift). `scratch`
 * keeps the second buffer and the digit counts between calls (a report sorts two arrays per
 * column: without it each call leaves 9 MB for the collector, and a synchronous report never
 * gives it the chance).
 */
export interface SortScratch {
  buf: Uint32Array | null
  counts?: Uint32Array
}

export function sortFloat64(a: Float64Array, scratch?: SortScratch): Float64Array {
  const n = a.length
  if (n < 256) return a.sort()
  const u = new Uint32Array(a.buffer, a.byteOffset, n * 2)
  let all: Uint32Array
  if (scratch) {
    scratch.counts ??= new Uint32Array(4 * DIGITS)
    all = scratch.counts.fill(0)
  } else all = new Uint32Array(4 * DIGITS)
  const counts = [0, 1, 2, 3].map((p) => all.subarray(p * DIGITS, (p + 1) * DIGITS))
  const [c0, c1, c2, c3] = counts
  for (let i = 0; i < 2 * n; i += 2) {
    let lo = u[i]
    let hi = u[i + 1]
    if (hi & 0x80000000) {
      hi = ~hi >>> 0
      lo = ~lo >>> 0
    } else hi = (hi | 0x80000000) >>> 0
    u[i] = lo
    u[i + 1] = hi
    c0[lo & 0xffff]++
    c1[lo >>> 16]++
    c2[hi & 0xffff]++
    c3[hi >>> 16]++
  }
  let src: Uint32Array = u
  // The second buffer: the caller's scratch when it is given (reused across columns, so a report
  // does not leave one 8 MB buffer per column for the collector to find).
  let dst: Uint32Array
  if (scratch) {
    if (!scratch.buf || scratch.buf.length < n * 2) scratch.buf = new Uint32Array(n * 2)
    dst = scratch.buf.subarray(0, n * 2)
  } else dst = new Uint32Array(n * 2)
  for (let p = 0; p < 4; p++) {
    const c = counts[p]
    let used = 0
    for (let b = 0; b < DIGITS && used < 2; b++) if (c[b] !== 0) used++
    if (used < 2) continue // every key has this digit: the order stands
    let sum = 0
    for (let b = 0; b < DIGITS; b++) {
      const t = c[b]
      c[b] = sum
      sum += t
    }
    const word = p >> 1
    const shift = (p & 1) * 16
    for (let i = 0; i < 2 * n; i += 2) {
      const lo = src[i]
      const hi = src[i + 1]
      const pos = 2 * c[((word ? hi : lo) >>> shift) & 0xffff]++
      dst[pos] = lo
      dst[pos + 1] = hi
    }
    const t = src
    src = dst
    dst = t
  }
  for (let i = 0; i < 2 * n; i += 2) {
    let lo = src[i]
    let hi = src[i + 1]
    if (hi & 0x80000000) hi = (hi & 0x7fffffff) >>> 0
    else {
      hi = ~hi >>> 0
      lo = ~lo >>> 0
    }
    u[i] = lo
    u[i + 1] = hi
  }
  return a
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b]
  return a
}

/** numpy's round: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** P(D ≥ h/n) for equal sample sizes (scipy `_compute_prob_outside_square`). */
function probOutsideSquare(n: number, h: number): number {
  let P = 0
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1)
    P = p1 * (1 - P)
  }
  return 2 * P
}

/** 1 − the share of lattice paths staying strictly inside the band (scipy
 *  `_compute_outer_prob_inside_method`, Hodges' inside method with Viehmann's 1−p recursion). */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  let m = m0
  let n = n0
  if (m < n) [m, n] = [n, m]
  const mg = Math.floor(m / g)
  const ng = Math.floor(n / g)
  let minj = 0
  let maxj = Math.min(Math.ceil(h / mg), n + 1)
  let curlen = maxj - minj
  const lenA = Math.min(2 * maxj + 2, n + 1)
  const A = new Float64Array(lenA).fill(1)
  for (let k = minj; k < maxj; k++) A[k] = 0
  for (let i = 1; i <= m; i++) {
    const lastminj = minj
    const lastlen = curlen
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0)
    minj = Math.min(minj, n)
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1)
    if (maxj <= minj) return 1
    let val = minj === 0 ? 0 : 1
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j)
      A[jj] = val
    }
    curlen = maxj - minj
    if (lastlen > curlen) for (let k = maxj - minj; k < maxj - minj + (lastlen - curlen) && k < lenA; k++) A[k] = 1
  }
  return A[maxj - minj - 1]
}

export interface KsResult {
  statistic: number
  pvalue: number
  /** 'exact' is scipy's exact path (both samples ≤ 10,000); 'asymptotic' its kstwo path above. */
  method: 'exact' | 'asymptotic'
}

/**
 * Two-sided two-sample Kolmogorov–Smirnov test on sorted samples, as scipy.stats.ks_2samp with
 * method='auto': exact p-value when both samples have at most 10,000 values, above that
 * kstwo.sf(D, round(en)) — the finite-n Kolmogorov distribution (kolmogorov.ts).
 */
export function ks2samp(a: Float64Array, b: Float64Array): KsResult {
  const n1 = a.length
  const n2 = b.length
  if (n1 === 0 || n2 === 0) throw new Error('KS needs values on both sides')
  // max |F1 − F2| over all observed points (searchsorted side='right'), in one merge: each step
  // takes the next distinct value and moves both sides past every copy of it.
  let i = 0
  let j = 0
  let maxS = -Infinity
  let minS = Infinity
  while (i < n1 || j < n2) {
    const x = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j]
    while (i < n1 && a[i] <= x) i++
    while (j < n2 && b[j] <= x) j++
    const d = i / n1 - j / n2
    if (d > maxS) maxS = d
    if (d < minS) minS = d
  }
  const negMin = Math.min(Math.max(-minS, 0), 1)
  let d = negMin > maxS ? negMin : maxS
  const g = gcd(n1, n2)
  if (Math.max(n1, n2) <= 10_000) {
    const lcm = (n1 / g) * n2
    const h = roundHalfEven(d * lcm)
    d = h / lcm
    if (h === 0) return { statistic: d, pvalue: 1, method: 'exact' }
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h)
    if (Number.isFinite(prob) && prob >= 0 && prob <= 1) return { statistic: d, pvalue: prob, method: 'exact' }
  }
  // Above 10,000 values a side, as scipy: the finite-n Kolmogorov distribution (kstwo) at
  // n = round(n1·n2 / (n1 + n2)), half to even as numpy rounds.
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1]
  const en = (m * n) / (m + n)
  return { statistic: d, pvalue: kolmogorovFiniteSf(roundHalfEven(en), d), method: 'asymptotic' }
}

/** First Wasserstein distance between two samples sorted ascending (scipy.stats.wasserstein_distance, unweighted). */
export function wasserstein(a: Float64Array, b: Float64Array): number {
  const n1 = a.length
  const n2 = b.length
  if (n1 === 0 || n2 === 0) throw new Error('Wasserstein needs values on both sides')
  // ∫|U − V| over the merged support: between consecutive distinct values the CDFs are constant.
  // Both samples are sorted: merged in one pass.
  const all = new Float64Array(n1 + n2)
  for (let x = 0, y = 0, k = 0; k < n1 + n2; k++) {
    all[k] = y >= n2 || (x < n1 && a[x] <= b[y]) ? a[x++] : b[y++]
  }
  let i = 0
  let j = 0
  let total = 0
  for (let k = 0; k < all.length - 1; k++) {
    const x = all[k]
    while (i < n1 && a[i] <= x) i++
    while (j < n2 && b[j] <= x) j++
    const width = all[k + 1] - x
    if (width > 0) total += Math.abs(i / n1 - j / n2) * width
  }
  return total
}

/** Population standard deviation (numpy's default, ddof=0), as Evidently norms Wasserstein. */
export function std(a: Float64Array): number {
  let mean = 0
  for (let k = 0; k < a.length; k++) mean += a[k]
  mean /= a.length
  let s = 0
  for (let k = 0; k < a.length; k++) s += (a[k] - mean) ** 2
  return Math.sqrt(s / a.length)
}

/** Jensen–Shannon distance between two count or probability vectors (scipy, `base` null = e). */
export function jensenShannon(p0: ArrayLike<number>, q0: ArrayLike<number>, base: number | null = null): number {
  let sp = 0
  let sq = 0
  for (let k = 0; k < p0.length; k++) sp += p0[k]
  for (let k = 0; k < q0.length; k++) sq += q0[k]
  let left = 0
  let right = 0
  for (let k = 0; k < p0.length; k++) {
    const p = p0[k] / sp
    const q = q0[k] / sq
    const m = (p + q) / 2
    if (p > 0) left += p * Math.log(p / m)
    if (q > 0) right += q * Math.log(q / m)
  }
  let js = (left + right) / 2
  if (base !== null) js /= Math.log(base)
  return Math.sqrt(Math.max(js, 0))
}

/** Regularized upper incomplete gamma Q(a, x) (series below a+1, continued fraction above). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1
  const lnPre = a * Math.log(x) - x - logGamma(a)
  if (x < a + 1) {
    let sum = 1 / a
    let term = sum
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n)
      sum += term
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break
    }
    return Math.max(0, 1 - Math.exp(lnPre) * sum)
  }
  // Lentz's continued fraction for Γ(a, x).
  const tiny = 1e-300
  let b = x + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < 1e-17) break
  }
  return Math.exp(lnPre) * h
}

/** ln Γ(x), Lanczos (g = 7, n = 9), good to ~1e-15 relative. */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ]
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
  const xx = x - 1
  let s = c[0]
  for (let i = 1; i < 9; i++) s += c[i] / (xx + i)
  const t = xx + 7.5
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(s)
}

export interface ChiResult {
  statistic: number
  pvalue: number
  dof: number
}

/**
 * Pearson's χ² goodness of fit of the current counts against the reference shares, as Evidently
 * calls scipy.stats.chisquare(f_obs=current, f_exp=reference·n_cur/n_ref). A category seen now but
 * never in the reference has expected 0, which makes χ² infinite and p 0 — as scipy says.
 */
export function chiSquare(current: ArrayLike<number>, reference: ArrayLike<number>): ChiResult {
  let nCur = 0
  let nRef = 0
  for (let k = 0; k < current.length; k++) nCur += current[k]
  for (let k = 0; k < reference.length; k++) nRef += reference[k]
  let stat = 0
  for (let k = 0; k < current.length; k++) {
    const e = (reference[k] * nCur) / nRef
    const diff = current[k] - e
    stat += e === 0 ? (diff === 0 ? NaN : Infinity) : (diff * diff) / e
  }
  const dof = current.length - 1
  const pvalue = Number.isNaN(stat) ? NaN : stat === Infinity ? 0 : gammaQ(dof / 2, stat / 2)
  return { statistic: stat, pvalue, dof }
}

/**
 * Population stability index on fixed bins: Σ (cur% − ref%)·ln(cur%/ref%), with an epsilon in
 * place of an empty bin's share so one empty bin does not make it infinite.
 */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>, epsilon = 1e-4): number {
  let nr = 0
  let nc = 0
  for (let k = 0; k < reference.length; k++) nr += reference[k]
  for (let k = 0; k < current.length; k++) nc += current[k]
  let s = 0
  for (let k = 0; k < reference.length; k++) {
    const r = Math.max(reference[k] / nr, epsilon)
    const c = Math.max(current[k] / nc, epsilon)
    s += (c - r) * Math.log(c / r)
  }
  return s
}

/** Interior bin edges at the reference's quantiles (numpy 'linear' interpolation), deduplicated. */
export function quantileEdges(sortedRef: Float64Array, bins: number): number[] {
  const edges: number[] = []
  const n = sortedRef.length
  for (let k = 1; k < bins; k++) {
    const pos = (k / bins) * (n - 1)
    const lo = Math.floor(pos)
    const v = sortedRef[lo] + (sortedRef[Math.min(lo + 1, n - 1)] - sortedRef[lo]) * (pos - lo)
    if (!edges.length || v > edges[edges.length - 1]) edges.push(v)
  }
  return edges
}

/** Counts per bin for edges e1 < e2 < …: (−∞, e1], (e1, e2], …, (ek, ∞). */
export function binCounts(sortedValues: Float64Array, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0)
  let b = 0
  for (let k = 0; k < sortedValues.length; k++) {
    while (b < edges.length && sortedValues[k] > edges[b]) b++
    counts[b]++
  }
  return counts
}
