// The one place endpoint credentials live. The database holds only a reference; the secret itself
// goes to a store chosen by the door:
//   - desktop: Electron safeStorage (OS keychain / DPAPI / libsecret) encrypts it into
//     secrets.enc.json — and where safeStorage would only obfuscate (Linux 'basic_text' backend,
//     no keyring), it refuses unless the operator explicitly allows it (see src/main/electron);
//   - headless server and CLI: secrets.json with 0600 permissions in the data directory; a file
//     that others can read is refused, not used.
// Writes are atomic (temp file, fsync, rename), so a crash never leaves a half-written store.
import { randomUUID } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { GantryError, errorMessage } from './errors'

/** Turns a secret into bytes that only this user on this machine can turn back (safeStorage). */
export interface SecretCipher {
  /** Shown to the user: which backend protects the secrets. */
  describe: string
  encrypt(plain: string): Buffer
  decrypt(data: Buffer): string
}

export interface SecretStore {
  /** Where and how secrets are kept, in words (Settings shows it). */
  readonly description: string
  get(ref: string): string | null
  set(ref: string, value: string): void
  remove(ref: string): void
  newRef(): string
}

function atomicWrite(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}

/** A JSON map of ref → stored string, in one file, with the file's permissions checked. */
export function createSecretStore(dataDir: string, cipher: SecretCipher | null = null): SecretStore {
  const path = join(dataDir, cipher ? 'secrets.enc.json' : 'secrets.json')
  function load(): Record<string, string> {
    if (!existsSync(path)) return {}
    if (process.platform !== 'win32') {
      const mode = statSync(path).mode & 0o777
      if (mode & 0o077) {
        throw new GantryError(
          'secrets/insecure',
          `${path} can be read by other users (mode ${mode.toString(8)}): Gantry will not use it. Run: chmod 600 ${path}`,
        )
      }
    }
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object')
      return parsed as Record<string, string>
    } catch (err) {
      throw new GantryError('secrets/unreadable', `secret store ${path} is unreadable: ${errorMessage(err)}`)
    }
  }
  return {
    description: cipher ? `${cipher.describe}, in ${path}` : `a file readable only by this user (0600): ${path}`,
    get(ref) {
      const v = load()[ref]
      if (v === undefined) return null
      if (!cipher) return v
      try {
        return cipher.decrypt(Buffer.from(v, 'base64'))
      } catch (err) {
        throw new GantryError('secrets/unreadable', `cannot decrypt secret ${ref}: ${errorMessage(err)}`)
      }
    },
    set(ref, value) {
      const all = load()
      all[ref] = cipher ? cipher.encrypt(value).toString('base64') : value
      atomicWrite(path, `${JSON.stringify(all, null, 2)}\n`)
    },
    remove(ref) {
      const all = load()
      if (!(ref in all)) return
      delete all[ref]
      atomicWrite(path, `${JSON.stringify(all, null, 2)}\n`)
    },
    newRef: () => `secret-${randomUUID()}`,
  }
}
