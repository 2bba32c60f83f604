// GantryError: a thrown error that carries one of the contract's closed error codes, so the
// api dispatcher can turn it into `{ ok: false, error: { code, message } }` at any door.
import type { ErrorCode } from '../../shared/result'

export class GantryError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'GantryError'
    this.code = code
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
