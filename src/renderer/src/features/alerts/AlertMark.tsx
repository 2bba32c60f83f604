// The mark an affected row or tile carries on every screen: how many alerts fire about it and
// the worst one's severity, linking to them (in words for assistive technology, not colour alone).
import { useStore } from '../../store'
import type { Subject } from '../../../../shared/alerts'
import { alertsAbout } from './slice'

/** `inside`: the mark sits in something that is itself a link (a GPU tile): a label, not a link. */
export function AlertMark({ about, inside }: { about: Partial<Omit<Subject, 'link'>>; inside?: boolean }) {
  const alerts = useStore((s) => s.alerts)
  const list = alertsAbout(alerts, about)
  if (!list.length) return null
  const worst = list[0]
  const label = `${list.length} alert${list.length === 1 ? '' : 's'} firing, worst ${worst.severity}: ${worst.summary}`
  const href =
    list.length === 1
      ? `#/alerts/${worst.id}`
      : about.model
        ? `#/alerts?model=${encodeURIComponent(about.model)}`
        : about.host
          ? `#/alerts?host=${encodeURIComponent(about.host)}`
          : '#/alerts'
  if (inside) {
    return (
      <span
        className={`alert-mark sev-${worst.severity}`}
        title={label}
        aria-label={label}
        data-alert-mark={worst.severity}
      >
        {list.length}
      </span>
    )
  }
  return (
    <a
      className={`alert-mark sev-${worst.severity}`}
      href={href}
      title={label}
      aria-label={label}
      data-alert-mark={worst.severity}
    >
      {list.length}
    </a>
  )
}
