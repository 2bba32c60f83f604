// `gantry roots`: the folders paths arriving through the API may lead into. Changing them is
// for the data directory's owner at the command line only (the contract marks files.setRoots
// owner-only): a browser or desktop session cannot widen what Gantry reads for it.
import type { Command } from 'commander'
import { resolve } from 'node:path'
import type { FileRoots } from '../../shared/contract'
import type { Gantry } from '../core'
import { GantryError } from '../core/errors'

type WithCore = (f: (g: Gantry) => Promise<void>, opts?: { readOnly?: boolean }) => Promise<void>

async function roots(g: Gantry): Promise<FileRoots> {
  const r = await g.api.call('files.roots', {})
  if (!r.ok) throw new GantryError(r.error.code, r.error.message)
  return r.data as FileRoots
}
async function setRoots(g: Gantry, list: string[]): Promise<FileRoots> {
  const r = await g.api.call('files.setRoots', { roots: list })
  if (!r.ok) throw new GantryError(r.error.code, r.error.message)
  return r.data as FileRoots
}

function print(r: FileRoots, json?: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
    return
  }
  const from = { env: 'from GANTRY_ROOTS', stored: 'set with gantry roots', default: 'the defaults' }[r.source]
  process.stdout.write(`${r.roots.join('\n')}\n(${from}; never read: ${r.never.join(', ')})\n`)
}

function warnEnv(): void {
  process.stderr.write(
    'gantry: GANTRY_ROOTS is set: it decides the roots while it is set; the stored list applies without it\n',
  )
}

export function addRootsCommands(program: Command, withCore: WithCore): void {
  const cmd = program
    .command('roots')
    .description('the folders that paths given to the console (datasets, artifacts, logs) may lead into')
  cmd
    .command('list', { isDefault: true })
    .description('print them (the default)')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      await withCore(async (g) => print(await roots(g), o.json), { readOnly: true })
    })
  cmd
    .command('add <dir...>')
    .description('allow these folders (the defaults are replaced by the list you build)')
    .option('--json', 'print as JSON')
    .action(async (dirs: string[], o: { json?: boolean }) => {
      await withCore(async (g) => {
        const now = await roots(g)
        // From the defaults: all but this shell's folder (a default of each process's own start folder).
        const base = now.source === 'default' ? now.roots.filter((r) => r !== process.cwd()) : now.roots
        print(await setRoots(g, [...new Set([...base, ...dirs.map((d) => resolve(d))])]), o.json)
        if (now.source === 'env') warnEnv()
      })
    })
  cmd
    .command('remove <dir...>')
    .description('stop allowing these folders')
    .option('--json', 'print as JSON')
    .action(async (dirs: string[], o: { json?: boolean }) => {
      await withCore(async (g) => {
        const gone = new Set(dirs.map((d) => resolve(d)))
        const now = await roots(g)
        print(
          await setRoots(
            g,
            now.roots.filter((r) => !gone.has(r)),
          ),
          o.json,
        )
        if (now.source === 'env') warnEnv()
      })
    })
}
