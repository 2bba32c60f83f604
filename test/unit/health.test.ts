// Health rules on both sides of each threshold.
import { describe, expect, it } from 'vitest'
import type { Forecast } from '../../src/shared/contract'
import { filesystemHealth, hostHealth } from '../../src/main/core/telemetry/health'

const GiB = 1024 ** 3
const none: Forecast = {
  state: 'insufficient-history',
  fullAt: null,
  bytesPerDay: null,
  basisMs: 0,
  points: 0,
  r2: null,
}
const mem = (availFraction: number) => ({
  total: 100 * GiB,
  used: (1 - availFraction) * 100 * GiB,
  available: availFraction * 100 * GiB,
  usedPct: (1 - availFraction) * 100,
  swapTotal: 0,
  swapUsed: 0,
})
const cpu = { loadPct: 1, userPct: 1, systemPct: 0, iowaitPct: null, cores: 4, perCorePct: [] }

describe('host health', () => {
  it('is ok with plenty of memory and low load', () => {
    expect(hostHealth({ problems: [], memory: mem(0.5), load: { one: 1, five: 1, fifteen: 1 }, cpu })).toEqual({
      level: 'ok',
      reasons: [],
    })
  })
  it('warns under 10 % available memory and is critical under 5 %', () => {
    const at = (f: number) => hostHealth({ problems: [], memory: mem(f), load: null, cpu: null }).level
    expect(at(0.101)).toBe('ok')
    expect(at(0.099)).toBe('warning')
    expect(at(0.051)).toBe('warning')
    expect(at(0.049)).toBe('critical')
  })
  it('judges load per core over 5 minutes', () => {
    const at = (five: number) =>
      hostHealth({ problems: [], memory: null, load: { one: 0, five, fifteen: 0 }, cpu }).level
    expect(at(8)).toBe('ok')
    expect(at(8.1)).toBe('warning')
    expect(at(16.1)).toBe('critical')
  })
  it('is unknown, with the reason, when a part could not be read', () => {
    const h = hostHealth({ problems: ['memory unavailable: EACCES'], memory: null, load: null, cpu: null })
    expect(h).toMatchObject({ level: 'unknown', reasons: ['memory unavailable: EACCES'] })
    // Kind-tagged, so the roll-up groups it with the same problem on other hosts.
    expect(h.items?.[0]).toMatchObject({ kind: 'host-unreadable', text: 'memory unavailable: EACCES' })
  })
  it('puts the worst reason first', () => {
    const h = hostHealth({ problems: ['CPU unavailable: x'], memory: mem(0.01), load: null, cpu: null })
    expect(h.level).toBe('critical')
    expect(h.reasons[0]).toMatch(/memory/)
  })
})

describe('filesystem health', () => {
  const now = 1_790_000_000_000
  it('warns from 90 % and is critical from 95 %', () => {
    const at = (usedPct: number) => filesystemHealth({ mount: '/', usedPct, readOnly: false }, none, now).level
    expect(at(89.9)).toBe('ok')
    expect(at(90)).toBe('warning')
    expect(at(94.9)).toBe('warning')
    expect(at(95)).toBe('critical')
  })
  it('escalates on the forecast: under 7 days warning, under a day critical', () => {
    const filling = (ms: number): Forecast => ({ ...none, state: 'filling', fullAt: now + ms, bytesPerDay: 1 })
    const at = (ms: number) => filesystemHealth({ mount: '/data', usedPct: 50, readOnly: false }, filling(ms), now)
    expect(at(8 * 86_400_000).level).toBe('ok')
    expect(at(6 * 86_400_000).level).toBe('warning')
    const crit = at(5 * 3600_000)
    expect(crit.level).toBe('critical')
    expect(crit.reasons[0]).toBe('/data projected full in 5.0 h')
  })
})
