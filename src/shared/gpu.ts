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
