// `gantry alerts` (and `alert ack`, `silence`, `rules`, `retrain`, `retrain-trigger`): the alert
// center for scripts and a terminal. Rules are evaluated by a running console (`gantry serve` or
// the desktop app); these commands read what it stored and write acknowledgements, silences and
// rule changes it picks up at its next evaluation.
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import type {
  Alert,
  AlertList,
  ForwardStatus,
  RetrainRun,
  RetrainTrigger,
  RuleStatus,
  Silence,
} from '../../shared/alerts'
import type { Gantry } from '../core'
import { GantryError } from '../core/errors'
import { formatMatcher, parseMatcher } from '../core/alerts/silences'

type WithCore = (f: (g: Gantry) => Promise<void>, opts?: { readOnly?: boolean }) => Promise<void>

async function call<T>(g: Gantry, method: string, input: unknown): Promise<T> {
  const r = await g.api.call(method as never, input)
  if (!r.ok) throw new GantryError(r.error.code, r.error.message)
  return r.data as T
}

/** "90s", "5m", "1h30m", "2d", "0" → milliseconds. */
export function parseDuration(v: string): number {
  if (v.trim() === '0') return 0
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 } as const
  let total = 0
  let used = ''
  for (const m of v.trim().matchAll(re)) {
    total += Number(m[1]) * unit[m[2] as keyof typeof unit]
    used += m[0]
  }
  if (!used || used !== v.trim()) throw new InvalidArgumentError(`"${v}": a duration like 90s, 5m, 1h30m, 2d`)
  return Math.round(total)
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0'
  const parts: string[] = []
  let rest = ms
  for (const [u, n] of [
    ['d', 86_400_000],
    ['h', 3600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (rest >= n) {
      parts.push(`${Math.floor(rest / n)}${u}`)
      rest %= n
    }
  }
  return parts.join('') || `${ms}ms`
}

const since = (t: number | null): string => {
  if (!t) return ''
  const s = Math.max(0, Math.round((Date.now() - t) / 1000))
  return s < 90
    ? `${s}s`
    : s < 5400
      ? `${Math.round(s / 60)}m`
      : s < 172_800
        ? `${Math.round(s / 3600)}h`
        : `${Math.round(s / 86400)}d`
}

export function formatAlerts(l: AlertList): string {
  const out: string[] = []
  const c = l.counts
  out.push(
    `${c.open} open, ${c.acknowledged} acknowledged, ${c.silenced} silenced, ${c.pending} pending, ${c.problems} not evaluable` +
      ` — ${l.evaluatedAt ? `evaluated ${since(l.evaluatedAt)} ago` : 'never evaluated: rules are evaluated by a running console (gantry serve)'}`,
  )
  for (const a of l.alerts) {
    const state =
      a.state === 'firing'
        ? a.silencedBy.length
          ? 'SILENCED'
          : a.inhibitedBy.length
            ? 'INHIBITED'
            : a.ack
              ? 'ACKED'
              : 'FIRING'
        : a.state.toUpperCase()
    out.push(
      `${a.id}  ${state.padEnd(9)} ${a.severity.padEnd(8)} ${a.rule.padEnd(20)} ${a.summary}`,
      `    since ${since(a.firedAt ?? a.activeAt)} · to ${a.route.receiver}${a.route.oncall ? ` (on-call ${a.route.oncall})` : ''}${a.route.unowned ? ' (nobody owns it)' : ''}` +
        `${a.ack ? ` · acked by ${a.ack.by}: ${a.ack.note}` : ''}${a.reason ? ` · ${a.reason}` : ''}${a.recoveringSince ? ' · recovering' : ''}`,
    )
  }
  return `${out.join('\n')}\n`
}

function formatRules(rules: RuleStatus[], problems: string[]): string {
  const out = rules.map((r) => {
    const thr = r.threshold === null ? '' : ` threshold ${r.threshold}`
    const scope = [r.host ? `host ${r.host}` : '', r.model ? `model ${r.model}` : ''].filter(Boolean).join(', ')
    return (
      `${r.enabled ? 'on ' : 'off'}  ${r.name.padEnd(22)} ${r.kind.padEnd(20)} ${r.severity.padEnd(8)} for ${formatDuration(r.forMs)}` +
      `${r.keepFiringForMs ? ` keep ${formatDuration(r.keepFiringForMs)}` : ''}${thr}${scope ? ` (${scope})` : ''}` +
      `${r.expr ? ` expr ${r.expr}${r.op ? ` ${r.op}` : ''}${r.source ? ` on ${r.source}` : ''}` : ''}` +
      `${r.active ? ` — ${r.active} active` : ''}${r.error ? `\n     ! ${r.error}` : ''}` +
      `${r.kind === 'realized-below-floor' && r.threshold === null ? '\n     (no floor set: evaluates nothing until --threshold is given)' : ''}`
    )
  })
  return `${[...out, ...problems.map((p) => `! ${p}`)].join('\n')}\n`
}

function formatSilences(list: Silence[]): string {
  if (!list.length) return 'no silences\n'
  return `${list
    .map(
      (s) =>
        `${s.id}  ${s.state.padEnd(7)} ${s.origin === 'alertmanager' ? '(alertmanager) ' : ''}${s.matchers.map(formatMatcher).join(', ')}` +
        `\n    until ${new Date(s.endsAt).toISOString()} · by ${s.createdBy}: ${s.comment}`,
    )
    .join('\n')}\n`
}

function formatRun(r: RetrainRun): string {
  return (
    `run ${r.id} of ${r.model}${r.version !== null ? ` v${r.version}` : ''}: ${r.state.toUpperCase()}${r.exitCode !== null ? ` (exit ${r.exitCode})` : ''}${r.error ? ` — ${r.error}` : ''}\n` +
    `  ran: ${r.what}\n  reason: ${r.reason}\n${r.outputTail ? `  output (last lines):\n${r.outputTail.replace(/^/gm, '    ')}\n` : ''}`
  )
}

const collect = (v: string, all: string[]): string[] => [...all, v]

export function addAlertCommands(program: Command, withCore: WithCore): void {
  const alerts = program
    .command('alerts')
    .description('alerts now: firing, acknowledged, silenced, pending, not evaluable (evaluated by a running console)')
  alerts
    .command('list', { isDefault: true })
    .description('list the alerts')
    .option('--all', 'with resolved ones still kept')
    .option('--json', 'print them as JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      await withCore(
        async (g) => {
          const l = await call<AlertList>(g, 'alerts.list', { all: o.all })
          process.stdout.write(o.json ? `${JSON.stringify(l, null, 2)}\n` : formatAlerts(l))
          if (l.counts.open > 0) process.exitCode = 3
        },
        { readOnly: true },
      )
    })
  alerts
    .command('forward [url]')
    .description('forward alerts to an Alertmanager (POST /api/v2/alerts) and show its silences; --off stops')
    .option('--off', 'stop forwarding')
    .option('--json', 'print the status as JSON')
    .action(async (url: string | undefined, o: { off?: boolean; json?: boolean }) => {
      await withCore(async (g) => {
        const st =
          !url && !o.off
            ? await call<ForwardStatus>(g, 'alerts.forwardStatus', {})
            : await call<ForwardStatus>(g, 'alerts.forward', { url: o.off ? null : url })
        process.stdout.write(
          o.json
            ? `${JSON.stringify(st, null, 2)}\n`
            : st.url
              ? `forwarding to ${st.url}: ${st.state}${st.lastError ? ` — ${st.lastError}` : ''}${st.lastSentAt ? ` (last sent ${since(st.lastSentAt)} ago, ${st.silences} silences read back)` : ''}\n`
              : 'not forwarding to an Alertmanager\n',
        )
      })
    })

  const alert = program.command('alert').description('one alert')
  alert
    .command('ack <id>')
    .description('acknowledge a firing alert: it stops notifying, stays listed, and a re-fire needs a new ack')
    .requiredOption('--note <text>', 'what is being done about it')
    .option('--json', 'print the alert as JSON')
    .action(async (id: string, o: { note: string; json?: boolean }) => {
      await withCore(async (g) => {
        const a = await call<Alert>(g, 'alerts.ack', { id, note: o.note })
        process.stdout.write(o.json ? `${JSON.stringify(a, null, 2)}\n` : `acknowledged ${a.id}: ${a.summary}\n`)
      })
    })
  alert
    .command('show <id>')
    .description('one alert with its transitions')
    .option('--json', 'print it as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await withCore(
        async (g) => {
          const r = await call<{ alert: Alert; transitions: { from: string | null; to: string; at: number }[] }>(
            g,
            'alerts.get',
            { id },
          )
          process.stdout.write(
            o.json
              ? `${JSON.stringify(r, null, 2)}\n`
              : `${formatAlerts({
                  alerts: [r.alert],
                  counts: { firing: 0, open: 0, acknowledged: 0, silenced: 0, pending: 0, problems: 0, worst: null },
                  evaluatedAt: null,
                })
                  .split('\n')
                  .slice(1)
                  .join('\n')}` +
                  r.transitions.map((t) => `  ${new Date(t.at).toISOString()}  ${t.from ?? '∅'} → ${t.to}`).join('\n') +
                  '\n',
          )
        },
        { readOnly: true },
      )
    })

  const silence = program.command('silence').description("silences with Alertmanager's matchers (= != =~ !~)")
  silence
    .command('add <matchers...>')
    .description('mute what matches every matcher, e.g. host=gpu-07 alertname=~"fs-.*"')
    .option('--for <duration>', 'how long (e.g. 2h)', parseDuration)
    .option('--until <time>', 'until this ISO time instead')
    .requiredOption('--comment <text>', 'why (required, as Alertmanager requires it)')
    .option('--json', 'print the silence as JSON')
    .action(async (matchers: string[], o: { for?: number; until?: string; comment: string; json?: boolean }) => {
      await withCore(async (g) => {
        const endsAt = o.until ? Date.parse(o.until) : Date.now() + (o.for ?? 2 * 3600_000)
        if (!Number.isFinite(endsAt)) throw new GantryError('contract/invalid-input', `--until ${o.until}: not a time`)
        const s = await call<Silence>(g, 'alerts.silence', {
          matchers: matchers.map(parseMatcher),
          endsAt,
          comment: o.comment,
        })
        process.stdout.write(
          o.json ? `${JSON.stringify(s, null, 2)}\n` : `silence ${s.id} until ${new Date(s.endsAt).toISOString()}\n`,
        )
      })
    })
  silence
    .command('list', { isDefault: true })
    .description("Gantry's silences and those read back from the Alertmanager alerts are forwarded to")
    .option('--json', 'print them as JSON')
    .action(async (o: { json?: boolean }) => {
      await withCore(
        async (g) => {
          const list = await call<Silence[]>(g, 'alerts.silences', {})
          process.stdout.write(o.json ? `${JSON.stringify(list, null, 2)}\n` : formatSilences(list))
        },
        { readOnly: true },
      )
    })
  silence
    .command('expire <id>')
    .description('end a silence now (it stays listed as expired)')
    .action(async (id: string) => {
      await withCore(async (g) => {
        const s = await call<Silence>(g, 'alerts.expireSilence', { id })
        process.stdout.write(`silence ${s.id} expired\n`)
      })
    })

  const rules = program.command('rules').description('alert rules: the defaults and those added')
  rules
    .command('list', { isDefault: true })
    .description('every rule with its last evaluation')
    .option('--json', 'print them as JSON')
    .action(async (o: { json?: boolean }) => {
      await withCore(
        async (g) => {
          const r = await call<{ rules: RuleStatus[]; problems: string[] }>(g, 'alerts.rules', {})
          process.stdout.write(o.json ? `${JSON.stringify(r.rules, null, 2)}\n` : formatRules(r.rules, r.problems))
        },
        { readOnly: true },
      )
    })
  rules
    .command('set <name>')
    .description('change a rule, or add one (--kind promql --expr … [--source S] [--op >] [--threshold X])')
    .option('--for <duration>', 'how long the condition must hold before it fires', parseDuration)
    .option('--keep-firing-for <duration>', 'how long it keeps firing after the condition cleared', parseDuration)
    .option('--severity <s>', 'critical, warning or info')
    .option('--threshold <x>', 'the number the kind compares with (see gantry rules list)', Number)
    .option('--no-threshold', 'remove the threshold')
    .option('--off', 'turn the rule off')
    .option('--on', 'turn it on')
    .option('--kind <kind>', 'a new rule: its kind (promql, fs-used, endpoint-p95, realized-below-floor, …)')
    .option('--expr <promql>', 'promql: the query')
    .option('--source <name>', 'promql: the Prometheus source (default: every source)')
    .option('--op <op>', 'promql: >, >=, <, <=, ==, != against --threshold (none: every series fires)')
    .option('--host <name>', "only this host's things")
    .option('--model <name>', "only this model's things")
    .option('--metric <name>', 'realized-below-floor: accuracy, f1, precision, recall, rocAuc, mae, rmse')
    .option('--summary <template>', 'the text: {{host}} {{model}} {{value}} {{threshold}} {{text}} …')
    .option('--runbook <url>', 'a runbook link shown with the alert')
    .option('--on-no-data <mode>', 'what an empty answer is: nodata (its own state), ok or alerting')
    .option('--label <k=v>', 'a label added to its alerts (repeatable)', collect, [])
    .option('--json', 'print the rule as JSON')
    .action(async (name: string, o: Record<string, unknown>) => {
      await withCore(async (g) => {
        if (o.off && o.on) throw new GantryError('contract/invalid-input', '--off or --on, not both')
        const labels = Object.fromEntries(
          (o.label as string[]).map((l) => {
            const i = l.indexOf('=')
            if (i <= 0) throw new GantryError('contract/invalid-input', `--label "${l}": expected k=v`)
            return [l.slice(0, i), l.slice(i + 1)]
          }),
        )
        const input: Record<string, unknown> = {
          name,
          kind: o.kind,
          forMs: o.for,
          keepFiringForMs: o.keepFiringFor,
          severity: o.severity,
          threshold: o.threshold === false ? null : o.threshold,
          enabled: o.off ? false : o.on ? true : undefined,
          expr: o.expr,
          source: o.source,
          op: o.op,
          host: o.host,
          model: o.model,
          metric: o.metric,
          summary: o.summary,
          runbookUrl: o.runbook,
          noData: o.onNoData,
          labels: Object.keys(labels).length ? labels : undefined,
        }
        if (typeof o.threshold === 'number' && !Number.isFinite(o.threshold)) {
          throw new GantryError('contract/invalid-input', '--threshold: a number')
        }
        const r = await call<RuleStatus & { note: string | null }>(
          g,
          'alerts.setRule',
          Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
        )
        process.stdout.write(
          o.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatRules([r], [])}${r.note ? `note: ${r.note}\n` : ''}`,
        )
      })
    })
  rules
    .command('remove <name>')
    .description('remove an added rule (a default one is turned off with --off instead)')
    .action(async (name: string) => {
      await withCore(async (g) => {
        await call(g, 'alerts.removeRule', { name })
        process.stdout.write(`removed rule ${name}\n`)
      })
    })

  program
    .command('retrain <model>')
    .description("run the model's retraining trigger now, and wait for it (its timeout bounds the wait)")
    .option('--reason <text>', 'why (passed to the trigger)')
    .option('--json', 'print the run as JSON')
    .action(async (model: string, o: { reason?: string; json?: boolean }) => {
      await withCore(async (g) => {
        const run = await call<RetrainRun>(g, 'retrain.run', { model, reason: o.reason })
        process.stdout.write(o.json ? `${JSON.stringify(run, null, 2)}\n` : formatRun(run))
        if (run.state !== 'ok') process.exitCode = 1
      })
    })
  program
    .command('retrain-trigger <model> [command...]')
    .description(
      "show or set a model's retraining trigger: a command after -- (argv, no shell; {model} {version} {reason} {window} {json}) or --webhook URL",
    )
    .option('--host <name>', 'run the command on this host (default: this machine)')
    .option('--webhook <url>', 'POST the model, version, reason and window as JSON here instead')
    .option('--schedule <cron>', 'also run on this cron schedule (e.g. "0 3 * * 1")')
    .option('--on-rule <rule>', 'also run when this rule starts firing for the model (e.g. drift-begun)')
    .option('--timeout <duration>', 'cut it off after this long (default 10m)', parseDuration)
    .option('--off', 'remove the trigger')
    .option('--runs', 'show the last runs')
    .option('--json', 'print as JSON')
    .action(
      async (
        model: string,
        command: string[],
        o: {
          host?: string
          webhook?: string
          schedule?: string
          onRule?: string
          timeout?: number
          off?: boolean
          runs?: boolean
          json?: boolean
        },
      ) => {
        await withCore(async (g) => {
          if (o.off) {
            await call(g, 'retrain.removeTrigger', { model })
            process.stdout.write(`removed the retraining trigger of ${model}\n`)
            return
          }
          if (o.runs) {
            const runs = await call<RetrainRun[]>(g, 'retrain.runs', { model })
            process.stdout.write(
              o.json ? `${JSON.stringify(runs, null, 2)}\n` : runs.map(formatRun).join('\n') || 'no runs\n',
            )
            return
          }
          let t: RetrainTrigger | null
          if (command.length || o.webhook) {
            t = await call<RetrainTrigger>(g, 'retrain.setTrigger', {
              model,
              kind: o.webhook ? 'webhook' : 'command',
              ...(o.webhook ? { url: o.webhook } : { command, host: o.host }),
              ...(o.timeout !== undefined ? { timeoutMs: o.timeout } : {}),
              schedule: o.schedule ?? null,
              onRule: o.onRule ?? null,
            })
          } else t = await call<RetrainTrigger | null>(g, 'retrain.trigger', { model })
          process.stdout.write(
            o.json
              ? `${JSON.stringify(t, null, 2)}\n`
              : t
                ? `${t.model}: ${t.kind === 'command' ? `${(t.command ?? []).join(' ')} on ${t.host}` : `POST ${t.url}`} (timeout ${formatDuration(t.timeoutMs)})` +
                  `${t.schedule ? `; schedule ${t.schedule}, next ${t.nextRunAt ? new Date(t.nextRunAt).toISOString() : '—'}` : ''}${t.onRule ? `; on rule ${t.onRule}` : ''}\n`
                : `${model} has no retraining trigger\n`,
          )
        })
      },
    )
}
