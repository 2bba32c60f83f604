// A model's retraining trigger: a command run on a chosen host (argv, no shell; local or over SSH)
// or a webhook (POST JSON), given the model, version, reason and window. Run by hand (`gantry
// retrain`, the model page, an alert's action), on a cron schedule (croner parses it), or when a
// rule starts firing for the model. Every run is recorded before it starts and finished with its
// exit status and the tail of its output; a run that outlives its timeout is killed and says so.
import { Cron } from 'croner'
import { RetrainTriggerInput, type RetrainRun, type RetrainTrigger } from '../../../shared/alerts'
import type { HostAccess } from '../hosts/access'
import { boundedFetch } from '../serving/http'
import { GantryError } from '../errors'
import type { AlertStore, StoredTrigger } from './store'
import { z } from 'zod'

const TAIL = 4096
const PLACEHOLDERS = /\{(model|version|reason|window|json)\}/g

export interface RetrainContext {
  reason: string
  cause: string
  /** The window the reason is about (a drift window), if any. */
  window?: { start: number | null; end: number | null } | null
}

/** Validates a cron expression (5 or 6 fields) and says when it next fires. */
export function nextRun(schedule: string, from: number): number | null {
  let c: Cron
  try {
    c = new Cron(schedule, { paused: true })
  } catch (err) {
    throw new GantryError(
      'contract/invalid-input',
      `schedule "${schedule}": ${err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err)}`,
    )
  }
  const n = c.nextRun(new Date(from))
  c.stop()
  return n ? n.getTime() : null
}

export function checkWebhookUrl(raw: string): string {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new GantryError('contract/invalid-input', `"${raw}" is not a URL`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new GantryError('contract/invalid-input', `${u.protocol} webhooks are not supported (http or https)`)
  }
  if (u.username || u.password) {
    throw new GantryError('contract/invalid-input', 'no credentials in the webhook URL')
  }
  return u.toString()
}

/** The argv with the run's facts put in: {model} {version} {reason} {window} {json}; none given: the JSON last. */
export function argvFor(command: string[], facts: Record<string, unknown>): string[] {
  const json = JSON.stringify(facts)
  const w = facts.window as { start: number | null; end: number | null } | null
  const values: Record<string, string> = {
    model: String(facts.model),
    version: facts.version === null ? '' : String(facts.version),
    reason: String(facts.reason),
    window: w ? `${w.start ?? ''}..${w.end ?? ''}` : '',
    json,
  }
  const any = command.some((a) => PLACEHOLDERS.test(a))
  PLACEHOLDERS.lastIndex = 0
  const out = command.map((a) => a.replace(PLACEHOLDERS, (_, k: string) => values[k]))
  return any ? out : [...out, json]
}

export function describeTrigger(t: Pick<StoredTrigger, 'kind' | 'command' | 'url' | 'host'>): string {
  return t.kind === 'command' ? `${(t.command ?? []).join(' ')} on ${t.host ?? 'local'}` : `POST ${t.url}`
}

export interface Retrainer {
  /** Checks and saves a trigger (the argv or URL shown verbatim by the caller and audited). */
  check(input: z.input<typeof RetrainTriggerInput>): z.output<typeof RetrainTriggerInput>
  view(t: StoredTrigger): RetrainTrigger
  run(model: string, ctx: RetrainContext): Promise<RetrainRun>
  /** Scheduled triggers that are due run now (the console's timer). */
  tickSchedules(now: number): void
  /** A rule began firing for a model: its trigger runs if it names that rule. */
  onFiring(rule: string, model: string, summary: string): void
  /** Runs in flight (stop waits for them up to the lifecycle's bound). */
  idle(): Promise<void>
}

export function createRetrainer(o: {
  store: AlertStore
  accessOf: (host: string) => HostAccess
  productionOf: (model: string) => number | null
  hostExists: (host: string) => boolean
  now: () => number
  log: (line: string) => void
  published: (run: RetrainRun) => void
}): Retrainer {
  const running = new Map<string, Promise<RetrainRun>>()
  const lastScheduled = new Map<string, number>()

  const execute = async (t: StoredTrigger, ctx: RetrainContext): Promise<RetrainRun> => {
    const version = o.productionOf(t.model)
    const facts = {
      model: t.model,
      version,
      reason: ctx.reason,
      cause: ctx.cause,
      window: ctx.window ?? null,
      at: o.now(),
    }
    const what =
      t.kind === 'command' ? `${argvFor(t.command ?? [], facts).join(' ')} on ${t.host ?? 'local'}` : `POST ${t.url}`
    const id = o.store.startRun({ model: t.model, version, reason: ctx.reason, cause: ctx.cause, what })
    let result: Pick<RetrainRun, 'state' | 'exitCode' | 'outputTail' | 'error'>
    try {
      if (t.kind === 'command') {
        const host = t.host ?? 'local'
        const argv = argvFor(t.command ?? [], facts)
        const r = await o.accessOf(host).run(argv, {
          timeoutMs: t.timeoutMs,
          maxBytes: 1024 * 1024,
          env: {
            GANTRY_MODEL: t.model,
            GANTRY_VERSION: version === null ? '' : String(version),
            GANTRY_REASON: ctx.reason,
          },
        })
        const out = `${r.stdout}${r.stderr ? `${r.stdout ? '\n' : ''}${r.stderr}` : ''}`.slice(-TAIL)
        result = r.timedOut
          ? {
              state: 'timeout',
              exitCode: null,
              outputTail: out,
              error: `cut off after ${Math.round(t.timeoutMs / 1000)} s (its timeout)`,
            }
          : r.notFound
            ? { state: 'failed', exitCode: r.code, outputTail: out, error: `${argv[0]} not found on ${host}` }
            : r.error
              ? { state: 'failed', exitCode: r.code, outputTail: out, error: r.error }
              : r.code === 0
                ? { state: 'ok', exitCode: 0, outputTail: out, error: null }
                : {
                    state: 'failed',
                    exitCode: r.code,
                    outputTail: out,
                    error: r.code === null ? `killed by ${r.signal ?? 'a signal'}` : `exit status ${r.code}`,
                  }
      } else {
        const started = Date.now()
        const a = await boundedFetch(t.url ?? '', '', {
          method: 'POST',
          body: facts,
          timeoutMs: t.timeoutMs,
          maxBytes: 256 * 1024,
          maxRedirects: 0,
        })
        const tail = (a.text ?? '').slice(-TAIL)
        result =
          a.status !== null && a.status >= 200 && a.status < 300
            ? { state: 'ok', exitCode: a.status, outputTail: tail, error: null }
            : a.status === null && Date.now() - started >= t.timeoutMs - 50
              ? {
                  state: 'timeout',
                  exitCode: null,
                  outputTail: tail,
                  error: `no answer within ${Math.round(t.timeoutMs / 1000)} s (its timeout)`,
                }
              : {
                  state: 'failed',
                  exitCode: a.status,
                  outputTail: tail,
                  error: a.check.error ?? `HTTP ${a.status}`,
                }
      }
    } catch (err) {
      result = {
        state: 'failed',
        exitCode: null,
        outputTail: '',
        error: err instanceof Error ? err.message : String(err),
      }
    }
    o.store.finishRun(id, result)
    const run = o.store.runs(t.model, 1)[0]
    o.published(run)
    return run
  }

  const start = (t: StoredTrigger, ctx: RetrainContext): Promise<RetrainRun> => {
    if (running.has(t.model)) {
      throw new GantryError('alerts/retrain-busy', `a retraining run of ${t.model} is already in progress`)
    }
    const p = execute(t, ctx).finally(() => running.delete(t.model))
    running.set(t.model, p)
    return p
  }

  return {
    check(input) {
      const t = RetrainTriggerInput.parse(input)
      if (t.kind === 'command') {
        if (!t.command || !t.command[0]?.trim()) {
          throw new GantryError('contract/invalid-input', 'a command trigger needs the command (argv)')
        }
        // A placeholder is a whole argument: the reason (an alert's words, a scraped label) inside
        // `sh -c "train {reason}"` would be shell code. Pass it as its own argument ("$1").
        const embedded = t.command.find(
          (a) => a.replace(PLACEHOLDERS, '') !== '' && new RegExp(PLACEHOLDERS.source).test(a),
        )
        if (embedded) {
          throw new GantryError(
            'contract/invalid-input',
            `"${embedded}": a placeholder must be a whole argument (e.g. sh -c 'train.sh "$1"' {reason}, or --reason {reason})`,
          )
        }
        if (t.url) throw new GantryError('contract/invalid-input', 'a command trigger takes no URL')
        const host = t.host ?? 'local'
        if (!o.hostExists(host)) throw new GantryError('hosts/unknown-host', `no host named "${host}"`)
      } else {
        if (!t.url) throw new GantryError('contract/invalid-input', 'a webhook trigger needs its URL')
        if (t.command || t.host)
          throw new GantryError('contract/invalid-input', 'a webhook trigger takes no command or host')
        t.url = checkWebhookUrl(t.url)
      }
      if (t.schedule) nextRun(t.schedule, o.now())
      return t
    },
    view(t) {
      let next: number | null = null
      try {
        next = t.schedule ? nextRun(t.schedule, o.now()) : null
      } catch {
        next = null
      }
      return {
        model: t.model,
        kind: t.kind,
        host: t.host ?? 'local',
        command: t.command ?? null,
        url: t.url ?? null,
        timeoutMs: t.timeoutMs,
        schedule: t.schedule ?? null,
        nextRunAt: next,
        onRule: t.onRule ?? null,
        updatedAt: t.updatedAt,
        updatedBy: t.updatedBy,
      }
    },
    run(model, ctx) {
      const t = o.store.trigger(model)
      if (!t) {
        throw new GantryError(
          'alerts/no-trigger',
          `${model} has no retraining trigger (gantry retrain-trigger ${model} --command … | --webhook URL)`,
        )
      }
      return start(t, ctx)
    },
    tickSchedules(now) {
      for (const t of o.store.triggers()) {
        if (!t.schedule) continue
        // From the last scheduled run (this process's, or any recorded): a restart does not run a
        // schedule again that already ran; one missed while no console ran runs once.
        const from = lastScheduled.get(t.model) ?? Math.max(t.updatedAt, o.store.lastRunAt(t.model, 'schedule') ?? 0)
        let due: number | null
        try {
          due = nextRun(t.schedule, from)
        } catch {
          continue
        }
        if (due === null || due > now) continue
        lastScheduled.set(t.model, now)
        if (running.has(t.model)) continue
        start(t, { reason: `schedule ${t.schedule}`, cause: 'schedule' }).catch((err: unknown) =>
          o.log(`gantry: scheduled retraining of ${t.model} failed: ${String(err)}`),
        )
      }
    },
    onFiring(rule, model, summary) {
      const t = o.store.trigger(model)
      if (!t || t.onRule !== rule || running.has(model)) return
      start(t, { reason: summary, cause: `rule ${rule}` }).catch((err: unknown) =>
        o.log(`gantry: retraining ${model} on ${rule} failed: ${String(err)}`),
      )
    },
    async idle() {
      await Promise.allSettled([...running.values()])
    },
  }
}
