// Artifact and dataset fingerprints: a streaming sha256 (artifacts can be tens of GB, so nothing
// is read whole), with progress. A folder's digest is the sha256 of its manifest — one
// `<sha256>  <relative/path>` line per regular file, sorted by path, as `sha256sum` prints — so
// two folders with the same files in the same places hash the same wherever they live.
// Every file is opened through the file access: regular files in the allowed folders only, read
// up to their size when opened, stopped by the caller's signal.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { GantryError, errorMessage } from '../errors'
import type { FileAccess, OpenFile } from '../files/local-files'
import { parquetRowCount } from '../drift/parquet'

export interface HashedArtifact {
  kind: 'file' | 'dir'
  sha256: string
  sizeBytes: number
  files: { path: string; sizeBytes: number; sha256: string }[]
}

export type OnBytes = (done: number, total: number, file: string | null) => void

const CHUNK = 4 << 20

function unreadable(path: string, err: unknown): GantryError {
  if (err instanceof GantryError) {
    if (err.code === 'files/missing')
      return new GantryError('registry/artifact-missing', `artifact ${path} does not exist`)
    return err
  }
  const code = (err as { code?: string }).code
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new GantryError('registry/artifact-missing', `artifact ${path} does not exist`, { cause: err })
  }
  return new GantryError('registry/artifact-unreadable', `cannot read ${path}: ${errorMessage(err)}`, { cause: err })
}

/** sha256 of one file, streamed; `onChunk` gets each chunk's size. Also counts newlines when
 *  asked (dataset rows; an artifact's bytes are not scanned for them). Two reused buffers: the
 *  next chunk is read while this one is hashed, and no buffer is allocated per chunk (measured on
 *  the 2-core VM: 64 MiB in 57 ms against 75 ms through a read stream with a newline scan). */
export async function hashFile(
  files: FileAccess,
  path: string,
  onChunk: (bytes: number) => void = () => {},
  signal?: AbortSignal,
  countLines = false,
  what = 'artifact',
): Promise<{ sha256: string; sizeBytes: number; newlines: number; endsWithNewline: boolean }> {
  let fh: OpenFile
  try {
    fh = await files.open(path, { what })
  } catch (err) {
    throw unreadable(path, err)
  }
  const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)]
  let next: Promise<number> | null = null
  let pos = 0
  try {
    const h = createHash('sha256')
    let size = 0
    let newlines = 0
    let last = -1
    let k = 0
    next = fh.read(bufs[k], 0, CHUNK, pos)
    for (;;) {
      signal?.throwIfAborted()
      const bytesRead = await next
      next = null
      if (bytesRead === 0) break
      pos += bytesRead
      const b = bufs[k].subarray(0, bytesRead)
      k ^= 1
      next = fh.read(bufs[k], 0, CHUNK, pos)
      h.update(b)
      size += bytesRead
      if (countLines) for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) newlines++
      last = b[bytesRead - 1]
      onChunk(bytesRead)
    }
    return { sha256: h.digest('hex'), sizeBytes: size, newlines, endsWithNewline: last === 10 }
  } catch (err) {
    if (signal?.aborted) throw signal.reason
    throw unreadable(path, err)
  } finally {
    // A read still in flight (an abort, a failed read) lands before the file is closed.
    await next?.catch(() => {})
    await fh.close()
  }
}

/** The regular files under `dir` (following links to files and folders in the allowed roots,
 *  never into a folder twice); a link that leads outside them is refused, not skipped. */
async function listFiles(files: FileAccess, dir: string): Promise<{ abs: string; rel: string; size: number }[]> {
  const out: { abs: string; rel: string; size: number }[] = []
  const seen = new Set<string>()
  async function walk(d: string, rel: string): Promise<void> {
    const real = await files.resolve(d, { what: 'artifact folder', kind: 'dir' })
    if (seen.has(real)) return
    seen.add(real)
    for (const e of await files.list(d, { what: 'artifact folder' })) {
      const abs = join(d, e.name)
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.kind === 'dir') await walk(abs, r)
      else if (e.kind === 'file' || e.kind === 'link') {
        if (e.kind === 'link') {
          const target = await files.resolve(abs, { what: 'a link in the artifact folder' })
          const st = await files.stat(target)
          if (st?.isDirectory()) {
            await walk(abs, r)
            continue
          }
        }
        const st = await files.stat(abs)
        if (st?.isFile()) out.push({ abs, rel: r, size: st.size })
      }
      // FIFOs, sockets and devices are not part of an artifact: left out of its manifest.
    }
  }
  await walk(dir, '')
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))
}

/** Hashes a file or a folder, reporting progress against the total size. */
export async function hashArtifact(
  files: FileAccess,
  path: string,
  onBytes: OnBytes = () => {},
  signal?: AbortSignal,
): Promise<HashedArtifact> {
  let st
  try {
    const real = await files.resolve(path, { what: 'artifact', kind: 'any' })
    st = await files.stat(real)
  } catch (err) {
    throw unreadable(path, err)
  }
  if (!st) throw new GantryError('registry/artifact-missing', `artifact ${path} does not exist`)
  if (st.isFile()) {
    let done = 0
    const size = st.size
    const r = await hashFile(files, path, (n) => onBytes((done += n), size, path), signal)
    return { kind: 'file', sha256: r.sha256, sizeBytes: r.sizeBytes, files: [] }
  }
  let list
  try {
    list = await listFiles(files, path)
  } catch (err) {
    throw unreadable(path, err)
  }
  if (list.length === 0) throw new GantryError('registry/artifact-unreadable', `folder ${path} holds no files`)
  const total = list.reduce((a, f) => a + f.size, 0)
  let done = 0
  const hashed: HashedArtifact['files'] = []
  for (const f of list) {
    const r = await hashFile(files, f.abs, (n) => onBytes((done += n), total, f.rel), signal)
    hashed.push({ path: f.rel, sizeBytes: r.sizeBytes, sha256: r.sha256 })
  }
  return { kind: 'dir', sha256: manifestDigest(hashed), sizeBytes: done, files: hashed }
}

export function manifestDigest(files: readonly { path: string; sha256: string }[]): string {
  const h = createHash('sha256')
  for (const f of files) h.update(`${f.sha256}  ${f.path}\n`)
  return h.digest('hex')
}

/** A dataset's fingerprint: sha256, size, and rows for CSV (header excluded), JSONL and Parquet
 *  (its footer's count; null when the footer is unreadable — the hash still stands). */
export async function fingerprintDataset(
  files: FileAccess,
  path: string,
  signal?: AbortSignal,
): Promise<{ sha256: string; sizeBytes: number; rows: number | null }> {
  const r = await hashFile(files, path, undefined, signal, true, 'dataset')
  const lines = r.newlines + (r.endsWithNewline || r.sizeBytes === 0 ? 0 : 1)
  const lower = path.toLowerCase()
  let rows: number | null = null
  if (/\.(jsonl|ndjson)(\.|$)/.test(lower)) rows = lines
  else if (/\.(csv|tsv)$/.test(lower)) rows = Math.max(0, lines - 1)
  else if (lower.endsWith('.parquet')) rows = await parquetRowCount(files, path).catch(() => null)
  return { sha256: r.sha256, sizeBytes: r.sizeBytes, rows }
}
