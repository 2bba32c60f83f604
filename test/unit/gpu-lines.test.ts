// The GPU stream's line splitting over pipe reads: reads cut anywhere (inside a line, inside a
// UTF-8 character, between \r and \n) give the same lines as the whole text.
import { describe, expect, it } from 'vitest'
import { splitLines } from '../../src/main/core/telemetry/gpu/stream'

function linesOf(chunks: Buffer[]): string[] {
  const out: string[] = []
  const feed = splitLines((l) => out.push(l))
  for (const c of chunks) feed(c)
  return out
}

describe('splitLines', () => {
  const text = '0, GPU-a, NVIDIA H100 80GB HBM3, 35\r\n1, GPU-b, Tésla ✓ 𝔾PU, 36\n\n2, GPU-c, T4, [N/A]\r\n'
  const want = ['0, GPU-a, NVIDIA H100 80GB HBM3, 35', '1, GPU-b, Tésla ✓ 𝔾PU, 36', '', '2, GPU-c, T4, [N/A]']

  it('gives whole lines whatever byte the reads are cut at', () => {
    const bytes = Buffer.from(text, 'utf8')
    expect(linesOf([bytes])).toEqual(want)
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(linesOf([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(want)
    }
    // one byte per read
    expect(linesOf([...bytes].map((b) => Buffer.from([b])))).toEqual(want)
  })

  it('holds a line without its end until the end comes, and drops one past 64 KiB', () => {
    const out: string[] = []
    const feed = splitLines((l) => out.push(l))
    feed(Buffer.from('0, GPU-a'))
    expect(out).toEqual([])
    feed(Buffer.from(', 35\n1, GPU'))
    expect(out).toEqual(['0, GPU-a, 35'])
    // a stream that never ends a line: its bytes are dropped, not kept growing
    feed(Buffer.alloc(70_000, 0x41))
    feed(Buffer.from('tail\n2, GPU-c\n'))
    expect(out).toEqual(['0, GPU-a, 35', 'tail', '2, GPU-c'])
  })
})
