// Where paths that arrive through the API may lead: the allowed roots (the folders the operator
// said models, datasets and logs live in) minus what is never an input (the kernel's and the
// devices' trees, /etc, Gantry's own database, secrets and token). A path is judged by where it
// really leads (symlinks resolved), so a link out of an allowed folder is refused.
import { homedir, tmpdir } from 'node:os'
import { isAbsolute, join, posix, resolve, sep } from 'node:path'

export interface PathPolicy {
  /** Real paths of the folders paths may lead into. */
  readonly roots: readonly string[]
  /** Why a real path is refused ("is under /etc, …"), or null when it may be used. */
  refusal(realPath: string): string | null
}

/** Folders where models, datasets and logs usually live, allowed when the operator named none. */
export function defaultRoots(dataDir: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const home = env.HOME || homedir()
  return [
    // Where Gantry was started (as Jupyter serves its start folder) — unless that is / (a service).
    ...(resolve(cwd) === '/' ? [] : [cwd]),
    home,
    join(dataDir, 'artifacts'),
    tmpdir(),
    '/data',
    '/srv',
    '/mnt',
    '/media',
    '/opt',
    '/models',
    '/var/lib/gantry',
  ]
}

/** Roots from GANTRY_ROOTS (colon-separated absolute paths), else `stored`, else the defaults. */
export function configuredRoots(
  dataDir: string,
  stored: readonly string[] | null,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const fromEnv = env.GANTRY_ROOTS?.split(':').filter((p) => p.trim() !== '')
  const list = fromEnv?.length ? fromEnv : stored?.length ? [...stored] : defaultRoots(dataDir, env)
  return list.filter((p) => isAbsolute(p)).map((p) => resolve(p))
}

/** Never an input, whatever the roots say (unless a root is inside one of them on purpose). */
export const NEVER_ROOTS: readonly string[] = ['/proc', '/sys', '/dev', '/run', '/boot', '/etc']
const NEVER = NEVER_ROOTS
/** Gantry's own private files in its data directory. */
const PRIVATE = /^(gantry\.db(-wal|-shm|-journal)?|gantry\.db\..*\.bak|secrets\.json|server-token|server\.json)$/

const within = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep)

/** `roots` is asked on every check, so a change (`gantry roots add`) applies at once. */
export function createPathPolicy(roots: () => readonly string[], dataDir: string | null): PathPolicy {
  const data = dataDir === null ? null : resolve(dataDir)
  // Gantry's own managed copies of artifacts are always readable, whatever the operator's roots.
  const current = (): string[] => [
    ...new Set([...roots(), ...(dataDir === null ? [] : [join(dataDir, 'artifacts')])].map((r) => resolve(r))),
  ]
  return {
    get roots() {
      return current()
    },
    refusal(p) {
      const real = current()
      // Under a never-read tree only through a root the operator set inside it on purpose.
      const bad = NEVER.find((n) => within(p, n) && !real.some((r) => within(r, n) && within(p, r)))
      if (bad) return `is under ${bad}, which Gantry never reads as an input`
      if (data !== null && within(p, data) && PRIVATE.test(p.slice(data.length + 1))) {
        return "is one of Gantry's own private files"
      }
      if (!real.some((r) => within(p, r))) {
        return (
          `is outside the folders Gantry may read (${real.join(', ') || 'none'}): ` +
          (data === null
            ? 'on other hosts those are GANTRY_REMOTE_ROOTS on the machine running Gantry'
            : 'add its folder with `gantry roots add DIR` (or GANTRY_ROOTS) on the machine running Gantry')
        )
      }
      return null
    },
  }
}

/** A policy that allows every path (what the CLI's own parsing of a file it was handed uses). */
export const ANY_PATH: PathPolicy = { roots: ['/'], refusal: () => null }

/** Where models, datasets and logs usually live on a server (an SSH host has no Gantry data dir). */
export const REMOTE_DEFAULT_ROOTS: readonly string[] = [
  '/data',
  '/srv',
  '/mnt',
  '/media',
  '/opt',
  '/models',
  '/scratch',
  '/var/lib/gantry',
  '/home',
  '/tmp',
]

/** The allowed roots on SSH hosts: GANTRY_REMOTE_ROOTS (colon-separated), else the defaults. */
export function remoteRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = env.GANTRY_REMOTE_ROOTS?.split(':').filter((p) => isAbsolute(p.trim()))
  return (fromEnv?.length ? fromEnv : [...REMOTE_DEFAULT_ROOTS]).map((p) => posix.normalize(p.trim()))
}
