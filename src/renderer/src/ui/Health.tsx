// Health badge and reason list: the verdict first, then why.
import type { Health, HealthLevel } from '../../../shared/contract'

const LABEL: Record<HealthLevel, string> = {
  ok: 'Healthy',
  warning: 'Warning',
  critical: 'Critical',
  unknown: 'Unknown',
}

export function HealthBadge({ level, compact }: { level: HealthLevel; compact?: boolean }) {
  return (
    <span className={`badge badge-${level}`} data-health={level}>
      <span className="dot" aria-hidden="true" />
      {compact ? null : LABEL[level]}
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
