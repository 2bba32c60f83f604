// Reading the GPU recordings in test/fixtures/gpu (copied unchanged from ../shared/fixtures/gpu).
// Capture bundles hold one command's output per section: "# title", "# $ command", a rule, output.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const GPU_FIXTURES = join(__dirname, '..', 'fixtures', 'gpu')
export const STANDIN_BIN = join(__dirname, '..', 'fixtures', 'bin')

export const BUNDLES = {
  h100: 'nvidia_gpu_exporter__linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt',
  h100mig: 'nvidia_gpu_exporter__linux-x86_64__nvidia-h100-mig__590.48.01.txt',
  l40s: 'nvidia_gpu_exporter__linux-x86_64__nvidia-l40s__595.80.txt',
  win2080: 'nvidia_gpu_exporter__windows-x86_64__nvidia-geforce-rtx-2080-super__610.62.txt',
} as const

export function fixture(name: string): string {
  return readFileSync(join(GPU_FIXTURES, name), 'utf8')
}

export function bundleSection(name: string, title: string): string {
  const lines = fixture(name).split('\n')
  const start = lines.findIndex((l) => l.trim() === `# ${title}`)
  if (start < 0) throw new Error(`no section "${title}" in ${name}`)
  let i = start + 1
  while (i < lines.length && !lines[i].startsWith('####')) i++
  const body: string[] = []
  for (i++; i < lines.length && !lines[i].startsWith('####'); i++) body.push(lines[i])
  return body.join('\n').trim()
}
