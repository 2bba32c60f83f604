// The normalized GPU model: what the streaming CSV collector, the `-q -x` XML parser and the CLI's
// --from-csv / --from-xml all produce. Every value nvidia-smi could not give is null, with the
// reason kept in `unavailable` ("[N/A]", "[Not Supported]", …) — never 0.
import { z } from 'zod'
import { Health } from './contract-base'

const n = z.number().nullable()

export const MigDevice = z.object({
  index: z.number().int().nullable(),
  gpuInstanceId: z.number().int().nullable(),
  computeInstanceId: z.number().int().nullable(),
  /** e.g. "3g.40gb" where the source names it. */
  profile: z.string().nullable(),
  uuid: z.string().nullable(),
  memoryTotalMiB: n,
  memoryUsedMiB: n,
  smCount: n,
})
export type MigDevice = z.infer<typeof MigDevice>

export const GpuProcess = z.object({
  gpuUuid: z.string().nullable(),
  pid: z.number().int(),
  name: z.string(),
  /** "C" compute, "G" graphics, "C+G"; null where the source does not say. */
  type: z.string().nullable(),
  usedMemoryMiB: n,
  /** OS user owning the process, from /proc where readable. */
  user: z.string().nullable(),
  /** Container id (docker, containerd, podman, kubepods) from /proc/PID/cgroup where readable. */
  container: z.string().nullable(),
  /** Its command line (/proc/PID/cmdline), where readable. */
  command: z.string().nullable().default(null),
  /** CPU used since the previous process reading, % of one core (null on the first reading). */
  cpuPct: n.default(null),
  /** Resident host memory (VmRSS), bytes. */
  hostMemBytes: n.default(null),
  /** When it started (epoch ms: its start in clock ticks after the host's boot). */
  startedAt: n.default(null),
  /** Its share of the GPU's SMs (`nvidia-smi pmon -s u`), %; null where pmon has no sample. */
  smPct: n.default(null),
  /** Why the host's /proc says nothing of it, where it does not (another PID namespace, ended). */
  unknownWhy: z.string().nullable().default(null),
})
export type GpuProcess = z.infer<typeof GpuProcess>

export const Gpu = z.object({
  index: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  busId: z.string().nullable(),
  driverVersion: z.string().nullable(),
  pstate: z.string().nullable(),
  utilization: z.object({ gpuPct: n, memoryPct: n }),
  memory: z.object({ totalMiB: n, usedMiB: n, freeMiB: n }),
  temperature: z.object({ gpuC: n, memoryC: n, slowdownC: n, shutdownC: n }),
  power: z.object({ drawW: n, limitW: n }),
  clocks: z.object({ smMHz: n, memoryMHz: n, maxSmMHz: n }),
  /** Active clock event (throttle) reasons by name, e.g. ["sw_power_cap"]; null when unknown. */
  clockEventReasons: z.array(z.string()).nullable(),
  fanPct: n,
  ecc: z.object({ mode: z.string().nullable(), correctedVolatile: n, uncorrectedVolatile: n, uncorrectedAggregate: n }),
  retiredPages: z.object({ singleBit: n, doubleBit: n, pending: z.boolean().nullable() }),
  remappedRows: z.object({
    correctable: n,
    uncorrectable: n,
    pending: z.boolean().nullable(),
    failure: z.boolean().nullable(),
  }),
  pcie: z.object({ genCurrent: n, genMax: n, widthCurrent: n, widthMax: n }),
  mig: z.object({ mode: z.string().nullable(), devices: z.array(MigDevice) }),
  /** Field → why it is null (the placeholder nvidia-smi printed). */
  unavailable: z.record(z.string(), z.string()),
})
export type Gpu = z.infer<typeof Gpu>

/** nvidia-smi's clock event reasons in plain words: the group title, and the reason's text. */
export const CLOCK_EVENT_REASONS: Record<string, { level: 'warning' | 'critical'; title: string; text: string }> = {
  hw_thermal_slowdown: {
    level: 'critical',
    title: 'too hot: clocks cut by the hardware',
    text: 'hardware thermal slowdown active (clocks cut: the GPU is too hot)',
  },
  sw_thermal_slowdown: {
    level: 'warning',
    title: 'running hot: clocks lowered by the driver',
    text: 'software thermal slowdown active (the driver lowers clocks to stay under its temperature target)',
  },
  hw_power_brake_slowdown: {
    level: 'critical',
    title: 'power brake: clocks cut by an external signal',
    text: 'hardware power brake active (an external power signal, e.g. the PSU or the chassis)',
  },
  hw_slowdown: {
    level: 'warning',
    title: 'hardware slowdown (heat or power brake)',
    text: 'hardware slowdown active (thermal or power brake)',
  },
  sw_power_cap: {
    level: 'warning',
    title: 'power cap: clocks held down to stay under the power limit',
    text: 'power capping active',
  },
}

export const GpuState = z.enum(['starting', 'ok', 'no-driver', 'not-responding', 'error', 'off'])

export const GpuDiagnosis = z.object({ uuid: z.string(), health: Health })

/** The live GPU picture of this host. */
export const GpuSnapshot = z.object({
  /** Gantry's name of the host these GPUs are in ("local" for this machine). */
  host: z.string().default('local'),
  at: z.number(),
  state: GpuState,
  /** Why the state is not ok ("no NVIDIA GPU (nvidia-smi not found)", "nvidia-smi not responding for 12 s"). */
  reason: z.string().nullable(),
  driverVersion: z.string().nullable(),
  gpus: z.array(Gpu),
  health: z.array(GpuDiagnosis),
  processes: z.array(GpuProcess),
  processesAt: z.number().nullable(),
  /** Recent XID events from the kernel log (null when the log is not readable). */
  xids: z
    .array(
      z.object({
        at: z.number().nullable(),
        busId: z.string().nullable(),
        code: z.number().int(),
        meaning: z.string(),
        line: z.string(),
      }),
    )
    .nullable(),
})
export type GpuSnapshot = z.infer<typeof GpuSnapshot>

/** A full `nvidia-smi -q -x` reading, normalized. */
export const GpuDetail = z.object({
  at: z.number(),
  schema: z.enum(['v11', 'v12', 'v13', 'none']),
  driverVersion: z.string().nullable(),
  cudaVersion: z.string().nullable(),
  gpus: z.array(Gpu),
  processes: z.array(GpuProcess),
})
export type GpuDetail = z.infer<typeof GpuDetail>
