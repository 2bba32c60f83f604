// A file access narrowed to one folder: what it opens, lists or resolves must really be inside
// `dir` (links resolved), on top of the access's own policy. A scan of a model repository uses it
// so that a config.pbtxt or a version folder linked out of the repository is refused.
import { resolve, sep } from 'node:path'
import { GantryError } from '../errors'
import type { FileAccess } from './local-files'

export async function within(files: FileAccess, dir: string, what: string): Promise<FileAccess> {
  const root = await files.resolve(dir, { what, kind: 'dir' })
  const inside = (real: string): boolean => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep)
  const out = (path: string, real: string): GantryError =>
    new GantryError('files/refused', `${path} leads to ${real}, outside the ${what} ${root}: refused`)
  const checked = async (path: string): Promise<string> => {
    const real = await files.resolve(path, { what: `a path in the ${what}` })
    if (!inside(real)) throw out(resolve(path), real)
    return real
  }
  return {
    policy: files.policy,
    async open(path, o) {
      const f = await files.open(path, o)
      if (!inside(f.realPath)) {
        await f.close()
        throw out(resolve(path), f.realPath)
      }
      return f
    },
    async resolve(path, o) {
      const real = await files.resolve(path, o)
      if (!inside(real)) throw out(resolve(path), real)
      return real
    },
    async resolveNew(path, o) {
      const real = await files.resolveNew(path, o)
      if (!inside(real)) throw out(resolve(path), real)
      return real
    },
    async list(path, o) {
      await checked(path)
      return files.list(path, o)
    },
    async stat(path) {
      try {
        await checked(path)
      } catch {
        return null
      }
      return files.stat(path)
    },
  }
}
