// Intent against truth, case by case, on probe results shaped like the recorded runtimes.
import { mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { checkIntent } from '../../src/main/core/serving/intent'
import type { ProbeResult, ServedModel } from '../../src/shared/serving'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

afterEach(cleanupTmp)
const probe = (models: ServedModel[], live: boolean | null = true): ProbeResult => ({
  url: 'http://x/',
  kind: 'triton',
  detectedBy: 'given',
  at: 1,
  durationMs: 1,
  live,
  ready: live,
  runtimeVersion: null,
  models,
  metrics: null,
  metricsUrl: null,
  problems: [],
  checks: [],
  smoke: null,
})
const b = { model: 'm', servedName: 'm', alias: 'production' }
const exp = { version: 3, location: '/models/m/3', sha256: 'ab' }
const v = (version: string | null, ready: boolean | null = true, state = 'READY') => ({
  version,
  state,
  ready,
  reason: null,
})

describe('checkIntent', () => {
  it('matches a ready numbered version and flags one that is loaded but not ready', () => {
    expect(checkIntent(b, exp, probe([{ name: 'm', source: null, versions: [v('2'), v('3')] }])).state).toBe('match')
    const r = checkIntent(b, exp, probe([{ name: 'm', source: null, versions: [v('3', false, 'LOADING')] }]))
    expect(r).toMatchObject({ state: 'mismatch', detail: 'v3 is loaded but not ready (LOADING)' })
  })

  it('compares by path for runtimes without versions, following a `current` symlink', () => {
    const d = tmpDir()
    mkdirSync(join(d, '3'))
    symlinkSync(join(d, '3'), join(d, 'current'))
    const e = { ...exp, location: join(d, '3') }
    expect(checkIntent(b, e, probe([{ name: 'm', source: join(d, 'current'), versions: [v(null)] }])).state).toBe(
      'match',
    )
    expect(checkIntent(b, e, probe([{ name: 'm', source: '/elsewhere', versions: [v(null)] }])).state).toBe('mismatch')
  })

  it('says unknown, not match, where the runtime names neither a version nor a path', () => {
    const r = checkIntent(b, exp, probe([{ name: 'm', source: 'sha256:abc', versions: [v('latest')] }]))
    expect(r.state).toBe('unknown')
    expect(r.detail).toMatch(/cannot tell/)
  })

  it('says unknown while the endpoint is down, missing when the name is not served, no-intent without an alias', () => {
    expect(checkIntent(b, exp, probe([], false)).state).toBe('unknown')
    expect(checkIntent(b, exp, null).state).toBe('unknown')
    expect(checkIntent(b, exp, probe([{ name: 'other', source: null, versions: [] }])).state).toBe('missing')
    expect(checkIntent(b, null, probe([])).state).toBe('no-intent')
  })
})
