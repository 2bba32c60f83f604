// Registry commands for training pipelines and operators: register, models, show, model
// create/update/review, alias set/rm, stage, request-approval, approve, verify, import, audit.
// Every command takes --json and prints the contract's data; errors exit 1 with [code].
import { Command, InvalidArgumentError } from 'commander'
import type { Approval, AuditRow, AuditVerdict, ModelDetail, ModelSummary, Version } from '../../shared/contract'
import type { ArtifactCheck, HashProgress, ImportReport, Model } from '../../shared/registry'
import { FLAG_TEXT, STAGES } from '../../shared/registry'
import type { MethodName } from '../../shared/names'
import type { Gantry } from '../core'
import { GantryError } from '../core/errors'
import { bytes } from './format'

type WithCore = (f: (g: Gantry) => Promise<void>, opts?: { readOnly?: boolean }) => Promise<void>

/** Commands that only read: they still work on a full or read-only disk. */
const READ_ONLY = { readOnly: true }
const collect = (v: string, prev: string[] = []): string[] => [...prev, v]
function positive(v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive whole number')
  return n
}
function pairs(list: string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of list ?? []) {
    const i = p.indexOf('=')
    if (i <= 0) throw new GantryError('contract/invalid-input', `--${what} ${p}: expected key=value`)
    out[p.slice(0, i)] = p.slice(i + 1)
  }
  return out
}

async function call<T>(g: Gantry, method: MethodName, input: unknown): Promise<T> {
  const r = await g.api.call(method, input)
  if (!r.ok) throw new GantryError(r.error.code, r.error.message)
  return r.data as T
}

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`)
const asJson = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`
const day = (t: number | null): string => (t ? new Date(t).toISOString().slice(0, 16).replace('T', ' ') : '—')

function versionLine(v: Version): string {
  return `  v${v.version}  ${v.stage.padEnd(10)}  ${(v.artifact.sha256 ?? 'unhashed').slice(0, 12)}  ${bytes(v.artifact.sizeBytes).padStart(9)}  ${day(v.createdAt)}  ${v.createdBy}${v.aliases.length ? `  [${v.aliases.join(', ')}]` : ''}`
}

function formatImport(r: ImportReport): string {
  const lines = [`registered ${r.registered.length} version(s) in ${r.models.length} model(s)`]
  for (const x of r.registered) lines.push(`  + ${x.model} v${x.version}`)
  for (const s of r.skipped) lines.push(`  - ${s.model}${s.version === null ? '' : ` v${s.version}`}: ${s.reason}`)
  return lines.join('\n')
}

export function addRegistryCommands(program: Command, withCore: WithCore): void {
  program
    .command('register')
    .description('hash an artifact (file or folder) and register it as a new version of a model')
    .requiredOption('--model <name>', 'model name (created if new)')
    .requiredOption('--artifact <path>', 'the artifact file or folder')
    .option('--dataset <path>', 'a training dataset (repeatable)', collect)
    .option('--validation <path>', 'a validation dataset (repeatable)', collect)
    .option('--reference <path>', 'the reference dataset for drift')
    .option('--commit <sha>', 'source commit of the training code')
    .option('--param <k=v>', 'a parameter (repeatable)', collect)
    .option('--metric <k=v>', 'a numeric metric (repeatable)', collect)
    .option('--parent <n>', 'the version this one derives from', positive)
    .option('--version <n>', 'the version number (default: next)', positive)
    .option('--format <format>', 'format/framework (default: guessed from the name)')
    .option('--description <text>', 'what changed')
    .option('--owner <team>', 'owner team, for a model this creates')
    .option('--sha256 <hex>', 'refuse unless the artifact hashes to this')
    .option('--copy', "copy the artifact into Gantry's managed store")
    .option('--json', 'print the registered version as JSON')
    .action(
      async (o: {
        model: string
        artifact: string
        dataset?: string[]
        validation?: string[]
        reference?: string
        commit?: string
        param?: string[]
        metric?: string[]
        parent?: number
        version?: number
        format?: string
        description?: string
        owner?: string
        sha256?: string
        copy?: boolean
        json?: boolean
      }) => {
        await withCore(async (g) => {
          const metrics: Record<string, number> = {}
          for (const [k, v] of Object.entries(pairs(o.metric, 'metric'))) {
            const n = Number(v)
            if (v.trim() === '' || !Number.isFinite(n))
              throw new GantryError('contract/invalid-input', `--metric ${k}=${v}: not a number`)
            metrics[k] = n
          }
          const datasets = [
            ...(o.dataset ?? []).map((path) => ({ role: 'training' as const, path })),
            ...(o.validation ?? []).map((path) => ({ role: 'validation' as const, path })),
            ...(o.reference ? [{ role: 'reference' as const, path: o.reference }] : []),
          ]
          const jobId = `cli-${process.pid}`
          let shown = false
          const off = process.stderr.isTTY
            ? g.events.on('registry.progress', (p: HashProgress) => {
                if (p.jobId !== jobId) return
                shown = true
                const pct = p.bytesTotal ? ((100 * p.bytesDone) / p.bytesTotal).toFixed(0) : '100'
                process.stderr.write(`\rhashing ${bytes(p.bytesDone)} / ${bytes(p.bytesTotal)} (${pct} %)   `)
              })
            : () => {}
          try {
            const v = await call<Version>(g, 'registry.register', {
              model: o.model,
              artifact: o.artifact,
              version: o.version,
              format: o.format,
              datasets,
              commit: o.commit,
              params: pairs(o.param, 'param'),
              metrics,
              parent: o.parent,
              description: o.description,
              expectSha256: o.sha256,
              copy: o.copy,
              ownerTeam: o.owner,
              jobId,
            })
            if (shown) process.stderr.write('\n')
            out(
              o.json
                ? asJson(v)
                : `registered ${v.model} v${v.version}  sha256 ${v.artifact.sha256}  ${bytes(v.artifact.sizeBytes)}`,
            )
          } finally {
            off()
          }
        })
      },
    )

  program
    .command('models')
    .description('the models in the registry, with their flags')
    .option('--query <text>', 'search name, description, owner and tags')
    .option('--owner <team>', "only this owner team ('(none)' for unowned)")
    .option('--stage <stage>', `only models with a version in this stage (${STAGES.join(', ')})`)
    .option('--json', 'print as JSON')
    .action(async (o: { query?: string; owner?: string; stage?: string; json?: boolean }) => {
      await withCore(async (g) => {
        const list = await call<ModelSummary[]>(g, 'registry.listModels', {
          query: o.query,
          owner: o.owner,
          stage: o.stage,
        })
        if (o.json) return out(asJson(list))
        if (!list.length) return out('no models')
        for (const m of list) {
          out(
            `${m.name}  owner ${m.ownerTeam ?? '—'}  ${m.versions} version(s)  production ${m.production ? `v${m.production}` : '—'}` +
              (m.flags.length ? `  ! ${m.flags.map((f) => FLAG_TEXT[f]).join('; ')}` : ''),
          )
        }
      }, READ_ONLY)
    })

  program
    .command('show <model> [version]')
    .description('one model (versions, aliases, approvals, history) or one version')
    .option('--json', 'print as JSON')
    .action(async (model: string, version: string | undefined, o: { json?: boolean }) => {
      await withCore(async (g) => {
        if (version !== undefined) {
          const v = await call<{ version: Version; parent: Version | null }>(g, 'registry.getVersion', {
            name: model,
            version: positive(version),
          })
          if (o.json) return out(asJson(v))
          const x = v.version
          const lines = [
            `${x.model} v${x.version} — ${x.stage}${x.aliases.length ? ` [${x.aliases.join(', ')}]` : ''}`,
            `  artifact  ${x.artifact.location} (${x.artifact.kind}${x.artifact.managed ? ', managed copy' : ''})`,
            `  sha256    ${x.artifact.sha256 ?? 'none (not readable here)'}  ${bytes(x.artifact.sizeBytes)}${x.artifact.files && x.artifact.kind === 'dir' ? `, ${x.artifact.files} files` : ''}`,
            `  format    ${x.format ?? '—'}   created ${day(x.createdAt)} by ${x.createdBy}   commit ${x.sourceCommit ?? '—'}   parent ${x.parent ? `v${x.parent}` : '—'}`,
            ...x.datasets.map(
              (d) => `  ${d.role.padEnd(10)}${d.uri}  ${d.sha256?.slice(0, 12) ?? 'not hashed'}  ${d.rows ?? '?'} rows`,
            ),
            ...Object.entries(x.params).map(([k, val]) => `  param     ${k} = ${val}`),
            ...Object.entries(x.metrics).map(([k, val]) => `  metric    ${k} = ${val}`),
          ]
          return out(lines.join('\n'))
        }
        const d = await call<ModelDetail>(g, 'registry.getModel', { name: model })
        if (o.json) return out(asJson(d))
        const m = d.model
        const lines = [
          `${m.name} — ${m.description || 'no description'}`,
          `  owner ${m.ownerTeam ?? '— (unowned)'}  contact ${m.ownerContact ?? '—'}  on-call ${m.oncall ?? '—'}`,
          `  policy: production ${m.policy.productionNeedsApproval ? 'needs an approval' : 'needs no approval'}   revision ${m.revision}`,
          ...d.flags.map((f) => `  ! ${FLAG_TEXT[f]}`),
          'versions:',
          ...d.versions.map(versionLine),
          ...(d.approvals.length ? ['approvals:'] : []),
          ...d.approvals.map(
            (a) =>
              `  #${a.id} v${a.version} ${a.status} — asked by ${a.requestedBy}${a.decidedBy ? `, decided by ${a.decidedBy}` : ''}`,
          ),
        ]
        out(lines.join('\n'))
      }, READ_ONLY)
    })

  const model = program.command('model').description('create and edit models (owner, policy, card)')
  const modelOptions = (c: Command): Command =>
    c
      .option('--description <text>', 'what the model does')
      .option('--owner <team>', 'owner team')
      .option('--contact <contact>', 'owner contact')
      .option('--oncall <oncall>', 'on-call / escalation')
      .option('--tag <k=v>', 'a tag (repeatable)', collect)
      .option('--approval <on|off>', 'whether production needs an approval')
      .option('--json', 'print the model as JSON')
  type ModelOpts = {
    description?: string
    owner?: string
    contact?: string
    oncall?: string
    tag?: string[]
    approval?: string
    json?: boolean
  }
  const fields = (o: ModelOpts) => ({
    description: o.description,
    ownerTeam: o.owner,
    ownerContact: o.contact,
    oncall: o.oncall,
    tags: o.tag ? pairs(o.tag, 'tag') : undefined,
    policy: o.approval === undefined ? undefined : { productionNeedsApproval: /^(on|yes|true|1)$/i.test(o.approval) },
  })
  modelOptions(model.command('create <name>').description('create a model')).action(
    async (name: string, o: ModelOpts) => {
      await withCore(async (g) => {
        const m = await call<Model>(g, 'registry.createModel', { name, ...fields(o) })
        out(o.json ? asJson(m) : `created model ${m.name}`)
      })
    },
  )
  modelOptions(model.command('update <name>').description('change a model (refuses if it changed meanwhile)')).action(
    async (name: string, o: ModelOpts) => {
      await withCore(async (g) => {
        const cur = await call<ModelDetail>(g, 'registry.getModel', { name })
        const m = await call<Model>(g, 'registry.updateModel', { name, revision: cur.model.revision, patch: fields(o) })
        out(o.json ? asJson(m) : `updated model ${m.name} (revision ${m.revision})`)
      })
    },
  )
  model
    .command('review <name>')
    .description('record that the owner reviewed the model')
    .option('--note <text>', 'what was checked')
    .option('--json', 'print the model as JSON')
    .action(async (name: string, o: { note?: string; json?: boolean }) => {
      await withCore(async (g) => {
        const m = await call<Model>(g, 'registry.reviewModel', { name, note: o.note })
        out(o.json ? asJson(m) : `reviewed ${m.name}`)
      })
    })

  const alias = program.command('alias').description('aliases (production, staging, candidate or your own)')
  alias
    .command('set <model> <alias> <version>')
    .description('point an alias at a version (production promotes, under the approval policy)')
    .option('--json', 'print the model as JSON')
    .action(async (m: string, a: string, v: string, o: { json?: boolean }) => {
      await withCore(async (g) => {
        await call(g, 'registry.setAlias', { name: m, alias: a, version: positive(v) })
        const d = await call<ModelDetail>(g, 'registry.getModel', { name: m })
        out(o.json ? asJson(d.aliases) : `${m}@${a} → v${v}`)
      })
    })
  alias
    .command('rm <model> <alias>')
    .description('remove an alias')
    .action(async (m: string, a: string) => {
      await withCore(async (g) => {
        await call(g, 'registry.removeAlias', { name: m, alias: a })
        out(`removed ${m}@${a}`)
      })
    })

  program
    .command('stage <model> <version> <stage>')
    .description(`move a version through its lifecycle (${STAGES.join(' → ')})`)
    .option('--comment <text>', 'why')
    .option('--json', 'print the version as JSON')
    .action(async (m: string, v: string, stage: string, o: { comment?: string; json?: boolean }) => {
      await withCore(async (g) => {
        const x = await call<Version>(g, 'registry.transition', {
          name: m,
          version: positive(v),
          stage,
          comment: o.comment,
        })
        out(o.json ? asJson(x) : `${m} v${x.version} is now ${x.stage}`)
      })
    })

  program
    .command('request-approval <model> <version>')
    .description('ask for an approval to promote a version to production')
    .option('--comment <text>', 'why this version')
    .option('--json', 'print the request as JSON')
    .action(async (m: string, v: string, o: { comment?: string; json?: boolean }) => {
      await withCore(async (g) => {
        const a = await call<Approval>(g, 'registry.requestApproval', {
          name: m,
          version: positive(v),
          comment: o.comment,
        })
        out(o.json ? asJson(a) : `approval request #${a.id} for ${m} v${a.version} is pending`)
      })
    })

  program
    .command('approve <model> <version>')
    .description("approve (or --reject) the pending request for a version; not the requester's own")
    .option('--reject', 'reject instead')
    .option('--comment <text>', 'a comment kept in the history')
    .option('--json', 'print the request as JSON')
    .action(async (m: string, v: string, o: { reject?: boolean; comment?: string; json?: boolean }) => {
      await withCore(async (g) => {
        const d = await call<ModelDetail>(g, 'registry.getModel', { name: m })
        const pending = d.approvals.find((a) => a.version === positive(v) && a.status === 'pending')
        if (!pending) throw new GantryError('registry/unknown-approval', `${m} v${v} has no pending approval request`)
        const a = await call<Approval>(g, 'registry.decideApproval', {
          id: pending.id,
          decision: o.reject ? 'reject' : 'approve',
          comment: o.comment,
        })
        out(o.json ? asJson(a) : `${m} v${a.version}: request #${a.id} ${a.status} by ${a.decidedBy}`)
      })
    })

  program
    .command('verify <model> <version>')
    .description("re-hash a version's artifact against its registered sha256 (exit 3 if it differs)")
    .option('--json', 'print the check as JSON')
    .action(async (m: string, v: string, o: { json?: boolean }) => {
      await withCore(async (g) => {
        const c = await call<ArtifactCheck>(g, 'registry.verifyArtifact', { name: m, version: positive(v) })
        out(
          o.json
            ? asJson(c)
            : c.ok
              ? `${m} v${v}: artifact verified (${c.actual})`
              : `${m} v${v}: NOT verified — ${c.problem}`,
        )
        if (!c.ok) process.exitCode = 3
      })
    })

  const imp = program.command('import').description('bring existing models into the registry')
  imp
    .command('mlflow <file>')
    .description('an MLflow registered-model export (mlflow-export-import model.json or version.json)')
    .option('--owner <team>', 'owner team for a model this creates')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { owner?: string; json?: boolean }) => {
      await withCore(async (g) => {
        const r = await call<ImportReport>(g, 'registry.importMlflow', { path: file, ownerTeam: o.owner })
        out(o.json ? asJson(r) : formatImport(r))
      })
    })
  imp
    .command('triton <repo>')
    .description('every <repo>/<model>/<N>/ folder of a Triton-style model repository')
    .option('--owner <team>', 'owner team for models this creates')
    .option('--json', 'print the report as JSON')
    .action(async (repo: string, o: { owner?: string; json?: boolean }) => {
      await withCore(async (g) => {
        const r = await call<ImportReport>(g, 'registry.scanTriton', { path: repo, ownerTeam: o.owner })
        out(o.json ? asJson(r) : formatImport(r))
      })
    })

  const audit = program.command('audit').description("the registry's hash-chained history")
  audit
    .command('verify')
    .description('walk the hash chain; exit 3 and name the first bad row if it is broken')
    .option('--json', 'print the verdict as JSON')
    .action(async (o: { json?: boolean }) => {
      await withCore(async (g) => {
        const v = await call<AuditVerdict>(g, 'audit.verify', {})
        out(
          o.json
            ? asJson(v)
            : v.ok
              ? `audit chain ok: ${v.rows} rows, head ${v.head ?? '(empty)'}`
              : `audit chain BROKEN at row ${v.firstBad?.seq}: ${v.firstBad?.reason}`,
        )
        if (!v.ok) process.exitCode = 3
      }, READ_ONLY)
    })
  audit
    .command('log')
    .description('the history, newest first')
    .option('--model <name>', 'one model only')
    .option('--limit <n>', 'how many rows', positive, 50)
    .option('--json', 'print as JSON')
    .action(async (o: { model?: string; limit: number; json?: boolean }) => {
      await withCore(async (g) => {
        const rows = await call<AuditRow[]>(g, 'audit.list', { model: o.model, limit: o.limit })
        if (o.json) return out(asJson(rows))
        for (const r of rows) {
          out(
            `${r.seq}\t${day(r.at)}\t${r.actor}\t${r.action}\t${r.model ?? ''}${r.version ? ` v${r.version}` : ''}\t${JSON.stringify(r.after)}`,
          )
        }
      }, READ_ONLY)
    })
}
