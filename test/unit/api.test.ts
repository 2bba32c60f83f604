// The dispatcher turns every failure into a contract-shaped Result: nothing thrown escapes.
import { describe, expect, it, vi } from 'vitest'
import { createApi, type Handlers } from '../../src/main/core/api'
import { GantryError } from '../../src/main/core/errors'

const series = { key: 'k', unit: null, from: 0, to: 1, stepMs: 1, source: 'raw' as const, points: [] }

const notUsed = (): never => {
  throw new Error('not used')
}

function handlers(over: Partial<Handlers> = {}): Handlers {
  return {
    'app.info': () => {
      throw new Error('not used')
    },
    'health.get': notUsed,
    'host.snapshot': () => null,
    'storage.list': () => null,
    'telemetry.query': () => series,
    'telemetry.listSeries': () => [],
    'gpu.snapshot': () => {
      throw new Error('not used')
    },
    'gpu.detail': () => {
      throw new Error('not used')
    },
    'serving.probe': () => {
      throw new Error('not used')
    },
    'serving.listEndpoints': () => [],
    'serving.addEndpoint': () => {
      throw new Error('not used')
    },
    'serving.removeEndpoint': () => ({}),
    'serving.configureEndpoint': notUsed,
    'registry.listModels': notUsed,
    'registry.getModel': notUsed,
    'registry.getVersion': notUsed,
    'registry.createModel': notUsed,
    'registry.updateModel': notUsed,
    'registry.reviewModel': notUsed,
    'registry.register': notUsed,
    'registry.setAlias': notUsed,
    'registry.removeAlias': notUsed,
    'registry.transition': notUsed,
    'registry.requestApproval': notUsed,
    'registry.decideApproval': notUsed,
    'registry.commentApproval': notUsed,
    'registry.verifyArtifact': notUsed,
    'registry.scanTriton': notUsed,
    'registry.importMlflow': notUsed,
    'deploy.listTargets': notUsed,
    'deploy.addTarget': notUsed,
    'deploy.removeTarget': notUsed,
    'deploy.run': notUsed,
    'deploy.rollbackPlan': notUsed,
    'deploy.rollback': notUsed,
    'deploy.list': notUsed,
    'deploy.guard': notUsed,
    'deploy.setRule': notUsed,
    'deploy.dismissSuggestion': notUsed,
    'deploy.reconcile': notUsed,
    'drift.report': notUsed,
    'drift.setMonitor': notUsed,
    'drift.monitor': notUsed,
    'drift.poll': notUsed,
    'drift.windows': notUsed,
    'audit.list': notUsed,
    'audit.verify': notUsed,
    'files.roots': notUsed,
    'files.setRoots': () => ({ roots: ['/data'], source: 'stored' as const, never: [] }),
    'hosts.list': () => [],
    'hosts.test': notUsed,
    'hosts.add': notUsed,
    'hosts.update': notUsed,
    'hosts.acceptKey': notUsed,
    'hosts.remove': notUsed,
    'prometheus.list': () => [],
    'prometheus.add': notUsed,
    'prometheus.test': notUsed,
    'prometheus.remove': notUsed,
    'prometheus.ackXid': notUsed,
    'kpi.list': () => [],
    'kpi.set': notUsed,
    'kpi.remove': notUsed,
    'alerts.list': notUsed,
    'alerts.get': notUsed,
    'alerts.history': notUsed,
    'alerts.ack': notUsed,
    'alerts.rules': notUsed,
    'alerts.setRule': notUsed,
    'alerts.removeRule': notUsed,
    'alerts.silences': notUsed,
    'alerts.silence': notUsed,
    'alerts.expireSilence': notUsed,
    'alerts.forward': notUsed,
    'alerts.forwardStatus': notUsed,
    'alerts.notifications': notUsed,
    'retrain.trigger': notUsed,
    'retrain.setTrigger': notUsed,
    'retrain.removeTrigger': notUsed,
    'retrain.run': notUsed,
    'retrain.runs': notUsed,
    'front.add': notUsed,
    'front.list': notUsed,
    'front.remove': notUsed,
    'release.plan': notUsed,
    'release.start': notUsed,
    'release.status': notUsed,
    'release.list': notUsed,
    'release.pause': notUsed,
    'release.resume': notUsed,
    'release.abort': notUsed,
    'release.promote': notUsed,
    ...over,
  }
}

describe('the api dispatcher', () => {
  it('answers a valid call with {ok:true,data}', async () => {
    const api = createApi(handlers())
    await expect(api.call('telemetry.query', { key: 'k', rangeMs: 1000 })).resolves.toEqual({ ok: true, data: series })
    await expect(api.call('host.snapshot', undefined)).resolves.toEqual({ ok: true, data: null })
  })

  it('answers an unknown method with contract/unknown-method, including prototype names', async () => {
    const api = createApi(handlers())
    for (const m of ['nope', '__proto__', 'constructor', 'toString']) {
      const r = await api.call(m, {})
      expect(r.ok ? null : r.error.code).toBe('contract/unknown-method')
    }
  })

  it('answers invalid input with contract/invalid-input naming the field, without calling the handler', async () => {
    const query = vi.fn(() => series)
    const api = createApi(handlers({ 'telemetry.query': query }))
    const r = await api.call('telemetry.query', { key: 7 })
    expect(r).toMatchObject({ ok: false, error: { code: 'contract/invalid-input' } })
    expect(r.ok ? '' : r.error.message).toMatch(/key/)
    expect(query).not.toHaveBeenCalled()
  })

  it('passes a GantryError code through and hides plain errors behind core/internal', async () => {
    const log = vi.fn()
    const api = createApi(
      handlers({
        'telemetry.query': () => {
          throw new GantryError('telemetry/unknown-series', 'no series named "k"')
        },
        'telemetry.listSeries': () => {
          throw new TypeError('boom')
        },
      }),
      { onInternalError: log },
    )
    expect(await api.call('telemetry.query', { key: 'k', rangeMs: 1 })).toEqual({
      ok: false,
      error: { code: 'telemetry/unknown-series', message: 'no series named "k"' },
    })
    const r = await api.call('telemetry.listSeries', {})
    expect(r).toMatchObject({ ok: false, error: { code: 'core/internal' } })
    expect(log).toHaveBeenCalledOnce()
  })

  it('maps SQLITE_BUSY to db/busy', async () => {
    const api = createApi(
      handlers({
        'telemetry.listSeries': () => {
          throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
        },
      }),
    )
    expect(await api.call('telemetry.listSeries', {})).toMatchObject({ ok: false, error: { code: 'db/busy' } })
  })

  it('refuses to hand out a result that breaks the contract', async () => {
    const api = createApi(handlers({ 'telemetry.listSeries': () => [{ key: 5 }] as never }))
    const r = await api.call('telemetry.listSeries', {})
    expect(r).toMatchObject({ ok: false, error: { code: 'core/internal' } })
  })

  it('refuses an owner-only method to the web and desktop doors, and lets the CLI (no door) call it', async () => {
    const set = vi.fn(() => ({ roots: ['/data'], source: 'stored' as const, never: [] }))
    const api = createApi(handlers({ 'files.setRoots': set }))
    for (const door of ['web', 'desktop'] as const) {
      expect(await api.call('files.setRoots', { roots: ['/data'] }, { actor: 'alice via web', door })).toMatchObject({
        ok: false,
        error: { code: 'auth/unauthorized', message: expect.stringMatching(/only be called with the gantry command/) },
      })
    }
    expect(set).not.toHaveBeenCalled()
    expect(await api.call('files.setRoots', { roots: ['/data'] })).toMatchObject({ ok: true })
    expect(set).toHaveBeenCalledOnce()
  })

  it('reports every call of a file-reading method with its paths, caller and outcome, failed ones too', async () => {
    const reads: unknown[] = []
    const api = createApi(
      handlers({
        'drift.report': () => {
          throw new GantryError('files/refused', 'dataset /etc/shadow is under /etc')
        },
      }),
      { onFileRead: (c) => reads.push(c) },
    )
    const caller = { actor: 'mallory via web', door: 'web' as const }
    await api.call('drift.report', { reference: '/etc/shadow', current: '/etc/passwd' }, caller)
    await api.call('telemetry.listSeries', {}, caller) // reads no files: not reported
    expect(reads).toEqual([
      {
        method: 'drift.report',
        paths: ['/etc/shadow', '/etc/passwd'],
        model: null,
        outcome: 'files/refused',
        caller,
      },
    ])
  })
})
