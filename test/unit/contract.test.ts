// Pins the contract: names, schemas and the Result shape every door relies on. The expectTypeOf
// assertions fail `npm run typecheck` when the contract drifts from its name lists.
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  EVENT_NAMES,
  METHOD_NAMES,
  events,
  methods,
  type EventName,
  type GantryClient,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  type Series,
} from '../../src/shared/contract'
import { ERROR_CODES, fail, ok, type ErrorCode, type Result } from '../../src/shared/result'

describe('the contract', () => {
  it('has exactly the methods and events named in names.ts (types and runtime agree)', () => {
    expectTypeOf<keyof typeof methods>().toEqualTypeOf<MethodName>()
    expectTypeOf<keyof typeof events>().toEqualTypeOf<EventName>()
    expect(Object.keys(methods).sort()).toEqual([...METHOD_NAMES].sort())
    expect(Object.keys(events).sort()).toEqual([...EVENT_NAMES].sort())
  })

  it('names methods area.verb and events area.noun', () => {
    for (const m of METHOD_NAMES) expect(m).toMatch(/^[a-z]+\.[a-z][A-Za-z]+$/)
    for (const e of EVENT_NAMES) expect(e).toMatch(/^[a-z]+\.[a-z]+$/)
  })

  it('types results as {ok,data} | {ok:false,error:{code,message}} with a closed code set', () => {
    expectTypeOf<Result<number>>().toEqualTypeOf<
      { ok: true; data: number } | { ok: false; error: { code: ErrorCode; message: string } }
    >()
    expectTypeOf<'not-a-code'>().not.toMatchTypeOf<ErrorCode>()
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length)
    expect(ok(1)).toEqual({ ok: true, data: 1 })
    expect(fail('core/internal', 'x')).toEqual({ ok: false, error: { code: 'core/internal', message: 'x' } })
  })

  it('types the client from the schemas', () => {
    expectTypeOf<MethodInput<'telemetry.query'>>().toEqualTypeOf<{
      host?: string | undefined
      key: string
      rangeMs: number
      to?: number | undefined
      maxPoints?: number | undefined
    }>()
    expectTypeOf<MethodOutput<'telemetry.query'>>().toEqualTypeOf<Series>()
    expectTypeOf<GantryClient['telemetry.query']>().returns.resolves.toEqualTypeOf<Result<Series>>()
  })

  it('rejects unknown fields and wrong types on every method with an object input', () => {
    for (const m of METHOD_NAMES) {
      const input = methods[m].input
      expect(input.safeParse({ surprise: true }).success, m).toBe(false)
      expect(input.safeParse(42).success, m).toBe(false)
      expect(input.safeParse('x').success, m).toBe(false)
    }
  })

  it('bounds telemetry.query so one call cannot ask for unbounded work', () => {
    const q = methods['telemetry.query'].input
    expect(q.safeParse({ key: 'host.cpu.load', rangeMs: 60_000 }).success).toBe(true)
    expect(q.safeParse({ key: 'host.cpu.load', rangeMs: 60_000, maxPoints: 5001 }).success).toBe(false)
    expect(q.safeParse({ key: 'host.cpu.load', rangeMs: 401 * 24 * 3600_000 }).success).toBe(false)
    expect(q.safeParse({ key: '', rangeMs: 60_000 }).success).toBe(false)
    expect(q.safeParse({ key: 'x', rangeMs: -1 }).success).toBe(false)
  })
})
