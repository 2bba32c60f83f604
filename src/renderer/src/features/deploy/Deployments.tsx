// Deployments across every model: what ran where, when, by whom, with what outcome — and the
// ones in flight now. Deploying and rolling back happen on each model's page.
import { useEffect } from 'react'
import { useBridge } from '../../bridge/context'
import { Screen } from '../../ui/Screen'
import { useCall } from '../../bridge/useCall'
import { DeploymentsTable } from './DeploySection'

export function Deployments() {
  const { bridge } = useBridge()
  const list = useCall('deploy.list', { limit: 200 }, 'all-deploys')
  const targets = useCall('deploy.listTargets', {}, 'all-targets')
  const reload = list.reload
  useEffect(() => bridge.on('deploy.progress', () => reload()), [bridge, reload])
  const inFlight = (list.data ?? []).filter((d) => ['intent', 'switching', 'verifying', 'reverting'].includes(d.state))
  return (
    <Screen
      id="deployments"
      title="Deployments"
      state={list.loading && !list.data ? 'loading' : list.error && !list.data ? 'error' : 'ready'}
      error={list.error}
    >
      <p className="subtitle">
        {(targets.data ?? []).length} target(s) · {inFlight.length} in flight · deploy and roll back from a model’s
        page.
      </p>
      <section className="panel table-wrap">
        <h2 className="pad">Targets</h2>
        {(targets.data ?? []).length === 0 ? (
          <p className="muted pad">No deployment targets yet: add one on a model’s page.</p>
        ) : (
          <table className="table" data-testid="targets">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Target</th>
                <th scope="col">Kind</th>
                <th scope="col">Where</th>
              </tr>
            </thead>
            <tbody>
              {(targets.data ?? []).map((t) => (
                <tr key={t.id}>
                  <td className="mono">
                    <a href={`#/models/${encodeURIComponent(t.model)}`}>{t.model}</a>
                  </td>
                  <td>{t.name}</td>
                  <td>{t.config.kind}</td>
                  <td className="mono small">
                    {t.config.kind === 'model-folder'
                      ? `${t.config.folder}/${t.config.link}`
                      : t.config.kind === 'torchserve'
                        ? t.config.managementUrl
                        : t.config.url}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="panel table-wrap">
        <h2 className="pad">History</h2>
        <DeploymentsTable list={list.data ?? []} showModel />
      </section>
    </Screen>
  )
}
