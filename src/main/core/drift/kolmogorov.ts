// The finite-n Kolmogorov distribution: Pr(D_n ≥ x) for the two-sided one-sample statistic D_n,
// which scipy's ks_2samp uses for its p-value when a side has more than 10,000 values
// (`kstwo.sf(d, round(n1·n2 / (n1 + n2)))`). Written from the published methods, choosing among
// them by region as Simard & L'Ecuyer (2011) recommend and scipy does:
//   - Ruben & Gambino (1982): closed forms for n·x ≤ 1 and n·x ≥ n − 1;
//   - Smirnov / Birnbaum & Tingey (1951): the exact one-sided tail, doubled (Miller's
//     approximation) where the tail is small;
//   - Durbin's matrix (1968, 1973) as Marsaglia, Tsang & Wang (2003) compute it: exact;
//   - Pelz & Good (1976): the asymptotic series with its n^-1/2, n^-1 and n^-3/2 terms.
// scipy uses Pomeranz's exact recursion where n ≤ 140 and 0.754693 < n·x² ≤ 4; the Durbin matrix
// is exact there too and is used instead (the tests compare with scipy in that region as well).

const SQRT_2PI = Math.sqrt(2 * Math.PI)
const PI2 = Math.PI ** 2
const PI4 = Math.PI ** 4
const PI6 = Math.PI ** 6
const MIN_LOG = -708
const SCALE = 2 ** 128
const UNSCALE = 2 ** -128

const clip = (p: number): number => Math.min(1, Math.max(0, p))

/** log(n! / n^n) by Stirling's series with n·log n taken out first (no cancellation). */
function logFactorialOverPower(n: number): number {
  // B_2j / (2j (2j − 1)) for j = 8 … 1, evaluated as a polynomial in 1/n².
  const c = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12]
  const r = 1 / n
  let poly = 0
  for (const k of c) poly = poly * (r * r) + k
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + r * poly
}

/** Pr(D⁺_n ≥ x), the exact one-sided tail (Birnbaum & Tingey), summed in log space. */
export function smirnovSf(n: number, x: number): number {
  if (!(x >= 0 && x <= 1)) return NaN
  if (x === 0) return 1
  if (x === 1) return 0
  const last = Math.floor(n * (1 - x))
  let logC = 0 // log C(n, j)
  let sum = 0
  for (let j = 0; j <= last; j++) {
    const a = x + j / n
    const b = 1 - a
    if (b > 0) {
      const t = logC + (j - 1) * Math.log(a) + (n - j) * Math.log(b)
      if (t > -745) sum += Math.exp(t)
    } else if (j === n) sum += a ** (j - 1) // (1 − a)^0 = 1
    logC += Math.log((n - j) / (j + 1))
  }
  return clip(sum * x)
}

/** Pr(D_n ≤ d) by Durbin's matrix, H^n computed by squaring with rescaling (exact). */
export function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1
  const nd = n * d
  if (nd <= 0.5) return 0
  const k = Math.ceil(nd)
  const h = k - nd
  const m = 2 * k - 1
  // H[i][j] = 1/(i − j + 1)! for i − j + 1 ≥ 0, first column and last row corrected for h.
  const H = new Float64Array(m * m)
  const fact = new Float64Array(m + 1) // 1/j!
  fact[0] = 1
  for (let j = 1; j <= m; j++) fact[j] = fact[j - 1] / j
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i - j + 1 >= 0) H[i * m + j] = fact[i - j + 1]
  for (let i = 0; i < m; i++) {
    H[i * m] = (1 - h ** (i + 1)) * fact[i + 1]
    H[(m - 1) * m + (m - 1 - i)] = (1 - h ** (i + 1)) * fact[i + 1]
  }
  H[(m - 1) * m] = (1 - 2 * h ** m + Math.max(0, 2 * h - 1) ** m) * fact[m]

  const mul = (A: Float64Array, B: Float64Array): Float64Array => {
    const C = new Float64Array(m * m)
    for (let i = 0; i < m; i++) {
      for (let l = 0; l < m; l++) {
        const a = A[i * m + l]
        if (a === 0) continue
        for (let j = 0; j < m; j++) C[i * m + j] += a * B[l * m + j]
      }
    }
    return C
  }
  let P: Float64Array | null = null // H^(bits so far)
  let pExp = 0
  let Hp: Float64Array = H
  let hExp = 0
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2) {
      P = P ? mul(P, Hp) : Hp
      pExp += hExp
    }
    Hp = mul(Hp, Hp)
    hExp *= 2
    if (Math.abs(Hp[(k - 1) * m + (k - 1)]) > SCALE) {
      for (let i = 0; i < Hp.length; i++) Hp[i] *= UNSCALE
      hExp += 128
    }
    if (P && Math.abs(P[(k - 1) * m + (k - 1)]) > SCALE) {
      for (let i = 0; i < P.length; i++) P[i] *= UNSCALE
      pExp += 128
    }
  }
  let p = P![(k - 1) * m + (k - 1)]
  // times n!/n^n, keeping the value in range
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n
    if (Math.abs(p) < UNSCALE) {
      p *= SCALE
      pExp -= 128
    }
  }
  return clip(ldexp(p, pExp))
}

/** p · 2^e without overflowing or underflowing on the way (2^e alone may not be representable). */
function ldexp(p: number, e: number): number {
  while (e > 1000) {
    p *= 2 ** 1000
    e -= 1000
  }
  while (e < -1000) {
    p *= 2 ** -1000
    e += 1000
  }
  return p * 2 ** e
}

/** Pr(D_n ≤ x) by the Pelz–Good asymptotic series. */
export function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const z = Math.sqrt(n) * x
  const z2 = z * z
  const z3 = z2 * z
  const z4 = z2 * z2
  const z6 = z4 * z2
  const qlog = -PI2 / 8 / z2
  if (qlog < MIN_LOG) return 0
  const q = Math.exp(qlog)
  // The theta-function form: sums over odd m = 2k − 1 of polynomial(m²) · q^(m²), by Horner in q^8k.
  const k1a = -z2
  const k1b = PI2 / 4
  const k2a = 6 * z6 + 2 * z4
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4
  const k2c = (PI4 * (1 - 2 * z2)) / 16
  const k3d = (PI6 * (5 - 30 * z2)) / 64
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4
  const k3a = -30 * z6 - 90 * z4 * z4
  const K = [0, 0, 0, 0]
  const maxk = Math.ceil((16 * z) / Math.PI)
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1
    const m2 = m * m
    const m4 = m2 * m2
    const qp = q ** (8 * k)
    K[0] = K[0] * qp + 1
    K[1] = K[1] * qp + (k1a + k1b * m2)
    K[2] = K[2] * qp + (k2a + k2b * m2 + k2c * m4)
    K[3] = K[3] * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m4 * m2)
  }
  const div = [z, 6 * z4, 72 * z4 * z3, 6480 * z4 * z4 * z2]
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT_2PI) / div[i]
  // The terms over all integers k of K2 and K3.
  const q2 = Math.exp(-PI2 / 2 / z2)
  const s3z = Math.sqrt(3) * z
  let extra2 = 0
  let extra3 = 0
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k
    const w = k2 * q2 ** k2
    extra2 += w
    extra3 += (s3z + Math.PI * k) * (s3z - Math.PI * k) * w
  }
  K[2] += (extra2 * PI2 * SQRT_2PI) / (-36 * z3)
  K[3] += (extra3 * PI2 * SQRT_2PI) / (216 * z6)
  return K[0] + K[1] / Math.sqrt(n) + K[2] / n + K[3] / (n * Math.sqrt(n))
}

/** Pr(D_n ≥ x): scipy.stats.kstwo.sf(x, n). */
export function kolmogorovFiniteSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return NaN
  if (x >= 1) return 0
  if (x <= 0) return 1
  const t = n * x
  if (t <= 1) {
    if (t <= 0.5) return 1
    // Pr(D_n ≤ x) = n!/n^n · (2t − 1)^n
    let cdf: number
    if (n <= 140) {
      cdf = 1
      for (let i = 1; i <= n; i++) cdf *= (i / n) * (2 * t - 1)
    } else cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1))
    return clip(1 - cdf)
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n)
  if (x >= 0.5) return clip(2 * smirnovSf(n, x))
  const nx2 = t * x
  if (n <= 140) {
    if (nx2 <= 4) return clip(1 - durbinCdf(n, x))
    return clip(2 * smirnovSf(n, x))
  }
  if (nx2 >= 370) return 0
  if (nx2 >= 2.2) return clip(2 * smirnovSf(n, x))
  const cdf = nx2 >= 18 ? 1 : n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x)
  return clip(1 - cdf)
}
