// The traffic layer a release drives, behind one small interface: Gantry ships no proxy of its own
// but steers the one the site runs (Flagger's and Argo Rollouts' way). nginx first (nginx.ts);
// HAProxy (runtime API weights) or Envoy would be another implementation of the same interface.
import type { Front } from '../../../shared/release'

/** What the route of one model should do now. */
export interface Traffic {
  /** off: everything to the champion; canary: `weight` % to the challenger; shadow: `weight` % mirrored. */
  mode: 'off' | 'canary' | 'shadow'
  weight: number
  challenger: string | null
  /** Shadow: the methods that may be sent twice, the largest body mirrored, the mirror's timeout. */
  idempotent: string[]
  maxMirrorBody: number
  mirrorTimeoutMs: number
  /** The release this comes from and the database revision it was rendered at (written in the file). */
  release: number | null
  rev: number
}

export interface ApplyResult {
  /** Whether the proxy now runs this traffic (false: it kept what it had, and `message` says why). */
  ok: boolean
  /** false when the file already said this (nothing reloaded). */
  changed: boolean
  message: string
  warnings: string[]
}

export interface TrafficRouter {
  readonly kind: 'nginx'
  /** The configuration this traffic gives (what the release dialog shows). */
  render(front: Front, traffic: Traffic): string
  /** Writes it, has the proxy check it, reloads gracefully; on any failure the previous one stays. */
  apply(front: Front, traffic: Traffic): Promise<ApplyResult>
  /** What stands in the way on that host (the proxy missing, its folder not writable), in words. */
  check(front: Front): Promise<string[]>
  /** The revision the file on the host was rendered at (null: no file, or not Gantry's). */
  appliedRev(front: Front): Promise<number | null>
  /** Removes the file (the front goes) and reloads. */
  remove(front: Front): Promise<ApplyResult>
}
