// Deploy commands for CI pipelines and operators, on the same state machine as the UI:
// target add/list/remove, deploy, rollback, deployments. Exit 0 when the deploy succeeded,
// 4 when it was reverted or failed (the journal says why), 1 on a refused request.
import { Command, InvalidArgumentError } from 'commander'
import type { Deployment, DeployTarget, GuardStatus, RollbackPlan } from '../../shared/deploy'
import { TARGET_KINDS } from '../../shared/deploy'
import type { MethodName } from '../../shared/names'
import type { Gantry } from '../core'
import { GantryError } from '../core/errors'

type WithCore = (f: (g: Gantry) => Promise<void>, opts?: { readOnly?: boolean }) => Promise<void>

async function call<T>(g: Gantry, method: MethodName, input: unknown): Promise<T> {
  const r = await g.api.call(method, input)
  if (!r.ok) throw new GantryError(r.error.code, r.error.message)
  return r.data as T
}
const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`)
function positive(v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive whole number')
  return n
}

async function targetId(g: Gantry, model: string, t: string | undefined): Promise<number | undefined> {
  if (t === undefined) return undefined
  if (/^\d+$/.test(t)) return Number(t)
  const list = await call<DeployTarget[]>(g, 'deploy.listTargets', { model })
  const hit = list.find((x) => x.name === t)
  if (!hit)
    throw new GantryError(
      'deploy/unknown-target',
      `${model} has no target named ${t} (has: ${list.map((x) => x.name).join(', ') || 'none'})`,
    )
  return hit.id
}

/** A deploy a crashed Gantry left in flight holds its target's lock: finish or revert it first. */
async function finishLeftovers(g: Gantry): Promise<void> {
  g.start()
  await g.recovered()
}

export function formatDeployment(d: Deployment): string {
  const lines = [
    `#${d.id} ${d.kind} ${d.model} v${d.fromVersion ?? '—'} → v${d.toVersion} on ${d.targetName}: ${d.state.toUpperCase()}`,
    ...d.steps.map(
      (s) =>
        `  ${s.state === 'ok' ? '✓' : s.state === 'skipped' ? '-' : s.state === 'failed' ? '✗' : '…'} ${s.name.padEnd(9)} ${s.ms === null ? '' : `${s.ms} ms  `}${s.detail}`,
    ),
  ]
  if (d.reason) lines.push(`  reason: ${d.reason}`)
  return lines.join('\n')
}

export function addDeployCommands(program: Command, withCore: WithCore): void {
  const target = program
    .command('target')
    .description('where a model is deployed: model-folder, triton, torchserve, ollama')
  target
    .command('add <model> <name>')
    .description('add a deployment target for a model')
    .requiredOption('--kind <kind>', TARGET_KINDS.join(', '))
    .option('--folder <dir>', 'model-folder: the folder holding the link the server loads from')
    .option('--link <name>', 'model-folder: the link name', 'current')
    .option('--host <name>', 'model-folder: the host the folder and server are on (default this machine)')
    .option(
      '--reload-command <command>',
      "model-folder: run after the switch, split on spaces, no shell: 'systemctl restart vllm@m'",
    )
    .option('--reload-url <url>', 'model-folder: POST this URL after the switch')
    .option('--endpoint <id>', 'model-folder: the saved serving endpoint that must show the new version', positive)
    .option('--url <url>', 'triton / ollama: the server')
    .option('--management-url <url>', 'torchserve: the management API (port 8081)')
    .option('--served-name <name>', 'the name the server serves the model under (default: the model name)')
    .option('--serving-tag <tag>', 'ollama: the tag clients use, e.g. mymodel:prod')
    .option('--ready-timeout <ms>', 'how long to wait for the new version to be ready', positive)
    .option('--json', 'print the target as JSON')
    .action(
      async (
        model: string,
        name: string,
        o: {
          kind: string
          folder?: string
          host?: string
          link: string
          reloadCommand?: string
          reloadUrl?: string
          endpoint?: number
          url?: string
          managementUrl?: string
          servedName?: string
          servingTag?: string
          readyTimeout?: number
          json?: boolean
        },
      ) => {
        await withCore(async (g) => {
          const common = {
            ...(o.servedName ? { servedName: o.servedName } : {}),
            ...(o.readyTimeout ? { readyTimeoutMs: o.readyTimeout } : {}),
          }
          const config =
            o.kind === 'model-folder'
              ? {
                  kind: o.kind,
                  ...(o.host ? { host: o.host } : {}),
                  folder: o.folder,
                  link: o.link,
                  reloadCommand: o.reloadCommand?.trim().split(/\s+/),
                  reloadUrl: o.reloadUrl,
                  endpointId: o.endpoint,
                  ...common,
                }
              : o.kind === 'triton'
                ? { kind: o.kind, url: o.url, ...common }
                : o.kind === 'torchserve'
                  ? { kind: o.kind, managementUrl: o.managementUrl, ...common }
                  : {
                      kind: o.kind,
                      url: o.url,
                      servingTag: o.servingTag,
                      ...(o.readyTimeout ? { readyTimeoutMs: o.readyTimeout } : {}),
                    }
          const t = await call<DeployTarget>(g, 'deploy.addTarget', { model, name, config })
          out(o.json ? JSON.stringify(t, null, 2) : `added target ${t.id}: ${t.model}/${t.name} (${t.config.kind})`)
        })
      },
    )
  target
    .command('list [model]')
    .description('deployment targets')
    .option('--json', 'print as JSON')
    .action(async (model: string | undefined, o: { json?: boolean }) => {
      await withCore(async (g) => {
        const list = await call<DeployTarget[]>(g, 'deploy.listTargets', model ? { model } : {})
        out(
          o.json
            ? JSON.stringify(list, null, 2)
            : list.map((t) => `${t.id}\t${t.model}\t${t.name}\t${t.config.kind}`).join('\n') || 'no targets',
        )
      })
    })
  target
    .command('remove <id>')
    .description('remove a target that has no deployment history')
    .action(async (id: string) => {
      await withCore(async (g) => {
        await call(g, 'deploy.removeTarget', { id: positive(id) })
        out(`removed target ${id}`)
      })
    })

  program
    .command('deploy <model>')
    .description('deploy a version to a target: preflight, switch, reload, verify, commit — or revert (exit 4)')
    .requiredOption('--version <n>', 'the version', positive)
    .requiredOption('--target <id|name>', 'the target')
    .option('--json', 'print the deployment as JSON')
    .action(async (model: string, o: { version: number; target: string; json?: boolean }) => {
      await withCore(async (g) => {
        await finishLeftovers(g)
        const d = await call<Deployment>(g, 'deploy.run', {
          model,
          version: o.version,
          targetId: await targetId(g, model, o.target),
        })
        out(o.json ? JSON.stringify(d, null, 2) : formatDeployment(d))
        if (d.state !== 'succeeded') process.exitCode = 4
      })
    })

  program
    .command('rollback <model>')
    .description('put back the last version a verified deploy made production (exit 4 if it did not succeed)')
    .option('--target <id|name>', 'the target (default: the model’s first)')
    .option('--plan', 'only show what it would do')
    .option('--json', 'print as JSON')
    .action(async (model: string, o: { target?: string; plan?: boolean; json?: boolean }) => {
      await withCore(async (g) => {
        await finishLeftovers(g)
        const id = await targetId(g, model, o.target)
        const plan = await call<RollbackPlan>(g, 'deploy.rollbackPlan', { model, targetId: id })
        if (o.plan) {
          return out(
            o.json
              ? JSON.stringify(plan, null, 2)
              : `${model} on ${plan.target.name}: v${plan.current?.version ?? '—'} → v${plan.to.version} (${plan.to.evidence})\n  ${plan.to.location}\n  sha256 ${plan.to.sha256 ?? 'none'}`,
          )
        }
        const d = await call<Deployment>(g, 'deploy.rollback', { model, targetId: plan.target.id })
        out(o.json ? JSON.stringify(d, null, 2) : formatDeployment(d))
        if (d.state !== 'succeeded') process.exitCode = 4
      })
    })

  program
    .command('rollback-rule <model>')
    .description('automatic rollback after a deploy: thresholds that, breached for N minutes, roll back (or ask first)')
    .option('--error-rate <pct>', 'error share above this percentage', Number)
    .option('--p95 <ms>', 'p95 latency (or the average) above this', Number)
    .option('--drift-share <share>', 'a drift window with at least this share (0–1) of features drifted', Number)
    .option('--no-readiness', 'do not count down / hung / not ready as a breach')
    .option('--kpis', "count the model's business KPIs past their thresholds (gantry kpi set) as a breach")
    .option('--for <minutes>', 'how long a breach must last', Number, 5)
    .option('--watch <minutes>', 'how long after a deploy to watch', Number, 60)
    .option('--ask', 'ask first instead of rolling back')
    .option('--off', 'remove the rule')
    .option('--json', 'print the guard status as JSON')
    .action(
      async (
        model: string,
        o: {
          errorRate?: number
          p95?: number
          driftShare?: number
          readiness: boolean
          kpis?: boolean
          for: number
          watch: number
          ask?: boolean
          off?: boolean
          json?: boolean
        },
      ) => {
        await withCore(async (g) => {
          const rule = o.off
            ? null
            : {
                enabled: true,
                readiness: o.readiness,
                kpis: o.kpis ?? false,
                forMinutes: o.for,
                watchMinutes: o.watch,
                action: o.ask ? 'ask' : 'rollback',
                ...(o.errorRate === undefined ? {} : { errorRatePct: o.errorRate }),
                ...(o.p95 === undefined ? {} : { p95Ms: o.p95 }),
                ...(o.driftShare === undefined ? {} : { driftShare: o.driftShare }),
              }
          const st = await call<GuardStatus>(g, 'deploy.setRule', { model, rule })
          out(
            o.json
              ? JSON.stringify(st, null, 2)
              : st.rule
                ? `${model}: after each deploy, watch ${st.rule.watchMinutes} min; ${st.rule.action === 'ask' ? 'ask to roll back' : 'roll back'} when ${[
                    st.rule.readiness ? 'down/hung/not ready' : null,
                    st.rule.kpis ? 'a KPI past its threshold' : null,
                    st.rule.errorRatePct !== undefined ? `errors > ${st.rule.errorRatePct} %` : null,
                    st.rule.p95Ms !== undefined ? `p95 > ${st.rule.p95Ms} ms` : null,
                    st.rule.driftShare !== undefined ? `a drift window ≥ ${st.rule.driftShare * 100} % drifted` : null,
                  ]
                    .filter(Boolean)
                    .join(' or ')} for ${st.rule.forMinutes} min (a running console applies it)`
                : `${model}: no automatic rollback`,
          )
        })
      },
    )

  program
    .command('deployments [model]')
    .description('deployment history, newest first')
    .option('--limit <n>', 'how many', positive, 20)
    .option('--json', 'print as JSON')
    .action(async (model: string | undefined, o: { limit: number; json?: boolean }) => {
      await withCore(async (g) => {
        const list = await call<Deployment[]>(g, 'deploy.list', { ...(model ? { model } : {}), limit: o.limit })
        out(o.json ? JSON.stringify(list, null, 2) : list.map(formatDeployment).join('\n') || 'no deployments')
      })
    })
}
