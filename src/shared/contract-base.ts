// Small shared schemas used by contract.ts and the area models (gpu.ts), kept apart to avoid an import cycle.
import { z } from 'zod'

/** ok / warning / critical, or unknown when Gantry could not observe the thing. */
export const HealthLevel = z.enum(['ok', 'warning', 'critical', 'unknown'])
export type HealthLevel = z.infer<typeof HealthLevel>

/** A verdict with every reason behind it, worst first. */
export const Health = z.object({
  level: HealthLevel,
  reasons: z.array(z.string()),
})
export type Health = z.infer<typeof Health>
