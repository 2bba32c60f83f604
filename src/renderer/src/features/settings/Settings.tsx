// Settings: theme, and what this console is connected to (door, data directory, schema, services,
// the folders it may read and the file jobs running now).
import { useShallow } from 'zustand/react/shallow'
import type { ThemeChoice } from '../../app/slice'
import { useStore } from '../../store'
import { ago } from '../../ui/format'
import { useNow } from '../../ui/hooks'
import { Screen } from '../../ui/Screen'
import { useCall } from '../../bridge/useCall'

export function Settings() {
  const { theme, setTheme, info } = useStore(
    useShallow((s) => ({ theme: s.theme, setTheme: s.setTheme, info: s.info })),
  )
  const now = useNow()
  const roots = useCall('files.roots', {}, 'files-roots')
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
          <h2>Files it may read</h2>
          <p className="muted small">
            Paths given to the console (datasets, artifacts, log folders, deploy folders) must lead into one of these
            folders, and be regular files. Only the data directory&apos;s owner changes them, with{' '}
            <code>gantry roots add|remove</code> on the machine running Gantry.
          </p>
          {roots.data ? (
            <ul className="mono small" data-testid="roots">
              {roots.data.roots.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          ) : null}
          {roots.data ? (
            <p className="muted small">
              {roots.data.source === 'env'
                ? 'From GANTRY_ROOTS.'
                : roots.data.source === 'stored'
                  ? 'Set with gantry roots.'
                  : 'The defaults.'}{' '}
              Never read: {roots.data.never.join(', ')}.
            </p>
          ) : null}
          <p className="small" data-testid="jobs">
            File jobs: {info.jobs.running.length ? info.jobs.running.join(', ') : 'none running'}
            {info.jobs.queued ? `, ${info.jobs.queued} waiting` : ''} (at most {info.jobs.limit} at once)
          </p>
        </section>
      ) : null}
    </Screen>
  )
}
