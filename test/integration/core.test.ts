// createGantry end to end in plain Node: real SQLite, real services (with fake or real probes),
// api and events, bounded stop.
import { afterEach, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import { HostSnapshot, StorageSnapshot } from '../../src/shared/contract'
import { fakeHostDeps, fakeStorageDeps } from '../helpers/fakes'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const running: Gantry[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()))
  cleanupTmp()
})

function make(opts: Parameters<typeof createGantry>[0] = {}): Gantry {
  const g = createGantry({
    dataDir: tmpDir(),
    hostIntervalMs: 50,
    storageIntervalMs: 50,
    gpuIntervalMs: 0,
    hostDeps: fakeHostDeps(),
    storageDeps: fakeStorageDeps(),
    log: () => {},
    ...opts,
  })
  running.push(g)
  return g
}

function next<K extends 'host.sample' | 'storage.sample' | 'service.status'>(g: Gantry, name: K) {
  return new Promise<Parameters<Parameters<Gantry['events']['on']>[1]>[0]>((resolve) => {
    const off = g.events.on(name, (p) => {
      off()
      resolve(p as never)
    })
  })
}

describe('createGantry', () => {
  it('polls the host and storage, emits samples, and stores their series', async () => {
    const g = make()
    const host = next(g, 'host.sample')
    const storage = next(g, 'storage.sample')
    g.start()
    expect(HostSnapshot.parse(await host).cpu?.loadPct).toBe(37.5)
    expect(StorageSnapshot.parse(await storage).filesystems.map((f) => f.mount)).toEqual(['/', '/data'])
    const q = await g.client['telemetry.query']({ key: 'host.cpu.load', rangeMs: 60_000 })
    expect(q.ok && q.data.points.length).toBeGreaterThan(0)
    const list = await g.client['telemetry.listSeries']({ prefix: 'fs.used:' })
    expect(list.ok && list.data.map((s) => s.key)).toEqual(['fs.used:/', 'fs.used:/data'])
    const info = await g.client['app.info']({})
    expect(info.ok && info.data.services.map((s) => [s.name, s.state])).toEqual([
      ['host', 'ok'],
      ['storage', 'ok'],
      ['gpu', 'stopped'],
    ])
  })

  it('reports a hung probe as a degraded service with the reason, and still stops promptly', async () => {
    const g = make({
      pollTimeoutMs: 50,
      hostDeps: fakeHostDeps({ mem: () => new Promise(() => {}) }),
    })
    const degraded = new Promise((resolve) => {
      g.events.on('service.status', (s) => {
        if (s.name === 'host' && s.state === 'degraded') resolve(s)
      })
    })
    g.start()
    expect(await degraded).toMatchObject({ reason: 'host: no answer within 50 ms' })
    const snap = await g.client['host.snapshot']({})
    expect(snap.ok && snap.data?.status).toBe('degraded')
    expect(snap.ok && snap.data?.health).toMatchObject({ level: 'unknown', reasons: ['host: no answer within 50 ms'] })
    await g.stop()
    // After stop the database is closed and calls fail cleanly rather than crash.
    const after = await g.client['telemetry.listSeries']({})
    expect(after).toEqual({ ok: false, error: { code: 'core/unavailable', message: 'Gantry is shutting down' } })
  })

  it('answers invalid input with contract/invalid-input and keeps serving', async () => {
    const g = make()
    expect(await g.api.call('telemetry.query', { key: 'x', rangeMs: 'soon' })).toMatchObject({
      ok: false,
      error: { code: 'contract/invalid-input' },
    })
    expect(await g.client['telemetry.query']({ key: 'x', rangeMs: 1000 })).toMatchObject({
      ok: false,
      error: { code: 'telemetry/unknown-series' },
    })
    expect((await g.api.call('app.info', undefined)).ok).toBe(true)
  })

  it('probes this real host through systeminformation', async () => {
    const g = createGantry({ dataDir: tmpDir(), hostIntervalMs: 0, storageIntervalMs: 0, log: () => {} })
    running.push(g)
    const h = await g.client['host.snapshot']({ fresh: true })
    const s = await g.client['storage.list']({ fresh: true })
    if (!h.ok || !s.ok) throw new Error('probe failed')
    const host = HostSnapshot.parse(h.data)
    expect(host.cpu?.cores).toBeGreaterThan(0)
    expect(host.memory?.total).toBeGreaterThan(0)
    const storage = StorageSnapshot.parse(s.data)
    expect(storage.filesystems.some((f) => f.mount === '/')).toBe(true)
  })
})
