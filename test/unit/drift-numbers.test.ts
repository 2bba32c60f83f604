// The drift reader's two speed paths must give exactly what the built-ins give: the decimal fast
// path equals Number() bit for bit, and the radix sort equals Float64Array.prototype.sort.
import { describe, expect, it } from 'vitest'
import { sortFloat64 } from '../../src/main/core/drift/stats'
import { decimalNumber } from '../../src/main/core/drift/table'
import { decimalAt } from '../../src/main/core/util/number'

let seed = 12345
const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647

describe('decimalNumber', () => {
  it('equals Number() on 200,000 generated decimals of every length and sign', () => {
    for (let i = 0; i < 200_000; i++) {
      const digits = 1 + Math.floor(rnd() * 19) // beyond 15 digits: the fallback
      let s = ''
      for (let d = 0; d < digits; d++) s += String(Math.floor(rnd() * 10))
      const dot = Math.floor(rnd() * (digits + 1))
      if (rnd() < 0.8) s = `${s.slice(0, dot)}.${s.slice(dot)}`
      if (rnd() < 0.4) s = `-${s}`
      const got = decimalNumber(s)
      if (!Object.is(got, Number(s))) expect(got, s).toBe(Number(s))
      // in place, inside a longer string: Number()'s value, or NaN where it leaves the fast form
      const at = decimalAt(`x, ${s}, y`, 3, 3 + s.length)
      if (!Number.isNaN(at) && !Object.is(at, Number(s))) expect(at, s).toBe(Number(s))
    }
  })

  it("decimalAt parses nvidia-smi's plain values in place and leaves anything else to the full reading", () => {
    const line = '99, 696.70, -12.5, 0, 81559, [N/A], 0x0000000000000004, 1e5, , -'
    const cells = line.split(', ')
    let at = 0
    const got = cells.map((c) => {
      const v = decimalAt(line, at, at + c.length)
      at += c.length + 2
      return v
    })
    expect(got.slice(0, 5)).toEqual([99, 696.7, -12.5, 0, 81559])
    expect(got.slice(5).every(Number.isNaN)).toBe(true)
  })

  it('equals Number() on the edge forms', () => {
    for (const s of [
      '0',
      '-0',
      '-0.0',
      '0.1',
      '.5',
      '5.',
      '-.5',
      '+7.25',
      '00012.50',
      '123456789012345',
      '1234567890123456',
      '0.000000000000000000000123',
      '9007199254740993',
      '1e5',
      '1E-3',
      '-',
      '+',
      '.',
      '1.2.3',
      '12a',
      '0.1000000000000000055511151231257827',
      '179769313486231570000000000000000000000000000000000',
      '4.9e-324',
      '2.2250738585072014e-308',
    ]) {
      expect(Object.is(decimalNumber(s), Number(s)), s).toBe(true)
    }
  })
})

describe('sortFloat64', () => {
  it('orders like Float64Array.prototype.sort (−0 before +0, negatives, subnormals, duplicates, infinities)', () => {
    const special = [
      -0,
      0,
      5e-324,
      -5e-324,
      1.7976931348623157e308,
      -1.7976931348623157e308,
      Infinity,
      -Infinity,
      1,
      1,
      -1,
    ]
    for (const n of [0, 1, 255, 256, 10_000, 300_000]) {
      const a = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        const r = rnd()
        a[i] =
          r < 0.1
            ? special[i % special.length]
            : r < 0.3
              ? Math.round((rnd() - 0.5) * 20)
              : (rnd() - 0.5) * 10 ** (rnd() * 20 - 10)
      }
      const want = Float64Array.from(a).sort()
      const got = sortFloat64(Float64Array.from(a))
      expect(got.length).toBe(want.length)
      for (let i = 0; i < n; i++) if (!Object.is(got[i], want[i])) expect([i, got[i]]).toEqual([i, want[i]])
    }
  })

  it('sorts in place and leaves already-constant high digits alone (one value repeated)', () => {
    const a = new Float64Array(1000).fill(3.5)
    a[10] = 2.5
    expect(sortFloat64(a)).toBe(a)
    expect(a[0]).toBe(2.5)
    expect(a[999]).toBe(3.5)
  })
})
