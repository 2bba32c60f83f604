// The Result type every door returns, and the closed set of error codes that can cross a door.
// A thrown error never crosses a process boundary by itself: the core turns it into one of these.

export const ERROR_CODES = [
  'contract/invalid-input',
  'contract/unknown-method',
  'auth/unauthorized',
  'core/internal',
  'core/unavailable',
  'core/timeout',
  'core/busy',
  'core/cancelled',
  'config/data-dir',
  'db/corrupt',
  'db/newer-schema',
  'db/migration-edited',
  'db/busy',
  'db/not-gantry',
  'db/read-only',
  'db/disk-full',
  'files/refused',
  'files/missing',
  'files/unreadable',
  'files/too-large',
  'telemetry/unknown-series',
  'host/unavailable',
  'hosts/unknown-host',
  'hosts/duplicate-host',
  'hosts/in-use',
  'hosts/unreachable',
  'hosts/auth-failed',
  'hosts/host-key-unknown',
  'hosts/host-key-changed',
  'hosts/unsupported',
  'prometheus/unknown-source',
  'prometheus/duplicate-source',
  'prometheus/unreachable',
  'prometheus/query-failed',
  'prometheus/unknown-kpi',
  'storage/unknown-mount',
  'gpu/unavailable',
  'gpu/unknown-gpu',
  'gpu/parse',
  'serving/duplicate-endpoint',
  'serving/unknown-endpoint',
  'registry/unknown-model',
  'registry/unknown-version',
  'registry/unknown-alias',
  'registry/unknown-approval',
  'registry/duplicate-model',
  'registry/duplicate-version',
  'registry/artifact-missing',
  'registry/artifact-unreadable',
  'registry/hash-mismatch',
  'registry/forbidden-transition',
  'registry/archived-version',
  'registry/approval-required',
  'registry/self-approval',
  'registry/conflict',
  'registry/invalid-import',
  'secrets/insecure',
  'secrets/unreadable',
  'secrets/refused',
  'deploy/unknown-target',
  'deploy/duplicate-target',
  'deploy/locked',
  'deploy/preflight',
  'deploy/no-rollback-version',
  'deploy/unknown-deployment',
  'drift/invalid-data',
  'drift/busy',
  'alerts/unknown-alert',
  'alerts/not-firing',
  'alerts/unknown-rule',
  'alerts/invalid-rule',
  'alerts/unknown-silence',
  'alerts/no-trigger',
  'alerts/retrain-busy',
  'release/no-front',
  'release/none',
  'release/invalid',
  'release/busy',
  'release/conflict',
  'release/no-headroom',
  'release/unavailable',
  'release/proxy-refused',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface GantryErrorShape {
  code: ErrorCode
  message: string
}

export type Result<T> = { ok: true; data: T } | { ok: false; error: GantryErrorShape }

export function ok<T>(data: T): Result<T> {
  return { ok: true, data }
}

export function fail<T = never>(code: ErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } }
}

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && (ERROR_CODES as readonly string[]).includes(x)
}
