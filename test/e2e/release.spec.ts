// Releases end to end in Chromium against `gantry serve`, a real nginx and two model servers: an
// nginx front added from the model page, a canary reviewed in its dialog (both versions, steps,
// gates, headroom, the file it writes), paused, resumed and aborted by hand; then a second canary
// under load that steps live and promotes, with each step's evidence per arm on the page.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nginxUnavailable, startModelServer, startNginx, type ModelServer, type Nginx } from '../helpers/nginx'
import { freePort } from '../helpers/sshd'
import { expect, test } from './fixtures'

const root = join(__dirname, '..', '..')
const cli = (dataDir: string, ...args: string[]): string => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'gantry.js'), '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GANTRY_ACTOR: 'setup' },
  })
  if (r.status !== 0) throw new Error(`gantry ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

const skip = nginxUnavailable()
test.skip(!!skip, skip ?? '')
test.use({ serveEnv: { GANTRY_RELEASE_TICK_MS: '200' } })

let work: string
let nginx: Nginx | null = null
const servers: ModelServer[] = []
test.beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'gantry-release-e2e-'))
})
test.afterEach(() => {
  nginx?.stop()
  for (const s of servers.splice(0)) s.stop()
  rmSync(work, { recursive: true, force: true })
})

/** Load through nginx until stopped (bounded: at most 200,000 requests or 120 s). */
function traffic(port: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 })
  let on = true
  const t0 = Date.now()
  let n = 0
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: `/v1/predict?x=${n % 10}`, agent }, (res) => {
        res.resume()
        res.on('end', resolve)
      })
      req.on('error', () => resolve())
      req.end()
    })
  const worker = async (): Promise<void> => {
    while (on && n < 200_000 && Date.now() - t0 < 120_000) {
      n++
      await one()
    }
  }
  const done = Promise.all(Array.from({ length: 8 }, worker))
  return async () => {
    on = false
    await done
    agent.destroy()
  }
}

test('a front from the model page; a canary reviewed, paused, aborted; another that steps live and promotes', async ({
  page,
  gantry,
}) => {
  test.setTimeout(120_000)
  nginx = startNginx(join(work, 'nginx'))
  const champ = await startModelServer('champion', join(work, 'champion.jsonl'))
  const chall = await startModelServer('challenger', join(work, 'challenger.jsonl'))
  servers.push(champ, chall)
  for (const v of [1, 2]) {
    const d = join(work, `fraud-v${v}.bin`)
    writeFileSync(d, `weights of v${v}`)
    cli(gantry.dataDir, 'register', '--model', 'fraud', '--artifact', d, '--owner', 'risk')
    cli(gantry.dataDir, 'stage', 'fraud', String(v), 'staging')
  }
  cli(gantry.dataDir, 'stage', 'fraud', '1', 'production')
  const port = await freePort()

  await page.goto(`${gantry.url}#/models/fraud`)
  const section = page.getByTestId('release-section')
  await expect(section).toContainText('No nginx front yet')
  await section.getByRole('button', { name: 'Add an nginx front' }).click()
  const ff = section.getByTestId('front-form')
  await ff.getByLabel('nginx folder').fill(nginx.confd)
  await ff.getByLabel('Listen').fill(`127.0.0.1:${port}`)
  await ff.getByLabel('Champion URL').fill(champ.url)
  await ff.getByLabel('Reload command').fill(nginx.reloadCommand.join(' '))
  await ff.getByRole('button', { name: 'Add the front' }).click()
  await expect(section.getByTestId('front-card')).toContainText(`listening 127.0.0.1:${port}`)
  await expect(section.getByTestId('front-card')).toContainText('taken by nginx')

  // A canary, reviewed before it starts.
  const start = async (steps: string, holdMin: string): Promise<void> => {
    await section.getByRole('button', { name: 'Start a shadow or canary' }).click()
    const f = section.getByTestId('release-form')
    await f.getByLabel('Challenger URL').fill(chall.url)
    await f.getByLabel('Steps').fill(steps)
    await f.getByLabel('Hold minutes').fill(holdMin)
    await f.getByLabel('Gate interval').fill('1')
    await f.getByRole('button', { name: 'Review' }).click()
    const dialog = section.getByTestId('release-dialog')
    await expect(dialog).toContainText('Start a canary of fraud v2?')
    await expect(dialog.getByTestId('release-plan-steps')).toContainText(`${steps.split(',').join(' → ')} %`)
    await expect(dialog).toContainText(champ.url)
    await expect(dialog.getByTestId('release-headroom')).toContainText('GPU')
    await expect(dialog.getByTestId('release-file')).toContainText('split_clients', { useInnerText: false })
    await dialog.getByRole('button', { name: 'Start the canary' }).click()
  }
  await start('25,100', '10')
  const state = section.getByTestId('release-state')
  await expect(state).toHaveText(/running at 25 %/, { timeout: 15_000 })
  await section.getByRole('button', { name: 'Pause' }).click()
  await expect(state).toHaveText(/paused at 25 %/)
  await section.getByRole('button', { name: 'Resume' }).click()
  await expect(state).toHaveText(/running at 25 %/)
  await section.getByRole('button', { name: 'Abort…' }).click()
  await expect(section.getByTestId('release-confirm')).toContainText("The challenger's share goes to 0")
  await section.getByTestId('release-confirm').getByRole('button', { name: 'Abort' }).click()
  await expect(state).toHaveText('aborted')
  await section.getByText(/Journal/).click()
  await expect(section.getByTestId('release-journal')).toContainText('aborted')

  // Under load: it steps live, each step judged side by side, and promotes.
  const stop = traffic(port)
  try {
    await start('50,100', '0.2')
    await expect(state).toHaveText(/running at 50 %/, { timeout: 15_000 })
    await page.setViewportSize({ width: 1280, height: 720 })
    await section.getByTestId('release-step').first().waitFor()
    await section.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(root, 'test-results', 'release-running-1280.png'), fullPage: false })
    await expect(state).toHaveText('promoted', { timeout: 60_000 })
  } finally {
    await stop()
  }
  const steps = section.getByTestId('release-step')
  await expect(steps).toHaveCount(2)
  await expect(steps.nth(1)).toHaveAttribute('data-verdict', 'pass') // step 1 (listed newest first)
  await expect(steps.nth(1).getByTestId('release-arms')).toContainText('challenger')
  await expect(section.getByTestId('front-card')).toContainText(`champion ${chall.url}`)
  await expect(page.getByTestId('versions')).toContainText('production')
  // The page never scrolls sideways at 1280 px.
  const wide = await page.evaluate('document.documentElement.scrollWidth')
  expect(wide).toBeLessThanOrEqual(1280)
})
