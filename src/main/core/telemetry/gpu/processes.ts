// Who is using the GPU — the question operators ask most: `--query-compute-apps` on a slower
// cadence, each pid mapped to its OS user (/proc/PID owner, /etc/passwd) and container
// (/proc/PID/cgroup: docker, containerd, CRI-O, podman, kubepods) where /proc allows.
import type { GpuProcess } from '../../../../shared/gpu'
import type { HostAccess, ProcFacts } from '../../hosts/access'
import { readNumber } from './values'
import { driverFailure } from './stream'

/** A process before /proc and pmon were asked (each fact unknown). */
export const NO_PROC_FACTS = {
  command: null,
  cpuPct: null,
  hostMemBytes: null,
  startedAt: null,
  smPct: null,
  unknownWhy: null,
} as const

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
      ...NO_PROC_FACTS,
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

/** CPU seconds of each process at the previous reading (a process is its pid and start time). */
export type CpuHistory = Map<string, { at: number; cpuSeconds: number }>

/** Each process with what that host's /proc says of it: user, container, command line, CPU since
 *  the previous reading, resident memory, start time; and why nothing, where /proc has nothing. */
export async function enrich(
  access: HostAccess,
  procs: GpuProcess[],
  o: { now?: () => number; history?: CpuHistory; sm?: Map<string, number | null> } = {},
): Promise<GpuProcess[]> {
  if (procs.length === 0) return procs
  let info: Map<number, ProcFacts>
  let failed: string | null = null
  try {
    info = await access.processes(procs.map((p) => p.pid))
  } catch (err) {
    info = new Map()
    failed = err instanceof Error ? err.message : String(err)
  }
  const at = (o.now ?? Date.now)()
  const seen = new Set<string>()
  const cpuNow = new Map<string, number | null>()
  const out = procs.map((p): GpuProcess => {
    const i = info.get(p.pid)
    const sm = o.sm?.get(`${p.gpuUuid}:${p.pid}`) ?? null
    if (!i)
      return {
        ...p,
        user: null,
        container: null,
        ...NO_PROC_FACTS,
        smPct: sm,
        unknownWhy: failed
          ? `the host's /proc could not be read: ${failed}`
          : "not in this host's /proc: its pid is another PID namespace's (a container's), or it ended",
      }
    // One CPU figure per process per reading (a process on several GPUs has a row on each).
    const key = `${p.pid}:${i.startedAt ?? ''}`
    let cpuPct: number | null = null
    if (cpuNow.has(key)) cpuPct = cpuNow.get(key) ?? null
    else {
      if (i.cpuSeconds !== null && i.cpuSeconds !== undefined && o.history) {
        const before = o.history.get(key)
        if (before && at > before.at)
          cpuPct = Math.max(0, ((i.cpuSeconds - before.cpuSeconds) / ((at - before.at) / 1000)) * 100)
        o.history.set(key, { at, cpuSeconds: i.cpuSeconds })
      }
      cpuNow.set(key, cpuPct)
    }
    seen.add(key)
    return {
      ...p,
      user: i.user,
      container: i.cgroup ? containerFromCgroup(i.cgroup) : null,
      command: i.cmdline ?? null,
      cpuPct,
      hostMemBytes: i.rssBytes ?? null,
      startedAt: i.startedAt ?? null,
      smPct: sm,
      // A uid without a name is printed as "uid 1234" here and "UNKNOWN" by stat over SSH.
      unknownWhy:
        i.user === null
          ? "its owner could not be read from the host's /proc"
          : /^(uid \d+|UNKNOWN)$/.test(i.user)
            ? "its owner's uid has no name in the host's /etc/passwd (a container's user?)"
            : null,
    }
  })
  if (o.history) for (const k of o.history.keys()) if (!seen.has(k)) o.history.delete(k) // ended
  return out
}

/** `nvidia-smi pmon -c 1 -s u`: SM % per (GPU index, pid). Columns are found by the header
 *  (`# gpu pid type sm mem enc dec [jpg ofa] command`); "-" is no sample (null). */
export function parsePmon(text: string): { gpu: number; pid: number; sm: number | null }[] {
  const lines = text.split(/\r?\n/)
  const head = lines.find((l) => /^#\s*gpu\s+pid\b/i.test(l))
  if (!head) return []
  const cols = head
    .replace(/^#/, '')
    .trim()
    .split(/\s+/)
    .map((c) => c.toLowerCase())
  const [gi, pi, si] = [cols.indexOf('gpu'), cols.indexOf('pid'), cols.indexOf('sm')]
  if (gi < 0 || pi < 0 || si < 0) return []
  const out: { gpu: number; pid: number; sm: number | null }[] = []
  for (const l of lines) {
    if (l.startsWith('#') || !l.trim()) continue
    const c = l.trim().split(/\s+/)
    const gpu = Number(c[gi])
    const pid = Number(c[pi])
    if (!Number.isInteger(gpu) || !Number.isInteger(pid)) continue
    const sm = Number(c[si])
    out.push({ gpu, pid, sm: c[si] === '-' || !Number.isFinite(sm) ? null : sm })
  }
  return out
}

/** The compute apps on a host. No abort on purpose: the access settles only once nvidia-smi is
 *  gone (its own timeout SIGKILLs), so a poller never starts a sibling next to a hung one. */
export async function queryComputeApps(
  access: HostAccess,
  bin: string,
  timeoutMs: number,
  signal?: AbortSignal,
  o: { history?: CpuHistory; uuidOf?: (index: number) => string | undefined; now?: () => number } = {},
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
  const procs = parseComputeApps(r.stdout)
  return enrich(access, procs, {
    history: o.history,
    now: o.now,
    sm: procs.length ? await smShares(access, bin, signal, o.uuidOf) : undefined,
  })
}

/** SM % per "uuid:pid" from one pmon sample; empty where pmon is missing or fails (the share is then unknown). */
async function smShares(
  access: HostAccess,
  bin: string,
  signal: AbortSignal | undefined,
  uuidOf: ((index: number) => string | undefined) | undefined,
): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>()
  if (!uuidOf) return out
  const r = await access
    .run([bin, 'pmon', '-c', '1', '-s', 'u'], { timeoutMs: 5000, maxBytes: 1024 * 1024, signal })
    .catch(() => null)
  if (!r || r.code !== 0) return out
  for (const row of parsePmon(r.stdout)) {
    const uuid = uuidOf(row.gpu)
    if (!uuid) continue
    const k = `${uuid}:${row.pid}`
    // pmon prints a process once per sample; a null never hides a number seen for it.
    if (row.sm !== null || !out.has(k)) out.set(k, row.sm === null ? (out.get(k) ?? null) : row.sm)
  }
  return out
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
        ...NO_PROC_FACTS,
      },
    ]
  })
}
