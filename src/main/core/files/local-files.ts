// Reading operator-supplied files on this machine without letting one freeze or exhaust Gantry:
// a file is opened non-blocking (a FIFO's open would wait for a writer) and checked on the open
// descriptor — a regular file, within the allowed roots by the path the descriptor really has
// (/proc/self/fd, so a link swapped after the check cannot redirect it), under a size cap — and is
// read only up to the size it had when opened (a file that keeps growing, /dev/zero's kind of
// input, cannot make a reader run forever). Folders are resolved and checked the same way.
import { constants, type Stats } from 'node:fs'
import { open, readdir, readlink, realpath, stat, type FileHandle } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { GantryError, errorMessage } from '../errors'
import type { PathPolicy } from './policy'

export interface OpenFile {
  /** The path as given (absolute). */
  path: string
  /** Where it really is (links resolved). */
  realPath: string
  /** Its size when opened: readers never read past it. */
  size: number
  mtimeMs: number
  ino: number
  /** Positional read into `buf`; returns the bytes read (0 at the end). */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>
  /** A stream of the file from `start` to the size at open (or `end`, exclusive). */
  stream(o?: { start?: number; end?: number; signal?: AbortSignal }): Readable
  /** The whole file, as text. */
  text(): Promise<string>
  close(): Promise<void>
}

export interface DirEntry {
  name: string
  kind: 'file' | 'dir' | 'link' | 'other'
}

export interface FileAccess {
  readonly policy: PathPolicy
  /** Opens a regular file to read. `what` names it in errors ("the reference dataset"). */
  open(path: string, o?: { what?: string; maxBytes?: number }): Promise<OpenFile>
  /** The real path of an existing folder (or file, with `kind`), checked against the policy. */
  resolve(path: string, o?: { what?: string; kind?: 'file' | 'dir' | 'any' }): Promise<string>
  /** A path that may not exist yet (a target link): its nearest existing ancestor is resolved and checked. */
  resolveNew(path: string, o?: { what?: string }): Promise<string>
  /** A folder's entries (names sorted), within the policy. */
  list(dir: string, o?: { what?: string }): Promise<DirEntry[]>
  /** stat() of a path in an allowed folder, following links; null when it does not exist. */
  stat(path: string): Promise<Stats | null>
}

function refused(message: string): GantryError {
  return new GantryError('files/refused', message)
}

export function kindOf(st: Stats): string {
  if (st.isFile()) return 'regular file'
  if (st.isDirectory()) return 'folder'
  if (st.isFIFO()) return 'FIFO (named pipe)'
  if (st.isCharacterDevice()) return 'character device'
  if (st.isBlockDevice()) return 'block device'
  if (st.isSocket()) return 'socket'
  if (st.isSymbolicLink()) return 'symbolic link'
  return 'special file'
}

function missing(path: string, what: string, err: unknown): GantryError {
  const code = (err as { code?: string }).code
  if (code === 'ENOENT' || code === 'ENOTDIR') return new GantryError('files/missing', `${what} ${path} does not exist`)
  if (code === 'ENXIO') return refused(`${what} ${path} is a socket or device without a reader, not a regular file`)
  if (code === 'EACCES' || code === 'EPERM') return refused(`${what} ${path} cannot be read by Gantry's user: ${code}`)
  return new GantryError('files/unreadable', `${what} ${path}: ${errorMessage(err)}`)
}

/** The path the open descriptor really has (Linux), else the realpath of the name. */
async function realOf(fh: FileHandle, path: string): Promise<string> {
  try {
    return await readlink(`/proc/self/fd/${fh.fd}`)
  } catch {
    return realpath(path)
  }
}

export function createLocalFiles(policy: PathPolicy): FileAccess {
  const check = (real: string, what: string, given: string): void => {
    const why = policy.refusal(real)
    if (why) throw refused(`${what} ${given}${real !== given ? ` (which leads to ${real})` : ''} ${why}`)
  }

  async function resolveExisting(path: string, what: string, kind: 'file' | 'dir' | 'any'): Promise<string> {
    const abs = resolve(path)
    let real: string
    let st: Stats
    try {
      real = await realpath(abs)
      st = await stat(real)
    } catch (err) {
      throw missing(abs, what, err)
    }
    check(real, what, abs)
    if (kind === 'dir' && !st.isDirectory()) throw refused(`${what} ${abs} is a ${kindOf(st)}, not a folder`)
    if (kind === 'file' && !st.isFile()) throw refused(`${what} ${abs} is a ${kindOf(st)}, not a regular file`)
    if (kind === 'any' && !st.isFile() && !st.isDirectory()) {
      throw refused(`${what} ${abs} is a ${kindOf(st)}, not a regular file or folder`)
    }
    return real
  }

  return {
    policy,
    async open(path, o = {}) {
      const what = o.what ?? 'file'
      const abs = resolve(path)
      // Where it leads is judged before anything is opened: opening some devices does something
      // (a tape rewinds, a watchdog arms), so a path into /dev is never opened at all.
      let before: string
      try {
        before = await realpath(abs)
      } catch (err) {
        throw missing(abs, what, err)
      }
      check(before, what, abs)
      let fh: FileHandle
      try {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, holding one of
        // libuv's four threads for good. It changes nothing for a regular file.
        fh = await open(before, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY)
      } catch (err) {
        throw missing(abs, what, err)
      }
      try {
        const st = await fh.stat()
        if (!st.isFile()) throw refused(`${what} ${abs} is a ${kindOf(st)}, not a regular file`)
        // And what was opened is still where it should be (a link swapped after the check).
        const real = await realOf(fh, before)
        check(real, what, abs)
        if (o.maxBytes !== undefined && st.size > o.maxBytes) {
          throw new GantryError(
            'files/too-large',
            `${what} ${abs} is ${st.size} bytes, over the ${o.maxBytes}-byte limit for it`,
          )
        }
        const size = st.size
        return {
          path: abs,
          realPath: real,
          size,
          mtimeMs: st.mtimeMs,
          ino: st.ino,
          async read(buf, offset, length, position) {
            const n = Math.max(0, Math.min(length, size - position))
            if (n === 0) return 0
            return (await fh.read(buf, offset, n, position)).bytesRead
          },
          stream(so = {}) {
            const start = so.start ?? 0
            const end = Math.min(so.end ?? size, size)
            if (end <= start) return Readable.from([])
            // Over the descriptor (closed by close(), not by the stream), ending at the size at open.
            return fh.createReadStream({ start, end: end - 1, autoClose: false, signal: so.signal })
          },
          async text() {
            const buf = Buffer.allocUnsafe(size)
            let done = 0
            while (done < size) {
              const { bytesRead } = await fh.read(buf, done, size - done, done)
              if (bytesRead === 0) break
              done += bytesRead
            }
            return buf.subarray(0, done).toString('utf8')
          },
          close: () => fh.close().catch(() => {}),
        }
      } catch (err) {
        await fh.close().catch(() => {})
        throw err
      }
    },
    resolve: (path, o = {}) => resolveExisting(path, o.what ?? 'path', o.kind ?? 'any'),
    async resolveNew(path, o = {}) {
      const what = o.what ?? 'path'
      const abs = resolve(path)
      // The nearest ancestor that exists decides where the new path would lead.
      let dir = abs
      let rest: string[] = []
      for (;;) {
        try {
          const real = await realpath(dir)
          const full = join(real, ...rest)
          check(full, what, abs)
          return full
        } catch (err) {
          if (err instanceof GantryError) throw err
          const code = (err as { code?: string }).code
          if (code !== 'ENOENT' && code !== 'ENOTDIR') throw missing(abs, what, err)
          const parent = dirname(dir)
          if (parent === dir) throw missing(abs, what, err)
          rest = [dir.slice(parent.length).replace(/^\//, ''), ...rest]
          dir = parent
        }
      }
    },
    async list(dir, o = {}) {
      const what = o.what ?? 'folder'
      const real = await resolveExisting(dir, what, 'dir')
      let entries
      try {
        entries = await readdir(real, { withFileTypes: true })
      } catch (err) {
        throw missing(resolve(dir), what, err)
      }
      return entries
        .map((e) => ({
          name: e.name,
          kind: e.isFile() ? 'file' : e.isDirectory() ? 'dir' : e.isSymbolicLink() ? 'link' : 'other',
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) as DirEntry[]
    },
    async stat(path) {
      const abs = resolve(path)
      try {
        const real = await realpath(abs)
        if (policy.refusal(real)) return null
        return await stat(real)
      } catch {
        return null
      }
    },
  }
}
