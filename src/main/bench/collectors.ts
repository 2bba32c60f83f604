// Benchmark harness for bench/gpu-stream.mjs, built with the app (out/main/bench.js) so the
// benchmark measures the same compiled collector the product runs. Both collectors run in this
// process; CPU is this process's own (process.cpuUsage), not the nvidia-smi children's.
import nvidiaSmi from 'node-nvidia-smi'
import { createGpuStream } from '../core/telemetry/gpu/stream'
import { normalizeNvidiaSmiLog } from '../core/telemetry/gpu/xml'

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Streams for `seconds` at `intervalMs`; returns CPU ms spent and GPU samples received. */
export async function measureStream(intervalMs: number, seconds: number, env: NodeJS.ProcessEnv) {
  let gpuSamples = 0
  let ticks = 0
  const s = createGpuStream({
    intervalMs,
    env,
    onSample: (gpus) => {
      gpuSamples += gpus.length
      ticks++
    },
    onState: () => {},
  })
  s.start()
  // Skip start-up (help query, first spawn, JIT warm-up) so the steady state is measured.
  const warm = Math.min(20, Math.max(2, Math.round(2000 / intervalMs)))
  while (ticks < warm) await new Promise((r) => setTimeout(r, 20))
  const c0 = cpuMs()
  const g0 = gpuSamples
  const t0 = Date.now()
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const cpu = cpuMs() - c0
  const wallMs = Date.now() - t0
  const samples = gpuSamples - g0
  await s.stop()
  return { cpuMs: cpu, wallMs, gpuSamples: samples, spawned: s.spawned }
}

/** The per-tick approach: spawn `nvidia-smi -q -x` through node-nvidia-smi and parse, `ticks` times. */
export async function measurePerTick(ticks: number) {
  // One untimed reading first, so both collectors are measured warm.
  normalizeNvidiaSmiLog(await readOnce(), 'none', Date.now())
  let gpuSamples = 0
  const c0 = cpuMs()
  const t0 = Date.now()
  for (let i = 0; i < ticks; i++) {
    const parsed = await readOnce()
    gpuSamples += normalizeNvidiaSmiLog(parsed, 'none', Date.now()).gpus.length
  }
  return { cpuMs: cpuMs() - c0, wallMs: Date.now() - t0, gpuSamples }
}

function readOnce(): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) =>
    nvidiaSmi((err, data) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(data))),
  )
}

// bench/probe-fleet drives the product's own probe.
export { probeEndpoint } from '../core/serving/probe'

// The whole core, for harnesses that drive it in plain Node: bench/registry.mjs and the
// registry crash test's child process (test/helpers/registry-crash-child.cjs).
export { createGantry } from '../core'
export { hashArtifact } from '../core/registry/hash'
export { driftReport } from '../core/drift/report'
export { ks2samp } from '../core/drift/stats'
export { readTable } from '../core/drift/table'
