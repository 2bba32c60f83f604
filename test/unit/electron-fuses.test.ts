// The packaged desktop binary's Electron fuses (issue #13): electron-builder.yml's electronFuses go
// through electron-builder's own mapping (the code `npm run package` runs) into @electron/fuses,
// which flips them in a binary. No Electron binary can be downloaded here, so the binary is a
// stand-in holding the fuse wire the way Electron's does (the sentinel, version 1, the wire), and
// what was written is read back with @electron/fuses' reader.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

const root = join(__dirname, '..', '..')
const require = createRequire(join(root, 'package.json'))
afterEach(cleanupTmp)

/** electron-builder.yml read with the YAML parser electron-builder itself uses. */
function builderConfig(): { electronFuses: Record<string, boolean>; asar: boolean; files: string[] } {
  const yaml = require(require.resolve('js-yaml', { paths: [require.resolve('app-builder-lib')] })) as {
    load(s: string): unknown
  }
  return yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as never
}

describe('the desktop build flips Electron’s fuses', () => {
  it('sets RunAsNode off, NodeOptions and --inspect off, cookie encryption on, ASAR integrity and ASAR-only on', () => {
    const f = builderConfig().electronFuses
    expect(f).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    })
    expect(builderConfig().asar).toBe(true)
  })

  it('electron-builder turns them into a fuse wire that a binary really carries', async () => {
    const fuses = require(require.resolve('@electron/fuses', { paths: [require.resolve('app-builder-lib')] })) as {
      FuseV1Options: Record<string, number>
      FuseVersion: { V1: string }
      flipFuses(path: string, config: object): Promise<unknown>
      getCurrentFuseWire(path: string): Promise<Record<string, number>>
    }
    const { PlatformPackager } = require('app-builder-lib') as {
      PlatformPackager: { prototype: { generateFuseConfig(f: object): Promise<object> } }
    }
    const config = await PlatformPackager.prototype.generateFuseConfig.call({}, builderConfig().electronFuses)
    // A stand-in binary: Electron's sentinel, wire version 1, eight fuses all at their defaults.
    const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
    const defaults = [1, 0, 1, 1, 0, 0, 0, 1].map((b) => (b ? 0x31 : 0x30))
    const bin = join(tmpDir(), 'electron')
    writeFileSync(
      bin,
      Buffer.concat([
        Buffer.from('\x7fELF… stand-in …'),
        Buffer.from(SENTINEL),
        Buffer.from([1, 8, ...defaults]),
        Buffer.from('… rest'),
      ]),
    )
    await fuses.flipFuses(bin, config)
    const wire = await fuses.getCurrentFuseWire(bin)
    const O = fuses.FuseV1Options
    const ON = 0x31
    const OFF = 0x30
    expect(wire[O.RunAsNode]).toBe(OFF)
    expect(wire[O.EnableCookieEncryption]).toBe(ON)
    expect(wire[O.EnableNodeOptionsEnvironmentVariable]).toBe(OFF)
    expect(wire[O.EnableNodeCliInspectArguments]).toBe(OFF)
    expect(wire[O.EnableEmbeddedAsarIntegrityValidation]).toBe(ON)
    expect(wire[O.OnlyLoadAppFromAsar]).toBe(ON)
    expect(wire[O.GrantFileProtocolExtraPrivileges]).toBe(OFF)
  })
})
