// Gantry SIGKILLed between every pair of deploy steps: the next start finds the journal, asks the
// target what it holds, and finishes or reverts — never a half-switched target without a message.
// After recovery the link, the version the server really serves and the registry's production
// version agree, the audit chain verifies and the database is intact.
import { spawn } from 'node:child_process'
import { readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Deployment } from '../../src/shared/deploy'
import type { ModelDetail } from '../../src/shared/registry'
import { call, deployWorld, makeCore } from '../helpers/deploy-env'
import { cleanupTmp } from '../helpers/tmp'

const CHILD = join(__dirname, '..', 'helpers', 'deploy-crash-child.cjs')
const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  cleanupTmp()
})

function crashAt(dataDir: string, targetId: number, step: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CHILD, dataDir, 'm', '2', String(targetId), step], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    c.stdout.on('data', (d) => (out += d))
    c.stderr.on('data', (d) => (out += d))
    c.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${out}`)),
    )
  })
}

const CASES: { step: string; failing: boolean; expect: { state: string; production: number; reason: RegExp } }[] = [
  {
    step: 'intent',
    failing: false,
    expect: { state: 'abandoned', production: 1, reason: /before switching; the target was not changed/ },
  },
  { step: 'switching', failing: false, expect: { state: 'reverted', production: 1, reason: /did not hold v2/ } },
  {
    step: 'switched',
    failing: false,
    expect: { state: 'succeeded', production: 2, reason: /stopped during verifying.*finished after a restart/ },
  },
  {
    step: 'reloaded',
    failing: false,
    expect: { state: 'succeeded', production: 2, reason: /finished after a restart/ },
  },
  {
    step: 'verified',
    failing: false,
    expect: { state: 'succeeded', production: 2, reason: /finished after a restart/ },
  },
  {
    step: 'reverting',
    failing: true,
    expect: { state: 'reverted', production: 1, reason: /revert was finished after a restart/ },
  },
  {
    step: 'revert-switched',
    failing: true,
    expect: { state: 'reverted', production: 1, reason: /revert was finished after a restart/ },
  },
]

describe('deploys under SIGKILL', () => {
  it.each(CASES)(
    'killed after "$step": the next start ends it as $expect.state, consistently',
    async ({ step, failing, expect: want }) => {
      const w = await deployWorld()
      cleanup.push(() => w.server.stop())
      await call(w.g, 'deploy.run', { model: 'm', version: 1, targetId: w.targetId })
      await w.g.stop()
      if (failing) writeFileSync(join(w.serveDir, 'IGNORE_RELOAD'), '') // v2 never gets served: the deploy reverts
      await crashAt(w.dataDir, w.targetId, step)
      if (failing) rmSync(join(w.serveDir, 'IGNORE_RELOAD'))

      const g = makeCore(w.dataDir)
      cleanup.push(() => g.stop())
      const [left] = await call<Deployment[]>(g, 'deploy.list', { model: 'm', limit: 1 })
      expect(['intent', 'switching', 'verifying', 'reverting']).toContain(left.state)
      g.start() // recovery runs here
      let d = left
      for (let i = 0; i < 100 && ['intent', 'switching', 'verifying', 'reverting'].includes(d.state); i++) {
        await new Promise((r) => setTimeout(r, 100))
        ;[d] = await call<Deployment[]>(g, 'deploy.list', { model: 'm', limit: 1 })
      }
      expect(d.state).toBe(want.state)
      expect(d.reason).toMatch(want.reason)
      const prod = (await call<ModelDetail>(g, 'registry.getModel', { name: 'm' })).versions.find(
        (v) => v.stage === 'production',
      )
      expect(prod?.version).toBe(want.production)
      // The link, what the server serves, and the registry agree.
      expect(readlinkSync(join(w.serveDir, 'current'))).toBe(prod?.artifact.location)
      process.kill(w.server.pid, 'SIGHUP')
      await new Promise((r) => setTimeout(r, 100))
      const served = ((await (await fetch(`${w.server.url}v1/models`)).json()) as { data: { root: string }[] }).data[0]
        .root
      expect(served).toBe(prod?.artifact.location)
      expect(await call(g, 'audit.verify', {})).toMatchObject({ ok: true })
      expect(g.db.pragma('integrity_check', { simple: true })).toBe('ok')
    },
    30_000,
  )
})
