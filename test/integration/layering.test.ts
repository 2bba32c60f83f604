// The layering rule is enforced by eslint, not by good intentions: feed it offending code under
// each protected path and check it refuses.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(__dirname, '..', '..')

function lint(filename: string, code: string): { status: number | null; out: string } {
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', filename],
    {
      cwd: root,
      input: code,
      encoding: 'utf8',
    },
  )
  return { status: r.status, out: r.stdout + r.stderr }
}

describe('the layering rule', () => {
  it('refuses electron in the core', () => {
    const r = lint('src/main/core/telemetry/x.ts', "import { app } from 'electron'\nexport const a = app\n")
    expect(r.status).toBe(1)
    expect(r.out).toMatch(/never import electron/)
  })
  it('refuses electron and Node built-ins in the shared contract', () => {
    expect(
      lint('src/shared/x.ts', "import { readFileSync } from 'node:fs'\nexport const r = readFileSync\n").out,
    ).toMatch(/Node built-ins are not available/)
    expect(lint('src/shared/x.ts', "import { app } from 'electron'\nexport const a = app\n").status).toBe(1)
  })
  it('refuses Node built-ins in the renderer', () => {
    const r = lint('src/renderer/src/x.ts', "import fs from 'fs'\nexport const f = fs\n")
    expect(r.status).toBe(1)
    expect(r.out).toMatch(/Node built-ins are not available/)
  })
  it('allows electron in the Electron door', () => {
    expect(lint('src/main/electron/x.ts', "import { app } from 'electron'\nexport const a = app\n").status).toBe(0)
  })
})
