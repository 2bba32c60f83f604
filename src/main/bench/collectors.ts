// Benchmark harness for bench/gpu-stream.mjs, built with the app (out/main/bench.js) so the
// benchmark measures the same compiled collector the product runs. Both collectors run in this
// process; CPU is this process's own (process.cpuUsage), not the nvidia-smi children's.
import nvidiaSmi from 'node-nvidia-smi'
import { createLocalFiles } from '../core/files/local-files'
import { ANY_PATH } from '../core/files/policy'
import { createLocalAccess } from '../core/hosts/local-access'
import { createGpuStream } from '../core/telemetry/gpu/stream'
import { normalizeNvidiaSmiLog } from '../core/telemetry/gpu/xml'

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Streams for `seconds` at `intervalMs`; returns CPU ms spent and GPU samples received. */
export async function measureStream(intervalMs: number, seconds: number, env: NodeJS.ProcessEnv, warmSeconds = 5) {
  let gpuSamples = 0
  let ticks = 0
  const s = createGpuStream({
    access: createLocalAccess(createLocalFiles(ANY_PATH), env),
    intervalMs,
    onSample: (gpus) => {
      gpuSamples += gpus.length
      ticks++
    },
    onState: () => {},
  })
  s.start()
  // Skip start-up (help query, first spawn, loading and compiling the core, V8's first
  // collections of the loading garbage) so the steady state is measured: at least warmSeconds and
  // 20 ticks. Measured on the 2-core VM: the first ~15 s of a fresh process cost 2–4× the
  // per-tick CPU of the minutes after it.
  const warmTicks = Math.max(20, Math.round((warmSeconds * 1000) / intervalMs))
  while (ticks < warmTicks) await new Promise((r) => setTimeout(r, 50))
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
  // Untimed readings first, so both collectors are measured warm.
  for (let i = 0; i < 5; i++) normalizeNvidiaSmiLog(await readOnce(), 'none', Date.now())
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
export { ks2samp, sortFloat64 } from '../core/drift/stats'
export { readTable } from '../core/drift/table'
// The benchmarks read their generated files directly (no allowed-roots policy to configure).
export { createLocalFiles } from '../core/files/local-files'
export { ANY_PATH } from '../core/files/policy'
export { measureAlerts } from './alerts'
