// Storage health of this machine: every mounted filesystem (size, used, available, %), disk IO
// rates, and a time-to-full forecast per filesystem fitted on its usage history. Polled on a
// slower cadence than the host: df and the disk counters spawn processes (systeminformation).
import si from 'systeminformation'
import type { DiskIo, Filesystem, StorageSnapshot } from '../../../shared/contract'
import { STORAGE_SERIES, point, type SamplePoint } from '../../../shared/series'
import { errorMessage } from '../errors'
import { forecastFull } from './forecast'
import { HealthBuilder, filesystemHealth } from './health'

export interface StorageProbeDeps {
  fsSize: () => Promise<si.Systeminformation.FsSizeData[]>
  disksIO: () => Promise<si.Systeminformation.DisksIoData | null>
  fsStats: () => Promise<si.Systeminformation.FsStatsData | null>
}

export const systemStorageDeps: StorageProbeDeps = {
  fsSize: () => si.fsSize(),
  disksIO: () => si.disksIO(),
  fsStats: () => si.fsStats(),
}

export interface RawFilesystem {
  mount: string
  device: string
  type: string
  size: number
  used: number
  available: number
  readOnly: boolean | null
}

export interface StorageFacts {
  problems: string[]
  filesystems: RawFilesystem[]
  io: StorageSnapshot['io']
}

const finiteOrNull = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : null)

export async function probeStorage(deps: StorageProbeDeps = systemStorageDeps): Promise<StorageFacts> {
  const problems: string[] = []
  let filesystems: RawFilesystem[] = []
  try {
    const seen = new Set<string>()
    for (const f of await deps.fsSize()) {
      // df lists bind mounts and pseudo filesystems of size 0; a mount point appears once.
      if (!f.mount || !(f.size > 0) || seen.has(f.mount)) continue
      seen.add(f.mount)
      filesystems.push({
        mount: f.mount,
        device: f.fs,
        type: f.type,
        size: f.size,
        used: f.used,
        available: f.available,
        readOnly: typeof f.rw === 'boolean' ? !f.rw : null,
      })
    }
    filesystems = filesystems.sort((a, b) => a.mount.localeCompare(b.mount))
  } catch (err) {
    problems.push(`filesystems unavailable: ${errorMessage(err)}`)
  }
  let io: DiskIo | null = null
  try {
    const [ops, bytes] = await Promise.all([deps.disksIO(), deps.fsStats()])
    io = {
      readOpsPerSec: finiteOrNull(ops?.rIO_sec),
      writeOpsPerSec: finiteOrNull(ops?.wIO_sec),
      readBytesPerSec: finiteOrNull(bytes?.rx_sec),
      writeBytesPerSec: finiteOrNull(bytes?.wx_sec),
    }
  } catch (err) {
    problems.push(`disk IO unavailable: ${errorMessage(err)}`)
  }
  return { problems, filesystems, io }
}

/** Turns probed facts into the snapshot, fitting each filesystem's forecast on its history. */
export function storageSnapshot(
  facts: StorageFacts,
  at: number,
  durationMs: number,
  history: (mount: string) => (readonly [number, number])[],
  host = 'local',
): StorageSnapshot {
  const filesystems: Filesystem[] = facts.filesystems.map((f) => {
    // As df reports it: blocks reserved for root count as neither used nor available to users.
    const usable = f.used + f.available
    const usedPct = usable > 0 ? Math.round((f.used / usable) * 100 * 100) / 100 : 0
    const forecast = forecastFull([...history(f.mount), [at, f.used]], f.available, at)
    return { ...f, usedPct, forecast, health: filesystemHealth({ ...f, usedPct }, forecast, at) }
  })
  const h = new HealthBuilder()
  for (const p of facts.problems) h.add('unknown', p, { kind: 'storage-unreadable', title: 'storage not readable' })
  for (const f of filesystems) h.merge(f.health)
  return {
    host,
    at,
    durationMs,
    status: facts.problems.length > 0 ? 'degraded' : 'ok',
    problems: facts.problems,
    filesystems,
    io: facts.io,
    health: h.build(),
  }
}

export function storagePoints(s: StorageSnapshot): SamplePoint[] {
  const S = STORAGE_SERIES
  const pts: SamplePoint[] = []
  for (const f of s.filesystems) {
    pts.push(point(S.fsUsed, f.used, f.mount))
    pts.push(point(S.fsUsedPct, f.usedPct, f.mount))
  }
  if (s.io) {
    pts.push(point(S.readBps, s.io.readBytesPerSec))
    pts.push(point(S.writeBps, s.io.writeBytesPerSec))
    pts.push(point(S.readIops, s.io.readOpsPerSec))
    pts.push(point(S.writeIops, s.io.writeOpsPerSec))
  }
  return pts
}
