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
  const n = s.length
  let i = 0
  let c = s.charCodeAt(0)
  const neg = c === 45
  if (neg || c === 43) i = 1
  let m = 0
  let digits = 0
  let frac = 0
  let dot = false
  let any = false
  for (; i < n; i++) {
    c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48)
      any = true
      if (m !== 0 || dot) digits++
      if (dot) frac++
    } else if (c === 46 && !dot) dot = true
    else return Number(s)
  }
  if (!any || digits > 15 || frac > 22) return Number(s)
  const v = frac ? m / POW10[frac] : m
  return neg ? -v : v
}
