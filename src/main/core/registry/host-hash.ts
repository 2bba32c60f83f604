// An artifact's sha256 computed on the host it is on — `sha256sum` there, never its bytes carried
// over the network — with the registry's own manifest rules (hash.ts): a file's digest is its
// sha256; a folder's is the sha256 of its `<sha256>  <relative/path>` lines, one per regular file
// (links followed), sorted by path. Every file is checked against that host's allowed roots
// first: a link in the folder that leads outside them is refused, as locally.
import { posix } from 'node:path'
import { GantryError } from '../errors'
import type { HostAccess } from '../hosts/access'
import { manifestDigest } from './hash'

/** Long enough for tens of GB at disk speed; the caller's signal ends it sooner. */
const HASH_TIMEOUT_MS = 60 * 60_000
const HEX = /^[0-9a-f]{64}$/

export async function hashOnHost(
  access: HostAccess,
  host: string,
  path: string,
  signal?: AbortSignal,
): Promise<{ kind: 'file' | 'dir'; sha256: string; files: number }> {
  const real = await access.files.resolve(path, { what: 'artifact', kind: 'any' }).catch((err: unknown) => {
    if ((err as { code?: string }).code === 'files/missing') {
      throw new GantryError('registry/artifact-missing', `artifact ${path} does not exist on ${host}`)
    }
    throw err
  })
  const st = await access.files.stat(real)
  if (!st) throw new GantryError('registry/artifact-missing', `artifact ${path} does not exist on ${host}`)
  const fail = (r: {
    error: string | null
    notFound: boolean
    timedOut: boolean
    stderr: string
    code: number | null
  }) =>
    new GantryError(
      'registry/artifact-unreadable',
      r.notFound
        ? `sha256sum is not installed on ${host}: the artifact cannot be verified there`
        : `cannot hash ${path} on ${host}: ${r.error ?? (r.timedOut ? 'no end within the deadline' : r.stderr.trim().slice(-300) || `exit ${r.code}`)}`,
    )
  if (st.isFile()) {
    const r = await access.run(['sha256sum', '--', real], { timeoutMs: HASH_TIMEOUT_MS, signal, maxBytes: 64 * 1024 })
    const sha = r.stdout.slice(0, 64)
    if (r.code !== 0 || !HEX.test(sha)) throw fail(r)
    return { kind: 'file', sha256: sha, files: 1 }
  }
  if (!st.isDirectory()) {
    throw new GantryError('files/refused', `artifact ${path} on ${host} is neither a regular file nor a folder`)
  }
  // -z: NUL after each line and names unescaped (a name may hold a newline).
  const script = 'cd -- "$1" && find -L . -type f -print0 | xargs -0 -r sha256sum -z --'
  const r = await access.run(['sh', '-c', script, 'sh', real], {
    timeoutMs: HASH_TIMEOUT_MS,
    signal,
    maxBytes: 64 * 1024 * 1024,
  })
  if (r.code !== 0) throw fail(r)
  const files: { path: string; sha256: string }[] = []
  for (const entry of r.stdout.split('\0')) {
    if (!entry) continue
    const sha = entry.slice(0, 64)
    const rel = entry.slice(66).replace(/^\.\//, '')
    if (!HEX.test(sha) || entry.slice(64, 66) !== '  ' || !rel)
      throw fail({ ...r, stderr: `unexpected line ${JSON.stringify(entry.slice(0, 120))}` })
    files.push({ path: rel, sha256: sha })
  }
  if (!files.length) throw new GantryError('registry/artifact-unreadable', `folder ${path} on ${host} holds no files`)
  // Each file must lead into the host's allowed roots (a link out of the folder is refused).
  for (let i = 0; i < files.length; i += 32) {
    await Promise.all(
      files
        .slice(i, i + 32)
        .map((f) => access.files.resolve(posix.join(real, f.path), { what: 'a file of the artifact' })),
    )
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { kind: 'dir', sha256: manifestDigest(files), files: files.length }
}
