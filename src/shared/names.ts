// Method and event names alone, without their schemas: the preload and the renderer need the
// names but must not bundle zod. contract.ts is pinned to these lists by a type test.

export const METHOD_NAMES = [
  'app.info',
  'host.snapshot',
  'storage.list',
  'telemetry.query',
  'telemetry.listSeries',
  'gpu.snapshot',
  'gpu.detail',
  'serving.probe',
  'serving.listEndpoints',
  'serving.addEndpoint',
  'serving.removeEndpoint',
  'serving.configureEndpoint',
  'registry.listModels',
  'registry.getModel',
  'registry.getVersion',
  'registry.createModel',
  'registry.updateModel',
  'registry.reviewModel',
  'registry.register',
  'registry.setAlias',
  'registry.removeAlias',
  'registry.transition',
  'registry.requestApproval',
  'registry.decideApproval',
  'registry.commentApproval',
  'registry.verifyArtifact',
  'registry.scanTriton',
  'registry.importMlflow',
  'deploy.listTargets',
  'deploy.addTarget',
  'deploy.removeTarget',
  'deploy.run',
  'deploy.rollbackPlan',
  'deploy.rollback',
  'deploy.list',
  'audit.list',
  'audit.verify',
] as const

export const EVENT_NAMES = [
  'host.sample',
  'storage.sample',
  'gpu.sample',
  'serving.sample',
  'service.status',
  'registry.progress',
  'registry.changed',
  'deploy.progress',
] as const

export type MethodName = (typeof METHOD_NAMES)[number]
export type EventName = (typeof EVENT_NAMES)[number]
