// The gates that judge a release step, challenger against champion in the same window.
//
// Gates look at the evidence every gate interval, so a plain p-value checked at each look would
// inflate false alarms (29 % after 30 looks in one simulation; ../shared/notes/canary.md §3).
// Proportions (error rate, share of slow requests, agreement) are judged with anytime-valid
// confidence sequences instead: Robbins' beta-binomial mixture (uniform prior) is a nonnegative
// martingale under the true rate p, so by Ville's inequality the set {p : M_n(p) < 1/α} covers p at
// every n at once with probability ≥ 1 − α — looking as often as we like costs nothing. The
// output-distribution gate (KS) is a fixed-horizon test: asked once, at the end of a step's hold.
//
// Verdicts: fail (the challenger is worse by more than the tolerance, with confidence) aborts at
// any look; pass (it is within the tolerance, with confidence) is asked at the end of the hold;
// anything else then is inconclusive and pauses for a human — Argo Rollouts' semantics.
import { ks2samp, logGamma } from '../drift/stats'
import type { ArmEvidence, GateResult, GateSettings, GateVerdict } from '../../../shared/release'

export interface Interval {
  lo: number
  hi: number
  mean: number
}

/** log M_n(p): the beta(1,1)-binomial mixture against rate p, after k events in n trials. */
function logMixture(n: number, k: number, p: number): number {
  const logBeta = logGamma(k + 1) + logGamma(n - k + 1) - logGamma(n + 2)
  const ll = (k > 0 ? k * Math.log(p) : 0) + (n - k > 0 ? (n - k) * Math.log1p(-p) : 0)
  return logBeta - ll
}

/** An anytime-valid 1 − α confidence sequence for a rate, after k events in n trials. */
export function rateInterval(n: number, k: number, alpha: number): Interval {
  if (n <= 0) return { lo: 0, hi: 1, mean: NaN }
  const mean = k / n
  const limit = Math.log(1 / alpha)
  // M_n(p) is smallest at p = k/n and grows on either side: bisect for each edge.
  const edge = (inside: number, outside: number): number => {
    let a = inside
    let b = outside
    if (logMixture(n, k, b) < limit) return b
    for (let i = 0; i < 60; i++) {
      const m = (a + b) / 2
      if (logMixture(n, k, m) < limit) a = m
      else b = m
    }
    return a
  }
  return { lo: k === 0 ? 0 : edge(mean, 0), hi: k === n ? 1 : edge(mean, 1), mean }
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.01 && x > 0 ? 2 : 1)} %`
const iv = (i: Interval): string => `${pct(i.mean)} [${pct(i.lo)}, ${pct(i.hi)}]`

/** Challenger rate may exceed champion rate by at most `tolerance`. */
function compareRates(
  gate: 'errors' | 'latency',
  what: string,
  champ: { n: number; k: number },
  chall: { n: number; k: number },
  tolerance: number,
  s: GateSettings,
  final: boolean,
): GateResult {
  const a = s.alpha / 2 // each arm's sequence, so that both hold together with 1 − α
  const cc = rateInterval(chall.n, chall.k, a)
  const ch = rateInterval(champ.n, champ.k, a)
  const numbers = {
    challengerN: chall.n,
    challengerRate: chall.n ? cc.mean : null,
    challengerLo: cc.lo,
    challengerHi: cc.hi,
    championN: champ.n,
    championRate: champ.n ? ch.mean : null,
    championLo: ch.lo,
    championHi: ch.hi,
    tolerance,
  }
  if (chall.n < s.minRequests || champ.n === 0) {
    return {
      gate,
      verdict: final ? 'inconclusive' : 'pending',
      detail: `${chall.n} challenger and ${champ.n} champion requests: fewer than the ${s.minRequests} needed to judge ${what}`,
      numbers,
    }
  }
  const body = `${what}: challenger ${iv(cc)} vs champion ${iv(ch)} (allowed rise ${pct(tolerance)})`
  let verdict: GateVerdict
  if (cc.lo - ch.hi > tolerance) verdict = 'fail'
  else if (cc.hi - ch.lo <= tolerance) verdict = final ? 'pass' : 'pending'
  else verdict = final ? 'inconclusive' : 'pending'
  return { gate, verdict, detail: body, numbers }
}

/** All gates together: any failure fails; then any inconclusive; then any still pending; else pass. */
export function overall(gates: GateResult[]): GateVerdict {
  const judged = gates.filter((g) => g.verdict !== 'not-measured')
  return judged.some((g) => g.verdict === 'fail')
    ? 'fail'
    : judged.some((g) => g.verdict === 'inconclusive')
      ? 'inconclusive'
      : judged.some((g) => g.verdict === 'pending')
        ? 'pending'
        : 'pass'
}

/** A model's business KPIs (from Prometheus) as gates: the model's own numbers, not per arm — a
 *  KPI on the wrong side of its threshold while the challenger has traffic fails the step. */
export function kpiGates(
  kpis: {
    name: string
    value: number | null
    threshold: number | null
    breached: boolean
    unit: string
    error: string | null
    direction: string
  }[],
  final: boolean,
): GateResult[] {
  return kpis.map((k): GateResult => {
    const side = k.direction === 'higher-is-better' ? 'at least' : 'at most'
    if (k.threshold === null)
      return {
        gate: 'kpi',
        verdict: 'not-measured',
        detail: `${k.name}: no threshold set`,
        numbers: { value: k.value },
      }
    // A value with a warning (several series summed, a partial answer) is still judged on its value.
    if (k.value === null)
      return {
        gate: 'kpi',
        verdict: final ? 'inconclusive' : 'pending',
        detail: `${k.name}: ${k.error ?? 'no value from Prometheus'}`,
        numbers: { value: null, threshold: k.threshold },
      }
    return {
      gate: 'kpi',
      verdict: k.breached ? 'fail' : final ? 'pass' : 'pending',
      detail: `${k.name} ${k.value}${k.unit ? ` ${k.unit}` : ''} (${side} ${k.threshold} wanted; the model's KPI, both arms together)${k.error ? `; note: ${k.error}` : ''}`,
      numbers: { value: k.value, threshold: k.threshold },
    }
  })
}

export function quantile(sortedValues: ArrayLike<number>, q: number): number {
  const n = sortedValues.length
  if (n === 0) return NaN
  const pos = (n - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.min(n - 1, lo + 1)
  return sortedValues[lo] + (sortedValues[hi] - sortedValues[lo]) * (pos - lo)
}

export function quantilesOf(values: number[]): { p50: number; p90: number; p95: number; p99: number } | null {
  if (values.length === 0) return null
  const s = Float64Array.from(values).sort()
  return { p50: quantile(s, 0.5), p90: quantile(s, 0.9), p95: quantile(s, 0.95), p99: quantile(s, 0.99) }
}

/** What the gates need from one window. */
interface ArmData {
  requests: number
  errors: number
  /** A sample of the latencies (seconds): the percentiles shown. */
  latencies: number[]
  /** Requests since the slow line was fixed, and how many were above it: the latency gate. */
  timed: number
  slow: number
}

export interface WindowData {
  champion: ArmData
  challenger: ArmData
  /** The window's slow line once fixed (null: not yet; judge() proposes one). */
  slowAbove: number | null
  joined: number
  agreed: number
  /** Numeric outputs of each arm (canary: the KS gate), or null when the logs are not numeric / absent. */
  outputs: { champion: number[]; challenger: number[] } | null
  /** Whether the release has inference logs at all. */
  logs: boolean
  shadow: boolean
}

export interface Judgement {
  gates: GateResult[]
  verdict: GateVerdict
  slowAbove: number | null
  champion: ArmEvidence
  challenger: ArmEvidence
}

/** Every gate on one window. `final`: the end of the step's hold (pass and inconclusive are decided). */
export function judge(w: WindowData, s: GateSettings, final: boolean): Judgement {
  const gates: GateResult[] = []
  gates.push(
    compareRates(
      'errors',
      'error rate (HTTP 5xx)',
      { n: w.champion.requests, k: w.champion.errors },
      { n: w.challenger.requests, k: w.challenger.errors },
      s.maxErrorRise,
      s,
      final,
    ),
  )
  // Latency: the champion's p95 in this window, with slack, is the line — fixed once, when the
  // champion first has enough requests (a line re-estimated at every look would not be one
  // Bernoulli stream); then every later request of each arm is counted against it.
  let slowAbove = w.slowAbove
  if (slowAbove === null && w.champion.latencies.length >= s.minRequests) {
    slowAbove = quantile(Float64Array.from(w.champion.latencies).sort(), 0.95) * (1 + s.latencySlack)
  }
  const champSlow = w.champion.slow
  const challSlow = w.challenger.slow
  const lat =
    w.slowAbove === null
      ? ({
          gate: 'latency',
          verdict: final ? 'inconclusive' : 'pending',
          detail:
            slowAbove === null
              ? `the champion has ${w.champion.latencies.length} timed requests: fewer than the ${s.minRequests} that fix the slow line`
              : `the slow line is fixed now (${(slowAbove * 1000).toFixed(1)} ms): requests from here on are counted against it`,
          numbers: { slowAbove },
        } satisfies GateResult)
      : compareRates(
          'latency',
          `share slower than ${(w.slowAbove * 1000).toFixed(1)} ms (champion p95 + ${Math.round(s.latencySlack * 100)} %)`,
          { n: w.champion.timed, k: champSlow },
          { n: w.challenger.timed, k: challSlow },
          s.maxSlowRise,
          s,
          final,
        )
  gates.push(lat)

  if (!w.logs) {
    gates.push({ gate: 'agreement', verdict: 'not-measured', detail: 'no inference logs given', numbers: {} })
  } else if (w.shadow) {
    const i = rateInterval(w.joined, w.agreed, s.alpha)
    const numbers = { joined: w.joined, agreed: w.agreed, rate: w.joined ? i.mean : null, lo: i.lo, hi: i.hi }
    let verdict: GateVerdict
    if (w.joined < s.minRequests) verdict = final ? 'inconclusive' : 'pending'
    else if (i.hi < s.minAgreement) verdict = 'fail'
    else if (i.lo >= s.minAgreement) verdict = final ? 'pass' : 'pending'
    else verdict = final ? 'inconclusive' : 'pending'
    gates.push({
      gate: 'agreement',
      verdict,
      detail:
        w.joined < s.minRequests
          ? `${w.joined} requests joined on their id: fewer than the ${s.minRequests} needed`
          : `outputs agree on ${iv(i)} of ${w.joined} requests (at least ${pct(s.minAgreement)} wanted)`,
      numbers,
    })
  }
  if (w.logs && !w.shadow) {
    if (!w.outputs) {
      gates.push({
        gate: 'output-shift',
        verdict: 'not-measured',
        detail: 'the outputs are not numbers: compared by agreement in a shadow',
        numbers: {},
      })
    } else if (!final) {
      gates.push({
        gate: 'output-shift',
        verdict: 'pending',
        detail: 'a fixed-horizon test: asked once, at the end of the hold',
        numbers: {},
      })
    } else if (w.outputs.challenger.length < s.minRequests || w.outputs.champion.length < s.minRequests) {
      gates.push({
        gate: 'output-shift',
        verdict: 'inconclusive',
        detail: `${w.outputs.challenger.length} challenger and ${w.outputs.champion.length} champion outputs: fewer than ${s.minRequests}`,
        numbers: {},
      })
    } else {
      const r = ks2samp(Float64Array.from(w.outputs.champion).sort(), Float64Array.from(w.outputs.challenger).sort())
      const shifted = r.statistic > s.maxOutputShift && r.pvalue < s.alpha
      gates.push({
        gate: 'output-shift',
        verdict: shifted ? 'fail' : 'pass',
        detail: `outputs' KS distance ${r.statistic.toFixed(3)} (p ${r.pvalue.toExponential(1)}; at most ${s.maxOutputShift} allowed)`,
        numbers: { ks: r.statistic, p: r.pvalue },
      })
    }
  }
  const verdict = overall(gates)
  const arm = (a: ArmData, slow: number): ArmEvidence => ({
    requests: a.requests,
    errors: a.errors,
    latency: quantilesOf(a.latencies),
    slow,
    sampled: a.timed,
  })
  return {
    gates,
    verdict,
    slowAbove,
    champion: arm(w.champion, champSlow),
    challenger: arm(w.challenger, challSlow),
  }
}
