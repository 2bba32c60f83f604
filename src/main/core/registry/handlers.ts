// The registry area's methods: models, versions, aliases, lifecycle, approvals, imports and the
// audit log. Hashing and imports run through the file-job limiter (a time budget each, cancelled
// with their caller).
import type { Handlers } from '../api'
import type { FileAccess } from '../files/local-files'
import { JOB_BUDGET } from '../files/limits'
import type { JobRunner } from '../util/jobs'
import { importMlflowFile, scanTritonRepository } from './importers'
import type { Registry } from './registry'

export type RegistryMethods = Extract<keyof Handlers, `registry.${string}` | `audit.${string}`>

export function registryHandlers(d: {
  registry: Registry
  files: FileAccess
  jobs: JobRunner
}): Pick<Handlers, RegistryMethods> {
  const { registry, files, jobs } = d
  return {
    'registry.listModels': (input) => registry.listModels(input),
    'registry.getModel': (input) => registry.getModel(input.name),
    'registry.getVersion': (input) => registry.getVersion(input.name, input.version),
    'registry.createModel': (input) => registry.createModel(input),
    'registry.updateModel': (input) => registry.updateModel(input.name, input.revision, input.patch),
    'registry.reviewModel': (input) => registry.reviewModel(input.name, input.note),
    'registry.register': (input) =>
      jobs.run(`registering ${input.model}`, JOB_BUDGET.hash, () => registry.register(input)),
    'registry.setAlias': (input) => {
      registry.setAlias(input.name, input.alias, input.version)
      return {}
    },
    'registry.removeAlias': (input) => {
      registry.removeAlias(input.name, input.alias)
      return {}
    },
    'registry.transition': (input) => registry.transition(input.name, input.version, input.stage, input.comment),
    'registry.requestApproval': (input) => registry.requestApproval(input.name, input.version, input.comment),
    'registry.decideApproval': (input) => registry.decideApproval(input.id, input.decision, input.comment),
    'registry.commentApproval': (input) => registry.commentApproval(input.id, input.text),
    'registry.verifyArtifact': (input) =>
      jobs.run(`verifying ${input.name} v${input.version}`, JOB_BUDGET.hash, () =>
        registry.verifyArtifact(input.name, input.version),
      ),
    'registry.scanTriton': (input) =>
      jobs.run('scanning a Triton repository', JOB_BUDGET.scan, () =>
        scanTritonRepository(registry, files, input.path, { ownerTeam: input.ownerTeam }),
      ),
    'registry.importMlflow': (input) =>
      jobs.run('importing an MLflow export', JOB_BUDGET.import, () =>
        importMlflowFile(registry, files, input.path, { ownerTeam: input.ownerTeam }),
      ),
    'audit.list': (input) => registry.audit(input),
    'audit.verify': () => registry.verifyAudit(),
  }
}
