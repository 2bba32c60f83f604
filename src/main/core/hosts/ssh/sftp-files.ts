// Files on an SSH host through SFTP, with the same rules as this machine's file access: a path is
// resolved on that host (realpath there) and checked against that host's allowed roots, a file
// must be a regular file — checked before it is opened, since the host's sftp-server would block
// on a FIFO — and it is read only up to the size it had when opened.
import { Readable } from 'node:stream'
import type { SFTPWrapper, Stats as SftpStats } from 'ssh2'
import type { Stats } from 'node:fs'
import { posix } from 'node:path'
import { GantryError } from '../../errors'
import type { DirEntry, FileAccess, OpenFile } from '../../files/local-files'
import type { PathPolicy } from '../../files/policy'

const S_IFMT = 0o170000
const KINDS: Record<number, string> = {
  0o100000: 'regular file',
  0o040000: 'folder',
  0o010000: 'FIFO (named pipe)',
  0o020000: 'character device',
  0o060000: 'block device',
  0o140000: 'socket',
  0o120000: 'symbolic link',
}
const kindOfMode = (mode: number): string => KINDS[mode & S_IFMT] ?? 'special file'
const isFile = (mode: number): boolean => (mode & S_IFMT) === 0o100000
const isDir = (mode: number): boolean => (mode & S_IFMT) === 0o040000

function call<T>(f: (cb: (err: Error | null | undefined, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v))))
}

const noEntry = (err: unknown): boolean => /no such file|ENOENT|not found/i.test(String((err as Error)?.message))

/** An fs.Stats-like object from SFTP attributes (what the readers ask of it). */
function asStats(a: SftpStats): Stats {
  const mode = a.mode
  return {
    size: a.size,
    mtimeMs: a.mtime * 1000,
    ino: 0,
    mode,
    isFile: () => isFile(mode),
    isDirectory: () => isDir(mode),
    isFIFO: () => (mode & S_IFMT) === 0o010000,
    isSymbolicLink: () => (mode & S_IFMT) === 0o120000,
    isCharacterDevice: () => (mode & S_IFMT) === 0o020000,
    isBlockDevice: () => (mode & S_IFMT) === 0o060000,
    isSocket: () => (mode & S_IFMT) === 0o140000,
  } as unknown as Stats
}

export function createSftpFiles(host: string, sftp: () => Promise<SFTPWrapper>, policy: PathPolicy): FileAccess {
  const where = (p: string): string => `${p} on ${host}`
  const refused = (m: string): GantryError => new GantryError('files/refused', m)
  const missing = (p: string, what: string): GantryError =>
    new GantryError('files/missing', `${what} ${where(p)} does not exist`)

  async function real(path: string, what: string): Promise<string> {
    const s = await sftp()
    try {
      return await call<string>((cb) => s.realpath(path, cb))
    } catch (err) {
      if (noEntry(err)) throw missing(path, what)
      throw new GantryError('files/unreadable', `${what} ${where(path)}: ${(err as Error).message}`)
    }
  }
  function check(r: string, what: string, given: string): void {
    const why = policy.refusal(r)
    if (why) throw refused(`${what} ${where(given)}${r !== given ? ` (which leads to ${r})` : ''} ${why}`)
  }
  async function statReal(r: string, what: string, given: string): Promise<SftpStats> {
    const s = await sftp()
    try {
      return await call<SftpStats>((cb) => s.stat(r, cb))
    } catch (err) {
      if (noEntry(err)) throw missing(given, what)
      throw new GantryError('files/unreadable', `${what} ${where(given)}: ${(err as Error).message}`)
    }
  }

  return {
    policy,
    async open(path, o = {}) {
      const what = o.what ?? 'file'
      const r = await real(path, what)
      check(r, what, path)
      const st = await statReal(r, what, path)
      if (!isFile(st.mode)) throw refused(`${what} ${where(path)} is a ${kindOfMode(st.mode)}, not a regular file`)
      if (o.maxBytes !== undefined && st.size > o.maxBytes) {
        throw new GantryError(
          'files/too-large',
          `${what} ${where(path)} is ${st.size} bytes, over the ${o.maxBytes}-byte limit for it`,
        )
      }
      const s = await sftp()
      const handle = await call<Buffer>((cb) => s.open(r, 'r', cb))
      const size = st.size
      let closed = false
      const read = async (buf: Buffer, offset: number, length: number, position: number): Promise<number> => {
        const n = Math.max(0, Math.min(length, size - position))
        if (n === 0) return 0
        return call<number>((cb) => s.read(handle, buf, offset, n, position, (err, bytes) => cb(err, bytes)))
      }
      const file: OpenFile = {
        path,
        realPath: r,
        size,
        mtimeMs: st.mtime * 1000,
        ino: 0,
        read,
        stream(so = {}) {
          let pos = so.start ?? 0
          const end = Math.min(so.end ?? size, size)
          return new Readable({
            signal: so.signal,
            read() {
              if (pos >= end) return void this.push(null)
              const buf = Buffer.allocUnsafe(Math.min(64 * 1024, end - pos))
              read(buf, 0, buf.length, pos).then(
                (n) => {
                  pos += n
                  this.push(n === 0 ? null : buf.subarray(0, n))
                },
                (err: Error) => this.destroy(err),
              )
            },
          })
        },
        async text() {
          const buf = Buffer.allocUnsafe(size)
          let done = 0
          while (done < size) {
            const n = await read(buf, done, size - done, done)
            if (n === 0) break
            done += n
          }
          return buf.subarray(0, done).toString('utf8')
        },
        async close() {
          if (closed) return
          closed = true
          await call<void>((cb) => s.close(handle, (err) => cb(err, undefined))).catch(() => {})
        },
      }
      return file
    },
    async resolve(path, o = {}) {
      const what = o.what ?? 'path'
      const r = await real(path, what)
      check(r, what, path)
      const st = await statReal(r, what, path)
      const kind = o.kind ?? 'any'
      if (kind === 'dir' && !isDir(st.mode))
        throw refused(`${what} ${where(path)} is a ${kindOfMode(st.mode)}, not a folder`)
      if (kind === 'file' && !isFile(st.mode))
        throw refused(`${what} ${where(path)} is a ${kindOfMode(st.mode)}, not a regular file`)
      if (kind === 'any' && !isFile(st.mode) && !isDir(st.mode)) {
        throw refused(`${what} ${where(path)} is a ${kindOfMode(st.mode)}, not a regular file or folder`)
      }
      return r
    },
    async resolveNew(path, o = {}) {
      const what = o.what ?? 'path'
      let dir = posix.resolve(path)
      const rest: string[] = []
      for (;;) {
        try {
          const r = await real(dir, what)
          const full = posix.join(r, ...rest)
          check(full, what, path)
          return full
        } catch (err) {
          if ((err as GantryError).code !== 'files/missing') throw err
          const parent = posix.dirname(dir)
          if (parent === dir) throw err
          rest.unshift(posix.basename(dir))
          dir = parent
        }
      }
    },
    async list(dir, o = {}) {
      const what = o.what ?? 'folder'
      const r = await this.resolve(dir, { what, kind: 'dir' })
      const s = await sftp()
      const entries = await call<{ filename: string; attrs: SftpStats }[]>((cb) => s.readdir(r, cb))
      return entries
        .map((e): DirEntry => ({
          name: e.filename,
          kind: isFile(e.attrs.mode)
            ? 'file'
            : isDir(e.attrs.mode)
              ? 'dir'
              : (e.attrs.mode & S_IFMT) === 0o120000
                ? 'link'
                : 'other',
        }))
        .filter((e) => e.name !== '.' && e.name !== '..')
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    },
    async stat(path) {
      try {
        const r = await real(path, 'path')
        if (policy.refusal(r)) return null
        const s = await sftp()
        return asStats(await call<SftpStats>((cb) => s.stat(r, cb)))
      } catch {
        return null
      }
    },
  }
}
