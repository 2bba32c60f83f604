// The dispatcher every door calls: validates input against the contract (zod), runs the handler,
// validates the output, and turns any failure into a Result with a closed error code. Nothing
// thrown escapes: a door can pass the Result straight across its transport.
import { z } from 'zod'
import {
  METHOD_NAMES,
  methods,
  type GantryClient,
  type HandlerInput,
  type MethodName,
  type MethodOutput,
} from '../../shared/contract'
import { fail, ok, type Result } from '../../shared/result'
import { withCaller, type Caller } from './caller'
import { GantryError, errorMessage } from './errors'

export type Handlers = {
  [M in MethodName]: (input: HandlerInput<M>) => Promise<MethodOutput<M>> | MethodOutput<M>
}

export interface Api {
  /** Runs one contract method for `caller` (the audit names them; their signal cancels the work). */
  call(method: string, input: unknown, caller?: Caller): Promise<Result<unknown>>
}

function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`)
    .join('; ')
}

export function createApi(
  handlers: Handlers,
  onInternalError: (err: unknown) => void = () => {},
  /** Turns a known failure of the environment (a full or read-only disk) into a clear error. */
  translate: (err: unknown) => GantryError | null = () => null,
): Api {
  return {
    async call(method, input, caller) {
      if (typeof method !== 'string' || !Object.hasOwn(methods, method)) {
        return fail('contract/unknown-method', `unknown method "${String(method).slice(0, 100)}"`)
      }
      const spec = methods[method as MethodName]
      const parsed = spec.input.safeParse(input ?? undefined)
      if (!parsed.success) {
        return fail('contract/invalid-input', `${method}: ${describeIssues(parsed.error)}`)
      }
      try {
        const handler = handlers[method as MethodName] as (i: unknown) => unknown
        const data = await withCaller(caller, () => handler(parsed.data ?? {}))
        const out = spec.output.safeParse(data)
        if (!out.success) {
          onInternalError(new Error(`${method} returned data outside the contract: ${describeIssues(out.error)}`))
          return fail('core/internal', `${method}: the core produced an invalid result (${describeIssues(out.error)})`)
        }
        return ok(out.data)
      } catch (err) {
        if (err instanceof GantryError) return fail(err.code, err.message)
        if ((err as { code?: string }).code === 'SQLITE_BUSY') {
          return fail('db/busy', `${method}: the database is busy, try again`)
        }
        const known = translate(err)
        if (known) return fail(known.code, `${method}: ${known.message}`)
        onInternalError(err)
        return fail('core/internal', `${method}: ${errorMessage(err)}`)
      }
    },
  }
}

/** The api as a typed client (what the CLI and tests call): same validation, typed results. */
export function typedClient(api: Api): GantryClient {
  return Object.fromEntries(METHOD_NAMES.map((m) => [m, (input?: unknown) => api.call(m, input)])) as GantryClient
}
