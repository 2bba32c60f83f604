// Bringing existing models in: a Triton-style model repository (`<repo>/<model>/<N>/`) scanned
// and hashed, and MLflow registered-model exports (mlflow-export-import's model.json and
// version.json, or a REST `{model_version}` body) mapped onto Gantry's model. An export is
// validated as the API validates its own input (names, version numbers, aliases, lengths) before
// anything is written, and each import is one transaction: all of it lands, or none of it. Files
// are read through the file access; a scan never leaves its repository (links out are refused).
import { join } from 'node:path'
import { z } from 'zod'
import { callerSignal } from '../caller'
import { GantryError, errorMessage } from '../errors'
import type { FileAccess } from '../files/local-files'
import { MAX_CONFIG_BYTES, MAX_IMPORT_BYTES } from '../files/limits'
import { within } from '../files/within'
import { AliasName, ModelName, VersionNumber, type ImportReport, type Stage } from '../../../shared/registry'
import { hashArtifact, type HashedArtifact } from './hash'
import type { ImportPlan, Registry } from './registry'

/** The `platform:` or `backend:` of a Triton config.pbtxt, as the version's format. */
export function tritonFormat(configText: string): string | null {
  const m = /^\s*(platform|backend)\s*:\s*"([^"]+)"/m.exec(configText)
  return m ? m[2] : null
}

export async function scanTritonRepository(
  reg: Registry,
  files: FileAccess,
  repo: string,
  opts: { ownerTeam?: string; onProgress?: (model: string, version: number) => void } = {},
): Promise<ImportReport> {
  let inRepo: FileAccess
  let entries
  try {
    inRepo = await within(files, repo, 'model repository')
    entries = await inRepo.list(repo, { what: 'model repository' })
  } catch (err) {
    const e = err as GantryError
    throw new GantryError(
      e.code === 'files/refused' ? 'files/refused' : 'registry/artifact-missing',
      `cannot read model repository ${repo}: ${errorMessage(err)}`,
    )
  }
  const report: ImportReport = { models: [], registered: [], skipped: [] }
  const found: { model: string; version: number; path: string; hashed: HashedArtifact; format: string | null }[] = []
  for (const e of entries.filter((x) => x.kind === 'dir')) {
    const model = e.name
    if (!ModelName.safeParse(model).success) {
      report.skipped.push({ model, version: null, reason: 'not a valid model name' })
      continue
    }
    const dir = join(repo, model)
    let format: string | null = null
    const configPath = join(dir, 'config.pbtxt')
    if (await files.stat(configPath).then(Boolean, () => false)) {
      try {
        const f = await inRepo.open(configPath, { what: 'config.pbtxt', maxBytes: MAX_CONFIG_BYTES })
        try {
          format = tritonFormat(await f.text())
        } finally {
          await f.close()
        }
      } catch (err) {
        report.skipped.push({ model, version: null, reason: errorMessage(err) })
        continue
      }
    }
    let versions: number[]
    try {
      versions = (await inRepo.list(dir, { what: 'model folder' }))
        .filter((x) => x.kind === 'dir' && /^[1-9]\d{0,8}$/.test(x.name))
        .map((x) => Number(x.name))
        .sort((a, b) => a - b)
    } catch (err) {
      report.skipped.push({ model, version: null, reason: errorMessage(err) })
      continue
    }
    if (versions.length === 0) {
      report.skipped.push({ model, version: null, reason: 'no numbered version folders' })
      continue
    }
    for (const version of versions) {
      const path = join(dir, String(version))
      try {
        opts.onProgress?.(model, version)
        found.push({
          model,
          version,
          path,
          hashed: await hashArtifact(inRepo, path, undefined, callerSignal()),
          format,
        })
      } catch (err) {
        callerSignal()?.throwIfAborted()
        report.skipped.push({ model, version, reason: errorMessage(err) })
      }
    }
  }
  return reg.applyImport(
    {
      models: [...new Set(found.map((f) => f.model))].map((name) => ({ name, ownerTeam: opts.ownerTeam ?? null })),
      versions: found.map((f) => ({
        model: f.model,
        version: f.version,
        stage: 'registered' as const,
        location: f.path,
        hashed: f.hashed,
        format: f.format,
        createdAt: Date.now(),
        createdBy: null,
        params: {},
        description: '',
        whenExists: 'compare-hash' as const,
        audit: {
          action: 'version.register',
          after: {
            artifact: { location: f.path, sha256: f.hashed.sha256, kind: 'dir' },
            source: 'triton-repository-scan',
          },
        },
      })),
      aliases: [],
    },
    report,
  )
}

// --- MLflow ---------------------------------------------------------------------------------

const Tags = z.union([
  z.array(z.object({ key: z.string().max(250), value: z.string().max(5000) })).max(1000),
  z.record(z.string().max(250), z.string().max(5000)),
])
/** MLflow writes version numbers as strings: digits only, and then a version number Gantry can hold. */
const MlflowVersionNumber = z
  .union([z.string().regex(/^\d{1,10}$/, 'digits'), z.number()])
  .transform((v) => Number(v))
  .pipe(VersionNumber)
const Text = (max: number) => z.string().max(max).nullable().optional()
const MlflowVersion = z.object({
  name: z.string().max(300),
  version: MlflowVersionNumber,
  creation_timestamp: z.number().int().nonnegative().max(8.64e15).optional(),
  current_stage: Text(100),
  description: Text(10_000),
  source: Text(4096),
  run_id: Text(200),
  status: z.string().max(100).optional(),
  tags: Tags.optional(),
  user_id: Text(200),
  aliases: z.array(AliasName).max(100).optional(),
})
type MlflowVersion = z.infer<typeof MlflowVersion>
const MlflowModel = z.object({
  name: z.string().max(300),
  description: Text(10_000),
  user_id: Text(200),
  tags: Tags.optional(),
  aliases: z
    .array(z.object({ alias: AliasName, version: MlflowVersionNumber }))
    .max(1000)
    .optional(),
  versions: z.array(MlflowVersion).max(100_000).optional(),
  latest_versions: z.array(MlflowVersion).max(100_000).optional(),
})

/** The first problem zod found, as "where: what". */
function firstIssue(err: z.ZodError, prefix: string): string {
  const i = err.issues[0]
  return `${prefix}${i?.path.length ? `.${i.path.join('.')}` : ''}: ${i?.message ?? 'invalid'}`
}

const tagRecord = (t: z.infer<typeof Tags> | undefined): Record<string, string> =>
  !t ? {} : Array.isArray(t) ? Object.fromEntries(t.map((x) => [x.key, x.value])) : t

const STAGE_OF: Record<string, Stage> = {
  none: 'registered',
  staging: 'staging',
  production: 'production',
  archived: 'archived',
}

/** Reads an MLflow export: a model with its versions, or one version. */
export function parseMlflowExport(text: string): { model: z.infer<typeof MlflowModel>; versions: MlflowVersion[] } {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new GantryError('registry/invalid-import', `not JSON: ${errorMessage(err)}`)
  }
  const d = doc as Record<string, unknown>
  const inner = (d.mlflow && typeof d.mlflow === 'object' ? d.mlflow : d) as Record<string, unknown>
  if (inner.registered_model) {
    const r = MlflowModel.safeParse(inner.registered_model)
    if (!r.success) throw new GantryError('registry/invalid-import', firstIssue(r.error, 'registered_model'))
    const versions = r.data.versions ?? r.data.latest_versions ?? []
    const other = versions.find((v) => v.name !== r.data.name)
    if (other)
      throw new GantryError(
        'registry/invalid-import',
        `version ${other.version} belongs to model "${other.name}", not "${r.data.name}"`,
      )
    return { model: r.data, versions }
  }
  if (inner.model_version) {
    const r = MlflowVersion.safeParse(inner.model_version)
    if (!r.success) throw new GantryError('registry/invalid-import', firstIssue(r.error, 'model_version'))
    return { model: { name: r.data.name }, versions: [r.data] }
  }
  if (typeof d.error_code === 'string') {
    throw new GantryError(
      'registry/invalid-import',
      `this is an MLflow error response (${d.error_code}: ${String(d.message ?? '')}), not an export`,
    )
  }
  throw new GantryError('registry/invalid-import', 'not an MLflow export: expected registered_model or model_version')
}

/** Reads an export file (a regular file in the allowed folders, at most 64 MiB) and imports it. */
export async function importMlflowFile(
  reg: Registry,
  files: FileAccess,
  path: string,
  opts: { ownerTeam?: string } = {},
): Promise<ImportReport> {
  const f = await files.open(path, { what: 'MLflow export', maxBytes: MAX_IMPORT_BYTES })
  let text: string
  try {
    text = await f.text()
  } finally {
    await f.close()
  }
  return importMlflow(reg, files, text, opts)
}

export async function importMlflow(
  reg: Registry,
  files: FileAccess,
  text: string,
  opts: { ownerTeam?: string } = {},
): Promise<ImportReport> {
  const { model: mm, versions } = parseMlflowExport(text)
  const name = mm.name
  if (!ModelName.safeParse(name).success)
    throw new GantryError('registry/invalid-import', `model name "${name}" is not valid here`)
  const seen = new Set<number>()
  for (const v of versions) {
    if (seen.has(v.version)) throw new GantryError('registry/invalid-import', `version ${v.version} appears twice`)
    seen.add(v.version)
  }
  const report: ImportReport = { models: [name], registered: [], skipped: [] }
  // Hash what is readable here before the transaction: a local source path that exists.
  const hashed = new Map<number, HashedArtifact>()
  const unreadable = new Map<number, string>()
  for (const v of versions) {
    const src = v.source ?? ''
    const local = src.startsWith('file://') ? src.slice(7) : src.startsWith('/') ? src : null
    if (local && (await files.stat(local).catch(() => null))) {
      try {
        hashed.set(v.version, await hashArtifact(files, local, undefined, callerSignal()))
      } catch (err) {
        callerSignal()?.throwIfAborted()
        unreadable.set(v.version, errorMessage(err)) // recorded as a URI below, and said
      }
    }
  }
  // MLflow allows several Production versions; Gantry has one. The newest keeps production.
  const prodVersions = versions.filter((v) => v.current_stage?.toLowerCase() === 'production').map((v) => v.version)
  const keepProd = prodVersions.length ? Math.max(...prodVersions) : null
  const tags = tagRecord(mm.tags)
  if (mm.user_id) tags['mlflow.user_id'] = mm.user_id
  const plan: ImportPlan = {
    models: [{ name, description: mm.description ?? '', tags, ownerTeam: opts.ownerTeam ?? null }],
    versions: [],
    aliases: [],
  }
  for (const v of [...versions].sort((a, b) => a.version - b.version)) {
    const n = v.version
    if (v.status && v.status !== 'READY') {
      report.skipped.push({ model: name, version: n, reason: `MLflow status ${v.status}` })
      continue
    }
    let stage = STAGE_OF[(v.current_stage ?? 'none').toLowerCase()] ?? 'registered'
    let note = ''
    if (stage === 'production' && n !== keepProd) {
      stage = 'archived'
      note = `was also Production in MLflow; v${keepProd} keeps production here`
    }
    const h = hashed.get(n) ?? null
    if (unreadable.has(n)) note = `${note ? `${note}; ` : ''}source not hashed: ${unreadable.get(n)}`
    if (stage === 'production' && !h) {
      // Production needs a verified artifact; an unreadable URI is recorded as staging.
      stage = 'staging'
      note = 'Production in MLflow, but its artifact is not readable here to hash: imported as staging'
    }
    const params: Record<string, string> = {}
    if (v.run_id) params['mlflow.run_id'] = v.run_id
    for (const [k, val] of Object.entries(tagRecord(v.tags))) params[`tag.${k}`] = val
    plan.versions.push({
      model: name,
      version: n,
      stage,
      location: v.source ?? '',
      hashed: h,
      format: 'mlflow',
      createdAt: v.creation_timestamp ?? Date.now(),
      createdBy: v.user_id || 'mlflow import',
      params,
      description: v.description ?? '',
      whenExists: 'skip',
      audit: {
        action: 'version.import',
        after: {
          source: 'mlflow',
          mlflowStage: v.current_stage ?? null,
          stage,
          artifact: v.source ?? null,
          sha256: h?.sha256 ?? null,
          ...(note ? { note } : {}),
        },
      },
      ...(note ? { note } : {}),
    })
  }
  plan.aliases = [
    ...(mm.aliases ?? []).map((a) => ({ model: name, alias: a.alias, version: a.version })),
    ...versions.flatMap((v) => (v.aliases ?? []).map((alias) => ({ model: name, alias, version: v.version }))),
  ]
  return reg.applyImport(plan, report)
}
