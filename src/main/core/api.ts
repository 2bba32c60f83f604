// The dispatcher every door calls: validates input against the contract (zod), runs the handler
// for its caller, validates the output, and turns any failure into a Result with a closed error
// code. Nothing thrown escapes: a door can pass the Result straight across its transport. It also
// keeps two rules of the contract: an owner-only method is refused to the web and desktop doors,
// and every call of a method that reads files is reported (paths, caller, outcome) for the audit.
import { z } from 'zod'
import {
  METHOD_NAMES,
  methods,
  type GantryClient,
  type HandlerInput,
  type MethodName,
  type MethodOutput,
  type MethodSpec,
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

/** One call of a method that reads files, as the audit records it. */
export interface FileReadCall {
  method: MethodName
  paths: string[]
  /** The model the call was about, where its input names one. */
  model: string | null
  /** 'ok', or the error code it ended with. */
  outcome: string
  caller: Caller | undefined
}

export interface ApiOptions {
  /** Told of a failure the dispatcher could not put a code on (logged by the core). */
  onInternalError?: (err: unknown) => void
  /** Turns a known failure of the environment (a full or read-only disk) into a clear error. */
  translate?: (err: unknown) => GantryError | null
  /** Told of every call of a method that reads files (for the audit). */
  onFileRead?: (call: FileReadCall) => void
}

function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`)
    .join('; ')
}

/** The values at `field` ("a.b", "list.*.path") of a parsed input, as strings. */
export function valuesAt(input: unknown, field: string): string[] {
  let here: unknown[] = [input]
  for (const part of field.split('.')) {
    const next: unknown[] = []
    for (const v of here) {
      if (v === null || typeof v !== 'object') continue
      if (part === '*') {
        if (Array.isArray(v)) next.push(...v)
      } else next.push((v as Record<string, unknown>)[part])
    }
    here = next
  }
  return here.filter((v): v is string => typeof v === 'string')
}

export function createApi(handlers: Handlers, o: ApiOptions = {}): Api {
  return {
    async call(method, input, caller) {
      if (typeof method !== 'string' || !Object.hasOwn(methods, method)) {
        return fail('contract/unknown-method', `unknown method "${String(method).slice(0, 100)}"`)
      }
      const spec: MethodSpec = methods[method as MethodName]
      if (spec.ownerOnly && (caller?.door === 'web' || caller?.door === 'desktop')) {
        return fail(
          'auth/unauthorized',
          `${method} can only be called with the gantry command on the machine running Gantry, as the owner of its data directory`,
        )
      }
      const parsed = spec.input.safeParse(input ?? undefined)
      if (!parsed.success) {
        return fail('contract/invalid-input', `${method}: ${describeIssues(parsed.error)}`)
      }
      const result = await run(method as MethodName, spec, parsed.data, caller)
      if (spec.reads && o.onFileRead && !(result.ok && spec.recordsReadsItself)) {
        const paths = spec.reads.flatMap((f) => valuesAt(parsed.data, f))
        const named = parsed.data as { model?: unknown; name?: unknown } | undefined
        const model =
          typeof named?.model === 'string' ? named.model : typeof named?.name === 'string' ? named.name : null
        try {
          o.onFileRead({
            method: method as MethodName,
            paths,
            model,
            outcome: result.ok ? 'ok' : result.error.code,
            caller,
          })
        } catch (err) {
          o.onInternalError?.(err) // an audit that cannot be written is logged, the answer stands
        }
      }
      return result
    },
  }

  async function run(method: MethodName, spec: MethodSpec, input: unknown, caller: Caller | undefined) {
    try {
      const handler = handlers[method] as (i: unknown) => unknown
      const data = await withCaller(caller, () => handler(input ?? {}))
      const out = spec.output.safeParse(data)
      if (!out.success) {
        o.onInternalError?.(new Error(`${method} returned data outside the contract: ${describeIssues(out.error)}`))
        return fail('core/internal', `${method}: the core produced an invalid result (${describeIssues(out.error)})`)
      }
      return ok(out.data)
    } catch (err) {
      if (err instanceof GantryError) return fail(err.code, err.message)
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        return fail('db/busy', `${method}: the database is busy, try again`)
      }
      const known = o.translate?.(err)
      if (known) return fail(known.code, `${method}: ${known.message}`)
      o.onInternalError?.(err)
      return fail('core/internal', `${method}: ${errorMessage(err)}`)
    }
  }
}

/** The api as a typed client (what the CLI and tests call): same validation, typed results. */
export function typedClient(api: Api): GantryClient {
  return Object.fromEntries(METHOD_NAMES.map((m) => [m, (input?: unknown) => api.call(m, input)])) as GantryClient
}
