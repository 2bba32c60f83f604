// The desktop's secrets backend: Electron safeStorage (Keychain on macOS, DPAPI on Windows,
// libsecret / kwallet on Linux). On Linux without a keyring safeStorage falls back to
// 'basic_text' — a hard-coded key, i.e. obfuscation, not encryption. Gantry then refuses to
// store credentials unless the operator opts in with GANTRY_ALLOW_BASIC_TEXT_SECRETS=1, and says
// so loudly either way. Takes safeStorage as a parameter so it is testable without Electron.
import { createSecretStore, type SecretStore } from '../core/secrets'
import { GantryError } from '../core/errors'

export interface SafeStorageLike {
  isEncryptionAvailable(): boolean
  encryptString(plain: string): Buffer
  decryptString(data: Buffer): string
  getSelectedStorageBackend?(): string
}

export function createDesktopSecretStore(
  dataDir: string,
  safeStorage: SafeStorageLike,
  env: NodeJS.ProcessEnv = process.env,
  warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): SecretStore {
  const backend = safeStorage.getSelectedStorageBackend?.() ?? 'os'
  const available = safeStorage.isEncryptionAvailable()
  const weak = !available || backend === 'basic_text'
  const allowed = env.GANTRY_ALLOW_BASIC_TEXT_SECRETS === '1'
  const inner = createSecretStore(dataDir, {
    describe: weak ? `safeStorage '${backend}' (NOT encrypted: no OS keyring)` : `Electron safeStorage (${backend})`,
    encrypt: (s) => safeStorage.encryptString(s),
    decrypt: (b) => safeStorage.decryptString(b),
  })
  if (!weak) return inner
  if (allowed) {
    warn(
      `gantry: WARNING: no OS keyring (safeStorage backend '${backend}'); endpoint credentials are stored obfuscated, not encrypted, because GANTRY_ALLOW_BASIC_TEXT_SECRETS=1`,
    )
    return inner
  }
  warn(`gantry: no OS keyring (safeStorage backend '${backend}'): endpoint credentials will not be stored`)
  return {
    ...inner,
    description: `${inner.description} — storing refused`,
    set() {
      throw new GantryError(
        'secrets/refused',
        `this desktop has no OS keyring (safeStorage backend '${backend}'), so a credential would be stored obfuscated, not encrypted. ` +
          'Unlock or install a keyring (gnome-keyring, KWallet), or start Gantry with GANTRY_ALLOW_BASIC_TEXT_SECRETS=1 to accept that risk.',
      )
    },
  }
}
