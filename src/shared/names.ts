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
] as const

export const EVENT_NAMES = ['host.sample', 'storage.sample', 'gpu.sample', 'serving.sample', 'service.status'] as const

export type MethodName = (typeof METHOD_NAMES)[number]
export type EventName = (typeof EVENT_NAMES)[number]
