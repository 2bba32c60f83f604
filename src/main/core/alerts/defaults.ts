// The rules on from the first start: what an operator expects a GPU console to tell them without
// being asked. Each can be changed (for, severity, threshold, keep_firing_for) or turned off with
// `gantry rules set`, never removed; a change is stored as the rule's whole new definition.
import type { AlertRule } from '../../../shared/alerts'

type Default = Pick<AlertRule, 'name' | 'kind' | 'severity' | 'forMs' | 'threshold'> &
  Partial<Pick<AlertRule, 'keepFiringForMs' | 'metric' | 'enabled' | 'summary' | 'noData' | 'runbookUrl'>>

const MIN = 60_000

const DEFAULTS: Default[] = [
  { name: 'gpu-critical', kind: 'gpu-health', severity: 'critical', forMs: 0, threshold: null },
  { name: 'gpu-xid-reset', kind: 'gpu-xid', severity: 'critical', forMs: 0, threshold: null },
  // Margin to the GPU's own slowdown temperature (NVML's threshold), not a fixed number of °C.
  {
    name: 'gpu-temp-margin',
    kind: 'gpu-temp-margin',
    severity: 'warning',
    forMs: 2 * MIN,
    threshold: 5,
    keepFiringForMs: 2 * MIN,
  },
  { name: 'fs-used', kind: 'fs-used', severity: 'warning', forMs: 5 * MIN, threshold: 90 },
  { name: 'fs-full-soon', kind: 'fs-full-soon', severity: 'warning', forMs: 15 * MIN, threshold: 7 },
  // Gap-prone sources (SSH, Prometheus) get a keep_firing_for so a missed poll is not a resolution.
  {
    name: 'endpoint-down',
    kind: 'endpoint-down',
    severity: 'critical',
    forMs: MIN,
    threshold: null,
    keepFiringForMs: MIN,
  },
  { name: 'endpoint-error-rate', kind: 'endpoint-error-rate', severity: 'warning', forMs: 5 * MIN, threshold: 5 },
  { name: 'endpoint-p95', kind: 'endpoint-p95', severity: 'warning', forMs: 5 * MIN, threshold: 2000 },
  { name: 'intent-mismatch', kind: 'intent-mismatch', severity: 'critical', forMs: 2 * MIN, threshold: null },
  { name: 'drift-begun', kind: 'drift-begun', severity: 'warning', forMs: 0, threshold: null },
  { name: 'drift-monitor-error', kind: 'monitor-error', severity: 'warning', forMs: 5 * MIN, threshold: null },
  // No floor until one is set (`gantry rules set realized-below-floor --threshold 0.9`, or a rule per model).
  {
    name: 'realized-below-floor',
    kind: 'realized-below-floor',
    severity: 'critical',
    forMs: 0,
    threshold: null,
    metric: 'accuracy',
  },
  { name: 'deploy-failed', kind: 'deploy-failed', severity: 'warning', forMs: 0, threshold: null },
  { name: 'production-unowned', kind: 'unowned-production', severity: 'info', forMs: 0, threshold: null },
  {
    name: 'host-unreachable',
    kind: 'host-unreachable',
    severity: 'critical',
    forMs: MIN,
    threshold: null,
    keepFiringForMs: MIN,
  },
  // The dead man's switch: off until an Alertmanager is there to expect it.
  { name: 'heartbeat', kind: 'heartbeat', severity: 'info', forMs: 0, threshold: null, enabled: false },
]

/** A rule with nothing set but its name and kind (an added rule starts here; so do the defaults). */
export function newRule(name: string, kind: AlertRule['kind'], over: Partial<AlertRule> = {}): AlertRule {
  return {
    name,
    kind,
    enabled: true,
    severity: 'warning',
    forMs: 0,
    keepFiringForMs: 0,
    threshold: null,
    host: null,
    model: null,
    metric: null,
    source: null,
    expr: null,
    op: null,
    labels: {},
    summary: '',
    runbookUrl: null,
    noData: 'nodata',
    builtIn: false,
    updatedAt: null,
    updatedBy: null,
    ...over,
  }
}

export function defaultRules(): AlertRule[] {
  return DEFAULTS.map((d) => newRule(d.name, d.kind, { ...d, builtIn: true }))
}
