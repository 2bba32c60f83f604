// In-app notifications: each alert notification this window received, until dismissed; clicking
// one opens the alert (or its group). The desktop and browser notifications say the same.
import { useEffect } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { safeLink } from '../../bridge/notify'
import { useStore } from '../../store'

export function Toasts() {
  const { list, dismiss } = useStore(useShallow((s) => ({ list: s.notifications, dismiss: s.dismissNotification })))
  // A toast goes by itself after a while (a resolution sooner); the alert center keeps everything.
  useEffect(() => {
    const timers = list.map((n) => setTimeout(() => dismiss(n.id), n.resolved ? 8000 : 30_000))
    return () => timers.forEach(clearTimeout)
  }, [list, dismiss])
  if (!list.length) return null
  return (
    <div className="toasts" aria-live="polite" data-testid="toasts">
      {list.slice(0, 3).map((n) => (
        <div key={n.id} className={`toast sev-${n.resolved ? 'ok' : n.severity}`} data-notification={n.id}>
          <a href={safeLink(n.link)} onClick={() => dismiss(n.id)}>
            <strong>{n.title}</strong>
            <span className="small">{n.body.split('\n').slice(0, 3).join(' · ')}</span>
          </a>
          <button type="button" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  )
}
