// The questions Gantry asks a Prometheus about a fleet, in one place: every query aggregated
// server-side (max by instance and GPU, never raw series), grouped by metric name so a poll is a
// handful of requests whatever the fleet's size. Names are dcgm-exporter's (NVIDIA's default
// counters), the older utkuozdemir/nvidia_gpu_exporter's (`nvidia_smi_*`) and node_exporter's.

/** dcgm-exporter fields Gantry reads, by what they mean. Several are not in its default counters. */
export const DCGM = {
  util: 'DCGM_FI_DEV_GPU_UTIL',
  memCopyUtil: 'DCGM_FI_DEV_MEM_COPY_UTIL',
  fbUsed: 'DCGM_FI_DEV_FB_USED',
  fbFree: 'DCGM_FI_DEV_FB_FREE',
  fbTotal: 'DCGM_FI_DEV_FB_TOTAL',
  fbReserved: 'DCGM_FI_DEV_FB_RESERVED',
  temp: 'DCGM_FI_DEV_GPU_TEMP',
  memTemp: 'DCGM_FI_DEV_MEMORY_TEMP',
  slowdownTemp: 'DCGM_FI_DEV_SLOWDOWN_TEMP',
  shutdownTemp: 'DCGM_FI_DEV_SHUTDOWN_TEMP',
  power: 'DCGM_FI_DEV_POWER_USAGE',
  powerLimit: 'DCGM_FI_DEV_POWER_MGMT_LIMIT',
  smClock: 'DCGM_FI_DEV_SM_CLOCK',
  memClock: 'DCGM_FI_DEV_MEM_CLOCK',
  xid: 'DCGM_FI_DEV_XID_ERRORS',
  remapUncorrectable: 'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS',
  remapCorrectable: 'DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS',
  remapFailure: 'DCGM_FI_DEV_ROW_REMAP_FAILURE',
  pstate: 'DCGM_FI_DEV_PSTATE',
  throttle: 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS',
  eccDbeVolatile: 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL',
  eccSbeVolatile: 'DCGM_FI_DEV_ECC_SBE_VOL_TOTAL',
  fan: 'DCGM_FI_DEV_FAN_SPEED',
} as const
export type DcgmField = keyof typeof DCGM

/** nvidia_gpu_exporter (one series per `--query-gpu` field, labelled `uuid`). */
export const LEGACY = {
  util: 'nvidia_smi_utilization_gpu_ratio',
  memUtil: 'nvidia_smi_utilization_memory_ratio',
  memUsed: 'nvidia_smi_memory_used_bytes',
  memTotal: 'nvidia_smi_memory_total_bytes',
  memFree: 'nvidia_smi_memory_free_bytes',
  temp: 'nvidia_smi_temperature_gpu',
  power: 'nvidia_smi_power_draw_watts',
  powerLimit: 'nvidia_smi_enforced_power_limit_watts',
  smClock: 'nvidia_smi_clocks_current_sm_clock_hz',
  fan: 'nvidia_smi_fan_speed_ratio',
} as const
export type LegacyField = keyof typeof LEGACY

export const NODE = {
  memTotal: 'node_memory_MemTotal_bytes',
  memAvailable: 'node_memory_MemAvailable_bytes',
  swapTotal: 'node_memory_SwapTotal_bytes',
  swapFree: 'node_memory_SwapFree_bytes',
  load1: 'node_load1',
  load5: 'node_load5',
  load15: 'node_load15',
  bootTime: 'node_boot_time_seconds',
} as const

/** Filesystems that are not storage an operator fills (as node_exporter's own defaults exclude). */
export const FS_FILTER =
  'fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|proc|sysfs|autofs|fuse\\\\..*|tracefs|cgroup2?|efivarfs|rootfs"'

/** A PromQL string literal (label values in queries built from known label values). */
export function quote(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

const names = (xs: readonly string[]): string => xs.map((x) => x.replace(/[^A-Za-z0-9_:]/g, '')).join('|')

/** `max by (__name__, <by>)` over several metrics in one request (their values keep their names). */
export function grouped(metrics: readonly string[], by: string, filter = ''): string {
  return `max by (__name__, ${by}) ({__name__=~"${names(metrics)}"${filter ? `, ${filter}` : ''}})`
}

/** Splits a list into chunks: responses stay well under the size cap at 500 hosts × 8 GPUs. */
export function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

/** A matcher for a host's instances (`instance=~"a|b"`), their values regex-escaped. */
export function instanceMatcher(instances: readonly string[]): string {
  const alt = instances.map((i) => i.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')
  return `instance=~${quote(alt)}`
}

const and = (...m: string[]): string => m.filter(Boolean).join(', ')

/** Everything about the hosts `filter` selects (their instances), per GPU and per filesystem: a
 *  host's page. Filtered by instance, so its cost is that host's series, not the fleet's. */
export function detailQueries(filter: string) {
  return {
    up: `up{${filter}}`,
    dcgmGpus: `group by (instance, Hostname, UUID, gpu, modelName) ({${and('__name__=~"DCGM_FI_.+"', 'UUID!=""', filter)}})`,
    dcgmFields: chunks(Object.values(DCGM), 6).map((c) => grouped(c, 'instance, UUID', and('UUID!=""', filter))),
    legacyGpus: `group by (instance, uuid, name) ({${and('__name__=~"nvidia_smi_.+"', 'uuid!=""', filter)}})`,
    legacyFields: chunks(Object.values(LEGACY), 5).map((c) => grouped(c, 'instance, uuid', and('uuid!=""', filter))),
    nodeUname: `group by (instance, nodename, sysname, release) (node_uname_info{${filter}})`,
    nodeFields: grouped(Object.values(NODE), 'instance', filter),
    nodeCpu: `100 * avg by (instance, mode) (rate(node_cpu_seconds_total{${and('mode=~"idle|user|system|iowait"', filter)}}[1m]))`,
    nodeCores: `count by (instance) (node_cpu_seconds_total{${and('mode="idle"', filter)}})`,
    fs: grouped(
      [
        'node_filesystem_size_bytes',
        'node_filesystem_avail_bytes',
        'node_filesystem_free_bytes',
        'node_filesystem_readonly',
      ],
      'instance, mountpoint, device, fstype',
      and(FS_FILTER, filter),
    ),
    /** Available bytes a day from now at the last 6 h's trend (least squares, as predict_linear fits),
     *  only for filesystems with at least an hour of history (a few minutes' noise is no trend). */
    fsTrend:
      `max by (instance, mountpoint) (predict_linear(node_filesystem_avail_bytes{${and(FS_FILTER, filter)}}[6h], 86400)` +
      ` and on (instance, mountpoint) (node_filesystem_avail_bytes{${and(FS_FILTER, filter)}} offset 1h))`,
  }
}

/** dcgm-exporter names a GPU is found by (one of them is exported for any GPU that exports anything). */
const IDENTITY =
  'DCGM_FI_DEV_(GPU_TEMP|FB_USED|FB_TOTAL|GPU_UTIL|POWER_USAGE|POWER_MGMT_LIMIT|SLOWDOWN_TEMP|PSTATE)|DCGM_FI_PROF_(GR_ENGINE_ACTIVE|SM_ACTIVE|DRAM_ACTIVE)'
const GPU_BY = 'instance, Hostname, UUID, gpu'
const FS_ = (m: string): string => `max by (instance, mountpoint) (node_filesystem_${m}_bytes{${FS_FILTER}})`

/** The fleet overview: per host (instance) aggregates, and only the GPUs and filesystems that have
 *  something to say (hot, an XID, a failed remap, filling) — a few small answers whatever the size. */
export const SUMMARY_QUERIES = {
  up: 'up',
  /** Which GPUs each exporter (and Hostname) has: one row per GPU, asked every 30 s (not every poll). */
  dcgmGpus: `group by (instance, Hostname, UUID) ({__name__=~"${IDENTITY}", UUID!=""})`,
  legacyGpus:
    'group by (instance, uuid) ({__name__=~"nvidia_smi_(utilization_gpu_ratio|memory_used_bytes|temperature_gpu)", uuid!=""})',
  dcgmUtil: `avg by (instance, Hostname) (${DCGM.util})`,
  legacyUtil: `100 * avg by (instance) (${LEGACY.util})`,
  xid: `max by (${GPU_BY}) (${DCGM.xid}) != 0`,
  hot: `max by (${GPU_BY}) (${DCGM.temp}) >= 75`,
  hotSlowdown: `max by (instance, UUID) (${DCGM.slowdownTemp}) and on (instance, UUID) (max by (instance, UUID) (${DCGM.temp}) >= 75)`,
  legacyHot: `max by (instance, uuid) (${LEGACY.temp}) >= 75`,
  faults: `max by (__name__, ${GPU_BY}) ({__name__=~"${DCGM.remapFailure}|${DCGM.eccDbeVolatile}"}) > 0`,
  uname: 'group by (instance, nodename) (node_uname_info)',
  cpu: '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[1m])))',
  mem: `100 * (1 - max by (instance) (${NODE.memAvailable}) / max by (instance) (${NODE.memTotal}))`,
  fullest: `topk by (instance) (1, 100 * (1 - ${FS_('avail')} / (${FS_('avail')} + ${FS_('size')} - ${FS_('free')})))`,
  /** Days until full at the last 6 h's trend, for filesystems filling within 7 days (with an hour of history). */
  filling:
    `(${FS_('avail')} / ((${FS_('avail')} - max by (instance, mountpoint) (predict_linear(node_filesystem_avail_bytes{${FS_FILTER}}[6h], 86400))) > 0)) < 7` +
    ` and on (instance, mountpoint) (node_filesystem_avail_bytes{${FS_FILTER}} offset 1h)`,
  /** Which optional fields exist at all (asked now and then, not every poll). */
  present: `count by (__name__) ({__name__=~"${DCGM.slowdownTemp}|${DCGM.powerLimit}|${DCGM.xid}"})`,
} as const

/** PromQL for one stored-series key of a Prometheus host (the charts' history, via query_range). */
export function historyQuery(
  key: string,
  id: string | null,
  ctx: { gpuFlavor?: 'dcgm' | 'legacy'; instance?: string },
): string | null {
  const uuid = id === null ? '' : quote(id)
  const inst = ctx.instance ? quote(ctx.instance) : null
  if (key.startsWith('gpu.') && id !== null) {
    if (ctx.gpuFlavor === 'legacy') {
      const u = `{uuid=${uuid}}`
      switch (key) {
        case 'gpu.util':
          return `100 * max(${LEGACY.util}${u})`
        case 'gpu.mem_used_pct':
          return `100 * max(${LEGACY.memUsed}${u}) / max(${LEGACY.memTotal}${u})`
        case 'gpu.temp':
          return `max(${LEGACY.temp}${u})`
        case 'gpu.power':
          return `max(${LEGACY.power}${u})`
      }
      return null
    }
    const u = `{UUID=${uuid}}`
    switch (key) {
      case 'gpu.util':
        return `max(${DCGM.util}${u})`
      case 'gpu.mem_used_pct':
        return `100 * max(${DCGM.fbUsed}${u}) / (max(${DCGM.fbUsed}${u}) + max(${DCGM.fbFree}${u}))`
      case 'gpu.temp':
        return `max(${DCGM.temp}${u})`
      case 'gpu.power':
        return `max(${DCGM.power}${u})`
    }
    return null
  }
  if (!inst) return null
  switch (key) {
    case 'host.cpu.load':
      return `100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle", instance=${inst}}[1m])))`
    case 'host.mem.used_pct':
      return `100 * (1 - max(${NODE.memAvailable}{instance=${inst}}) / max(${NODE.memTotal}{instance=${inst}}))`
    case 'host.load.1':
      return `max(${NODE.load1}{instance=${inst}})`
    case 'fs.used_pct':
      if (id === null) return null
      return (
        `100 * (1 - max(node_filesystem_avail_bytes{instance=${inst}, mountpoint=${uuid}}) / ` +
        `(max(node_filesystem_avail_bytes{instance=${inst}, mountpoint=${uuid}}) + ` +
        `max(node_filesystem_size_bytes{instance=${inst}, mountpoint=${uuid}}) - max(node_filesystem_free_bytes{instance=${inst}, mountpoint=${uuid}})))`
      )
  }
  return null
}
