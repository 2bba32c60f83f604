// Host and storage probes over systeminformation-shaped inputs: partial failures become nulls
// with reasons, never zeros.
import { describe, expect, it } from 'vitest'
import { probeHost, hostSnapshot, hostPoints } from '../../src/main/core/telemetry/host'
import { probeStorage, storageSnapshot } from '../../src/main/core/telemetry/storage'
import { HostSnapshot, StorageSnapshot } from '../../src/shared/contract'
import { fakeHostDeps, fakeStorageDeps } from '../helpers/fakes'

const GiB = 1024 ** 3
const T = 1_790_000_000_000

describe('the host probe', () => {
  it('normalizes CPU, memory and load into the contract', async () => {
    const s = hostSnapshot(await probeHost(fakeHostDeps()), T, 3)
    expect(HostSnapshot.parse(s)).toEqual(s)
    expect(s.status).toBe('ok')
    expect(s.cpu).toMatchObject({ loadPct: 37.5, cores: 2, perCorePct: [50, 25] })
    expect(s.memory).toMatchObject({ total: 16 * GiB, used: 4 * GiB, usedPct: 25 })
    expect(s.load).toEqual({ one: 0.5, five: 0.4, fifteen: 0.3 })
    expect(s.health.level).toBe('ok')
  })

  it('keeps what it could read when one part fails, and says why', async () => {
    const facts = await probeHost(
      fakeHostDeps({
        mem: async () => {
          throw new Error("ENOENT: no such file or directory, open '/proc/meminfo'")
        },
        loadavg: () => [Number.NaN, 0, 0],
      }),
    )
    const s = hostSnapshot(facts, T, 1)
    expect(s.status).toBe('degraded')
    expect(s.memory).toBeNull()
    expect(s.load).toBeNull()
    expect(s.cpu?.loadPct).toBe(37.5)
    expect(s.problems).toEqual([
      "memory unavailable: ENOENT: no such file or directory, open '/proc/meminfo'",
      'load average unavailable: no load average',
    ])
    expect(s.health.level).toBe('unknown')
    // Unknown values are gaps in the series, not zeros.
    expect(hostPoints(s).find(([k]) => k === 'host.mem.used_pct')?.[1]).toBeNull()
  })
})

describe('the storage probe', () => {
  it('lists each mount once, drops size-0 pseudo filesystems, and computes use as df does', async () => {
    const facts = await probeStorage(
      fakeStorageDeps({
        fsSize: async () =>
          [
            {
              fs: '/dev/sda1',
              type: 'ext4',
              size: 100 * GiB,
              used: 45 * GiB,
              available: 50 * GiB,
              mount: '/',
              rw: true,
            },
            {
              fs: '/dev/sda1',
              type: 'ext4',
              size: 100 * GiB,
              used: 45 * GiB,
              available: 50 * GiB,
              mount: '/',
              rw: true,
            },
            { fs: 'proc', type: 'proc', size: 0, used: 0, available: 0, mount: '/proc', rw: true },
            { fs: '/dev/sr0', type: 'iso9660', size: GiB, used: GiB, available: 0, mount: '/media/cd', rw: false },
          ] as never,
      }),
    )
    const s = storageSnapshot(facts, T, 2, () => [])
    expect(StorageSnapshot.parse(s)).toEqual(s)
    expect(s.filesystems.map((f) => f.mount)).toEqual(['/', '/media/cd'])
    // 45 used of 95 usable (5 GiB reserved for root) = 47.37 %, not 45 %.
    expect(s.filesystems[0].usedPct).toBe(47.37)
    expect(s.filesystems[1]).toMatchObject({ readOnly: true, usedPct: 100 })
    expect(s.io).toEqual({ readOpsPerSec: 10, writeOpsPerSec: 20, readBytesPerSec: 1024, writeBytesPerSec: 2048 })
  })

  it('reports IO rates as null (not 0) before the second sample', async () => {
    const facts = await probeStorage(
      fakeStorageDeps({
        disksIO: async () => ({ rIO_sec: null, wIO_sec: null }) as never,
        fsStats: async () => ({ rx_sec: null, wx_sec: -1 }) as never,
      }),
    )
    expect(facts.io).toEqual({
      readOpsPerSec: null,
      writeOpsPerSec: null,
      readBytesPerSec: null,
      writeBytesPerSec: null,
    })
  })

  it('degrades with the reason when df fails, and rolls filesystem health up', async () => {
    const facts = await probeStorage(
      fakeStorageDeps({
        fsSize: async () => {
          throw new Error('df: timed out')
        },
      }),
    )
    const s = storageSnapshot(facts, T, 2, () => [])
    expect(s.status).toBe('degraded')
    expect(s.problems).toEqual(['filesystems unavailable: df: timed out'])
    expect(s.health.level).toBe('unknown')

    const full = storageSnapshot(await probeStorage(fakeStorageDeps()), T, 2, () => [])
    expect(full.health.level).toBe('warning')
    expect(full.health.reasons).toEqual(['/data is 93.0 % full'])
  })

  it('forecasts from the history it is given', async () => {
    const facts = await probeStorage(fakeStorageDeps())
    // /data grows 10 GiB per hour over the last hour; 70 GiB left.
    const hist = (mount: string) =>
      mount === '/data'
        ? Array.from({ length: 61 }, (_, i) => [T - 3600_000 + i * 60_000, 920 * GiB + (10 * GiB * i) / 60] as const)
        : []
    const s = storageSnapshot(facts, T, 2, hist)
    const data = s.filesystems.find((f) => f.mount === '/data')
    expect(data?.forecast.state).toBe('filling')
    expect(data?.health.level).toBe('critical')
    expect(data?.health.reasons).toContain('/data projected full in 7.0 h')
  })
})
