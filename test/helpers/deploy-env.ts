// What the deploy tests share: a model server process (test/fixtures/bin/model-server.cjs) serving
// from a `current` link, versions registered from real folders, and a core wired to both.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createGantry, type Gantry } from '../../src/main/core'
import type { MethodName } from '../../src/shared/names'
import { tmpDir } from './tmp'

export const MODEL_SERVER = join(__dirname, '..', 'fixtures', 'bin', 'model-server.cjs')

/** The model server; as another OS account with `asUser` (runuser: a remote login's reload
 *  command may then signal it). */
export async function startModelServer(
  folder: string,
  name = 'm',
  asUser?: string,
): Promise<{ url: string; pid: number; child: ChildProcess; stop(): Promise<void> }> {
  const argv = [process.execPath, MODEL_SERVER, '--folder', folder, '--name', name]
  const child = asUser
    ? spawn('runuser', ['-u', asUser, '--', ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
  const [port, pid] = await new Promise<[number, number]>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d) => {
      out += d
      const m = /listening (\d+) (\d+)/.exec(out)
      if (m) resolve([Number(m[1]), Number(m[2])])
    })
    child.on('exit', (c) => reject(new Error(`model server exited ${c}`)))
  })
  return {
    url: `http://127.0.0.1:${port}/`,
    pid,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await new Promise((r) => child.once('exit', r))
    },
  }
}

export function makeCore(dataDir: string, actor = 'ops', extra: Parameters<typeof createGantry>[0] = {}): Gantry {
  return createGantry({
    dataDir,
    actor,
    hostIntervalMs: 0,
    storageIntervalMs: 0,
    gpuIntervalMs: 0,
    servingIntervalMs: 0,
    pollTimeoutMs: 1000,
    log: () => {},
    ...extra,
  })
}

export async function call<T>(g: Gantry, m: MethodName, input: unknown): Promise<T> {
  const r = await g.api.call(m, input)
  if (!r.ok) throw Object.assign(new Error(`${m}: ${r.error.code} ${r.error.message}`), { code: r.error.code })
  return r.data as T
}

/** A data dir with model `m` (v1, v2 as folders, both staged), a target folder, and a server. */
export async function deployWorld(opts: { versions?: number; core?: Parameters<typeof createGantry>[0] } = {}) {
  const root = tmpDir('gantry-deploy-')
  const dataDir = join(root, 'data')
  const serveDir = join(root, 'serve')
  mkdirSync(serveDir, { recursive: true })
  const g = makeCore(dataDir, 'ops', opts.core ?? {})
  const dirs: string[] = []
  for (let v = 1; v <= (opts.versions ?? 2); v++) {
    const d = join(root, 'artifacts', `v${v}`)
    mkdirSync(d, { recursive: true })
    writeFileSync(join(d, 'weights.bin'), `weights of v${v}`)
    dirs.push(d)
    await call(g, 'registry.register', { model: 'm', artifact: d })
    await call(g, 'registry.transition', { name: 'm', version: v, stage: 'staging' })
  }
  const server = await startModelServer(serveDir)
  const ep = await call<{ id: number }>(g, 'serving.addEndpoint', {
    url: server.url,
    kind: 'vllm',
    name: 'model-server',
  })
  const target = await call<{ id: number }>(g, 'deploy.addTarget', {
    model: 'm',
    name: 'local',
    config: {
      kind: 'model-folder',
      folder: serveDir,
      reloadCommand: ['kill', '-HUP', String(server.pid)],
      endpointId: ep.id,
      readyTimeoutMs: 1500,
    },
  })
  return { root, dataDir, serveDir, g, dirs, server, endpointId: ep.id, targetId: target.id }
}
