// A real capture from a lent NVIDIA H200 (driver 580.159.04, DTD v13), taken with
// scripts/capture-nvidia-smi.sh under a PyTorch bf16 matmul load (see test/fixtures/gpu/SOURCES.md).
// The values asserted below were read off the capture files by hand.
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
const plan = () => planFields(parseHelpQueryGpu(read('h200-help-query-gpu.txt')))
const UUID = 'GPU-712db037-dd55-2264-16d4-2fd2846a530f'

describe('H200 capture, driver 580.159.04', () => {
  it('plans the same fields the capture script asked the driver for', () => {
    const p = plan()
    expect(p.query.join(',')).toBe(read('h200-query-fields.txt').trim())
    expect(p.query).toContain('clocks_event_reasons.active')
    expect(p.query).toContain('remapped_rows.pending')
    expect(p.missing).toEqual([])
  })

  it('reads the CSV with header and units', () => {
    const [g] = rowsFromCsvText(read('h200-query-gpu.csv')).map((r, i) => gpuFromRow(r, i))
    expect(Gpu.parse(g)).toEqual(g)
    expect(g).toMatchObject({
      index: 0,
      uuid: UUID,
      name: 'NVIDIA H200',
      driverVersion: '580.159.04',
      memory: { totalMiB: 143771, usedMiB: 1139 },
      utilization: { gpuPct: 100, memoryPct: 24 },
      temperature: { gpuC: 64, memoryC: 53 },
      power: { drawW: 693.62, limitW: 700 },
      clockEventReasons: ['sw_power_cap'],
      pcie: { genCurrent: 5, genMax: 5, widthCurrent: 16, widthMax: 16 },
      mig: { mode: 'Disabled' },
    })
    expect(g.fanPct).toBeNull()
  })

  it('reads every line of the -lms stream in the planned column order', () => {
    const p = plan()
    const lines = read('h200-stream.csv').trim().split('\n')
    expect(lines.length).toBeGreaterThanOrEqual(5)
    const gpus = lines.map((l) => gpuFromRow(rowFromLine(l, p.logical)))
    for (const g of gpus) {
      expect(g.uuid).toBe(UUID)
      expect(g.utilization.gpuPct).toBe(100)
      expect(g.power.drawW).toBeGreaterThan(600)
      expect(g.fanPct).toBeNull()
    }
    const first = gpuFromRow(rowFromLine(lines[0], p.logical))
    expect(first.power.drawW).toBe(694.58)
    expect(first.clocks.smMHz).toBe(1470)
  })

  it('diagnoses the power cap under load as a warning with its reason', () => {
    const [g] = rowsFromCsvText(read('h200-query-gpu.csv')).map((r, i) => gpuFromRow(r, i))
    const h = diagnoseGpu(g)
    expect(h.level).toBe('warning')
    expect(h.reasons.join(' ')).toMatch(/power/i)
  })

  it('reads the compute process (the load generator) from both CSV forms', () => {
    const a = parseComputeAppsCsv(read('h200-compute-apps.csv'))
    const b = parseComputeApps(read('h200-compute-apps-noheader.csv'))
    expect(a).toHaveLength(1)
    expect(a[0]).toMatchObject({ gpuUuid: UUID, pid: 465, name: 'python3', usedMemoryMiB: 1130 })
    expect(b).toEqual(a)
  })

  it.each(['h200-idle-q.xml', 'h200-load-q.xml'])('parses %s (DTD v13) into the same GPU', async (name) => {
    const text = read(name)
    const schema = xmlSchemaOf(text)
    expect(schema).toBe('v13')
    const d = await parseNvidiaSmiXml(text, 1)
    expect(GpuDetail.parse(d)).toEqual(d)
    expect(d.driverVersion).toBe('580.159.04')
    expect(d.gpus).toHaveLength(1)
    expect(d.gpus[0]).toMatchObject({ uuid: UUID, name: 'NVIDIA H200' })
    expect(d.gpus[0].memory.totalMiB).toBe(143771)
    expect(d.gpus[0].power.limitW).toBe(700)
  })

  it('sees the load in the loaded -q -x and not in the idle one', async () => {
    const load = (n: string) => parseNvidiaSmiXml(read(n), 1)
    const idle = await load('h200-idle-q.xml')
    const busy = await load('h200-load-q.xml')
    expect(idle.processes).toHaveLength(0)
    expect(busy.processes.map((p) => p.pid)).toContain(465)
    expect(busy.gpus[0].utilization.gpuPct).toBeGreaterThan(idle.gpus[0].utilization.gpuPct ?? 0)
  })
})
