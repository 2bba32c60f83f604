// The CSV side of GPU telemetry against real recordings: field discovery per driver, recorded
// --query-gpu CSVs with units, placeholders as null (never 0), compute-apps rows, diagnosis.
import { describe, expect, it } from 'vitest'
import { Gpu } from '../../src/shared/gpu'
import {
  cellsFromLine,
  createLineReader,
  gpuFromCells,
  gpuFromRow,
  indexColumns,
  rowFromLine,
  rowsFromCsvText,
} from '../../src/main/core/telemetry/gpu/csv'
import { diagnoseGpu } from '../../src/main/core/telemetry/gpu/diagnose'
import { clockReasonsFromMask, parseHelpQueryGpu, planFields } from '../../src/main/core/telemetry/gpu/fields'
import {
  NO_PROC_FACTS,
  containerFromCgroup,
  enrich,
  parseComputeApps,
  parseComputeAppsCsv,
  parsePmon,
  type CpuHistory,
} from '../../src/main/core/telemetry/gpu/processes'
import { createLocalAccess } from '../../src/main/core/hosts/local-access'
import { anyFiles } from '../helpers/files'
import { driverFailure } from '../../src/main/core/telemetry/gpu/stream'
import { normalizeBusId, parseXidLog } from '../../src/main/core/telemetry/gpu/xid'
import { BUNDLES, bundleSection, fixture } from '../helpers/gpu-fixtures'

const help590 = () => parseHelpQueryGpu(bundleSection(BUNDLES.h100, 'capabilities :: help-query-gpu'))
const gpuCsv = (b: string, phase = 'load') => bundleSection(b, `${phase} :: query-gpu (csv, what the exporter parses)`)

describe('field discovery', () => {
  it('uses clocks_throttle_reasons on an old driver and clocks_event_reasons on 590', () => {
    const old = planFields(parseHelpQueryGpu(fixture('netdata__help-query-gpu.txt')))
    expect(old.query).toContain('clocks_throttle_reasons.active')
    expect(old.query).not.toContain('clocks_event_reasons.active')
    expect(old.missing).toContain('remapped_rows.pending')
    const now = planFields(help590())
    expect(now.query).toContain('clocks_event_reasons.active')
    expect(now.query).toContain('remapped_rows.pending')
    expect(now.query).toContain('power.draw')
    expect(now.query.length).toBe(now.logical.length)
  })

  it('refuses a driver that cannot name its GPUs', () => {
    expect(() => planFields(new Set(['timestamp', 'index']))).toThrow(/cannot report count, uuid, name/)
  })

  it('decodes clock event reason bitmasks', () => {
    expect(clockReasonsFromMask(0)).toEqual([])
    expect(clockReasonsFromMask(0x1)).toEqual(['gpu_idle'])
    expect(clockReasonsFromMask(0x44)).toEqual(['sw_power_cap', 'hw_thermal_slowdown'])
  })
})

describe('recorded --query-gpu CSV', () => {
  it('reads the H100 under load with values from the recording', () => {
    const [g] = rowsFromCsvText(gpuCsv(BUNDLES.h100)).map((r, i) => gpuFromRow(r, i))
    expect(Gpu.parse(g)).toEqual(g)
    expect(g).toMatchObject({
      index: 0,
      name: 'NVIDIA H100 80GB HBM3',
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      memory: { totalMiB: 81559, usedMiB: 19818 },
      utilization: { gpuPct: 100 },
      temperature: { gpuC: 59 },
      power: { drawW: 631.95, limitW: 700 },
      clockEventReasons: [],
      pcie: { widthCurrent: 16, widthMax: 16 },
      mig: { mode: 'Disabled' },
      remappedRows: { pending: false },
    })
  })

  it('keeps MIG-mode utilization as null with its reason, never 0', () => {
    const [g] = rowsFromCsvText(gpuCsv(BUNDLES.h100mig)).map((r, i) => gpuFromRow(r, i))
    expect(g.mig.mode).toBe('Enabled')
    expect(g.utilization.gpuPct).toBeNull()
    expect(g.unavailable['utilization.gpu']).toBe('N/A')
    expect(g.memory.usedMiB).toBe(11125)
    expect(g.power.drawW).toBe(433.78)
  })

  it('reads every recorded bundle, idle and loaded', () => {
    for (const b of Object.values(BUNDLES)) {
      for (const phase of ['idle', 'load']) {
        const gpus = rowsFromCsvText(gpuCsv(b, phase)).map((r, i) => gpuFromRow(r, i))
        expect(gpus.length, `${b} ${phase}`).toBe(1)
        expect(Gpu.parse(gpus[0]).name).toMatch(/NVIDIA|GeForce/)
      }
    }
  })

  it('says what is wrong with a CSV that is not --query-gpu output', () => {
    expect(() => rowsFromCsvText('')).toThrow(/empty CSV/)
    expect(() => rowsFromCsvText('hello, world\n1, 2')).toThrow(/uuid and name/)
    expect(() => rowsFromCsvText('index, uuid, name\n0, GPU-x')).toThrow(/line 2: expected 3 columns, got 2/)
  })

  it('rejects a stream line of the wrong width instead of shifting columns', () => {
    expect(() => rowFromLine('0, GPU-1', ['index', 'uuid', 'name'])).toThrow(/expected 3 columns, got 2/)
    expect(rowFromLine('0, GPU-1, Tesla T4', ['index', 'uuid', 'name'])).toEqual({
      index: '0',
      uuid: 'GPU-1',
      name: 'Tesla T4',
    })
  })

  it('reads a stream line by position exactly as through a row (every recorded stream line)', () => {
    for (const prefix of ['h100', 'h200']) {
      const plan = planFields(parseHelpQueryGpu(fixture(`${prefix}-help-query-gpu.txt`)))
      const cols = indexColumns(plan.logical)
      const lines = fixture(`${prefix}-stream.csv`).trim().split('\n')
      expect(lines.length).toBeGreaterThan(4)
      const reader = createLineReader(plan.logical)
      const again = createLineReader(plan.logical)
      lines.forEach((line, i) => {
        const byCells = gpuFromCells(cellsFromLine(line, plan.logical.length), cols, i)
        expect(byCells).toEqual(gpuFromRow(rowFromLine(line, plan.logical), i))
        expect(Gpu.parse(byCells)).toEqual(byCells)
        // and the stream's in-place reader gives the same object: first sight of each text, then
        // the same line again at the same position (remembered text), then every line at
        // position 0 of one reader (remembered text replaced line after line)
        expect(reader.split(line)).toBe(true)
        expect(reader.gpu(i)).toEqual(byCells)
        expect(reader.split(line)).toBe(true)
        expect(reader.gpu(i)).toEqual(byCells)
        expect(again.split(line)).toBe(true)
        expect(again.gpu(0)).toEqual(gpuFromCells(cellsFromLine(line, plan.logical.length), cols, 0))
      })
    }
    const r = createLineReader(['index', 'uuid', 'name'])
    expect(r.split('0, GPU-1')).toBe(false)
    expect(r.split('0, GPU-1, a, b')).toBe(false)
    expect(r.split(' 3 , GPU-1,  Tesla T4 ')).toBe(true)
    expect(r.cellIs('uuid', 'GPU-1')).toBe(true)
    expect(r.cellIs('uuid', 'GPU-12')).toBe(false)
    expect(r.cellIs('uuid', 'GPU-')).toBe(false)
    expect(r.cell('name')).toBe('Tesla T4')
    expect(r.number('index')).toBe(3)
    expect(r.number('name')).toBeNaN()
    expect(r.cell('fan.speed')).toBeUndefined()
    // The tolerant split still applies when a line is separated by bare commas.
    expect(cellsFromLine('0,GPU-1,Tesla T4', 3)).toEqual(['0', 'GPU-1', 'Tesla T4'])
    expect(() => cellsFromLine('0, GPU-1', 3)).toThrow(/expected 3 columns, got 2/)
  })

  it('the stream reader takes a changed cell at the same position for what it now says', () => {
    const r = createLineReader(['index', 'uuid', 'fan.speed', 'retired_pages.pending', 'clock_reasons.active'])
    const read = (line: string) => {
      expect(r.split(line)).toBe(true)
      return r.gpu(0)
    }
    for (let k = 0; k < 3; k++) {
      const a = read('0, GPU-a, [N/A], Yes, 0x0000000000000004')
      expect(a.uuid).toBe('GPU-a')
      expect(a.fanPct).toBeNull()
      expect(a.unavailable).toEqual({ 'fan.speed': 'N/A' }) // a remembered reading still names its reason
      expect(a.retiredPages.pending).toBe(true)
      expect(a.clockEventReasons).toEqual(['sw_power_cap'])
      const b = read('0, GPU-b, 40, No, 0x0000000000000001')
      expect(b.uuid).toBe('GPU-b')
      expect(b.fanPct).toBe(40)
      expect(b.unavailable).toEqual({})
      expect(b.retiredPages.pending).toBe(false)
      expect(b.clockEventReasons).toEqual(['gpu_idle'])
      const c = read('0, GPU-, [Not Supported], [N/A], [N/A]') // a prefix of the last uuid
      expect(c.uuid).toBe('GPU-')
      expect(c.unavailable).toEqual({
        'fan.speed': 'Not Supported',
        'retired_pages.pending': 'N/A',
        'clock_reasons.active': 'N/A',
      })
      expect(c.clockEventReasons).toBeNull()
    }
    // a line of another width leaves nothing half-read behind
    expect(r.split('0, GPU-a')).toBe(false)
    expect(read('1, GPU-z, 55, No, 0x0000000000000000').index).toBe(1)
  })

  it('reads values right past the text cache bound (a stream of ever-new names cannot grow it)', () => {
    const cols = indexColumns(['index', 'uuid', 'name', 'fan.speed'])
    for (let i = 0; i < 10_000; i++) {
      const g = gpuFromCells([String(i), `GPU-${i}`, `card ${i}`, i % 2 ? '[N/A]' : '40'], cols)
      expect(g.uuid).toBe(`GPU-${i}`)
      expect(g.name).toBe(`card ${i}`)
      expect(g.fanPct).toBe(i % 2 ? null : 40)
      if (i % 2) expect(g.unavailable['fan.speed']).toBe('N/A')
    }
  })

  it('turns every nvidia-smi placeholder into null with the reason', () => {
    const g = gpuFromRow({
      index: '0',
      uuid: 'GPU-1',
      name: 'x',
      'power.draw': '[Not Supported]',
      'power.limit': '[Unknown Error]',
      'fan.speed': '[N/A]',
      'clocks.max.sm': '[Requested functionality has been deprecated]',
      'utilization.gpu': '0',
    })
    expect(g.power).toEqual({ drawW: null, limitW: null })
    expect(g.fanPct).toBeNull()
    expect(g.utilization.gpuPct).toBe(0)
    expect(g.unavailable).toEqual({
      'power.draw': 'Not Supported',
      'power.limit': 'Unknown Error',
      'fan.speed': 'N/A',
      'clocks.max.sm': 'Requested functionality has been deprecated',
    })
  })
})

describe('compute apps', () => {
  it('reads recorded processes, including Windows paths and N/A memory', () => {
    const text = (b: string) => bundleSection(b, 'load :: query-compute-apps (per-process)')
    const h100 = parseComputeAppsCsv(text(BUNDLES.h100))
    expect(h100.map((p) => [p.pid, p.name, p.usedMemoryMiB])).toEqual([
      [11327, '/root/tools/memhog', 2566],
      [11328, '/root/tools/memhog', 1542],
      [11345, './gpu_burn', 15690],
    ])
    expect(h100[0].gpuUuid).toBe('GPU-00000000-0000-0000-0000-000000000000')
    const win = parseComputeAppsCsv(text(BUNDLES.win2080))
    expect(win.length).toBeGreaterThan(3)
    expect(win[0]).toMatchObject({ pid: 2140, name: 'C:\\Windows\\System32\\dwm.exe', usedMemoryMiB: null })
  })

  it('keeps a process name that contains the separator whole', () => {
    const [p] = parseComputeApps('GPU-1, 42, python train.py --tags a, b, 1024\n')
    expect(p).toMatchObject({ gpuUuid: 'GPU-1', pid: 42, name: 'python train.py --tags a, b', usedMemoryMiB: 1024 })
    expect(parseComputeApps('No running processes found\n')).toEqual([])
  })

  it("reads pmon's SM share per process from the recorded H100 under load, '-' as no sample", () => {
    const rows = parsePmon(bundleSection(BUNDLES.h100, 'load :: pmon (per-process monitor)'))
    expect(rows.find((r) => r.pid === 11345)).toEqual({ gpu: 0, pid: 11345, sm: 99 })
    expect(rows.find((r) => r.pid === 11327)?.sm).toBeNull()
    // The idle section prints "-" for the pid too: no rows.
    expect(parsePmon(bundleSection(BUNDLES.h100, 'idle :: pmon (per-process monitor)'))).toEqual([])
  })

  it('maps a pid to its user and container from /proc', async () => {
    const p = {
      gpuUuid: 'GPU-1',
      name: 'node',
      type: 'C' as const,
      usedMemoryMiB: 1,
      user: null,
      container: null,
      ...NO_PROC_FACTS,
    }
    const history: CpuHistory = new Map()
    let t = Date.now()
    const read = () =>
      enrich(
        createLocalAccess(anyFiles),
        [
          { ...p, pid: process.pid },
          { ...p, pid: 2 ** 22 + 1 },
        ],
        { history, now: () => t, sm: new Map([[`GPU-1:${process.pid}`, 37]]) },
      )
    const [me, gone] = await read()
    expect(me.user).toBeTruthy()
    expect(gone.user).toBeNull()
    // nvitop's columns: the command line, resident memory, when it started, its SM share; CPU % from the second reading.
    expect(me.command).toContain(process.argv0.split('/').pop())
    expect(me.hostMemBytes).toBeGreaterThan(10 * 1024 * 1024)
    expect(me.startedAt).toBeLessThanOrEqual(Date.now())
    expect(me.startedAt).toBeGreaterThan(Date.now() - 24 * 3600_000 * 365)
    expect(me.smPct).toBe(37)
    expect(me.cpuPct).toBeNull()
    expect(gone.unknownWhy).toMatch(/another PID namespace/)
    const until = Date.now() + 300
    while (Date.now() < until) Math.sqrt(Math.random()) // use some CPU between the readings
    t += 1000
    const [again] = await read()
    expect(again.cpuPct).toBeGreaterThan(0)
    const id = '4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b'
    expect(containerFromCgroup(`0::/system.slice/docker-${id}.scope\n`)).toBe(id.slice(0, 12))
    expect(containerFromCgroup(`0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-${id}.scope`)).toBe(
      id.slice(0, 12),
    )
    expect(containerFromCgroup(`12:devices:/docker/${id}`)).toBe(id.slice(0, 12))
    expect(containerFromCgroup('0::/user.slice/user-1000.slice/session-2.scope')).toBeNull()
  })
})

describe('XID and driver failures', () => {
  it('reads XID lines from the kernel log with their meaning and device', () => {
    const log = [
      '[ 1234.567890] NVRM: Xid (PCI:0000:0c:00): 79, pid=1234, GPU has fallen off the bus.',
      '[ 1300.000001] NVRM: Xid (PCI:0000:3b:00): 13, Graphics SM Warp Exception',
      '[ 1400.1] usb 1-1: new device',
    ].join('\n')
    const x = parseXidLog(log, 1_000_000)
    expect(x.map((e) => [e.code, e.busId, e.at])).toEqual([
      [79, '0000:0c:00', 1_000_000 + 1_234_568],
      [13, '0000:3b:00', 1_000_000 + 1_300_000],
    ])
    expect(x[0].meaning).toBe('GPU has fallen off the bus')
    expect(normalizeBusId('00000000:0C:00.0')).toBe('0000:0c:00')
  })

  it('recognises the driver/library version mismatch', () => {
    expect(driverFailure('Failed to initialize NVML: Driver/library version mismatch\n')).toMatch(
      /driver\/library version mismatch/,
    )
    expect(driverFailure('all fine')).toBeNull()
  })
})

describe('GPU diagnosis', () => {
  const base = () => gpuFromRow({ index: '0', uuid: 'GPU-1', name: 'x', 'pci.bus_id': '00000000:0C:00.0' })
  it('is ok with nothing to report', () => {
    expect(diagnoseGpu(base())).toEqual({ level: 'ok', reasons: [] })
  })
  it('judges temperature against the slowdown threshold on both sides', () => {
    const at = (t: number, slow: number | null) => {
      const g = base()
      g.temperature.gpuC = t
      return diagnoseGpu(g, [], slow).level
    }
    expect(at(87, 93)).toBe('ok')
    expect(at(88, 93)).toBe('warning')
    expect(at(93, 93)).toBe('critical')
    expect(at(84, null)).toBe('ok')
    expect(at(85, null)).toBe('warning')
  })
  it('flags capping, ECC, remaps, a narrow PCIe link and XIDs for this GPU only', () => {
    const g = base()
    g.clockEventReasons = ['sw_power_cap']
    g.power = { drawW: 299.6, limitW: 300 }
    g.ecc.uncorrectedVolatile = 2
    g.remappedRows.pending = true
    g.pcie = { genCurrent: 4, genMax: 4, widthCurrent: 8, widthMax: 16 }
    const xids = parseXidLog(
      '[ 1.0] NVRM: Xid (PCI:0000:0c:00): 79, pid=1\n[ 2.0] NVRM: Xid (PCI:0000:99:00): 48, x',
      0,
    )
    const h = diagnoseGpu(g, xids)
    expect(h.level).toBe('critical')
    expect(h.reasons).toEqual([
      '2 uncorrected ECC errors since the last driver load',
      'XID 79: GPU has fallen off the bus',
      'power capping active (drawing 300 of 300 W)',
      'row remap pending: reset the GPU to apply it',
      'PCIe link running x8 of x16 (reseat or check the slot)',
    ])
  })
  it('ignores a lower PCIe generation while idle but not under load', () => {
    const g = base()
    g.pcie = { genCurrent: 1, genMax: 4, widthCurrent: 16, widthMax: 16 }
    g.utilization.gpuPct = 0
    expect(diagnoseGpu(g).level).toBe('ok')
    g.utilization.gpuPct = 90
    expect(diagnoseGpu(g).reasons).toEqual(['PCIe Gen1 under load, capable of Gen4'])
  })
})
