// Settings: theme, and what this console is connected to (door, data directory, schema, services).
import { useShallow } from 'zustand/react/shallow'
import type { ThemeChoice } from '../../app/slice'
import { useStore } from '../../store'
import { ago } from '../../ui/format'
import { useNow } from '../../ui/hooks'
import { Screen } from '../../ui/Screen'

export function Settings() {
  const { theme, setTheme, info } = useStore(
    useShallow((s) => ({ theme: s.theme, setTheme: s.setTheme, info: s.info })),
  )
  const now = useNow()
  return (
    <Screen id="settings" title="Settings" state={info ? 'ready' : 'loading'}>
      <section className="panel">
        <h2>Appearance</h2>
        <div className="segmented" role="group" aria-label="Theme">
          {(['system', 'dark', 'light'] as ThemeChoice[]).map((t) => (
            <button key={t} type="button" aria-pressed={theme === t} onClick={() => setTheme(t)} data-theme-choice={t}>
              {t[0].toUpperCase() + t.slice(1)}
            </button>
          ))}
        </div>
      </section>
      {info ? (
        <section className="panel">
          <h2>This console</h2>
          <dl className="facts">
            <dt>Version</dt>
            <dd>{info.version}</dd>
            <dt>Opened by</dt>
            <dd>{info.door === 'server' ? 'gantry serve (headless)' : info.door}</dd>
            <dt>Host</dt>
            <dd>{info.hostname}</dd>
            <dt>Data directory</dt>
            <dd className="mono">{info.dataDir}</dd>
            <dt>Database</dt>
            <dd className="mono">
              {info.dbPath} · schema {info.schemaVersion} · SQLite {info.sqliteVersion}
            </dd>
            <dt>Started</dt>
            <dd>{ago(info.startedAt, now)}</dd>
          </dl>
          <h2>Services</h2>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">State</th>
                <th scope="col">Every</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {info.services.map((s) => (
                <tr key={s.name} data-service={s.name} data-service-state={s.state}>
                  <td>{s.name}</td>
                  <td>{s.state}</td>
                  <td>{s.intervalMs > 0 ? `${s.intervalMs / 1000} s` : 'off'}</td>
                  <td className="muted">{s.reason ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </Screen>
  )
}
