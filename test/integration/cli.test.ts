// The `gantry` bin and `npm start` as a user runs them: real processes, real data directories.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { HostSnapshot, StorageSnapshot } from '../../src/shared/contract'
import { BUNDLES, bundleSection } from '../helpers/gpu-fixtures'
import { replayServer } from '../helpers/replay-server'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const root = join(__dirname, '..', '..')
const bin = join(root, 'bin', 'gantry.js')
afterEach(cleanupTmp)

function gantry(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  })
}

/** Starts a long-running command and resolves once its stdout matches. */
function startUntil(cmd: string, args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  const matched = new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d
      const m = pattern.exec(out)
      if (m) resolve(m)
    })
    child.on('exit', (code) => reject(new Error(`exited ${code} before ${pattern}: ${out}\n${err}`)))
  })
  return { child, matched, output: () => out }
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

describe('the gantry CLI', () => {
  it('prints help naming its commands', () => {
    const r = gantry(['--help'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/serve \[options\]/)
    expect(r.stdout).toMatch(/host \[options\]/)
    expect(r.stdout).toMatch(/--data-dir/)
  })

  it('`host --json` prints one snapshot of this host and its storage in the contract’s shape', () => {
    const r = gantry(['--data-dir', tmpDir(), 'host', '--json'])
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { host: unknown; storage: unknown }
    const host = HostSnapshot.parse(out.host)
    expect(host.cpu?.cores).toBeGreaterThan(0)
    expect(host.memory?.total).toBeGreaterThan(0)
    expect(StorageSnapshot.parse(out.storage).filesystems.some((f) => f.mount === '/')).toBe(true)
  })

  it('honours GANTRY_HOME when no --data-dir is given', () => {
    const home = tmpDir()
    const r = gantry(['host'], { GANTRY_HOME: home })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/health: (OK|WARNING|CRITICAL|UNKNOWN)/)
    expect(spawnSync('ls', [home], { encoding: 'utf8' }).stdout).toMatch(/gantry\.db/)
  })

  it('fails with the path and code when the database is corrupt, exit status 1', () => {
    const dir = tmpDir()
    writeFileSync(join(dir, 'gantry.db'), 'garbage '.repeat(1000))
    const r = gantry(['--data-dir', dir, 'host', '--json'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(join(dir, 'gantry.db'))
    expect(r.stderr).toMatch(/\[db\/corrupt\]/)
    expect(r.stdout).toBe('')
  })

  it('`serve` prints its link with the token, serves the console page and the API, and stops on SIGTERM', async () => {
    const s = startUntil(
      process.execPath,
      [bin, '--data-dir', tmpDir(), 'serve', '--port', '0'],
      /Gantry console: (\S+)#token=(\S+)/,
    )
    const [, url, token] = await s.matched
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const page = await fetch(url)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
    expect(await page.text()).toMatch(/<div id="root">/)
    const info = await fetch(`${url}api/app.info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{}',
    })
    expect(await info.json()).toMatchObject({ ok: true, data: { door: 'server' } })
    s.child.kill('SIGTERM')
    expect(await exitOf(s.child)).toBe(0)
  })

  it('rejects a bad port with a usage error', () => {
    const r = gantry(['serve', '--port', 'eighty'])
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/a port is 0–65535/)
  })
})

describe('npm start', () => {
  it('without an Electron binary, says so in one line and serves the console headless', async () => {
    let electronPresent = false
    try {
      electronPresent = typeof require('electron') === 'string'
    } catch {
      electronPresent = false
    }
    if (electronPresent) {
      console.log('skipping: the Electron binary is installed here, so npm start opens the desktop app')
      return
    }
    const s = startUntil(
      process.execPath,
      [join(root, 'scripts', 'start.mjs'), '--port', '0', '--data-dir', tmpDir()],
      /Gantry console: (\S+)/,
    )
    const url = (await s.matched)[1]
    const lines = s.output().trim().split('\n')
    expect(lines[0]).toMatch(/^gantry: Electron binary not available \(.+\); serving the console headless instead/)
    expect((await fetch(url)).status).toBe(200)
    s.child.kill('SIGTERM')
    await exitOf(s.child)
  })
})

describe('gantry gpu', () => {
  const fixtures = join(root, 'test', 'fixtures', 'gpu')
  const standin = join(root, 'test', 'fixtures', 'bin')

  it('--from-xml prints the normalized model of a customer capture', () => {
    const r = gantry(['gpu', '--from-xml', join(fixtures, 'netdata__a100-sxm4-mig.xml'), '--json'])
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { source: string; gpus: Record<string, unknown>[] }
    expect(out.source).toMatch(/schema v11/)
    expect(out.gpus).toHaveLength(1)
    expect(out.gpus[0]).toMatchObject({
      name: 'NVIDIA A100-SXM4-40GB',
      utilization: { gpuPct: null },
      mig: { mode: 'Enabled' },
    })
    expect((out.gpus[0].mig as { devices: unknown[] }).devices).toHaveLength(2)
  })

  it('--from-csv reads a recorded --query-gpu CSV with its header and units', () => {
    const csv = join(tmpDir(), 'h100.csv')
    writeFileSync(csv, bundleSection(BUNDLES.h100, 'load :: query-gpu (csv, what the exporter parses)'))
    const r = gantry(['gpu', '--from-csv', csv, '--json'])
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { gpus: { name: string; memory: { totalMiB: number } }[] }
    expect(out.gpus[0]).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', memory: { totalMiB: 81559 } })
  })

  it('refuses a file that is not nvidia-smi output, naming it', () => {
    const bad = join(tmpDir(), 'notes.txt')
    writeFileSync(bad, 'hello')
    const x = gantry(['gpu', '--from-xml', bad])
    expect(x.status).toBe(1)
    expect(x.stderr).toMatch(new RegExp(`${bad}: not nvidia-smi XML`))
    const c = gantry(['gpu', '--from-csv', bad])
    expect(c.status).toBe(1)
    expect(c.stderr).toMatch(/\[gpu\/parse\]/)
  })

  it('reads the live stream once, with processes, through nvidia-smi on PATH', () => {
    const r = gantry(['--data-dir', tmpDir(), 'gpu', '--json'], {
      PATH: `${standin}:${process.env.PATH}`,
      STANDIN_XML: join(fixtures, 'datakit__gtx-8card-v100s.xml'),
      GANTRY_GPU_INTERVAL_MS: '200',
    })
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { state: string; gpus: { processes: { name: string }[] }[] }
    expect(out.state).toBe('ok')
    expect(out.gpus).toHaveLength(8)
    expect(out.gpus[0].processes[0].name).toBe('python')
  })

  it('says "no NVIDIA GPU" and exits 1 on a host without nvidia-smi', () => {
    const r = gantry(['--data-dir', tmpDir(), 'gpu'], {
      PATH: '/usr/bin:/bin',
      GANTRY_NVIDIA_SMI: '/nonexistent/nvidia-smi',
    })
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/state: no-driver — no NVIDIA GPU \(nvidia-smi not found\)/)
  })
})

describe('gantry probe', () => {
  function gantryAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      c.stdout.on('data', (d) => (stdout += d))
      c.stderr.on('data', (d) => (stderr += d))
      c.on('exit', (status) => resolve({ status, stdout, stderr }))
    })
  }
  const fx = (p: string): string => readFileSync(join(root, 'test', 'fixtures', 'serving', p), 'utf8')

  it('probes a recorded vLLM server and prints the normalized result', async () => {
    const s = await replayServer({
      'GET /v1/models': { body: fx('vllm/v1_models_hf_id.json') },
      'GET /version': { body: fx('vllm/version.json') },
      'GET /health': { body: '' },
    })
    try {
      const r = await gantryAsync(['--data-dir', tmpDir(), 'probe', s.url, '--json'])
      expect(r.status, r.stderr).toBe(0)
      const out = JSON.parse(r.stdout) as { kind: string; live: boolean; models: { name: string; source: string }[] }
      expect(out).toMatchObject({ kind: 'vllm', live: true })
      expect(out.models[0]).toMatchObject({
        name: 'meta-llama/Llama-3.2-3B-Instruct',
        source: 'meta-llama/Llama-3.2-3B-Instruct',
      })
    } finally {
      await s.close()
    }
  })

  it('exits 1 for a server that does not answer, and 2 for a URL that is not http', async () => {
    const dead = await gantryAsync([
      '--data-dir',
      tmpDir(),
      'probe',
      'http://127.0.0.1:9/',
      '--kind',
      'generic',
      '--timeout',
      '500',
    ])
    expect(dead.status).toBe(1)
    expect(dead.stdout).toMatch(/live unknown/)
    const bad = await gantryAsync(['--data-dir', tmpDir(), 'probe', 'file:///etc/passwd'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/\[contract\/invalid-input\]/)
  })
})

describe('gantry endpoint', () => {
  it('adds, lists and removes saved endpoints in the data directory', () => {
    const dir = tmpDir()
    const add = gantry([
      '--data-dir',
      dir,
      'endpoint',
      'add',
      'http://127.0.0.1:8000/',
      '--name',
      'llm-a',
      '--kind',
      'vllm',
      '--json',
    ])
    expect(add.status, add.stderr).toBe(0)
    const e = JSON.parse(add.stdout) as { id: number; name: string; kind: string }
    expect(e).toMatchObject({ name: 'llm-a', kind: 'vllm' })
    const dup = gantry(['--data-dir', dir, 'endpoint', 'add', 'http://127.0.0.1:8000/'])
    expect(dup.status).toBe(1)
    expect(dup.stderr).toMatch(/\[serving\/duplicate-endpoint\]/)
    const list = gantry(['--data-dir', dir, 'endpoint', 'list'])
    expect(list.stdout).toBe(`${e.id}\tllm-a\tvllm\thttp://127.0.0.1:8000/\n`)
    expect(gantry(['--data-dir', dir, 'endpoint', 'remove', String(e.id)]).status).toBe(0)
    expect(gantry(['--data-dir', dir, 'endpoint', 'list']).stdout).toBe('no endpoints\n')
    const gone = gantry(['--data-dir', dir, 'endpoint', 'remove', String(e.id)])
    expect(gone.status).toBe(1)
    expect(gone.stderr).toMatch(/no endpoint with id/)
  })
})
