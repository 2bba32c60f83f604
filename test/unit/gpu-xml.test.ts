// The `nvidia-smi -q -x` parser against every real recording in test/fixtures/gpu (values below are
// read from those files), plus the shape quirks and hostile input it must survive.
import { NO_PROC_FACTS } from '../../src/main/core/telemetry/gpu/processes'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { normalizeNvidiaSmiLog, parseNvidiaSmiXml, xmlSchemaOf } from '../../src/main/core/telemetry/gpu/xml'
import { GpuDetail } from '../../src/shared/gpu'

const DIR = join(__dirname, '..', 'fixtures', 'gpu')
const fixture = (name: string): string => readFileSync(join(DIR, name), 'utf8')
const parse = (name: string): Promise<GpuDetail> => parseNvidiaSmiXml(fixture(name), 1_700_000_000_000)
const stripDoctype = (text: string): string => text.replace(/<!DOCTYPE[^>]*>\r?\n?/, '')
const RECORDINGS = readdirSync(DIR).filter((f) => f.endsWith('.xml'))

describe('every -q -x recording', () => {
  it('finds the recordings (14 when this was written)', () => {
    expect(RECORDINGS.length).toBeGreaterThanOrEqual(14)
  })

  it.each(RECORDINGS)('%s parses into a valid GpuDetail with named, identified GPUs', async (name) => {
    const detail = await parse(name)
    expect(() => GpuDetail.parse(detail)).not.toThrow()
    expect(detail.at).toBe(1_700_000_000_000)
    expect(detail.gpus.length).toBeGreaterThanOrEqual(1)
    for (const gpu of detail.gpus) {
      expect(gpu.uuid).toMatch(/^GPU-/)
      expect(gpu.name.length).toBeGreaterThan(0)
      expect(gpu.driverVersion).toBe(detail.driverVersion)
    }
    for (const p of detail.processes) expect(detail.gpus.map((g) => g.uuid)).toContain(p.gpuUuid)
  })

  it.each(RECORDINGS)('%s never turns a placeholder into a value', async (name) => {
    const detail = await parse(name)
    const text = JSON.stringify(detail.gpus.map(({ unavailable: _, ...rest }) => rest))
    expect(text).not.toMatch(/N\/A|Not Supported|deprecated/i)
  })
})

describe('schema detection', () => {
  it('reads the DTD version from the DOCTYPE line', () => {
    expect(xmlSchemaOf(fixture('telegraf__tesla-t4.xml'))).toBe('v11')
    expect(xmlSchemaOf(fixture('telegraf__rtx-3090-v12.xml'))).toBe('v12')
    expect(xmlSchemaOf(fixture('telegraf__rtx-3080-v13.xml'))).toBe('v13')
  })

  it('carries the detected version into the result', async () => {
    expect((await parse('netdata__rtx-4090-driver-535.xml')).schema).toBe('v12')
    expect((await parse('telegraf-pr__dual_a5000-v13.xml')).schema).toBe('v13')
  })

  it("says 'none' without a DOCTYPE and still parses the same values", async () => {
    const text = stripDoctype(fixture('telegraf__tesla-t4.xml'))
    expect(text).not.toContain('DOCTYPE')
    expect(xmlSchemaOf(text)).toBe('none')
    const withDoctype = await parse('telegraf__tesla-t4.xml')
    const without = await parseNvidiaSmiXml(text, withDoctype.at)
    // the v11 layout is also what 525's v12 prints, so nothing can be inferred
    expect(without.schema).toBe('none')
    expect(without.gpus).toEqual(withDoctype.gpus)
    expect(without.processes).toEqual(withDoctype.processes)
  })

  it('infers v12 and v13 from their distinctive elements when the DOCTYPE is missing', async () => {
    const v12 = await parseNvidiaSmiXml(stripDoctype(fixture('netdata__rtx-4090-driver-535.xml')), 0)
    const v13 = await parseNvidiaSmiXml(stripDoctype(fixture('telegraf__rtx-3080-v13.xml')), 0)
    expect(v12.schema).toBe('v12')
    expect(v13.schema).toBe('v13')
  })

  it("treats a DTD version it does not know as 'none'", () => {
    expect(xmlSchemaOf('<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v10.dtd">\n<nvidia_smi_log/>')).toBe('none')
  })
})

describe('Tesla T4, driver 515 (v11, power_readings, clocks_throttle_reasons)', () => {
  it('reads identity, memory, power, temperature and PCIe link from the recording', async () => {
    const d = await parse('telegraf__tesla-t4.xml')
    expect(d.driverVersion).toBe('515.105.01')
    expect(d.cudaVersion).toBe('11.7')
    expect(d.gpus).toHaveLength(1)
    const g = d.gpus[0]
    expect(g).toMatchObject({
      index: 0,
      name: 'Tesla T4',
      uuid: 'GPU-d37e67a5-91dd-3774-a5cb-99096249601a',
      busId: '00000000:00:1E.0',
      pstate: 'P0',
      utilization: { gpuPct: 0, memoryPct: 0 },
      memory: { totalMiB: 15360, usedMiB: 1032, freeMiB: 13939 },
      power: { drawW: 26.78, limitW: 70 },
      temperature: { gpuC: 40, memoryC: null, slowdownC: 93, shutdownC: 96 },
      clocks: { smMHz: 585, memoryMHz: 5000, maxSmMHz: 1590 },
      pcie: { genCurrent: 3, genMax: 3, widthCurrent: 8, widthMax: 16 },
      ecc: { mode: 'Enabled', correctedVolatile: 0, uncorrectedVolatile: 0, uncorrectedAggregate: 0 },
      retiredPages: { singleBit: 0, doubleBit: 0, pending: false },
      clockEventReasons: [],
      mig: { mode: null, devices: [] },
    })
  })

  it('keeps the fan null with N/A as the reason, not 0', async () => {
    const g = (await parse('telegraf__tesla-t4.xml')).gpus[0]
    expect(g.fanPct).toBeNull()
    expect(g.unavailable['fan.speed']).toBe('N/A')
  })

  it('reads <remapped_rows>N/A</remapped_rows> as four nulls with the reason', async () => {
    const g = (await parse('telegraf__tesla-t4.xml')).gpus[0]
    expect(g.remappedRows).toEqual({ correctable: null, uncorrectable: null, pending: null, failure: null })
    expect(g.unavailable['remapped_rows.correctable']).toBe('N/A')
    expect(g.unavailable['remapped_rows.failure']).toBe('N/A')
  })

  it('lists both processes with the parent GPU uuid', async () => {
    const d = await parse('telegraf__tesla-t4.xml')
    expect(d.processes).toEqual([
      {
        gpuUuid: 'GPU-d37e67a5-91dd-3774-a5cb-99096249601a',
        pid: 675,
        name: '/usr/lib/xorg/Xorg',
        type: 'G',
        usedMemoryMiB: 22,
        user: null,
        container: null,
        ...NO_PROC_FACTS,
      },
      {
        gpuUuid: 'GPU-d37e67a5-91dd-3774-a5cb-99096249601a',
        pid: 5762,
        name: 'python',
        type: 'C',
        usedMemoryMiB: 1005,
        user: null,
        container: null,
        ...NO_PROC_FACTS,
      },
    ])
  })
})

describe('8x Tesla V100S, driver 460 (several <gpu>, single_bit/double_bit ECC tree)', () => {
  it('returns all eight GPUs in minor-number order with their bus ids', async () => {
    const d = await parse('datakit__gtx-8card-v100s.xml')
    expect(d.gpus).toHaveLength(8)
    expect(d.gpus.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(new Set(d.gpus.map((g) => g.name))).toEqual(new Set(['Tesla V100S-PCIE-32GB']))
    expect(new Set(d.gpus.map((g) => g.uuid)).size).toBe(8)
    expect(d.gpus[0]).toMatchObject({
      uuid: 'GPU-76098dc1-d3bc-9a1b-7ea6-f7b48837829e',
      busId: '00000000:00:0D.0',
      power: { drawW: 232.8, limitW: 250 },
    })
    expect(d.gpus[1].busId).toBe('00000000:00:0E.0')
  })

  it('reads ECC totals from the single_bit/double_bit tree', async () => {
    const g = (await parse('datakit__gtx-8card-v100s.xml')).gpus[0]
    expect(g.ecc).toEqual({ mode: 'Enabled', correctedVolatile: 0, uncorrectedVolatile: 0, uncorrectedAggregate: 0 })
  })

  it('names the active throttle reason where one GPU is power-capped', async () => {
    const d = await parse('datakit__gtx-8card-v100s.xml')
    expect(d.gpus.map((g) => g.clockEventReasons)).toEqual([[], [], [], ['sw_power_cap'], [], [], ['sw_power_cap'], []])
  })

  it('lists one python process per GPU, eight in all', async () => {
    const d = await parse('datakit__gtx-8card-v100s.xml')
    expect(d.processes).toHaveLength(8)
    expect(d.processes.every((p) => p.name === 'python' && p.type === 'C')).toBe(true)
    expect(new Set(d.processes.map((p) => p.gpuUuid)).size).toBe(8)
    expect(d.processes[0]).toMatchObject({
      gpuUuid: 'GPU-76098dc1-d3bc-9a1b-7ea6-f7b48837829e',
      pid: 37305,
      usedMemoryMiB: 31683,
    })
  })
})

describe('A100-SXM4 with MIG enabled, driver 510', () => {
  it('reads MIG mode and both MIG devices with their memory and SM count', async () => {
    const g = (await parse('netdata__a100-sxm4-mig.xml')).gpus[0]
    expect(g.mig.mode).toBe('Enabled')
    expect(g.mig.devices).toEqual([
      {
        index: 0,
        gpuInstanceId: 1,
        computeInstanceId: 0,
        profile: null,
        uuid: null,
        memoryTotalMiB: 19968,
        memoryUsedMiB: 19,
        smCount: 42,
      },
      {
        index: 1,
        gpuInstanceId: 2,
        computeInstanceId: 0,
        profile: null,
        uuid: null,
        memoryTotalMiB: 19968,
        memoryUsedMiB: 19,
        smCount: 42,
      },
    ])
  })

  it('keeps GPU-level utilization null (N/A under MIG), not 0', async () => {
    const g = (await parse('netdata__a100-sxm4-mig.xml')).gpus[0]
    expect(g.utilization).toEqual({ gpuPct: null, memoryPct: null })
    expect(g.unavailable['utilization.gpu']).toBe('N/A')
    expect(g.unavailable['utilization.memory']).toBe('N/A')
  })

  it('keeps volatile ECC null where every part is N/A while aggregate counts are read', async () => {
    const g = (await parse('netdata__a100-sxm4-mig.xml')).gpus[0]
    expect(g.ecc).toEqual({
      mode: 'Enabled',
      correctedVolatile: null,
      uncorrectedVolatile: null,
      uncorrectedAggregate: 0,
    })
    expect(g.unavailable['ecc.errors.corrected.volatile.total']).toBe('N/A')
  })

  it('reads a reason value that has a newline inside the element as not active', async () => {
    const text = fixture('netdata__a100-sxm4-mig.xml')
    expect(text).toMatch(/<clocks_throttle_reason_applications_clocks_setting>Not Active\s*\n/)
    const g = (await parse('netdata__a100-sxm4-mig.xml')).gpus[0]
    expect(g.clockEventReasons).toEqual([])
    expect(g.memory).toEqual({ totalMiB: 40960, usedMiB: 38, freeMiB: 40315 })
    expect(g.temperature).toEqual({ gpuC: 36, memoryC: 44, slowdownC: 89, shutdownC: 92 })
    expect(g.power).toEqual({ drawW: 66.92, limitW: 400 })
  })

  it('gives an empty <processes> element no processes', async () => {
    expect((await parse('netdata__a100-sxm4-mig.xml')).processes).toEqual([])
  })
})

describe('v12 layouts', () => {
  it('reads power from <power_readings> on 525 (pre-535 v12) and takes power_limit, not the default', async () => {
    const g = (await parse('telegraf__rtx-3090-v12.xml')).gpus[0]
    expect(g.name).toBe('NVIDIA GeForce RTX 3090')
    expect(g.power).toEqual({ drawW: 27.23, limitW: 200 })
    expect(g.clockEventReasons).toEqual(['gpu_idle'])
  })

  it('reads power from <gpu_power_readings> and reasons from <clocks_event_reasons> on 535', async () => {
    const d = await parse('netdata__rtx-4090-driver-535.xml')
    expect(d.driverVersion).toBe('535.86.05')
    const g = d.gpus[0]
    expect(g).toMatchObject({
      name: 'NVIDIA GeForce RTX 4090',
      uuid: 'GPU-71d1acc2-662d-2166-bf9f-65272d2fc437',
      power: { drawW: 26.84, limitW: 450 },
      clockEventReasons: ['gpu_idle'],
      remappedRows: { correctable: 0, uncorrectable: 0, pending: false, failure: false },
      pcie: { genCurrent: 1, genMax: 3, widthCurrent: 16, widthMax: 16 },
      fanPct: 0,
    })
  })

  it('leaves thresholds null with a reason where only T.Limit offsets are printed', async () => {
    const g = (await parse('netdata__rtx-4090-driver-535.xml')).gpus[0]
    expect(g.temperature).toEqual({ gpuC: 40, memoryC: null, slowdownC: null, shutdownC: null })
    expect(g.unavailable['temperature.slowdown']).toBe('only relative to T.Limit')
    expect(g.unavailable['temperature.shutdown']).toBe('only relative to T.Limit')
  })

  it('falls back to the list position when minor_number is N/A (WDDM driver 536)', async () => {
    const d = await parse('telegraf__rtx-3080-v12.xml')
    expect(fixture('telegraf__rtx-3080-v12.xml')).toContain('<minor_number>N/A</minor_number>')
    expect(d.gpus[0]).toMatchObject({ index: 0, power: { drawW: 22.78, limitW: 336 } })
    expect(d.processes).toHaveLength(5)
  })
})

describe('v13 layouts (590/595)', () => {
  it('takes average_power_draw (not instant) and current_power_limit when <power_draw> is gone', async () => {
    const g = (await parse('telegraf__rtx-3080-v13.xml')).gpus[0]
    expect(fixture('telegraf__rtx-3080-v13.xml')).not.toContain('<power_draw>')
    expect(g.power).toEqual({ drawW: 139.62, limitW: 320 })
  })

  it('reads the rest of a busy RTX 3080 on 595', async () => {
    const d = await parse('telegraf__rtx-3080-v13.xml')
    expect(d).toMatchObject({ schema: 'v13', driverVersion: '595.58.03', cudaVersion: '13.2', processes: [] })
    expect(d.gpus[0]).toMatchObject({
      pstate: 'P2',
      utilization: { gpuPct: 65, memoryPct: 9 },
      memory: { totalMiB: 10240, usedMiB: 9184, freeMiB: 660 },
      clocks: { smMHz: 1950, memoryMHz: 9251, maxSmMHz: 2100 },
      temperature: { gpuC: 27, slowdownC: 95, shutdownC: 98 },
      clockEventReasons: [],
      ecc: { mode: null, correctedVolatile: null, uncorrectedVolatile: null, uncorrectedAggregate: null },
    })
  })

  it('reads both A5000s, their index from minor_number and each its own process', async () => {
    const d = await parse('telegraf-pr__dual_a5000-v13.xml')
    expect(d.gpus.map((g) => [g.index, g.uuid, g.busId])).toEqual([
      [1, 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab', '00000000:81:00.0'],
      [0, 'GPU-12345678-aaaa-bbbb-cccc-0123456789cd', '00000000:C1:00.0'],
    ])
    expect(d.gpus.map((g) => g.power)).toEqual([
      { drawW: 6.41, limitW: 230 },
      { drawW: 13.6, limitW: 230 },
    ])
    expect(d.gpus.map((g) => g.clockEventReasons)).toEqual([['gpu_idle'], ['gpu_idle']])
    expect(d.gpus[0].ecc.mode).toBe('Disabled')
    expect(d.gpus[0].remappedRows).toEqual({ correctable: 0, uncorrectable: 0, pending: false, failure: false })
    expect(d.processes.map((p) => [p.gpuUuid, p.pid, p.usedMemoryMiB])).toEqual([
      ['GPU-12345678-aaaa-bbbb-cccc-0123456789ab', 100477, 22430],
      ['GPU-12345678-aaaa-bbbb-cccc-0123456789cd', 100477, 17246],
    ])
    expect(d.processes[0].name).toBe('/root/src/llama.cpp/build/bin/llama-server')
  })

  it('reads "Requested functionality has been deprecated" as null with that reason', async () => {
    // the recordings print it only in fields the model does not map (power_state, app clocks), so
    // put it where a mapped field is, on a copy of the v13 text
    const text = fixture('telegraf__rtx-3080-v13.xml')
      .replace(
        '<performance_state>P2</performance_state>',
        '<performance_state>Requested functionality has been deprecated</performance_state>',
      )
      .replace('<sm_clock>1950 MHz</sm_clock>', '<sm_clock>[Requested functionality has been deprecated]</sm_clock>')
    const g = (await parseNvidiaSmiXml(text, 0)).gpus[0]
    expect(g.pstate).toBeNull()
    expect(g.unavailable.pstate).toBe('Requested functionality has been deprecated')
    expect(g.clocks.smMHz).toBeNull()
    expect(g.unavailable['clocks.sm']).toBe('Requested functionality has been deprecated')
  })

  it('sums ECC counts over the v13 sram_uncorrectable_parity/_secded split', () => {
    const g = normalizeNvidiaSmiLog(
      {
        nvidia_smi_log: {
          gpu: {
            uuid: 'GPU-x',
            product_name: 'X',
            ecc_errors: {
              volatile: {
                sram_correctable: '2',
                sram_uncorrectable_parity: '1',
                sram_uncorrectable_secded: '3',
                dram_correctable: '5',
                dram_uncorrectable: 'N/A',
              },
              aggregate: { sram_threshold_exceeded: 'No', dram_uncorrectable: '4' },
            },
          },
        },
      },
      'v13',
      0,
    ).gpus[0]
    expect(g.ecc).toEqual({ mode: null, correctedVolatile: 7, uncorrectedVolatile: 4, uncorrectedAggregate: 4 })
  })
})

describe('other recordings', () => {
  it('counts only double_bit as uncorrected on a P100 whose aggregate single_bit total is 3', async () => {
    const g = (await parse('netdata__tesla-p100.xml')).gpus[0]
    expect(g).toMatchObject({
      name: 'Tesla P100-PCIE-16GB',
      fanPct: null,
      ecc: { mode: 'Enabled', correctedVolatile: 0, uncorrectedVolatile: 0, uncorrectedAggregate: 0 },
    })
  })

  it('keeps a GT 1030 power draw of N/A null while reading its limit', async () => {
    const g = (await parse('telegraf__gt-1030.xml')).gpus[0]
    expect(g.power).toEqual({ drawW: null, limitW: 30 })
    expect(g.unavailable['power.draw']).toBe('N/A')
    expect(g.pcie).toEqual({ genCurrent: 3, genMax: 3, widthCurrent: 4, widthMax: 4 })
  })

  it('reads a lone <process_info> (an object, not an array) as one process', async () => {
    const d = await parse('telegraf__a10g.xml')
    expect(d.processes).toEqual([
      {
        gpuUuid: 'GPU-9a9a6c50-2a47-2f51-a902-b82c3b127e94',
        pid: 725,
        name: '/usr/lib/xorg/Xorg',
        type: 'G',
        usedMemoryMiB: 22,
        user: null,
        container: null,
        ...NO_PROC_FACTS,
      },
    ])
  })
})

describe('Windows RTX 2080, driver 516 (WDDM)', () => {
  it('keeps used memory null (N/A) for every process, not 0', async () => {
    const d = await parse('netdata__rtx-2080-win.xml')
    expect(d.processes).toHaveLength(26)
    expect(d.processes.every((p) => p.usedMemoryMiB === null)).toBe(true)
    expect(d.processes.every((p) => p.type === 'C+G')).toBe(true)
  })

  it('keeps Windows paths as printed and names empty ones (unnamed)', async () => {
    const d = await parse('netdata__rtx-2080-win.xml')
    expect(d.processes[0]).toMatchObject({
      pid: 7724,
      name: 'C:\\Program Files\\WindowsApps\\Microsoft.YourPhone_1.22062.543.0_x64__8wekyb3d8bbwe\\PhoneExperienceHost.exe',
    })
    expect(d.processes[1]).toMatchObject({ pid: 10808, name: '(unnamed)' })
    expect(d.processes.find((p) => p.pid === 21472)?.name).toBe(
      'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
    )
    expect(d.processes.filter((p) => p.name === '(unnamed)')).toHaveLength(5)
  })

  it('falls back to the list position when minor_number is N/A', async () => {
    const g = (await parse('netdata__rtx-2080-win.xml')).gpus[0]
    expect(g).toMatchObject({ index: 0, fanPct: 37, clockEventReasons: ['gpu_idle'], power: { drawW: 14.5 } })
  })
})

describe('bad and odd input', () => {
  it('rejects malformed XML as not nvidia-smi XML', async () => {
    await expect(parseNvidiaSmiXml('<nvidia_smi_log><gpu></nvidia_smi_log>', 0)).rejects.toThrow(/not nvidia-smi XML/)
    await expect(parseNvidiaSmiXml('nvidia-smi: command not found', 0)).rejects.toThrow(/not nvidia-smi XML/)
    await expect(parseNvidiaSmiXml('', 0)).rejects.toThrow(/not nvidia-smi XML/)
  })

  it('rejects well-formed XML without <nvidia_smi_log>', async () => {
    await expect(parseNvidiaSmiXml('<?xml version="1.0" ?>\n<log><gpu id="x"/></log>', 0)).rejects.toThrow(
      /not nvidia-smi XML/,
    )
    expect(() => normalizeNvidiaSmiLog(null, 'none', 0)).toThrow(/not nvidia-smi XML/)
    expect(() => normalizeNvidiaSmiLog({ log: {} }, 'none', 0)).toThrow(/not nvidia-smi XML/)
  })

  it('gives an empty log no GPUs rather than failing', async () => {
    const d = await parseNvidiaSmiXml('<nvidia_smi_log></nvidia_smi_log>', 0)
    expect(d).toEqual({ at: 0, schema: 'none', driverVersion: null, cudaVersion: null, gpus: [], processes: [] })
  })

  it('normalizes a <gpu> missing most children into nulls without throwing', () => {
    const d = normalizeNvidiaSmiLog(
      { nvidia_smi_log: { driver_version: '550.1', gpu: { $: { id: '00000000:01:00.0' }, minor_number: 'N/A' } } },
      'none',
      5,
    )
    expect(() => GpuDetail.parse(d)).not.toThrow()
    const g = d.gpus[0]
    expect(g).toMatchObject({
      index: 0,
      uuid: 'unknown-0',
      name: 'unknown GPU',
      busId: '00000000:01:00.0',
      driverVersion: '550.1',
      pstate: null,
      utilization: { gpuPct: null, memoryPct: null },
      power: { drawW: null, limitW: null },
      clockEventReasons: null,
      ecc: { mode: null, correctedVolatile: null, uncorrectedVolatile: null, uncorrectedAggregate: null },
      mig: { mode: null, devices: [] },
    })
    expect(d.processes).toEqual([])
  })

  it('survives leaf text where children are expected and keeps the text as the reason', () => {
    const d = normalizeNvidiaSmiLog(
      {
        nvidia_smi_log: {
          gpu: [
            {
              uuid: 'GPU-a',
              product_name: 'A',
              clocks_throttle_reasons: 'N/A',
              remapped_rows: 'N/A',
              mig_devices: 'None',
              processes: '',
              ecc_errors: 'N/A',
              fb_memory_usage: { total: { nested: '1' } },
            },
            { uuid: 'GPU-b', product_name: 'B', processes: { process_info: { pid: 'N/A', process_name: 'x' } } },
          ],
        },
      },
      'none',
      0,
    )
    expect(() => GpuDetail.parse(d)).not.toThrow()
    const [a, b] = d.gpus
    expect(a.clockEventReasons).toBeNull()
    expect(a.unavailable['clock_reasons.active']).toBe('N/A')
    expect(a.remappedRows.pending).toBeNull()
    expect(a.mig.devices).toEqual([])
    expect(a.ecc.uncorrectedVolatile).toBeNull()
    expect(a.unavailable['ecc.errors.uncorrected.volatile.total']).toBe('N/A')
    expect(a.memory.totalMiB).toBeNull()
    expect(a.unavailable['memory.total']).toBe('unexpected child elements')
    expect(b.index).toBe(1)
    // a process without a pid cannot be shown or acted on
    expect(d.processes).toEqual([])
  })

  it('reads a self-closing <processes /> as no processes', async () => {
    const d = await parseNvidiaSmiXml(
      '<nvidia_smi_log><gpu id="0000:01:00.0"><uuid>GPU-z</uuid><product_name>Z</product_name><processes /></gpu></nvidia_smi_log>',
      0,
    )
    expect(d.gpus[0]).toMatchObject({ uuid: 'GPU-z', busId: '0000:01:00.0' })
    expect(d.processes).toEqual([])
  })
})

describe('security', () => {
  it('does not pollute Object.prototype from a <__proto__> element (CVE-2023-0842, xml2js 0.6)', async () => {
    const text =
      '<?xml version="1.0" ?>\n<nvidia_smi_log><__proto__><polluted>yes</polluted></__proto__>' +
      '<gpu id="x"><uuid>GPU-p</uuid><product_name>P</product_name>' +
      '<constructor><prototype><polluted>yes</polluted></prototype></constructor></gpu></nvidia_smi_log>'
    const d = await parseNvidiaSmiXml(text, 0)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
    expect(d.gpus[0]).toMatchObject({ uuid: 'GPU-p', name: 'P' })
  })
})
