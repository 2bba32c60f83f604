// Artifact and dataset fingerprints: a streaming sha256 (artifacts can be tens of GB, so nothing
// is read whole), with progress. A folder's digest is the sha256 of its manifest — one
// `<sha256>  <relative/path>` line per regular file, sorted by path, as `sha256sum` prints — so
// two folders with the same files in the same places hash the same wherever they live.
import { createHash } from 'node:crypto'
import { lstat, open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { GantryError, errorMessage } from '../errors'
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
  path: string,
  onChunk: (bytes: number) => void = () => {},
  signal?: AbortSignal,
  countLines = false,
): Promise<{ sha256: string; sizeBytes: number; newlines: number; endsWithNewline: boolean }> {
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (err) {
    throw unreadable(path, err)
  }
  const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)]
  let next: Promise<{ bytesRead: number }> | null = null
  try {
    const h = createHash('sha256')
    let size = 0
    let newlines = 0
    let last = -1
    let k = 0
    next = fh.read(bufs[k], 0, CHUNK, null)
    for (;;) {
      signal?.throwIfAborted()
      const { bytesRead } = await next
      next = null
      if (bytesRead === 0) break
      const b = bufs[k].subarray(0, bytesRead)
      k ^= 1
      next = fh.read(bufs[k], 0, CHUNK, null)
      h.update(b)
      size += bytesRead
      if (countLines) for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) newlines++
      last = b[bytesRead - 1]
      onChunk(bytesRead)
    }
    return { sha256: h.digest('hex'), sizeBytes: size, newlines, endsWithNewline: last === 10 }
  } catch (err) {
    throw unreadable(path, err)
  } finally {
    // A read still in flight (an abort, a failed read) lands before the file is closed.
    await next?.catch(() => {})
    await fh.close().catch(() => {})
  }
}

/** The regular files under `dir` (following links to files, never into a folder twice). */
async function listFiles(dir: string): Promise<{ abs: string; rel: string; size: number }[]> {
  const out: { abs: string; rel: string; size: number }[] = []
  const seen = new Set<string>()
  async function walk(d: string): Promise<void> {
    const real = await realpath(d)
    if (seen.has(real)) return
    seen.add(real)
    const entries = await readdir(d, { withFileTypes: true })
    for (const e of entries) {
      const abs = join(d, e.name)
      const st = e.isSymbolicLink() ? await stat(abs) : null
      if (e.isDirectory() || st?.isDirectory()) await walk(abs)
      else if (e.isFile() || st?.isFile()) {
        out.push({ abs, rel: relative(dir, abs).split(sep).join('/'), size: (st ?? (await stat(abs))).size })
      }
    }
  }
  await walk(dir)
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))
}

/** Hashes a file or a folder, reporting progress against the total size. */
export async function hashArtifact(
  path: string,
  onBytes: OnBytes = () => {},
  signal?: AbortSignal,
): Promise<HashedArtifact> {
  let st
  try {
    st = await lstat(path)
    if (st.isSymbolicLink()) st = await stat(path)
  } catch (err) {
    throw unreadable(path, err)
  }
  if (st.isFile()) {
    let done = 0
    const r = await hashFile(path, (n) => onBytes((done += n), st.size, path), signal)
    return { kind: 'file', sha256: r.sha256, sizeBytes: r.sizeBytes, files: [] }
  }
  if (!st.isDirectory()) {
    throw new GantryError('registry/artifact-unreadable', `${path} is neither a file nor a folder`)
  }
  let files
  try {
    files = await listFiles(path)
  } catch (err) {
    throw unreadable(path, err)
  }
  if (files.length === 0) throw new GantryError('registry/artifact-unreadable', `folder ${path} holds no files`)
  const total = files.reduce((a, f) => a + f.size, 0)
  let done = 0
  const hashed: HashedArtifact['files'] = []
  for (const f of files) {
    const r = await hashFile(f.abs, (n) => onBytes((done += n), total, f.rel), signal)
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
  path: string,
): Promise<{ sha256: string; sizeBytes: number; rows: number | null }> {
  const r = await hashFile(path, undefined, undefined, true)
  const lines = r.newlines + (r.endsWithNewline || r.sizeBytes === 0 ? 0 : 1)
  const lower = path.toLowerCase()
  let rows: number | null = null
  if (/\.(jsonl|ndjson)(\.|$)/.test(lower)) rows = lines
  else if (/\.(csv|tsv)$/.test(lower)) rows = Math.max(0, lines - 1)
  else if (lower.endsWith('.parquet')) rows = await parquetRowCount(path).catch(() => null)
  return { sha256: r.sha256, sizeBytes: r.sizeBytes, rows }
}
