// Who is using the GPU — the question operators ask most: `--query-compute-apps` on a slower
// cadence, each pid mapped to its OS user (/proc/PID owner, /etc/passwd) and container
// (/proc/PID/cgroup: docker, containerd, CRI-O, podman, kubepods) where /proc allows.
import type { GpuProcess } from '../../../../shared/gpu'
import type { HostAccess } from '../../hosts/access'
import { readNumber } from './values'
import { driverFailure } from './stream'

export const COMPUTE_APPS_FIELDS = 'gpu_uuid,pid,process_name,used_gpu_memory'

/** Rows of `--query-compute-apps=gpu_uuid,pid,process_name,used_gpu_memory --format=csv,noheader,nounits`.
 *  Process names may contain ", " (Windows paths, arguments): uuid and pid are the first two
 *  columns and memory the last, so the name is everything in between. */
export function parseComputeApps(text: string): GpuProcess[] {
  const out: GpuProcess[] = []
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || /^No running (compute )?processes/i.test(line.trim())) continue
    const cells = line.split(', ')
    if (cells.length < 4) continue
    const pid = Number(cells[1])
    if (!Number.isInteger(pid)) continue
    out.push({
      gpuUuid: cells[0].trim() || null,
      pid,
      name: cells.slice(2, -1).join(', ').trim() || '(unnamed)',
      type: 'C',
      usedMemoryMiB: readNumber(cells[cells.length - 1]).value,
      user: null,
      container: null,
    })
  }
  return out
}

const CONTAINER_PATTERNS = [
  /docker[-/]([0-9a-f]{12,64})/,
  /cri-containerd-([0-9a-f]{12,64})/,
  /crio-([0-9a-f]{12,64})/,
  /libpod-([0-9a-f]{12,64})/,
  /containerd\/([0-9a-f]{12,64})/,
  /kubepods[^\n]*?([0-9a-f]{64})/,
]

export function containerFromCgroup(cgroup: string): string | null {
  for (const re of CONTAINER_PATTERNS) {
    const m = re.exec(cgroup)
    if (m) return m[1].slice(0, 12)
  }
  return null
}

/** Fills user and container from /proc where readable (host PIDs; inside a container they may not exist). */
/** Each process with its OS user and container, as that host's /proc shows them. */
export async function enrich(access: HostAccess, procs: GpuProcess[]): Promise<GpuProcess[]> {
  if (procs.length === 0) return procs
  const info = await access.processes(procs.map((p) => p.pid)).catch(() => new Map())
  return procs.map((p) => {
    const i = info.get(p.pid)
    return { ...p, user: i?.user ?? null, container: i?.cgroup ? containerFromCgroup(i.cgroup) : null }
  })
}

/** The compute apps on a host. No abort on purpose: the access settles only once nvidia-smi is
 *  gone (its own timeout SIGKILLs), so a poller never starts a sibling next to a hung one. */
export async function queryComputeApps(
  access: HostAccess,
  bin: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<GpuProcess[]> {
  const r = await access.run([bin, `--query-compute-apps=${COMPUTE_APPS_FIELDS}`, '--format=csv,noheader,nounits'], {
    timeoutMs,
    maxBytes: 4 * 1024 * 1024,
    signal,
  })
  const failure = driverFailure(`${r.stdout}${r.stderr}`)
  if (failure) throw new Error(failure)
  if (r.error) throw new Error(`nvidia-smi --query-compute-apps failed: ${r.error}`)
  if (r.timedOut) throw new Error(`nvidia-smi --query-compute-apps gave no answer within ${timeoutMs / 1000} s`)
  if (r.code !== 0)
    throw new Error(
      `nvidia-smi --query-compute-apps failed: ${(r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.code}`}`,
    )
  return enrich(access, parseComputeApps(r.stdout))
}

/** A recorded `--query-compute-apps=… --format=csv` with its header (any column order, units allowed). */
export function parseComputeAppsCsv(text: string): GpuProcess[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  if (lines.length === 0) return []
  const header = lines[0].split(', ').map((h) => h.replace(/\s*\[[^\]]*\]$/, '').trim())
  const col = (...names: string[]): number => header.findIndex((h) => names.includes(h))
  const [uuid, pid, name, mem] = [
    col('gpu_uuid'),
    col('pid'),
    col('process_name', 'name'),
    col('used_gpu_memory', 'used_memory'),
  ]
  if (pid < 0 || name < 0)
    throw new Error('not a --query-compute-apps CSV with a header (pid and process_name at least)')
  const extra = (cells: string[]): number => cells.length - header.length // commas inside the name
  return lines.slice(1).flatMap((line) => {
    const cells = line.split(', ')
    const x = extra(cells)
    if (x < 0 || !Number.isInteger(Number(cells[pid]))) return []
    const at = (i: number): string | undefined => (i < 0 ? undefined : i > name ? cells[i + x] : cells[i])
    return [
      {
        gpuUuid: at(uuid)?.trim() || null,
        pid: Number(cells[pid]),
        name:
          cells
            .slice(name, name + x + 1)
            .join(', ')
            .trim() || '(unnamed)',
        type: 'C',
        usedMemoryMiB: mem < 0 ? null : readNumber(at(mem)).value,
        user: null,
        container: null,
      },
    ]
  })
}
