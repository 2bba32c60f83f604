// Parsing decimal numbers fast and exactly (the drift CSV reader, the GPU stream).

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
]

/**
 * Number(s) for a decimal string, faster on the common plain form ("-12.34500"): at most 15
 * significant digits and 22 decimals make the digits an exact integer and 10^k an exact double, so
 * one IEEE division gives the correctly rounded value — exactly what Number() gives (Clinger's fast
 * path). Anything else (exponents, longer numbers, stray characters) goes to Number().
 */
export function decimalNumber(s: string): number {
  const v = decimalAt(s, 0, s.length)
  return Number.isNaN(v) ? Number(s) : v
}

/**
 * The plain decimal in s[start, end) — digits with at most one point and a leading minus, at most
 * 15 significant digits and 22 decimals — parsed where it stands (no substring), exactly as
 * Number() would; NaN for anything else (the caller then reads the cut-out text its full way).
 */
export function decimalAt(s: string, start: number, end: number): number {
  if (start >= end) return NaN
  let i = start
  const neg = s.charCodeAt(i) === 45
  if (neg) i++
  let m = 0
  let digits = 0
  let frac = 0
  let dot = false
  let any = false
  for (; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48)
      any = true
      if (m !== 0 || dot) digits++
      if (dot) frac++
    } else if (c === 46 && !dot) dot = true
    else return NaN
  }
  if (!any || digits > 15 || frac > 22) return NaN
  const v = frac ? m / POW10[frac] : m
  return neg ? -v : v
}
