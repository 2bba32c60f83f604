// A service that polls one probe on a schedule and keeps its latest sample: the shape shared by
// the host, storage and (later) GPU collectors. It turns a failed or hung poll into a degraded
// sample with the reason, announces state changes, and can be asked for a fresh sample on demand.
import type { ServiceStatus } from '../../../shared/contract'
import { createPoller, type PollOutcome } from './poller'

export interface SampledServiceOptions<T> {
  name: string
  intervalMs: number
  timeoutMs: number
  now: () => number
  probe: (signal: AbortSignal) => Promise<T>
  /** Builds the sample shown when the poll failed or timed out. */
  degraded: (reason: string, at: number, durationMs: number) => T
  /** Whether a successful sample is itself degraded (partial data), and why. */
  problemOf: (sample: T) => string | null
  /** Stores and publishes a sample (ok or degraded). */
  publish: (sample: T) => void
  onStatus: (status: ServiceStatus) => void
}

export interface SampledService<T> {
  start(): void
  stop(): void
  latest(): T | null
  /** Polls now (or joins the poll in flight) and returns the resulting sample. */
  sampleNow(): Promise<T>
  status(): ServiceStatus
}

export function createSampledService<T>(o: SampledServiceOptions<T>): SampledService<T> {
  let latest: T | null = null
  let status: ServiceStatus = {
    name: o.name,
    state: 'stopped',
    reason: null,
    at: o.now(),
    intervalMs: o.intervalMs,
  }

  function setStatus(state: ServiceStatus['state'], reason: string | null): void {
    if (status.state === state && status.reason === reason) return
    status = { ...status, state, reason, at: o.now() }
    o.onStatus(status)
  }

  function handle(outcome: PollOutcome<T>): void {
    const sample = outcome.ok ? outcome.value : o.degraded(outcome.reason, outcome.at, outcome.durationMs)
    latest = sample
    const problem = outcome.ok ? o.problemOf(sample) : outcome.reason
    if (poller.running || status.state !== 'stopped') setStatus(problem ? 'degraded' : 'ok', problem)
    o.publish(sample)
  }

  const poller = createPoller<T>({
    name: o.name,
    intervalMs: o.intervalMs,
    timeoutMs: o.timeoutMs,
    now: o.now,
    run: o.probe,
    onOutcome: handle,
  })

  return {
    start() {
      if (o.intervalMs <= 0 || poller.running) return
      setStatus('starting', null)
      poller.start()
    },
    stop() {
      poller.stop()
      setStatus('stopped', null)
    },
    latest: () => latest,
    async sampleNow() {
      await poller.pollNow()
      return latest as T
    },
    status: () => status,
  }
}
