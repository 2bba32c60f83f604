// Health in words and colour: the badge (a verdict), the navigation's area badge and the roll-up's
// reason list (both drawn from the core's one roll-up, so they cannot disagree), never colour alone.
import type { Health, HealthLevel } from '../../../shared/contract'
import type { AreaHealth, HealthRollup } from '../../../shared/health'

/** How bad a level is, for sorting worst first. */
export const LEVEL_RANK: Record<HealthLevel, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 }

const LABEL: Record<HealthLevel, string> = {
  ok: 'Healthy',
  warning: 'Warning',
  critical: 'Critical',
  unknown: 'Unknown',
}

export function HealthBadge({ level, compact, label }: { level: HealthLevel; compact?: boolean; label?: string }) {
  return (
    <span
      className={`badge badge-${level}`}
      data-health={level}
      role={compact ? 'img' : undefined}
      aria-label={compact ? (label ?? LABEL[level]) : undefined}
      title={compact ? (label ?? LABEL[level]) : undefined}
    >
      <span className="dot" aria-hidden="true" />
      {compact ? null : LABEL[level]}
    </span>
  )
}

/** A navigation entry's badge: the area's level and problem count, said in words; greyed while
 *  the core is not connected (the last known state, not a live one). */
export function AreaBadge({ area, stale, testId }: { area: AreaHealth; stale: boolean; testId: string }) {
  const label = stale ? `${area.label} (last known: not connected)` : area.label
  return (
    <span
      className={`nav-badge badge-${area.level}${stale ? ' stale' : ''}`}
      role="img"
      aria-label={label}
      title={label}
      data-testid={testId}
      data-level={area.level}
      data-problems={area.problems}
    >
      <span className="dot" aria-hidden="true" />
      {area.problems > 0 ? <span aria-hidden="true">{area.problems}</span> : null}
    </span>
  )
}

export function HealthReasons({ health, okText }: { health: Health; okText: string }) {
  if (health.reasons.length === 0) return <p className="muted">{okText}</p>
  return (
    <ul className="reasons">
      {health.reasons.map((r) => (
        <li key={r}>{r}</li>
      ))}
    </ul>
  )
}

/** The roll-up's reasons: each a link to where it is acted on, its subjects' raw values on hover. */
export function RollupReasons({ rollup, okText }: { rollup: HealthRollup; okText: string }) {
  if (rollup.reasons.length === 0) return <p className="muted">{okText}</p>
  return (
    <ul className="reasons rollup" data-testid="health-reasons">
      {rollup.reasons.map((r) => (
        <li key={r.key} data-reason={r.key} data-area={r.area}>
          <HealthBadge level={r.level} compact />{' '}
          <a href={r.href} title={r.subjects.map((x) => `${x.name}: ${x.detail}`).join('\n')}>
            {r.text}
          </a>
        </li>
      ))}
    </ul>
  )
}
