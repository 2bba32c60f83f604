// Areas whose capability has not been built yet say so plainly, with the issue that builds them,
// rather than showing invented data.
import { Screen } from '../../ui/Screen'

const PLANNED: Record<string, { title: string; what: string; issue: number }> = {
  alerts: { title: 'Alerts', what: 'Alert rules and routing for every area', issue: 0 },
}

export function Placeholder({ area }: { area: string }) {
  const p = PLANNED[area]
  const when = p?.issue ? `issue #${p.issue}` : 'a later issue'
  return (
    <Screen
      id={area}
      title={p?.title ?? area}
      state="empty"
      emptyText={`Not built yet. ${p?.what ?? ''} arrives with ${when}; until then Gantry shows nothing here rather than made-up numbers.`}
    />
  )
}
