// The console's one health roll-up: every reason Gantry knows something needs someone (a GPU, the
// host, a filesystem, an endpoint, the registry's intent, drift and its monitors, deploys that
// ended badly, approvals waiting, production models nobody owns, open alerts, other hosts),
// computed once in the core. The Overview's health card and every navigation badge read this one
// object, so they cannot disagree.
import { z } from 'zod'
import { HealthLevel } from './contract-base'

/** Where a reason is acted on: one per navigation entry that carries a badge. */
export const HEALTH_AREAS = ['hosts', 'gpus', 'storage', 'serving', 'models', 'drift', 'deployments', 'alerts'] as const
export const HealthArea = z.enum([...HEALTH_AREAS, 'overview'])
export type HealthArea = z.infer<typeof HealthArea>

export const RollupSubject = z.object({
  /** What it is about ("GPU 3", "endpoint llm-a", "fraud-scorer v4"). */
  name: z.string(),
  /** A console route where it is acted on. */
  href: z.string(),
  /** The reason with its raw values (shown on hover). */
  detail: z.string(),
})
export type RollupSubject = z.infer<typeof RollupSubject>

export const RollupReason = z.object({
  /** A stable key: the kind and the area (the same problem on more subjects is one reason). */
  key: z.string(),
  area: z.enum(HEALTH_AREAS),
  level: HealthLevel,
  /** Plain words, grouped: "power cap: clocks held down … — GPU 3, 6, 11". */
  text: z.string(),
  /** Where to act: the single subject's page, or the area's screen when there are several. */
  href: z.string(),
  subjects: z.array(RollupSubject),
})
export type RollupReason = z.infer<typeof RollupReason>

export const AreaHealth = z.object({
  level: HealthLevel,
  /** How many reasons (not subjects) the area has. */
  problems: z.number().int(),
  /** The badge's words for assistive technology and the tooltip: "Serving: critical, 1 problem". */
  label: z.string(),
})
export type AreaHealth = z.infer<typeof AreaHealth>

export const HealthRollup = z.object({
  at: z.number(),
  /** The host whose GPUs, storage and host values are in it (the others count under hosts). */
  host: z.string(),
  level: HealthLevel,
  /** Every badged area, and overview (= the whole roll-up). */
  areas: z.record(HealthArea, AreaHealth),
  /** Worst first. */
  reasons: z.array(RollupReason),
})
export type HealthRollup = z.infer<typeof HealthRollup>

export const AREA_LABEL: Record<HealthArea, string> = {
  overview: 'Overview',
  hosts: 'Hosts',
  gpus: 'GPUs',
  storage: 'Storage',
  serving: 'Serving',
  models: 'Models',
  drift: 'Drift',
  deployments: 'Deployments',
  alerts: 'Alerts',
}
