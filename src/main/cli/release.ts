// `gantry front` and `gantry release`: an nginx front per model and shadow / canary releases
// through it, for scripts and a terminal. A release is carried forward by a running console
// (`gantry serve` or the desktop app); these commands start, pause, resume, abort and promote it —
// an abort or a promotion reaches nginx from here at once, whether a console runs or not.
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import type { Front, Release, ReleaseStatus, StepEvidence } from '../../shared/release'
import type { Gantry } from '../core'
import { GantryError } from '../core/errors'
import { formatDuration, parseDuration } from './alerts'

type WithCore = (f: (g: Gantry) => Promise<void>, opts?: { readOnly?: boolean }) => Promise<void>

async function call<T>(g: Gantry, method: string, input: unknown): Promise<T> {
  const r = await g.api.call(method as never, input)
  if (!r.ok) throw new GantryError(r.error.code, r.error.message)
  return r.data as T
}

/** "nginx -p '/srv/my nginx' -s reload" → argv: words split on spaces, quotes kept together; no shell. */
export function splitCommand(v: string): string[] {
  const out: string[] = []
  let cur = ''
  let quote: '"' | "'" | null = null
  let any = false
  for (let i = 0; i < v.length; i++) {
    const c = v[i]
    if (quote) {
      if (c === quote) quote = null
      else if (c === '\\' && quote === '"' && i + 1 < v.length) cur += v[++i]
      else cur += c
    } else if (c === '"' || c === "'") {
      quote = c
      any = true
    } else if (/\s/.test(c)) {
      if (cur || any) out.push(cur)
      cur = ''
      any = false
    } else if (c === '\\' && i + 1 < v.length) cur += v[++i]
    else cur += c
  }
  if (quote) throw new InvalidArgumentError(`"${v}": an unclosed ${quote}`)
  if (cur || any) out.push(cur)
  if (!out.length) throw new InvalidArgumentError('an empty command')
  return out
}

const percent = (v: string): number => {
  const n = Number(v.replace(/%$/, ''))
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError(`"${v}": a percentage, 0–100`)
  return n
}
const fraction = (v: string): number => percent(v) / 100
const positive = (v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${v}": a whole number, 1 or more`)
  return n
}
const stepsOf = (v: string): number[] => v.split(',').map((s) => percent(s.trim()))

const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)} %`
const ms = (s: number | null | undefined): string =>
  s === null || s === undefined ? '—' : `${(s * 1000).toFixed(1)} ms`

function formatFront(f: Front): string {
  return (
    `${f.model}: nginx on ${f.host} listening ${f.listen} → champion ${f.champion}${f.key ? ` (sticky on ${f.key})` : ''}\n` +
    `  file ${f.file}\n  reload ${f.reloadCommand.join(' ')} · test ${f.testCommand.join(' ')}\n` +
    (f.applied
      ? `  last write ${new Date(f.applied.at).toISOString()}: ${f.applied.ok ? 'taken' : `NOT taken — ${f.applied.message}`}\n`
      : '')
  )
}

function formatStep(e: StepEvidence, shadow: boolean): string {
  const arm = (name: string, a: StepEvidence['champion']): string =>
    `    ${name.padEnd(10)} ${String(a.requests).padStart(7)} req  ${String(a.errors).padStart(5)} err (${pct(a.requests ? a.errors / a.requests : null)})  p50 ${ms(a.latency?.p50)}  p95 ${ms(a.latency?.p95)}  p99 ${ms(a.latency?.p99)}`
  const lines = [
    `  ${shadow ? 'shadow' : `step ${e.index + 1}`} at ${e.weight} % — ${e.verdict ?? (e.endedAt ? 'stopped' : 'judging')} (since ${new Date(e.startedAt).toISOString()})`,
    arm('champion', e.champion),
    arm('challenger', e.challenger),
  ]
  if (shadow)
    lines.push(
      `    mirrors skipped: ${e.skipped.method} (method not idempotent), ${e.skipped.size} (body over the limit)`,
    )
  if (e.joined)
    lines.push(
      `    joined on request id: ${e.joined}, agree ${pct(e.agreed / e.joined)}${e.differences ? `, |difference| p50 ${e.differences.p50.toPrecision(3)} p95 ${e.differences.p95.toPrecision(3)}` : ''}`,
    )
  for (const g of e.gates) lines.push(`    ${g.verdict.toUpperCase().padEnd(12)} ${g.gate}: ${g.detail}`)
  return lines.join('\n')
}

export function formatRelease(s: ReleaseStatus): string {
  const out: string[] = []
  if (s.front) out.push(formatFront(s.front).trimEnd())
  else out.push('no nginx front (gantry front add MODEL --nginx-dir DIR --listen ADDR --champion URL)')
  const r: Release | null = s.release
  if (!r) {
    out.push('no release yet')
    return `${out.join('\n')}\n`
  }
  out.push(
    `release #${r.id}: ${r.mode} of v${r.version} (${r.challenger})${r.championVersion ? ` against v${r.championVersion}` : ''} — ${r.state.toUpperCase()}` +
      `${r.state === 'running' || r.state === 'paused' ? ` at ${r.weight} %` : ''}`,
  )
  out.push(
    `  ${r.mode === 'shadow' ? `mirror ${r.steps[0]} % (${r.idempotent.join(', ')})` : `steps ${r.steps.join(' → ')} %`}, each held ${formatDuration(r.holdMs)}, gates every ${formatDuration(r.gateIntervalMs)}; by ${r.actor}`,
  )
  if (r.reason) out.push(`  ${r.reason}`)
  if (r.headroom) out.push(`  GPU headroom: ${r.headroom.note}`)
  for (const e of r.evidence) out.push(formatStep(e, r.mode === 'shadow'))
  out.push('  journal:')
  for (const e of r.events.slice(-12))
    out.push(`    ${new Date(e.at).toISOString()}  ${e.kind.padEnd(10)} ${e.actor}: ${e.detail}`)
  return `${out.join('\n')}\n`
}

interface StartOpts {
  version: number
  challenger: string
  steps?: number[]
  share?: number
  hold?: number
  gateInterval?: number
  warmup?: number
  warmupPath?: string
  idempotent?: string
  maxMirrorBody?: number
  mirrorTimeout?: number
  championLog?: string
  challengerLog?: string
  idField?: string
  outputField?: string
  maxErrorRise?: number
  latencySlack?: number
  maxSlowRise?: number
  minAgreement?: number
  minRequests?: number
  force?: boolean
  dryRun?: boolean
  json?: boolean
}

export function addReleaseCommands(program: Command, withCore: WithCore): void {
  const front = program
    .command('front')
    .description("an nginx front per model: Gantry's own include file in a folder nginx includes")
  front
    .command('add <model>')
    .description('write the front (champion only), check it with nginx -t, reload nginx')
    .requiredOption('--nginx-dir <dir>', 'the folder nginx includes inside http { } (include DIR/*.conf;)')
    .requiredOption('--listen <addr>', 'what the front listens on, e.g. 127.0.0.1:8080')
    .requiredOption('--champion <url>', 'the model server serving production now, http://HOST:PORT')
    .option('--host <host>', 'the serving host nginx runs on (an SSH host; default this machine)')
    .option('--key <header>', 'requests with the same value of this header stay on one arm')
    .option('--reload-command <cmd>', 'how nginx is reloaded (default: nginx -s reload)', splitCommand)
    .option(
      '--test-command <cmd>',
      'how the configuration is checked (default: the reload command with -t)',
      splitCommand,
    )
    .option('--json', 'print the front as JSON')
    .action(
      async (
        model: string,
        o: {
          nginxDir: string
          listen: string
          champion: string
          host?: string
          key?: string
          reloadCommand?: string[]
          testCommand?: string[]
          json?: boolean
        },
      ) => {
        await withCore(async (g) => {
          const r = await call<{ front: Front; warnings: string[] }>(g, 'front.add', {
            model,
            nginxDir: o.nginxDir,
            listen: o.listen,
            champion: o.champion,
            ...(o.host ? { host: o.host } : {}),
            ...(o.key ? { key: o.key } : {}),
            ...(o.reloadCommand ? { reloadCommand: o.reloadCommand } : {}),
            ...(o.testCommand ? { testCommand: o.testCommand } : {}),
          })
          if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
          else {
            process.stdout.write(formatFront(r.front))
            for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`)
          }
        })
      },
    )
  front
    .command('list')
    .description('every front')
    .option('--json', 'print them as JSON')
    .action(async (o: { json?: boolean }) => {
      await withCore(
        async (g) => {
          const list = await call<Front[]>(g, 'front.list', {})
          process.stdout.write(
            o.json
              ? `${JSON.stringify(list, null, 2)}\n`
              : list.length
                ? list.map(formatFront).join('')
                : 'no fronts\n',
          )
        },
        { readOnly: true },
      )
    })
  front
    .command('remove <model>')
    .description("remove the model's include file and reload nginx")
    .option('--json', 'print the result as JSON')
    .action(async (model: string, o: { json?: boolean }) => {
      await withCore(async (g) => {
        await call(g, 'front.remove', { model })
        process.stdout.write(o.json ? `${JSON.stringify({ removed: model })}\n` : `removed the front of ${model}\n`)
      })
    })

  const release = program
    .command('release')
    .description('shadow and canary releases through the front (carried out by a running console)')
  for (const mode of ['shadow', 'canary'] as const) {
    const c = release
      .command(`${mode} <model>`)
      .description(
        mode === 'shadow'
          ? 'mirror a share of requests to the challenger (its answers discarded) and compare'
          : 'send the challenger a rising share, judged at each step; the last step promotes',
      )
      .requiredOption('--version <n>', 'the registry version the challenger serves', positive)
      .requiredOption('--challenger <url>', 'where the challenger serves, http://HOST:PORT')
    // Both options on both commands (the shape scripts use); the core says which one a mode takes.
    c.option('--steps <list>', 'canary: the shares, e.g. 1,5,25,50,100 (the last is 100)', stepsOf).option(
      '--share <pct>',
      'shadow: the share of requests mirrored (default 10)',
      percent,
    )
    c.option('--hold <duration>', 'how long each step is held and judged (default 5m)', parseDuration)
      .option('--gate-interval <duration>', 'how often the gates look (default 10s)', parseDuration)
      .option('--warmup <n>', 'successful GETs of the warm-up path before each increase (default 3)', (v) => Number(v))
      .option('--warmup-path <path>', 'the path the warm-up asks (default /health)')
      .option('--champion-log <path>', "the champion's inference log (JSONL with request_id and prediction)")
      .option('--challenger-log <path>', "the challenger's inference log")
      .option('--id-field <name>', 'the request-id field in the inference logs (default request_id)')
      .option('--output-field <name>', 'the output field in the inference logs (default prediction)')
      .option(
        '--max-error-rise <pct>',
        "how far the challenger's error rate may exceed the champion's (default 2)",
        fraction,
      )
      .option('--latency-slack <pct>', "slow: slower than the champion's p95 plus this (default 20)", fraction)
      .option(
        '--max-slow-rise <pct>',
        "how far the challenger's share of slow requests may exceed the champion's (default 10)",
        fraction,
      )
      .option('--min-requests <n>', 'challenger requests a window needs before it is judged (default 50)', positive)
      .option('--force', 'start although the GPU headroom check would cap the share')
      .option('--dry-run', 'print the plan (steps, headroom, the nginx file) and start nothing')
      .option('--json', 'print the release as JSON')
    if (mode === 'shadow')
      c.option('--idempotent <methods>', 'methods that may be sent twice, e.g. POST (default GET,HEAD)')
        .option('--max-mirror-body <bytes>', 'larger bodies are not mirrored, but counted (default 1048576)', positive)
        .option('--mirror-timeout <duration>', 'a mirrored request is cut after this (default 5s)', parseDuration)
        .option('--min-agreement <pct>', 'the share of joined requests whose outputs must agree (default 95)', fraction)
    c.action(async (model: string, o: StartOpts) => {
      if ((o.championLog === undefined) !== (o.challengerLog === undefined))
        throw new InvalidArgumentError('--champion-log and --challenger-log go together')
      const gates = Object.fromEntries(
        Object.entries({
          maxErrorRise: o.maxErrorRise,
          latencySlack: o.latencySlack,
          maxSlowRise: o.maxSlowRise,
          minAgreement: o.minAgreement,
          minRequests: o.minRequests,
        }).filter(([, v]) => v !== undefined),
      )
      const input = {
        model,
        mode,
        version: o.version,
        challenger: o.challenger,
        ...(o.steps ? { steps: o.steps } : {}),
        ...(o.share !== undefined ? { share: o.share } : {}),
        ...(o.hold !== undefined ? { holdMs: o.hold } : {}),
        ...(o.gateInterval !== undefined ? { gateIntervalMs: o.gateInterval } : {}),
        ...(o.warmup !== undefined ? { warmupRequests: o.warmup } : {}),
        ...(o.warmupPath ? { warmupPath: o.warmupPath } : {}),
        ...(o.idempotent ? { idempotent: o.idempotent.split(',').map((m) => m.trim().toUpperCase()) } : {}),
        ...(o.maxMirrorBody !== undefined ? { maxMirrorBody: o.maxMirrorBody } : {}),
        ...(o.mirrorTimeout !== undefined ? { mirrorTimeoutMs: o.mirrorTimeout } : {}),
        ...(Object.keys(gates).length ? { gates } : {}),
        ...(o.championLog && o.challengerLog
          ? {
              logs: {
                champion: o.championLog,
                challenger: o.challengerLog,
                ...(o.idField ? { idField: o.idField } : {}),
                ...(o.outputField ? { outputField: o.outputField } : {}),
              },
            }
          : {}),
        ...(o.force ? { force: true } : {}),
      }
      await withCore(async (g) => {
        if (o.dryRun) {
          const plan = await call<{ steps: number[]; headroom: { note: string }; file: string; warnings: string[] }>(
            g,
            'release.plan',
            input,
          )
          process.stdout.write(
            o.json
              ? `${JSON.stringify(plan, null, 2)}\n`
              : `steps ${plan.steps.join(' → ')} %\nGPU headroom: ${plan.headroom.note}\n${plan.warnings.map((w) => `warning: ${w}\n`).join('')}--- the nginx file at the first step ---\n${plan.file}`,
          )
          return
        }
        const r = await call<{ release: Release; warnings: string[] }>(g, 'release.start', input)
        if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
        else {
          process.stdout.write(
            `release #${r.release.id} of ${model}: ${mode} of v${r.release.version}, ${r.release.state} (gantry release status ${model})\n`,
          )
          for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`)
        }
      })
    })
  }
  release
    .command('status [model]')
    .description(
      "a model's front, its release with the evidence per step and the journal; without a model, the releases in flight",
    )
    .option('--json', 'print it as JSON')
    .action(async (model: string | undefined, o: { json?: boolean }) => {
      await withCore(
        async (g) => {
          if (!model) {
            const list = await call<Release[]>(g, 'release.list', {})
            process.stdout.write(
              o.json
                ? `${JSON.stringify(list, null, 2)}\n`
                : list.length
                  ? list
                      .map(
                        (r) =>
                          `#${r.id} ${r.model}: ${r.mode} of v${r.version} ${r.state} at ${r.weight} %${r.reason ? ` — ${r.reason}` : ''}\n`,
                      )
                      .join('')
                  : 'no releases in flight\n',
            )
            return
          }
          const s = await call<ReleaseStatus>(g, 'release.status', { model })
          process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : formatRelease(s))
          if (s.release?.state === 'aborted' || s.release?.state === 'failed') process.exitCode = 3
        },
        { readOnly: true },
      )
    })
  for (const [verb, what] of [
    ['pause', 'hold the release where it is (the challenger keeps its share)'],
    ['resume', 'judge the current step again over a new window'],
    ['abort', "the challenger's share to 0 now, journaled with the evidence"],
    ['promote', 'the challenger to production now: registry alias and stage, the front, the audit'],
  ] as const) {
    const c = release.command(`${verb} <model>`).description(what).option('--json', 'print the release as JSON')
    if (verb === 'pause' || verb === 'abort') c.option('--reason <text>', 'why (journaled)')
    c.action(async (model: string, o: { reason?: string; json?: boolean }) => {
      await withCore(async (g) => {
        const r = await call<Release>(g, `release.${verb}`, { model, ...(o.reason ? { reason: o.reason } : {}) })
        process.stdout.write(
          o.json
            ? `${JSON.stringify(r, null, 2)}\n`
            : `release #${r.id} of ${model}: ${r.state}${r.state === 'paused' || r.state === 'running' ? ` at ${r.weight} %` : ''}${r.reason ? ` — ${r.reason}` : ''}\n`,
        )
      })
    })
  }
}
