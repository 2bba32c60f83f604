// XID events from the kernel log (`NVRM: Xid (PCI:0000:0c:00): 79, pid=…, GPU has fallen off the
// bus.`), with what the common codes mean to an operator and how serious they are.
import type { HostAccess } from '../../hosts/access'

export interface XidEvent {
  at: number | null
  busId: string | null
  code: number
  meaning: string
  line: string
}

/** Meanings from NVIDIA's XID catalogue, worded for the person on call. */
export const XID_MEANINGS: Record<number, { meaning: string; severity: 'warning' | 'critical' }> = {
  13: { meaning: 'graphics engine exception (usually an application fault)', severity: 'warning' },
  31: { meaning: 'GPU memory page fault (application or driver bug)', severity: 'warning' },
  43: { meaning: 'GPU stopped processing (a channel was reset)', severity: 'warning' },
  45: { meaning: 'preemptive cleanup after earlier errors', severity: 'warning' },
  48: { meaning: 'double-bit ECC error: uncorrectable memory error', severity: 'critical' },
  61: { meaning: 'internal micro-controller breakpoint/warning', severity: 'warning' },
  62: { meaning: 'internal micro-controller halt', severity: 'critical' },
  63: { meaning: 'ECC page retirement or row remapping recorded', severity: 'warning' },
  64: { meaning: 'ECC page retirement or row remapping failed', severity: 'critical' },
  74: { meaning: 'NVLink error', severity: 'critical' },
  79: { meaning: 'GPU has fallen off the bus', severity: 'critical' },
  92: { meaning: 'high single-bit ECC error rate', severity: 'warning' },
  94: { meaning: 'contained ECC error: restart the affected application', severity: 'warning' },
  95: { meaning: 'uncontained ECC error: GPU reset required', severity: 'critical' },
  119: { meaning: 'GSP RPC timeout', severity: 'critical' },
  120: { meaning: 'GSP error', severity: 'critical' },
}

/** NVIDIA's resolution bucket for the codes that need more than restarting the application
 *  (docs.nvidia.com/deploy/xid-errors, as mirrored by gpud's catalogue): these are latched. */
export const XID_ACTION: Record<number, 'RESET_GPU' | 'RESTART_BM' | 'WORKFLOW_XID_48' | 'WORKFLOW_NVLINK_ERR'> = {
  46: 'RESET_GPU',
  48: 'WORKFLOW_XID_48',
  62: 'RESET_GPU',
  64: 'RESET_GPU',
  74: 'WORKFLOW_NVLINK_ERR',
  79: 'RESTART_BM',
  95: 'RESET_GPU',
  109: 'RESET_GPU',
  119: 'RESET_GPU',
  120: 'RESET_GPU',
  140: 'RESET_GPU',
  143: 'RESET_GPU',
}

/** What an operator must do about an XID, in words (null: restarting the application is enough). */
export function xidAction(code: number): string | null {
  switch (XID_ACTION[code]) {
    case 'RESET_GPU':
      return 'reset the GPU'
    case 'RESTART_BM':
      return 'reboot the machine'
    case 'WORKFLOW_XID_48':
      return 'reset the GPU (double-bit ECC) and check its row remapping'
    case 'WORKFLOW_NVLINK_ERR':
      return 'check the NVLink and reset the GPU'
    default:
      return null
  }
}

const XID_LINE = /NVRM: Xid \(PCI:([0-9a-fA-F:.]+)\): (\d+)/

/** Parses `dmesg` output; kernel timestamps (seconds since boot) become epoch ms given the boot time. */
export function parseXidLog(text: string, bootTimeMs: number | null): XidEvent[] {
  const events: XidEvent[] = []
  for (const line of text.split('\n')) {
    const m = XID_LINE.exec(line)
    if (!m) continue
    const code = Number(m[2])
    const ts = /^\[\s*(\d+\.\d+)\]/.exec(line)
    events.push({
      at: ts && bootTimeMs !== null ? Math.round(bootTimeMs + Number(ts[1]) * 1000) : null,
      busId: normalizeBusId(m[1]),
      code,
      meaning: XID_MEANINGS[code]?.meaning ?? 'see NVIDIA’s XID catalogue',
      line: line.trim().slice(0, 300),
    })
  }
  return events
}

/** "0000:0c:00" (kernel) and "00000000:0C:00.0" (nvidia-smi) name the same device. */
export function normalizeBusId(id: string): string {
  const parts = id.toLowerCase().split(':')
  if (parts.length < 3) return id.toLowerCase()
  const [domain, bus, devfn] = parts
  return `${domain.slice(-4).padStart(4, '0')}:${bus.padStart(2, '0')}:${devfn.split('.')[0].padStart(2, '0')}`
}

/** Reads a host's kernel log with the host's boot time (its uptime: dmesg stamps seconds since
 *  boot); null when it is not readable (no dmesg, or dmesg_restrict). */
export async function readKernelLog(
  access: HostAccess,
  timeoutMs = 5000,
): Promise<{ text: string; bootTime: number } | null> {
  const r = await access.run(['sh', '-c', 'cat /proc/uptime && exec dmesg'], { timeoutMs, maxBytes: 16 * 1024 * 1024 })
  if (r.code !== 0) return null
  const nl = r.stdout.indexOf('\n')
  const uptime = Number(r.stdout.slice(0, nl).split(' ')[0])
  if (!Number.isFinite(uptime)) return null
  return { text: r.stdout.slice(nl + 1), bootTime: Date.now() - uptime * 1000 }
}
