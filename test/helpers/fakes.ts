// Fake probe dependencies for the host and storage services: the same shapes systeminformation
// returns, so the real probe code runs over them.
import type { HostProbeDeps } from '../../src/main/core/telemetry/host'
import type { StorageProbeDeps } from '../../src/main/core/telemetry/storage'

const GiB = 1024 ** 3

export function fakeHostDeps(over: Partial<HostProbeDeps> = {}): HostProbeDeps {
  return {
    currentLoad: async () =>
      ({
        currentLoad: 37.5,
        currentLoadUser: 30,
        currentLoadSystem: 7.5,
        cpus: [{ load: 50 }, { load: 25 }],
      }) as never,
    mem: async () => ({ total: 16 * GiB, available: 12 * GiB, swaptotal: 2 * GiB, swapused: 0 }) as never,
    loadavg: () => [0.5, 0.4, 0.3],
    uptime: () => 3600,
    hostname: () => 'testhost',
    platform: () => 'linux-x64',
    release: () => '6.1.0',
    ...over,
  }
}

export function fakeStorageDeps(over: Partial<StorageProbeDeps> = {}): StorageProbeDeps {
  return {
    fsSize: async () =>
      [
        {
          fs: '/dev/sda1',
          type: 'ext4',
          size: 100 * GiB,
          used: 40 * GiB,
          available: 55 * GiB,
          use: 42.1,
          mount: '/',
          rw: true,
        },
        {
          fs: '/dev/sdb1',
          type: 'xfs',
          size: 1000 * GiB,
          used: 930 * GiB,
          available: 70 * GiB,
          use: 93,
          mount: '/data',
          rw: true,
        },
      ] as never,
    disksIO: async () => ({ rIO_sec: 10, wIO_sec: 20 }) as never,
    fsStats: async () => ({ rx_sec: 1024, wx_sec: 2048 }) as never,
    ...over,
  }
}
