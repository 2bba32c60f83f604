// Captures the README screenshots from the real console: starts `gantry serve` on a fresh data
// directory, lets it collect a little history, and shoots Overview and Storage in both themes
// with Debian's Chromium. Usage: npm run screenshots [-- --wait-ms 20000]
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { chromium } from 'playwright'
import { buildIfNeeded } from './build-if-needed.mjs'
import { CHROMIUM_ARGS, CHROMIUM_PATH, root, standinGpuEnv, startConsole } from './console-process.mjs'

const require = createRequire(import.meta.url)
const waitIdx = process.argv.indexOf('--wait-ms')
const waitMs = waitIdx > 0 ? Number(process.argv[waitIdx + 1]) : 15_000

buildIfNeeded()
// This build machine has no GPU: the GPU screens are fed by the stand-in nvidia-smi replaying the
// recorded 8×V100S host (test/fixtures/gpu/datakit__gtx-8card-v100s.xml).
const server = await startConsole(
  standinGpuEnv({
    GANTRY_HOST_INTERVAL_MS: '500',
    GANTRY_STORAGE_INTERVAL_MS: '1000',
    GANTRY_GPU_PROCESS_INTERVAL_MS: '1000',
    GANTRY_ALERT_INTERVAL_MS: '2000',
  }),
  'gantry-shots-',
)
const url = server.url
seedRegistry(server.dataDir)
const deploys = await seedDeploys(server.dataDir)
seedAlerts(server.dataDir)
const release = await seedRelease(server.dataDir)
await new Promise((r) => setTimeout(r, waitMs))
const browser = await chromium.launch({
  executablePath: CHROMIUM_PATH,
  args: CHROMIUM_ARGS,
})
try {
  for (const theme of ['dark', 'light']) {
    const page = await server.page(browser, { viewport: { width: 1360, height: 860 }, colorScheme: theme })
    await page.goto(`${url}#/overview`)
    await page.locator('[data-screen="overview"][data-state="ready"]').waitFor()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `overview-${theme}.png`) })
    await page.goto(`${url}#/storage`)
    await page.locator('[data-screen="storage"][data-state="ready"]').waitFor()
    await page.locator('[data-testid="fs-history"][data-state="ready"]').waitFor()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `storage-${theme}.png`) })
    await page.goto(`${url}#/gpus`)
    await page.locator('[data-screen="gpus"][data-state="ready"]').waitFor()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `gpus-${theme}.png`) })
    await page.locator('.tile').nth(3).click()
    await page.locator('[data-testid="gpu-mig"][data-state="ready"]').waitFor()
    await page.waitForTimeout(800)
    await page.screenshot({ path: join(root, 'docs', `gpu-detail-${theme}.png`), fullPage: true })
    await page.goto(`${url}#/models`)
    await page.locator('[data-screen="models"][data-state="ready"]').waitFor()
    await page.locator('[data-chain="ok"]').waitFor()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `models-${theme}.png`), fullPage: true })
    await page.goto(`${url}#/models/fraud-detector`)
    await page.locator('[data-screen="model"][data-state="ready"]').waitFor()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `model-${theme}.png`), fullPage: true })
    await page.goto(`${url}#/models/ranker`)
    await page.locator('[data-screen="model"][data-state="ready"]').waitFor()
    await page.getByTestId('deploy-section').locator('tr[data-deployment]').first().waitFor()
    await page.getByTestId('deploy-section').getByRole('button', { name: 'Roll back…' }).click()
    await page.getByTestId('rollback-dialog').waitFor()
    await page.getByTestId('deploy-section').scrollIntoViewIfNeeded()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `deploy-${theme}.png`) })
    await page.goto(`${url}#/deployments`)
    await page.locator('[data-screen="deployments"][data-state="ready"]').waitFor()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `deployments-${theme}.png`) })
    await page.goto(`${url}#/serving/1`)
    await page.locator('[data-screen="endpoint-detail"][data-state="ready"]').waitFor()
    await page.waitForTimeout(1500)
    await page.screenshot({ path: join(root, 'docs', `endpoint-${theme}.png`), fullPage: true })
    await page.goto(`${url}#/drift`)
    await page.getByLabel('Reference data').fill(join(root, 'test/fixtures/drift/california_housing_reference.csv'))
    await page.getByLabel('Current data').fill(join(root, 'test/fixtures/drift/california_housing_analysis.csv'))
    await page.getByLabel('Identifier column').fill('id')
    await page.getByRole('button', { name: 'Compare' }).click()
    await page.getByTestId('drift-columns').waitFor()
    await page.waitForTimeout(300)
    await page.screenshot({ path: join(root, 'docs', `drift-${theme}.png`) })
    await page.goto(`${url}#/models/housing-price`)
    await page.getByTestId('model-drift').locator('tr[data-column]').first().waitFor()
    await page.getByTestId('model-drift').scrollIntoViewIfNeeded()
    await page.waitForTimeout(300)
    await page.screenshot({ path: join(root, 'docs', `model-drift-${theme}.png`) })
    await page.goto(`${url}#/alerts`)
    await page.locator('[data-testid="alerts-table"]').waitFor()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `alerts-${theme}.png`) })
    await page.locator('[data-testid="alerts-table"] tr[data-alert] a').first().click()
    await page.getByTestId('alert-page').waitFor()
    await page.waitForTimeout(300)
    await page.screenshot({ path: join(root, 'docs', `alert-${theme}.png`) })
    if (release) {
      await page.goto(`${url}#/models/reranker`)
      await page.getByTestId('release-step').first().waitFor()
      await page.getByTestId('release-section').scrollIntoViewIfNeeded()
      await page.waitForTimeout(500)
      await page.screenshot({ path: join(root, 'docs', `release-${theme}.png`) })
    }
    await page.goto(`${url}#/models/fraud-detector/3`)
    await page.locator('[data-screen="version"][data-state="ready"]').waitFor()
    await page.waitForTimeout(500)
    await page.screenshot({ path: join(root, 'docs', `version-${theme}.png`), fullPage: true })
    await page.close()
  }
} finally {
  await browser.close()
  await server.close()
  deploys.stop()
  await release?.stop()
}
console.log('screenshots written to docs/')

/** Rules set below this machine's real values, so the alert center has something true to show:
 *  its filesystems (more than 10 % used) and the replayed GPUs (within 60 °C of their slowdown). */
function seedAlerts(dataDir) {
  for (const args of [
    ['rules', 'set', 'fs-used', '--threshold', '10', '--for', '0'],
    ['rules', 'set', 'gpu-temp-margin', '--threshold', '60', '--for', '0'],
  ]) {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'gantry.js'), '--data-dir', dataDir, ...args], {
      encoding: 'utf8',
    })
    if (r.status !== 0) throw new Error(`gantry ${args.join(' ')}: ${r.stderr}`)
  }
}

/** A canary through a real nginx (when there is one) in front of two model servers, under a
 *  little load, so the model page shows a release stepping with its evidence. */
async function seedRelease(dataDir) {
  const { nginxUnavailable, startNginx, startModelServer } = require('./nginx.cjs')
  const { freePort } = require('./sshd.cjs')
  if (nginxUnavailable()) return null
  const work = mkdtempSync(join(tmpdir(), 'gantry-shots-release-'))
  const nginx = startNginx(join(work, 'nginx'))
  const champ = await startModelServer('champion', join(work, 'champion.jsonl'))
  const chall = await startModelServer('challenger', join(work, 'challenger.jsonl'))
  const g = (...args) => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'gantry.js'), '--data-dir', dataDir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, GANTRY_ACTOR: 'maria' },
    })
    if (r.status !== 0) throw new Error(`gantry ${args.join(' ')}: ${r.stderr}`)
  }
  for (const v of [1, 2]) {
    writeFileSync(join(work, `reranker-v${v}.onnx`), Buffer.alloc(100_000, v))
    g('register', '--model', 'reranker', '--artifact', join(work, `reranker-v${v}.onnx`), '--owner', 'search-ml')
    g('stage', 'reranker', String(v), 'staging')
  }
  g('stage', 'reranker', '1', 'production')
  const port = await freePort()
  g(
    'front',
    'add',
    'reranker',
    '--nginx-dir',
    nginx.confd,
    '--listen',
    `127.0.0.1:${port}`,
    '--champion',
    champ.url,
    '--key',
    'X-User',
    '--reload-command',
    nginx.reloadCommand.join(' '),
  )
  g(
    'release',
    'canary',
    'reranker',
    '--version',
    '2',
    '--challenger',
    chall.url,
    '--steps',
    '5,25,50,100',
    '--hold',
    '10m',
    '--gate-interval',
    '2s',
  )
  // Bounded load: at most 2 minutes or 200,000 requests.
  let on = true
  let n = 0
  const t0 = Date.now()
  const loop = (async () => {
    while (on && n < 200_000 && Date.now() - t0 < 120_000) {
      n++
      await fetch(`http://127.0.0.1:${port}/v1/predict?x=${n % 7}`, { headers: { 'X-User': `u${n % 300}` } })
        .then((r) => r.arrayBuffer())
        .catch(() => {})
    }
  })()
  return {
    async stop() {
      on = false
      await loop
      nginx.stop()
      champ.stop()
      chall.stop()
      rmSync(work, { recursive: true, force: true })
    },
  }
}

/** A model served by a real process (the test model server), deployed twice and rolled back once. */
async function seedDeploys(dataDir) {
  const work = mkdtempSync(join(tmpdir(), 'gantry-shots-deploy-'))
  const serve = join(work, 'serve')
  mkdirSync(serve)
  const child = spawn(
    process.execPath,
    [join(root, 'test/fixtures/bin/model-server.cjs'), '--folder', serve, '--name', 'ranker'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const [port, pid] = await new Promise((resolve) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = /listening (\d+) (\d+)/.exec(out)
      if (m) resolve([m[1], m[2]])
    })
  })
  const g = (actor, ...args) => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'gantry.js'), '--data-dir', dataDir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, GANTRY_ACTOR: actor },
    })
    if (r.status !== 0 && r.status !== 4) throw new Error(`gantry ${args.join(' ')}: ${r.stderr}`)
  }
  for (const v of [1, 2, 3]) {
    const d = join(work, `ranker-v${v}`)
    mkdirSync(d)
    writeFileSync(join(d, 'weights.safetensors'), Buffer.alloc(2_000_000, v))
    g(
      'jun',
      'register',
      '--model',
      'ranker',
      '--artifact',
      d,
      '--owner',
      'search',
      '--reference',
      join(root, 'test/fixtures/registry/mlflow_error_resource_does_not_exist_404.json'),
    )
    g('jun', 'stage', 'ranker', String(v), 'staging')
  }
  g(
    'jun',
    'endpoint',
    'add',
    `http://127.0.0.1:${port}/`,
    '--kind',
    'vllm',
    '--name',
    'ranker-node-1',
    '--bind',
    'ranker',
  )
  g(
    'jun',
    'target',
    'add',
    'ranker',
    'node-1',
    '--kind',
    'model-folder',
    '--folder',
    serve,
    '--endpoint',
    '1',
    '--reload-command',
    `kill -HUP ${pid}`,
    '--ready-timeout',
    '2000',
  )
  g('jun', 'deploy', 'ranker', '--version', '1', '--target', 'node-1')
  g('maria', 'deploy', 'ranker', '--version', '2', '--target', 'node-1')
  writeFileSync(join(serve, 'IGNORE_RELOAD'), '')
  g('maria', 'deploy', 'ranker', '--version', '3', '--target', 'node-1')
  spawnSync('rm', [join(serve, 'IGNORE_RELOAD')])
  g('tomas', 'rollback', 'ranker', '--target', 'node-1')
  g('maria', 'deploy', 'ranker', '--version', '2', '--target', 'node-1')
  return { stop: () => child.kill('SIGKILL') }
}

/** A small but realistic registry, made the way users make one: through the CLI, as three people. */
function seedRegistry(dataDir) {
  const work = mkdtempSync(join(tmpdir(), 'gantry-shots-art-'))
  const g = (actor, ...args) => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'gantry.js'), '--data-dir', dataDir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, GANTRY_ACTOR: actor },
    })
    if (r.status !== 0) throw new Error(`gantry ${args.join(' ')}: ${r.stderr}`)
  }
  const file = (name, bytes) => {
    const p = join(work, name)
    writeFileSync(p, Buffer.alloc(bytes, name.length))
    return p
  }
  writeFileSync(join(work, 'train.csv'), 'amount,country,label\n12.5,DE,0\n99.0,FR,1\n')
  writeFileSync(join(work, 'reference.csv'), 'amount,country,label\n10.0,DE,0\n')
  g(
    'maria',
    'model',
    'create',
    'fraud-detector',
    '--owner',
    'risk-ml',
    '--contact',
    'risk-ml@corp.internal',
    '--oncall',
    'pagerduty: risk-ml',
    '--description',
    'Card-present fraud scoring',
    '--approval',
    'on',
  )
  g(
    'maria',
    'register',
    '--model',
    'fraud-detector',
    '--artifact',
    file('fraud-v1.onnx', 3_000_000),
    '--dataset',
    join(work, 'train.csv'),
    '--reference',
    join(work, 'reference.csv'),
    '--commit',
    '4f2a9c1',
    '--param',
    'depth=6',
    '--metric',
    'auc=0.912',
  )
  g(
    'maria',
    'register',
    '--model',
    'fraud-detector',
    '--artifact',
    file('fraud-v2.onnx', 3_100_000),
    '--parent',
    '1',
    '--dataset',
    join(work, 'train.csv'),
    '--reference',
    join(work, 'reference.csv'),
    '--commit',
    '8be01d3',
    '--param',
    'depth=8',
    '--metric',
    'auc=0.927',
  )
  g(
    'maria',
    'register',
    '--model',
    'fraud-detector',
    '--artifact',
    file('fraud-v3.onnx', 3_200_000),
    '--parent',
    '2',
    '--dataset',
    join(work, 'train.csv'),
    '--reference',
    join(work, 'reference.csv'),
    '--commit',
    'c71e5aa',
    '--param',
    'depth=8',
    '--param',
    'lr=0.05',
    '--metric',
    'auc=0.931',
  )
  for (const v of ['1', '2']) {
    g('maria', 'stage', 'fraud-detector', v, 'staging')
    g('maria', 'request-approval', 'fraud-detector', v, '--comment', 'offline eval attached')
    g('tomas', 'approve', 'fraud-detector', v, '--comment', 'reviewed the eval report')
    g('maria', 'stage', 'fraud-detector', v, 'production')
  }
  g('maria', 'stage', 'fraud-detector', '3', 'staging')
  g('maria', 'alias', 'set', 'fraud-detector', 'candidate', '3')
  g('maria', 'request-approval', 'fraud-detector', '3', '--comment', 'AUC +0.4 pts, p95 unchanged')
  g('jun', 'register', '--model', 'churn-predictor', '--artifact', file('churn.pkl', 800_000), '--owner', 'growth')
  g('jun', 'stage', 'churn-predictor', '1', 'staging')
  g('jun', 'stage', 'churn-predictor', '1', 'production')
  const repo = join(work, 'triton')
  for (const v of ['1', '2']) {
    mkdirSync(join(repo, 'resnet50', v), { recursive: true })
    writeFileSync(join(repo, 'resnet50', v, 'model.plan'), Buffer.alloc(1_000_000 * Number(v), 7))
  }
  writeFileSync(join(repo, 'resnet50', 'config.pbtxt'), 'platform: "tensorrt_plan"\n')
  g('jun', 'import', 'triton', repo, '--owner', 'vision')
  // A monitored model: California Housing's reference, and four thousand of its analysis rows as logs.
  const fx = join(root, 'test', 'fixtures', 'drift')
  writeFileSync(join(work, 'housing.pkl'), 'rf')
  g(
    'maria',
    'register',
    '--model',
    'housing-price',
    '--artifact',
    join(work, 'housing.pkl'),
    '--owner',
    'pricing',
    '--reference',
    join(fx, 'california_housing_reference.csv'),
  )
  g('maria', 'stage', 'housing-price', '1', 'staging')
  g('maria', 'stage', 'housing-price', '1', 'production')
  const logs = `${dataDir}-logs`
  mkdirSync(logs, { recursive: true })
  const csv = readFileSync(join(fx, 'california_housing_analysis.csv'), 'utf8').trim().split('\n')
  writeFileSync(join(logs, 'serve.csv'), `${csv.slice(0, 4001).join('\n')}\n`)
  // Ground truth for the first 3,500 rows: three windows scored, the fourth partly.
  const gt = readFileSync(join(fx, 'california_housing_analysis_gt.csv'), 'utf8').trim().split('\n')
  const labels = `${dataDir}-labels.csv` // kept while the console runs (its drift timer re-reads it)
  writeFileSync(labels, `${gt.slice(0, 3501).join('\n')}\n`)
  g(
    'maria',
    'drift-monitor',
    'housing-price',
    '--folder',
    logs,
    '--rows',
    '1000',
    '--id',
    'id',
    '--truth',
    labels,
    '--target',
    'clf_target',
    '--prediction',
    'y_pred',
    '--score',
    'y_pred_proba',
    '--read',
  )
  g(
    'jun',
    'import',
    'mlflow',
    join(root, 'test', 'fixtures', 'registry', 'mlflow-export-import_oss_registered_model_sklearn_wine.json'),
  )
  rmSync(work, { recursive: true, force: true })
}
