// The methods about the console itself: what it is and runs (app.info), and the folders paths
// given to it may lead into (files.roots; files.setRoots, owner-only, audited).
import os from 'node:os'
import type { FileRoots } from '../../shared/contract'
import type { Handlers } from './api'
import { actorOr } from './caller'
import type { GantryConfig } from './config'
import type { OpenedDatabase } from './db/database'
import { NEVER_ROOTS, configuredRoots } from './files/policy'
import type { RootsStore } from './files/roots'
import type { Fleet } from './hosts/fleet'
import type { Registry } from './registry/registry'
import type { JobRunner } from './util/jobs'

export function appHandlers(d: {
  config: GantryConfig
  opened: OpenedDatabase
  startedAt: number
  version: string
  fleet: Fleet
  jobs: JobRunner
  roots: RootsStore
  registry: Registry
}): Pick<Handlers, 'app.info' | 'files.roots' | 'files.setRoots'> {
  const rootsInfo = (): FileRoots => ({
    roots: configuredRoots(d.config.dataDir, d.roots.get()),
    source: process.env.GANTRY_ROOTS?.trim() ? 'env' : d.roots.get()?.length ? 'stored' : 'default',
    never: [...NEVER_ROOTS],
  })
  return {
    'app.info': () => ({
      version: d.version,
      door: d.config.door,
      dataDir: d.config.dataDir,
      dbPath: d.opened.path,
      schemaVersion: d.opened.schemaVersion,
      sqliteVersion: d.opened.sqliteVersion,
      startedAt: d.startedAt,
      pid: process.pid,
      hostname: os.hostname(),
      actor: actorOr(d.config.actor),
      services: d.fleet.statuses(),
      jobs: d.jobs.status(),
    }),
    'files.roots': () => rootsInfo(),
    'files.setRoots': (input) => {
      const before = rootsInfo()
      d.roots.set(input.roots)
      const after = rootsInfo()
      d.registry.record('files.roots', null, { before: before.roots, after: after.roots, source: after.source })
      return after
    },
  }
}
