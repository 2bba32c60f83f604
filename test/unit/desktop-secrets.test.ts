// The desktop secrets backend with a fake safeStorage: encrypted at rest where a keyring exists,
// refused (or, opted in, warned about) where safeStorage would only obfuscate ('basic_text').
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createDesktopSecretStore, type SafeStorageLike } from '../../src/main/electron/secrets'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

afterEach(cleanupTmp)
const fake = (backend: string, available = true): SafeStorageLike => ({
  isEncryptionAvailable: () => available,
  // A reversible stand-in for the OS cipher: enough to see that what is stored is not the secret.
  encryptString: (s) => Buffer.from([...Buffer.from(s)].map((b) => b ^ 0x5a)),
  decryptString: (b) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString(),
  getSelectedStorageBackend: () => backend,
})

describe('desktop secret store', () => {
  it('stores only ciphertext with a keyring backend and reads it back', () => {
    const d = tmpDir()
    const s = createDesktopSecretStore(d, fake('gnome_libsecret'), {}, () => {})
    s.set('r1', 'tok-123')
    expect(s.get('r1')).toBe('tok-123')
    const file = readFileSync(join(d, 'secrets.enc.json'), 'utf8')
    expect(file).not.toContain('tok-123')
    expect(s.description).toMatch(/safeStorage \(gnome_libsecret\)/)
  })

  it("refuses to store with 'basic_text' and says how to fix it", () => {
    const warnings: string[] = []
    const s = createDesktopSecretStore(tmpDir(), fake('basic_text'), {}, (l) => warnings.push(l))
    expect(() => s.set('r1', 'tok')).toThrow(/no OS keyring.*GANTRY_ALLOW_BASIC_TEXT_SECRETS=1/)
    expect(warnings.join()).toMatch(/will not be stored/)
  })

  it('stores with a loud warning when the operator opts in', () => {
    const warnings: string[] = []
    const s = createDesktopSecretStore(tmpDir(), fake('basic_text'), { GANTRY_ALLOW_BASIC_TEXT_SECRETS: '1' }, (l) =>
      warnings.push(l),
    )
    s.set('r1', 'tok')
    expect(s.get('r1')).toBe('tok')
    expect(warnings.join()).toMatch(/WARNING.*obfuscated, not encrypted/)
    expect(s.description).toMatch(/NOT encrypted/)
  })

  it('treats unavailable encryption like basic_text', () => {
    const s = createDesktopSecretStore(tmpDir(), fake('os', false), {}, () => {})
    expect(() => s.set('r1', 'tok')).toThrow(/secrets|keyring/)
  })
})
