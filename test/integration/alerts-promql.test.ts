// PromQL rules against a real Prometheus (Debian's, scraping a real node_exporter): a rule fires
// per series with the series' labels; a query that does not parse is refused with Prometheus's
// words; one naming an unknown series is saved with a note and shows "no data", never "fine";
// and when the source goes down the firing alert is held and the rule says it cannot evaluate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGantry, type Gantry } from '../../src/main/core'
import type { Alert, AlertList, RuleStatus } from '../../src/shared/alerts'
import { havePrometheus, startNodeExporter, startPrometheus, until, type Running } from '../helpers/prometheus'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const skip = havePrometheus ? null : 'prometheus is not installed (.ci/run installs it)'
if (skip) console.log(`alerts-promql: skipped: ${skip}`)

let prom: Running
let node: Running
let g: Gantry
beforeAll(async () => {
  if (skip) return
  node = await startNodeExporter()
  prom = await startPrometheus({ node: [`127.0.0.1:${node.port}`] })
  await until(
    async () => {
      const r = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent('up{job="node"} == 1')}`)
      return ((await r.json()) as { data: { result: unknown[] } }).data.result.length > 0
    },
    'a scrape',
    30_000,
  )
  g = createGantry({
    dataDir: tmpDir(),
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    driftIntervalMs: 0,
    alertIntervalMs: 0,
    promIntervalMs: 0,
    connector: null,
    log: () => {},
  })
}, 60_000)
afterAll(async () => {
  await g?.stop()
  await prom?.stop()
  await node?.stop()
  cleanupTmp()
})

const call = async <T>(m: string, input: unknown): Promise<T> => {
  const r = await g.api.call(m as never, input)
  if (!r.ok) throw new Error(`${m}: ${r.error.message}`)
  return r.data as T
}
const refused = async (m: string, input: unknown): Promise<string> => {
  const r = await g.api.call(m as never, input)
  if (r.ok) throw new Error(`${m} was accepted`)
  return r.error.message
}
const byRule = async (rule: string): Promise<Alert[]> =>
  (await call<AlertList>('alerts.list', {})).alerts.filter((a) => a.rule === rule)

describe.skipIf(skip)('PromQL rules', () => {
  it('fire per series, refuse what does not parse, show no data, and hold through an outage', async () => {
    await call('prometheus.add', { url: prom.url, name: 'site' })
    await call('alerts.setRule', {
      name: 'node-up',
      kind: 'promql',
      expr: 'up{job="node"}',
      op: '==',
      threshold: 1,
      source: 'site',
      severity: 'info',
      summary: '{{instance}} is up ({{value}})',
    })
    await g.alerts.evaluate()
    const [a] = await byRule('node-up')
    expect(a).toMatchObject({ state: 'firing', severity: 'info', summary: `127.0.0.1:${node.port} is up (1)` })
    expect(a.labels).toMatchObject({ job: 'node', instance: `127.0.0.1:${node.port}`, source: 'site' })

    expect(await refused('alerts.setRule', { name: 'broken', kind: 'promql', expr: 'up ==', source: 'site' })).toMatch(
      /the query was refused: .*bad_data: .*parse error/,
    )
    expect(await refused('alerts.setRule', { name: 'nosrc', kind: 'promql', expr: 'up', source: 'nowhere' })).toMatch(
      /no Prometheus source named "nowhere"/,
    )
    const typo = await call<RuleStatus & { note: string | null }>('alerts.setRule', {
      name: 'typo',
      kind: 'promql',
      expr: 'nod_load1 > 100',
    })
    expect(typo.note).toMatch(/returns no series now \(a misspelt metric name\?\)/)
    await g.alerts.evaluate()
    const [nodata] = await byRule('typo')
    expect(nodata).toMatchObject({ state: 'nodata', reason: 'the query returned no series' })
    expect((await call<AlertList>('alerts.list', {})).counts.problems).toBe(1)

    // The source goes down: the firing alert stays firing, the rule says why it cannot evaluate.
    await prom.stop()
    await g.alerts.evaluate()
    const up = await byRule('node-up')
    expect(up.find((x) => x.id === a.id)?.state).toBe('firing')
    const err = up.find((x) => x.state === 'error')
    expect(err?.summary).toMatch(/rule node-up could not be evaluated: .*(ECONNREFUSED|connect)/)
    const rules = await call<{ rules: RuleStatus[] }>('alerts.rules', {})
    expect(rules.rules.find((r) => r.name === 'node-up')?.error).toMatch(/ECONNREFUSED|connect/)
  }, 60_000)
})
