// Small shared schemas used by contract.ts and the area models (gpu.ts), kept apart to avoid an import cycle.
import { z } from 'zod'

/** ok / warning / critical, or unknown when Gantry could not observe the thing. */
export const HealthLevel = z.enum(['ok', 'warning', 'critical', 'unknown'])
export type HealthLevel = z.infer<typeof HealthLevel>

/** One reason with what it is an instance of: reasons of one kind on several subjects are grouped
 *  by the health roll-up ("power cap: GPU 3, 6, 11"); `title` is that group's plain words. */
export const HealthItem = z.object({
  level: HealthLevel,
  kind: z.string(),
  title: z.string(),
  /** The reason with its raw values (shown on hover of the group). */
  text: z.string(),
})
export type HealthItem = z.infer<typeof HealthItem>

/** A verdict with every reason behind it, worst first. */
export const Health = z.object({
  level: HealthLevel,
  reasons: z.array(z.string()),
  /** The reasons with their kinds, where the rule that found them names one (same order). */
  items: z.array(HealthItem).optional(),
})
export type Health = z.infer<typeof Health>
