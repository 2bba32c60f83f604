// A real capture from a lent NVIDIA H100 80GB HBM3 (driver 580.159.04, DTD v13), taken with
// scripts/capture-nvidia-smi.sh under a PyTorch bf16 matmul load (see test/fixtures/gpu/SOURCES.md:
// the -q -x and compute-apps files come from the first run, the CSV files from a second run
// straight after it). The values asserted below were read off the capture files by hand.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Gpu, GpuDetail } from '../../src/shared/gpu'
import { gpuFromRow, rowFromLine, rowsFromCsvText } from '../../src/main/core/telemetry/gpu/csv'
import { diagnoseGpu } from '../../src/main/core/telemetry/gpu/diagnose'
import { parseHelpQueryGpu, planFields } from '../../src/main/core/telemetry/gpu/fields'
import { parseComputeApps, parseComputeAppsCsv } from '../../src/main/core/telemetry/gpu/processes'
import { parseNvidiaSmiXml, xmlSchemaOf } from '../../src/main/core/telemetry/gpu/xml'
import { GPU_FIXTURES } from '../helpers/gpu-fixtures'

const read = (name: string) => readFileSync(join(GPU_FIXTURES, name), 'utf8')
const plan = () => planFields(parseHelpQueryGpu(read('h100-help-query-gpu.txt')))
const UUID = 'GPU-dbeb179b-e3b8-0d1b-c1aa-bf91325c72cb'
const NAME = 'NVIDIA H100 80GB HBM3'

describe('H100 capture, driver 580.159.04', () => {
  it('plans the same fields the capture script asked the driver for', () => {
    const p = plan()
    expect(p.query.join(',')).toBe(read('h100-query-fields.txt').trim())
    expect(p.query).toContain('clocks_event_reasons.active')
    expect(p.query).toContain('remapped_rows.pending')
    expect(p.missing).toEqual([])
  })

  it('reads the CSV with header and units', () => {
    const [g] = rowsFromCsvText(read('h100-query-gpu.csv')).map((r, i) => gpuFromRow(r, i))
    expect(Gpu.parse(g)).toEqual(g)
    expect(g).toMatchObject({
      index: 0,
      uuid: UUID,
      name: NAME,
      driverVersion: '580.159.04',
      busId: '00000000:00:06.0',
      memory: { totalMiB: 81559, usedMiB: 1139, freeMiB: 79941 },
      utilization: { gpuPct: 99, memoryPct: 32 },
      temperature: { gpuC: 58, memoryC: 52 },
      power: { drawW: 695.75, limitW: 700 },
      clocks: { smMHz: 1305, memoryMHz: 2619, maxSmMHz: 1980 },
      remappedRows: { correctable: 0, uncorrectable: 0, pending: false, failure: false },
      ecc: { mode: 'Enabled', uncorrectedVolatile: 0 },
      clockEventReasons: ['sw_power_cap'],
      pcie: { genCurrent: 5, genMax: 5, widthCurrent: 16, widthMax: 16 },
      mig: { mode: 'Disabled' },
    })
    expect(g.fanPct).toBeNull()
  })

  it('reads all 8 lines of the -lms 500 stream in the planned column order', () => {
    const p = plan()
    const lines = read('h100-stream.csv').trim().split('\n')
    expect(lines).toHaveLength(8)
    const gpus = lines.map((l) => gpuFromRow(rowFromLine(l, p.logical)))
    expect(gpus.map((g) => g.power.drawW)).toEqual([696.7, 697.57, 696.61, 700.01, 697.85, 696.07, 698.44, 697.36])
    expect(gpus.map((g) => g.clocks.smMHz)).toEqual([1320, 1410, 1335, 1410, 1320, 1425, 1350, 1410])
    for (const g of gpus) {
      expect(g.uuid).toBe(UUID)
      expect(g.utilization.gpuPct).toBe(99)
      expect(g.clockEventReasons).toEqual(['sw_power_cap'])
      expect(g.fanPct).toBeNull()
    }
  })

  it('diagnoses the power cap under load as a warning with its reason', () => {
    const [g] = rowsFromCsvText(read('h100-query-gpu.csv')).map((r, i) => gpuFromRow(r, i))
    const h = diagnoseGpu(g)
    expect(h.level).toBe('warning')
    expect(h.reasons.join(' ')).toMatch(/power/i)
  })

  it('reads the compute process (the load generator) from both CSV forms', () => {
    const a = parseComputeAppsCsv(read('h100-compute-apps.csv'))
    const b = parseComputeApps(read('h100-compute-apps-noheader.csv'))
    expect(a).toHaveLength(1)
    expect(a[0]).toMatchObject({ gpuUuid: UUID, pid: 479, name: 'python3', usedMemoryMiB: 1130 })
    expect(b).toEqual(a)
  })

  it.each(['h100-idle-q.xml', 'h100-load-q.xml'])('parses %s (DTD v13) into the same GPU', async (name) => {
    const text = read(name)
    expect(xmlSchemaOf(text)).toBe('v13')
    const d = await parseNvidiaSmiXml(text, 1)
    expect(GpuDetail.parse(d)).toEqual(d)
    expect(d.driverVersion).toBe('580.159.04')
    expect(d.gpus).toHaveLength(1)
    expect(d.gpus[0]).toMatchObject({ uuid: UUID, name: NAME })
    expect(d.gpus[0].memory.totalMiB).toBe(81559)
    expect(d.gpus[0].power.limitW).toBe(700)
  })

  it('sees the load in the loaded -q -x and not in the idle one', async () => {
    const idle = await parseNvidiaSmiXml(read('h100-idle-q.xml'), 1)
    const busy = await parseNvidiaSmiXml(read('h100-load-q.xml'), 1)
    expect(idle.processes).toHaveLength(0)
    expect(busy.processes.map((p) => p.pid)).toEqual([479])
    expect(idle.gpus[0].utilization.gpuPct).toBe(0)
    expect(busy.gpus[0].utilization.gpuPct).toBe(100)
  })
})
