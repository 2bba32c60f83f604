// A small file read at once, synchronously, that never blocks on what is not a regular file: opened
// O_NONBLOCK (a FIFO would otherwise wait for a writer and freeze the event loop), checked to be a
// regular file, and read only up to a limit. For configuration files — ~/.ssh/config, known_hosts,
// a private key — that are read in a handful of bytes and must never hold the process.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'

export class SmallFileError extends Error {
  constructor(
    readonly reason: 'missing' | 'not-a-file' | 'too-large' | 'unreadable',
    message: string,
  ) {
    super(message)
  }
}

export function readSmallFileSync(path: string, maxBytes: number): Buffer {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new SmallFileError(
      code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable',
      `${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    )
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new SmallFileError('not-a-file', `${path} is not a regular file`)
    if (st.size > maxBytes) throw new SmallFileError('too-large', `${path} is ${st.size} bytes, over ${maxBytes}`)
    const buf = Buffer.alloc(st.size)
    let off = 0
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off)
      if (n === 0) break
      off += n
    }
    return buf.subarray(0, off)
  } finally {
    closeSync(fd)
  }
}

/** The file's text, or null when it does not exist, is no regular file, is too large or unreadable. */
export function readSmallTextOrNull(path: string, maxBytes: number): string | null {
  try {
    return readSmallFileSync(path, maxBytes).toString('utf8')
  } catch {
    return null
  }
}
