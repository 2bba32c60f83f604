// The evidence of one release window, built from what nginx and the model servers wrote: nginx's
// JSON access log (one line per request: its arm, status, upstream time, whether it was mirrored),
// its shadow log (one line per mirrored subrequest: the challenger's status and time), and the two
// arms' inference logs (JSONL: request id and output), joined on the request id nginx passes both
// arms as X-Request-ID. Latencies and outputs are kept in bounded reservoirs; a window's state is
// plain JSON so a restarted console carries on from the same counts and file offsets.
import type { FileAccess } from '../files/local-files'
import type { StepEvidence } from '../../../shared/release'
import { judge, quantilesOf, type Judgement, type WindowData } from './gates'

const RESERVOIR = 5000
const PENDING_JOIN = 20_000
const READ_CAP = 8 << 20

/** Uniform reservoir sample (Vitter's algorithm R): `seen` counts everything offered. */
interface Reservoir {
  seen: number
  values: number[]
}
function offer(r: Reservoir, v: number): void {
  r.seen++
  if (r.values.length < RESERVOIR) r.values.push(v)
  else {
    const j = Math.floor(Math.random() * r.seen)
    if (j < RESERVOIR) r.values[j] = v
  }
}
const reservoir = (): Reservoir => ({ seen: 0, values: [] })

export interface ArmAcc {
  requests: number
  errors: number
  latency: Reservoir
  /** Requests seen since the window's slow line was fixed, and how many were above it. */
  timed: number
  slow: number
}
const arm = (): ArmAcc => ({ requests: 0, errors: 0, latency: reservoir(), timed: 0, slow: 0 })

/** A window's counts, plain JSON (persisted with the offsets they were read to). */
export interface WindowAcc {
  champion: ArmAcc
  challenger: ArmAcc
  skipped: { method: number; size: number }
  outputs: { champion: Reservoir; challenger: Reservoir }
  numeric: boolean
  joined: number
  agreed: number
  diffs: Reservoir
  /** The window's slow line (seconds): the champion's p95 plus the slack, fixed once the champion
   *  has enough requests, so that each later request is one draw against one fixed line. */
  slowAbove: number | null
}
export function newWindow(): WindowAcc {
  return {
    champion: arm(),
    challenger: arm(),
    skipped: { method: 0, size: 0 },
    outputs: { champion: reservoir(), challenger: reservoir() },
    numeric: true,
    joined: 0,
    agreed: 0,
    diffs: reservoir(),
    slowAbove: null,
  }
}

function time(w: WindowAcc, a: ArmAcc, s: number): void {
  offer(a.latency, s)
  if (w.slowAbove === null) return
  a.timed++
  if (s > w.slowAbove) a.slow++
}

/** Where each file was read to (byte offsets) and its inode (a rotated file is read from 0). */
export type Cursors = Record<string, { offset: number; ino: number }>

/** Seconds from "$upstream_response_time" ("0.012", "0.010, 0.003" after a retry, "-"); else $request_time. */
function seconds(urt: unknown, rt: unknown): number | null {
  if (typeof urt === 'string' && urt !== '' && urt !== '-') {
    const parts = urt.split(/[,:]\s*/)
    const last = Number(parts[parts.length - 1])
    if (Number.isFinite(last)) return last
  }
  const r = Number(rt)
  return Number.isFinite(r) ? r : null
}

interface AccessLine {
  arm?: string
  st?: string
  rt?: string
  urt?: string
  mir?: string
}

/**
 * One line of the main access log, into the window. In a shadow every request is the champion's,
 * and only the mirrored ones count as its evidence: the challenger sees only those (idempotent
 * methods, small bodies), and the arms are compared on the same requests.
 */
export function takeAccess(w: WindowAcc, line: AccessLine, shadow = false): void {
  if (line.mir === 'skipped-method') w.skipped.method++
  else if (line.mir === 'skipped-size') w.skipped.size++
  if (shadow && line.mir !== 'mirrored') return
  const status = Number(line.st)
  const a = line.arm === 'challenger' ? w.challenger : w.champion
  a.requests++
  if (!(status > 0 && status < 500)) a.errors++
  const s = seconds(line.urt, line.rt)
  if (s !== null) time(w, a, s)
}

/** One line of the shadow log: a mirrored request, as the challenger answered it (or nginx cut it). */
export function takeShadow(w: WindowAcc, line: AccessLine): void {
  if (line.mir !== 'mirrored') return // the no-op subrequest of a request that was not mirrored
  const status = Number(line.st)
  w.challenger.requests++
  if (!(status > 0 && status < 500)) w.challenger.errors++
  const s = seconds(line.urt, line.rt)
  if (s !== null) time(w, w.challenger, s)
}

/** Joins the two arms' inference-log records on the request id (kept in memory, bounded). */
export class Joiner {
  private pending = { champion: new Map<string, unknown>(), challenger: new Map<string, unknown>() }
  constructor(private agreeWithin: number) {}

  take(w: WindowAcc, side: 'champion' | 'challenger', id: string, output: unknown): void {
    if (typeof output === 'number' && Number.isFinite(output)) offer(w.outputs[side], output)
    else if (output !== undefined) w.numeric = false
    const other = side === 'champion' ? this.pending.challenger : this.pending.champion
    if (other.has(id)) {
      const theirs = other.get(id)
      other.delete(id)
      w.joined++
      if (typeof output === 'number' && typeof theirs === 'number') {
        const d = Math.abs(output - theirs)
        offer(w.diffs, d)
        if (d <= this.agreeWithin) w.agreed++
      } else if (JSON.stringify(output) === JSON.stringify(theirs)) w.agreed++
      return
    }
    const mine = this.pending[side]
    mine.set(id, output)
    if (mine.size > PENDING_JOIN) mine.delete(mine.keys().next().value as string)
  }

  clear(): void {
    this.pending.champion.clear()
    this.pending.challenger.clear()
  }
}

/**
 * New complete lines of a file since its cursor (a partial last line waits for the next read; a
 * file that shrank or was replaced is read from its start). At most READ_CAP bytes per call.
 */
export async function readNewLines(files: FileAccess, path: string, cursors: Cursors, what: string): Promise<string[]> {
  let f
  try {
    f = await files.open(path, { what })
  } catch (err) {
    if ((err as { code?: string }).code === 'files/missing') return [] // nginx writes it at the first request
    throw err
  }
  try {
    const c = cursors[path]
    let offset = c && c.ino === f.ino && c.offset <= f.size ? c.offset : 0
    const len = Math.min(f.size - offset, READ_CAP)
    if (len <= 0) {
      cursors[path] = { offset, ino: f.ino }
      return []
    }
    const buf = Buffer.alloc(len)
    let got = 0
    while (got < len) {
      const n = await f.read(buf, got, len - got, offset + got)
      if (n === 0) break
      got += n
    }
    const text = buf.subarray(0, got)
    const end = text.lastIndexOf(0x0a)
    if (end < 0) {
      // One line longer than the cap cannot be a record of ours: skip it rather than stall.
      if (got === READ_CAP) offset += got
      cursors[path] = { offset, ino: f.ino }
      return []
    }
    cursors[path] = { offset: offset + end + 1, ino: f.ino }
    return text.subarray(0, end).toString('utf8').split('\n')
  } finally {
    await f.close()
  }
}

/** Where each log starts now (a new window reads only what comes after). */
export async function cursorsAtEnd(files: FileAccess, paths: string[]): Promise<Cursors> {
  const out: Cursors = {}
  for (const p of paths) {
    try {
      const f = await files.open(p, { what: 'a release log' })
      out[p] = { offset: f.size, ino: f.ino }
      await f.close()
    } catch {
      out[p] = { offset: 0, ino: -1 } // not written yet: from its start once it is
    }
  }
  return out
}

export function parseJsonLine(line: string): Record<string, unknown> | null {
  if (!line.trim()) return null
  try {
    const v = JSON.parse(line) as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null
  } catch {
    return null
  }
}

export function windowData(w: WindowAcc, o: { logs: boolean; shadow: boolean }): WindowData {
  return {
    champion: {
      requests: w.champion.requests,
      errors: w.champion.errors,
      latencies: w.champion.latency.values,
      timed: w.champion.timed,
      slow: w.champion.slow,
    },
    challenger: {
      requests: w.challenger.requests,
      errors: w.challenger.errors,
      latencies: w.challenger.latency.values,
      timed: w.challenger.timed,
      slow: w.challenger.slow,
    },
    slowAbove: w.slowAbove,
    joined: w.joined,
    agreed: w.agreed,
    outputs: w.numeric ? { champion: w.outputs.champion.values, challenger: w.outputs.challenger.values } : null,
    logs: o.logs,
    shadow: o.shadow,
  }
}

/** The stored, shown evidence of a window (with its gates' verdicts). */
export function evidenceOf(
  w: WindowAcc,
  j: Judgement,
  meta: { index: number; weight: number; startedAt: number; endedAt: number | null; verdict: StepEvidence['verdict'] },
): StepEvidence {
  return {
    ...meta,
    champion: j.champion,
    challenger: j.challenger,
    skipped: { ...w.skipped },
    joined: w.joined,
    agreed: w.agreed,
    differences: quantilesOf(w.diffs.values),
    slowAbove: j.slowAbove,
    gates: j.gates,
  }
}

export { judge }
