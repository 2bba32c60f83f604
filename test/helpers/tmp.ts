// Temporary data directories for tests: each test gets its own, removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const made: string[] = []

export function tmpDir(prefix = 'gantry-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  made.push(d)
  return d
}

export function cleanupTmp(): void {
  while (made.length) rmSync(made.pop() as string, { recursive: true, force: true })
}
