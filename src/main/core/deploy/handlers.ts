// The deploy area's methods: targets, the journaled deploy and rollback, history, the
// automatic-rollback guard, and the reconcile a console runs on its own too.
import type { Handlers } from '../api'
import type { Deployer } from './deployer'
import type { Guard } from './guard'

export type DeployMethods = Extract<keyof Handlers, `deploy.${string}`>

export function deployHandlers(d: { deployer: Deployer; guard: Guard }): Pick<Handlers, DeployMethods> {
  const { deployer, guard } = d
  return {
    'deploy.listTargets': (input) => deployer.listTargets(input.model),
    'deploy.addTarget': (input) => deployer.addTarget(input.model, input.name, input.config),
    'deploy.removeTarget': (input) => {
      deployer.removeTarget(input.id)
      return {}
    },
    'deploy.run': (input) => deployer.deploy(input.model, input.version, input.targetId),
    'deploy.rollbackPlan': (input) => deployer.rollbackPlan(input.model, input.targetId),
    'deploy.rollback': (input) => deployer.rollback(input.model, input.targetId),
    'deploy.list': (input) => deployer.list(input),
    'deploy.guard': (input) => guard.status(input.model),
    'deploy.setRule': (input) => guard.setRule(input.model, input.rule),
    'deploy.dismissSuggestion': (input) => guard.dismiss(input.model),
    'deploy.reconcile': () => deployer.reconcile(),
  }
}
