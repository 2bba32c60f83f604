// Releases: an nginx front per model, and shadow / canary releases through it, as a journaled state
// machine in SQLite that any door can write and a running console carries forward:
//
//   warming (ready + N smoke requests on the challenger, weight 0)
//     → running step i (weight steps[i], held `holdMs`, gates every `gateIntervalMs`)
//         a failed gate at any look → aborted (weight 0 first, then journaled with the evidence)
//         end of the hold: pass → warm-up, step i + 1 … the last → promoted (canary) / passed (shadow)
//                          inconclusive → paused for a human
//   paused (weight kept) → resume: a new window at the same step; abort; promote by hand
//
// Every change of traffic bumps the release's revision and is rendered from the database at the
// moment it is written, so the CLI (which aborts and promotes itself, in its own process) and the
// console never leave nginx on an older state than the database says; a console also rewrites the
// file whenever it differs from what the database says (a crash between the two, a hand edit).
// Promotion is one transaction: the registry's production alias and stage (with its approval
// policy, as a deploy's commit), the front's new champion, the release's end, the audit row.
import type { Db } from '../db/database'
import { GantryError, errorMessage } from '../errors'
import type { Registry } from '../registry/registry'
import type { HostAccess } from '../hosts/access'
import type { Service } from '../lifecycle'
import { boundedFetch, type Tunnel } from '../serving/http'
import { LOCAL_HOST } from '../../../shared/hosts'
import {
  Front,
  GateSettings,
  ReleaseInput,
  ReleaseSettings,
  FrontInput,
  type Headroom,
  type Release,
  type ReleaseEvent,
  type ReleasePlan,
  type ReleaseState,
  type ReleaseStatus,
  type StepEvidence,
} from '../../../shared/release'
import type { Gpu } from '../../../shared/gpu'
import { TRANSITIONS } from '../../../shared/registry'
import { commandsOf, createNginxRouter, frontNames } from './nginx'
import type { ApplyResult, Traffic, TrafficRouter } from './router'
import { kpiGates, overall } from './gates'
import {
  Joiner,
  cursorsAtEnd,
  evidenceOf,
  judge,
  newWindow,
  parseJsonLine,
  readNewLines,
  takeAccess,
  takeShadow,
  windowData,
  type Cursors,
  type WindowAcc,
} from './evidence'
import { z } from 'zod'
import { randomUUID } from 'node:crypto'

export const DEFAULT_STEPS = [1, 5, 25, 50, 100]
/** The busiest GPU may reach this with the mirror's load on top. */
const GPU_CEILING = 90
/** How often a console compares each front's file with what the database says. */
const RECONCILE_MS = 10_000
/** How long a challenger may take to answer its warm-up before the release is aborted. */
const WARMUP_DEADLINE_MS = 5 * 60_000

/** The settings a release started with (validated on read). */
const Settings = ReleaseSettings
type Settings = ReleaseSettings

interface FrontRow {
  model: string
  json: string
  created_at: number
  applied_json: string | null
}
interface ReleaseRow {
  id: number
  model: string
  json: string
  state: ReleaseState
  step: number
  weight: number
  step_started_at: number | null
  reason: string | null
  headroom_json: string | null
  champion_version: number | null
  actor: string
  started_at: number
  finished_at: number | null
  rev: number
  cursors_json: string
}
interface WindowRow {
  id: number
  release_id: number
  step: number
  weight: number
  started_at: number
  ended_at: number | null
  verdict: StepEvidence['verdict']
  evidence_json: string | null
  acc_json: string
}

export interface ReleaseServiceOptions {
  db: Db
  registry: Registry
  accessOf(host: string): HostAccess
  hostExists(host: string): boolean
  /** Requests to a server only that host reaches go through its connection. */
  tunnelOf(host: string): Tunnel | undefined
  /** The host's GPUs as their last sample showed them (null: no readings). */
  gpusOf(host: string): Gpu[] | null
  /** The model's business KPIs now (Prometheus), each a gate while a release runs. */
  kpis?(model: string): Promise<Parameters<typeof kpiGates>[0]>
  router?: TrafficRouter
  now(): number
  actor: string
  /** A console carries releases forward; a CLI command only writes (and aborts / promotes itself). */
  runs: boolean
  tickMs?: number
  publish(e: { model: string; id: number | null; state: ReleaseState | null }): void
  log(line: string): void
}

export interface ReleaseService extends Service {
  fronts(): Front[]
  front(model: string): Front | null
  addFront(input: z.output<typeof FrontInput>, actor: string): Promise<{ front: Front; warnings: string[] }>
  removeFront(model: string, actor: string): Promise<void>
  plan(input: z.output<typeof ReleaseInput>): Promise<ReleasePlan>
  begin(input: z.output<typeof ReleaseInput>, actor: string): Promise<{ release: Release; warnings: string[] }>
  status(model: string): ReleaseStatus
  active(): Release[]
  pause(model: string, actor: string, reason?: string): Release
  resume(model: string, actor: string): Release
  abort(model: string, actor: string, reason?: string): Promise<Release>
  promote(model: string, actor: string): Promise<Release>
  /** One pass of the runner (tests call it; a console runs it every tick). */
  tick(): Promise<void>
  /** When a console last ran the runner (null: none has), for the CLI's "waits for a console". */
  heartbeat(): number | null
}

export function createReleaseService(o: ReleaseServiceOptions): ReleaseService {
  const { db, registry } = o
  const router = o.router ?? createNginxRouter((h) => o.accessOf(h))
  const tickMs = o.tickMs ?? 1000

  // --- rows -------------------------------------------------------------------------------------
  const frontRow = (model: string): FrontRow | undefined =>
    db.prepare('SELECT * FROM release_fronts WHERE model = ?').get(model) as FrontRow | undefined
  const toFront = (r: FrontRow): Front =>
    Front.parse({
      ...JSON.parse(r.json),
      createdAt: r.created_at,
      applied: r.applied_json ? JSON.parse(r.applied_json) : null,
    })
  const mustFront = (model: string): Front => {
    const r = frontRow(model)
    if (!r)
      throw new GantryError(
        'release/no-front',
        `${model} has no nginx front: add one first (gantry front add ${model} --nginx-dir DIR --listen ADDR --champion URL)`,
      )
    return toFront(r)
  }
  const saveFront = (f: Front): void => {
    const { createdAt, applied, ...rest } = f
    db.prepare(
      `INSERT INTO release_fronts (model, json, created_at, applied_json) VALUES (?, ?, ?, ?)
       ON CONFLICT(model) DO UPDATE SET json = excluded.json, applied_json = excluded.applied_json`,
    ).run(f.model, JSON.stringify(rest), createdAt, applied ? JSON.stringify(applied) : null)
  }
  const rowOf = (id: number): ReleaseRow => db.prepare('SELECT * FROM releases WHERE id = ?').get(id) as ReleaseRow
  const activeRow = (model: string): ReleaseRow | undefined =>
    db.prepare(`SELECT * FROM releases WHERE model = ? AND state IN ('warming','running','paused')`).get(model) as
      ReleaseRow | undefined
  const settingsOf = (r: ReleaseRow): Settings => Settings.parse(JSON.parse(r.json))
  const windowsOf = (id: number): WindowRow[] =>
    db.prepare('SELECT * FROM release_windows WHERE release_id = ? ORDER BY id').all(id) as WindowRow[]
  const openWindow = (id: number): WindowRow | undefined =>
    db
      .prepare('SELECT * FROM release_windows WHERE release_id = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1')
      .get(id) as WindowRow | undefined
  const previousWindow = (id: number, before: number): WindowRow | undefined =>
    db
      .prepare(
        'SELECT * FROM release_windows WHERE release_id = ? AND id < ? AND weight < 100 ORDER BY id DESC LIMIT 1',
      )
      .get(id, before) as WindowRow | undefined
  const eventsOf = (id: number): ReleaseEvent[] =>
    db
      .prepare('SELECT at, kind, actor, detail FROM release_events WHERE release_id = ? ORDER BY id')
      .all(id) as ReleaseEvent[]

  const toRelease = (r: ReleaseRow): Release => {
    const s = settingsOf(r)
    return {
      ...s,
      id: r.id,
      model: r.model,
      championVersion: r.champion_version,
      state: r.state,
      step: r.step,
      weight: r.weight,
      stepStartedAt: r.step_started_at,
      reason: r.reason,
      headroom: r.headroom_json ? (JSON.parse(r.headroom_json) as Headroom) : null,
      actor: r.actor,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      rev: r.rev,
      evidence: windowsOf(r.id)
        .filter((w) => w.evidence_json)
        .map((w) => JSON.parse(w.evidence_json as string) as StepEvidence),
      events: eventsOf(r.id),
    }
  }

  const event = (id: number, kind: string, actor: string, detail: string): void => {
    db.prepare('INSERT INTO release_events (release_id, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)').run(
      id,
      o.now(),
      kind,
      actor,
      detail,
    )
  }
  const audit = (action: string, model: string, after: unknown, actor: string): void =>
    registry.record(action, registry.hasModel(model) ? model : null, after, actor)
  const publish = (model: string, id: number | null, state: ReleaseState | null): void => {
    try {
      o.publish({ model, id, state })
    } catch {
      // a door gone away
    }
  }

  /** Moves a release from `from` states to new values, or says it moved meanwhile (another process). */
  function transition(
    id: number,
    from: ReleaseState[],
    set: Partial<Pick<ReleaseRow, 'state' | 'step' | 'weight' | 'step_started_at' | 'reason' | 'finished_at'>>,
    traffic: boolean,
  ): boolean {
    const cols = Object.keys(set)
    const res = db
      .prepare(
        `UPDATE releases SET ${cols.map((c) => `${c} = @${c}`).join(', ')}${traffic ? ', rev = rev + 1' : ''}
         WHERE id = @id AND state IN (${from.map((s) => `'${s}'`).join(',')})`,
      )
      .run({ ...set, id })
    return res.changes === 1
  }

  // --- traffic: always rendered from the database as it is now ----------------------------------
  function desired(model: string): { front: Front; traffic: Traffic } {
    const front = mustFront(model)
    const r = activeRow(model)
    const off: Traffic = {
      mode: 'off',
      weight: 0,
      challenger: null,
      idempotent: [],
      maxMirrorBody: 0,
      mirrorTimeoutMs: 5000,
      release: r?.id ?? null,
      rev: r?.rev ?? 0,
    }
    if (!r || r.state === 'warming' || r.weight <= 0) return { front, traffic: off }
    const s = settingsOf(r)
    return {
      front,
      traffic: {
        mode: s.mode,
        weight: r.weight,
        challenger: s.challenger,
        idempotent: s.idempotent,
        maxMirrorBody: s.maxMirrorBody,
        mirrorTimeoutMs: s.mirrorTimeoutMs,
        release: r.id,
        rev: r.rev,
      },
    }
  }
  const lastApplied = new Map<string, number>()
  /** Makes nginx say what the database says now — again if the database moved while it wrote
   *  (another process aborted meanwhile: its state, not ours, must be the one left in nginx). */
  async function applyNow(model: string): Promise<ApplyResult> {
    let { front, traffic } = desired(model)
    // A router that throws (an SFTP read of a host that went away) is a failed apply, not an
    // exception: the callers journal, pause or retry on {ok: false}, and skip none of it.
    const apply = async (): Promise<ApplyResult> => {
      try {
        return await router.apply(front, traffic)
      } catch (err) {
        return {
          ok: false,
          changed: false,
          message: `could not apply the front: ${err instanceof Error ? err.message : String(err)}`,
          warnings: [],
        }
      }
    }
    let res = await apply()
    for (let i = 0; i < 3 && res.ok; i++) {
      const now = desired(model)
      if (now.traffic.rev === traffic.rev && now.front.champion === front.champion) break
      ;({ front, traffic } = now)
      res = await apply()
    }
    lastApplied.set(model, traffic.rev)
    if (res.changed || !res.ok || !front.applied?.ok) {
      const f = frontRow(model)
      if (f)
        db.prepare('UPDATE release_fronts SET applied_json = ? WHERE model = ?').run(
          JSON.stringify({ at: o.now(), ok: res.ok, rev: traffic.rev, message: res.message }),
          model,
        )
    }
    if (!res.ok) o.log(`gantry: release front of ${model}: ${res.message}`)
    return res
  }

  // --- GPU headroom -----------------------------------------------------------------------------
  function headroomOf(host: string, mode: 'shadow' | 'canary'): Headroom {
    const gpus = o.gpusOf(host)
    if (!gpus || gpus.length === 0)
      return {
        gpus: [],
        allowedShare: null,
        note: `no GPU readings from ${host}: the headroom is unknown (a mirror doubles the load on GPUs the two servers share)`,
      }
    const list = gpus.map((g) => ({ index: g.index, util: g.utilization.gpuPct, memFreeMiB: g.memory.freeMiB }))
    const busiest = Math.max(0, ...list.map((g) => g.util ?? 0))
    const freeMin = Math.min(...list.map((g) => g.memFreeMiB ?? Infinity))
    const mem = Number.isFinite(freeMin) ? `, ${Math.round(freeMin)} MiB free on the fullest` : ''
    if (mode === 'canary')
      return {
        gpus: list,
        allowedShare: null,
        note:
          busiest >= GPU_CEILING
            ? `the busiest GPU on ${host} is at ${busiest} %${mem}: a canary moves load, but a challenger warming up on the same GPUs may not fit`
            : `busiest GPU on ${host} at ${busiest} %${mem}: a canary moves load between the arms`,
      }
    // A shadow adds `share` % of the champion's load; assume the champion is what keeps the busiest GPU busy.
    const allowed =
      busiest <= 0 ? 100 : Math.max(0, Math.min(100, Math.floor(((GPU_CEILING - busiest) / busiest) * 100)))
    return {
      gpus: list,
      allowedShare: allowed,
      note: `busiest GPU on ${host} at ${busiest} %${mem}: mirroring more than ${allowed} % would take it past ${GPU_CEILING} % if the arms share it`,
    }
  }

  // --- starting ---------------------------------------------------------------------------------
  function stepsOf(input: z.output<typeof ReleaseInput>): number[] {
    if (input.mode === 'shadow') {
      if (input.steps) throw new GantryError('release/invalid', 'a shadow has one share (--share), not steps')
      return [input.share ?? 10]
    }
    if (input.share !== undefined) throw new GantryError('release/invalid', 'a canary has steps (--steps), not a share')
    const steps = input.steps ?? DEFAULT_STEPS
    for (let i = 1; i < steps.length; i++)
      if (!(steps[i] > steps[i - 1])) throw new GantryError('release/invalid', `steps must rise: ${steps.join(', ')}`)
    if (steps[steps.length - 1] !== 100)
      throw new GantryError('release/invalid', `the last step is 100 % (promotion): ${steps.join(', ')}`)
    return steps
  }

  async function prepare(
    input: z.output<typeof ReleaseInput>,
  ): Promise<{ front: Front; plan: ReleasePlan; settings: Settings }> {
    const front = mustFront(input.model)
    const active = activeRow(input.model)
    if (active)
      throw new GantryError(
        'release/busy',
        `${input.model} has release #${active.id} ${active.state}: pause, abort or promote it first`,
      )
    const { version } = registry.getVersion(input.model, input.version)
    if (version.stage === 'production')
      throw new GantryError('release/invalid', `v${input.version} of ${input.model} is already in production`)
    if (!TRANSITIONS[version.stage].includes('production'))
      throw new GantryError(
        'release/invalid',
        `v${input.version} of ${input.model} is ${version.stage}: its promotion would be refused (stage it first)`,
      )
    if (input.challenger.replace(/\/$/, '') === front.champion.replace(/\/$/, ''))
      throw new GantryError('release/invalid', `the challenger ${input.challenger} is the champion's own address`)
    let steps = stepsOf(input)
    const headroom = headroomOf(front.host, input.mode)
    const warnings: string[] = []
    if (input.mode === 'shadow' && headroom.allowedShare !== null && steps[0] > headroom.allowedShare) {
      if (input.force) warnings.push(`${headroom.note}; started at ${steps[0]} % anyway (--force)`)
      else if (headroom.allowedShare < 1)
        throw new GantryError('release/no-headroom', `${headroom.note}: no room for a shadow (--force to start anyway)`)
      else {
        warnings.push(`${headroom.note}: the share was capped from ${steps[0]} % to ${headroom.allowedShare} %`)
        steps = [headroom.allowedShare]
      }
    } else if (input.mode === 'shadow' && headroom.gpus.length === 0) warnings.push(headroom.note)
    let logs = input.logs ?? null
    if (logs) {
      // Stored as resolved (a relative path from the CLI would otherwise be read from the console's folder).
      const files = o.accessOf(front.host).files
      logs = {
        ...logs,
        champion: await files.resolveNew(logs.champion, { what: "the champion's inference log" }),
        challenger: await files.resolveNew(logs.challenger, { what: "the challenger's inference log" }),
      }
    }
    // A canary ends at 100 %: a promotion the registry would refuse must be settled before the ramp.
    if (input.mode === 'canary') {
      const md = registry.getModel(input.model)
      if (
        md.model.policy.productionNeedsApproval &&
        !md.approvals.some((a) => a.version === input.version && a.status === 'approved')
      )
        throw new GantryError(
          'registry/approval-required',
          `${input.model} needs an approval before v${input.version} goes to production: have it approved before the canary (a shadow needs none)`,
        )
    }
    if (input.mode === 'shadow' && !input.idempotent.some((m) => m !== 'GET' && m !== 'HEAD'))
      warnings.push(
        'only GET and HEAD are mirrored: inference requests are usually POST (mark them with --idempotent POST if sending them twice is safe)',
      )
    const settings: Settings = {
      mode: input.mode,
      version: input.version,
      champion: front.champion,
      challenger: input.challenger,
      steps,
      holdMs: input.holdMs,
      gateIntervalMs: input.gateIntervalMs,
      warmupRequests: input.warmupRequests,
      warmupPath: input.warmupPath,
      idempotent: input.idempotent,
      maxMirrorBody: input.maxMirrorBody,
      mirrorTimeoutMs: input.mirrorTimeoutMs,
      gates: GateSettings.parse(input.gates ?? {}),
      logs,
    }
    const file = router.render(front, {
      mode: input.mode,
      weight: steps[0],
      challenger: input.challenger,
      idempotent: input.idempotent,
      maxMirrorBody: input.maxMirrorBody,
      mirrorTimeoutMs: input.mirrorTimeoutMs,
      release: null,
      rev: 1,
    })
    const plan: ReleasePlan = {
      front,
      championVersion: registry.productionVersion(input.model),
      steps,
      headroom,
      file,
      warnings,
    }
    return { front, plan, settings }
  }

  // --- the runner's memory of open windows --------------------------------------------------------
  interface Live {
    windowId: number
    acc: WindowAcc
    joiner: Joiner
    lastGate: number
  }
  const live = new Map<number, Live>()
  const busy = new Set<number>()
  const warmSince = new Map<number, number>()

  async function logPaths(r: ReleaseRow): Promise<string[]> {
    const f = mustFront(r.model)
    const s = settingsOf(r)
    return [f.accessLog, f.shadowLog, ...(s.logs ? [s.logs.champion, s.logs.challenger] : [])]
  }

  /** A new window at the release's current step, its logs read from their ends now. */
  async function startWindow(r: ReleaseRow, step: number, weight: number): Promise<{ id: number; cursors: Cursors }> {
    const f = mustFront(r.model)
    const cursors = await cursorsAtEnd(o.accessOf(f.host).files, await logPaths(r))
    const id = Number(
      db
        .prepare('INSERT INTO release_windows (release_id, step, weight, started_at, acc_json) VALUES (?, ?, ?, ?, ?)')
        .run(r.id, step, weight, o.now(), JSON.stringify(newWindow())).lastInsertRowid,
    )
    return { id, cursors }
  }

  function closeWindows(id: number, verdict: StepEvidence['verdict']): void {
    const w = openWindow(id)
    if (!w) return
    const ev = w.evidence_json ? (JSON.parse(w.evidence_json) as StepEvidence) : null
    db.prepare('UPDATE release_windows SET ended_at = ?, verdict = ?, evidence_json = ? WHERE id = ?').run(
      o.now(),
      verdict,
      ev ? JSON.stringify({ ...ev, endedAt: o.now(), verdict }) : null,
      w.id,
    )
    live.delete(id)
  }

  /** Reads what the logs gained since the window's cursors into its counts (kept in memory; saved by the caller). */
  async function ingest(r: ReleaseRow, l: { acc: WindowAcc; joiner: Joiner }, cursors: Cursors): Promise<void> {
    const f = mustFront(r.model)
    const s = settingsOf(r)
    const files = o.accessOf(f.host).files
    for (const line of await readNewLines(files, f.accessLog, cursors, 'the nginx access log')) {
      const v = parseJsonLine(line)
      if (v) takeAccess(l.acc, v, s.mode === 'shadow')
    }
    if (s.mode === 'shadow')
      for (const line of await readNewLines(files, f.shadowLog, cursors, 'the nginx shadow log')) {
        const v = parseJsonLine(line)
        if (v) takeShadow(l.acc, v)
      }
    if (s.logs) {
      for (const side of ['champion', 'challenger'] as const) {
        for (const line of await readNewLines(files, s.logs[side], cursors, `the ${side}'s inference log`)) {
          const v = parseJsonLine(line)
          const id = v?.[s.logs.idField]
          if (typeof id === 'string' && id) l.joiner.take(l.acc, side, id, v?.[s.logs.outputField])
        }
      }
    }
  }

  async function warmup(r: ReleaseRow): Promise<string | null> {
    const s = settingsOf(r)
    const f = mustFront(r.model)
    const via = o.tunnelOf(f.host)
    for (let i = 0; i < s.warmupRequests; i++) {
      const a = await boundedFetch(s.challenger, s.warmupPath, { via, timeoutMs: 5000, maxBytes: 1 << 20 })
      if (a.check.error || !a.status || a.status >= 300)
        return `GET ${s.warmupPath} on the challenger: ${a.check.error ?? `HTTP ${a.status}`}`
    }
    return null
  }

  async function setWeight(
    r: ReleaseRow,
    from: ReleaseState[],
    set: Parameters<typeof transition>[2],
    what: string,
  ): Promise<boolean> {
    if (!transition(r.id, from, set, true)) return false
    const res = await applyNow(r.model)
    if (!res.ok) {
      // nginx kept what it had: say so and hold (the weight it has is the one before).
      transition(
        r.id,
        ['running', 'warming'],
        { state: 'paused', weight: r.weight, step: r.step, reason: `nginx did not take ${what}: ${res.message}` },
        true,
      )
      event(r.id, 'paused', 'gantry', `nginx did not take ${what}: ${res.message}`)
      closeWindows(r.id, null)
      await applyNow(r.model).catch(() => undefined)
      publish(r.model, r.id, 'paused')
      return false
    }
    return true
  }

  async function beginStep(r: ReleaseRow, step: number, from: ReleaseState[]): Promise<void> {
    const s = settingsOf(r)
    const weight = s.steps[step]
    const w = await startWindow(r, step, weight)
    db.prepare('UPDATE releases SET cursors_json = ? WHERE id = ?').run(JSON.stringify(w.cursors), r.id)
    const label = s.mode === 'shadow' ? `a ${weight} % shadow` : `step ${step + 1} of ${s.steps.length} (${weight} %)`
    if (await setWeight(r, from, { state: 'running', step, weight, step_started_at: o.now(), reason: null }, label)) {
      event(r.id, 'step', 'gantry', `${label}: nginx reloaded`)
      publish(r.model, r.id, 'running')
    } else {
      db.prepare('DELETE FROM release_windows WHERE id = ? AND evidence_json IS NULL').run(w.id)
    }
  }

  function saveWindow(r: ReleaseRow, l: Live, cursors: Cursors, ev: StepEvidence): void {
    db.transaction(() => {
      db.prepare('UPDATE release_windows SET acc_json = ?, evidence_json = ? WHERE id = ?').run(
        JSON.stringify(l.acc),
        JSON.stringify(ev),
        l.windowId,
      )
      db.prepare('UPDATE releases SET cursors_json = ? WHERE id = ?').run(JSON.stringify(cursors), r.id)
    })()
  }

  async function finishAbort(r: ReleaseRow, actor: string, reason: string, from: ReleaseState[]): Promise<Release> {
    // The journal and the challenger's share 0 in one transaction, then nginx told; a console
    // rewrites the file until nginx has it, should this write fail.
    db.transaction(() => {
      if (!transition(r.id, from, { state: 'aborted', weight: 0, reason, finished_at: o.now() }, true))
        throw new GantryError('release/conflict', `release #${r.id} changed meanwhile: ${rowOf(r.id).state}`)
      event(r.id, 'aborted', actor, `${reason} — challenger share 0`)
      audit('release.abort', r.model, { release: r.id, reason }, actor)
    })()
    closeWindows(r.id, actor === 'gantry' ? 'fail' : null)
    const res = await applyNow(r.model)
    const retried = o.runs || fresh()
    event(
      r.id,
      res.ok ? 'nginx' : 'error',
      'gantry',
      res.ok
        ? 'nginx reloaded: the challenger gets nothing'
        : `nginx did not take share 0 yet: ${res.message}${retried ? ' (a running console retries)' : ''}`,
    )
    publish(r.model, r.id, 'aborted')
    if (!res.ok && !o.runs)
      throw new GantryError(
        'release/proxy-refused',
        `release #${r.id} is aborted in the journal, but nginx did not take share 0: ${res.message} — ${retried ? 'the running console keeps retrying' : 'no console is running to retry: fix that and run the abort again, or start one'}`,
      )
    return toRelease(rowOf(r.id))
  }

  async function commitPromotion(r: ReleaseRow, actor: string, auto: boolean): Promise<Release> {
    const s = settingsOf(r)
    db.transaction(() => {
      registry.promoteWithin(r.model, s.version, {
        why: `release #${r.id}${auto ? ' (its last step passed)' : ' (promoted by hand)'}`,
      })
      const f = mustFront(r.model)
      saveFront({ ...f, champion: s.challenger })
      const ok = transition(
        r.id,
        ['warming', 'running', 'paused', 'passed'],
        {
          state: 'promoted',
          weight: 100,
          finished_at: o.now(),
          reason: `v${s.version} in production; ${s.challenger} is the champion`,
        },
        true,
      )
      if (!ok) throw new GantryError('release/conflict', `release #${r.id} changed meanwhile`)
      event(
        r.id,
        'promoted',
        actor,
        `v${s.version} promoted: production alias and stage moved, the challenger route retired`,
      )
      audit('release.promote', r.model, { release: r.id, version: s.version, champion: s.challenger, auto }, actor)
    })()
    closeWindows(r.id, auto ? 'pass' : null)
    const res = await applyNow(r.model)
    if (!res.ok)
      event(
        r.id,
        'error',
        'gantry',
        `nginx did not take the new champion yet: ${res.message}${o.runs || fresh() ? ' (a running console retries)' : ''}`,
      )
    publish(r.model, r.id, 'promoted')
    return toRelease(rowOf(r.id))
  }

  /** The open window's counts as the runner keeps them (read back from the journal after a restart). */
  function liveOf(r: ReleaseRow, w: WindowRow): Live {
    let l = live.get(r.id)
    if (!l || l.windowId !== w.id) {
      l = {
        windowId: w.id,
        acc: JSON.parse(w.acc_json) as WindowAcc,
        joiner: new Joiner(settingsOf(r).gates.agreeWithin),
        lastGate: 0,
      }
      live.set(r.id, l)
    }
    return l
  }

  /** Reads the logs into a copy of the window, judges it, and saves both — or neither, when a read fails. */
  async function look(r: ReleaseRow, w: WindowRow, l: Live, final: boolean): Promise<ReturnType<typeof judge>> {
    const s = settingsOf(r)
    const cursors = JSON.parse(r.cursors_json) as Cursors
    const acc = structuredClone(l.acc)
    await ingest(r, { acc, joiner: l.joiner }, cursors)
    const data = windowData(acc, { logs: s.logs !== null, shadow: s.mode === 'shadow' })
    // At 100 % the champion has no traffic of its own: it is the champion of the step before.
    const before = s.mode === 'canary' && r.weight >= 100 ? previousWindow(r.id, w.id) : null
    if (before) {
      const pacc = JSON.parse(before.acc_json) as WindowAcc
      if (acc.slowAbove === null && pacc.slowAbove !== null) acc.slowAbove = pacc.slowAbove
      data.champion = windowData(pacc, { logs: false, shadow: false }).champion
      data.slowAbove = acc.slowAbove
      if (!pacc.numeric) data.outputs = null
      else if (data.outputs) data.outputs.champion = pacc.outputs.champion.values
    }
    let j = judge(data, s.gates, final)
    // The slow line fixed only now (a console that came back after the hold ran out, a quiet
    // champion): the requests counted against it are still to come — one more look, not a verdict.
    const asked = final && data.slowAbove === null && j.slowAbove !== null ? false : final
    if (asked !== final) j = judge(data, s.gates, false)
    const kpis = o.kpis ? await o.kpis(r.model).catch(() => []) : []
    if (kpis.length) {
      j.gates.push(...kpiGates(kpis, asked))
      j.verdict = overall(j.gates)
    }
    if (before)
      for (const g of j.gates)
        if (g.gate === 'errors' || g.gate === 'latency' || g.gate === 'output-shift')
          g.detail += ` — the champion as step ${before.step + 1} measured it (at 100 % it has no traffic)`
    if (acc.slowAbove === null && j.slowAbove !== null) acc.slowAbove = j.slowAbove
    const ev = evidenceOf(acc, j, {
      index: r.step,
      weight: r.weight,
      startedAt: w.started_at,
      endedAt: null,
      verdict: j.verdict === 'pending' ? null : j.verdict,
    })
    saveWindow(r, { ...l, acc }, cursors, ev)
    l.acc = acc
    return j
  }

  const failedGates = (j: ReturnType<typeof judge>): string =>
    j.gates
      .filter((g) => g.verdict === 'fail')
      .map((g) => `${g.gate}: ${g.detail}`)
      .join('; ')

  /** One release, one step forward where its time has come. */
  async function advance(r: ReleaseRow): Promise<void> {
    const s = settingsOf(r)
    if (r.state === 'warming') {
      if (!warmSince.has(r.id)) warmSince.set(r.id, o.now())
      const problem = await warmup(r)
      if (problem) {
        // A model server still loading its weights may take minutes: 5 of them (or 3 gate looks).
        if (o.now() - (warmSince.get(r.id) ?? o.now()) > Math.max(WARMUP_DEADLINE_MS, 3 * s.gateIntervalMs))
          await finishAbort(r, 'gantry', `the challenger did not become ready: ${problem}`, ['warming'])
        return
      }
      warmSince.delete(r.id)
      event(r.id, 'ready', 'gantry', `challenger ready: ${s.warmupRequests} × GET ${s.warmupPath} answered`)
      await beginStep(r, r.step, ['warming'])
      return
    }
    const label = s.mode === 'shadow' ? 'the shadow' : `step ${r.step + 1} (${r.weight} %)`
    const w = openWindow(r.id)
    if (r.state === 'paused') {
      // Paused keeps its share, so it is still watched: a failure aborts it; nothing else moves.
      if (r.weight <= 0) return
      if (!w) {
        const started = await startWindow(r, r.step, r.weight)
        db.prepare('UPDATE releases SET cursors_json = ? WHERE id = ?').run(JSON.stringify(started.cursors), r.id)
        return
      }
      const l = liveOf(r, w)
      if (o.now() - l.lastGate < s.gateIntervalMs) return
      l.lastGate = o.now()
      const j = await look(rowOf(r.id), w, l, false)
      if (j.verdict === 'fail')
        await finishAbort(rowOf(r.id), 'gantry', `gate failed while paused at ${label}: ${failedGates(j)}`, ['paused'])
      return
    }
    // running
    if (!w) {
      await beginStep(r, r.step, ['running'])
      return
    }
    const l = liveOf(r, w)
    const now = o.now()
    if (now - l.lastGate < s.gateIntervalMs) return
    l.lastGate = now
    const final = r.step_started_at !== null && now >= r.step_started_at + s.holdMs
    const j = await look(r, w, l, final)
    const cur = rowOf(r.id)
    if (j.verdict === 'fail' && (cur.state === 'running' || cur.state === 'paused')) {
      await finishAbort(cur, 'gantry', `gate failed at ${label}: ${failedGates(j)}`, ['running', 'paused'])
      return
    }
    if (cur.state !== 'running') return // paused or aborted by someone meanwhile
    publish(r.model, r.id, 'running')
    if (!final || j.verdict === 'pending') return // pending: one more look was asked for
    if (j.verdict !== 'pass') {
      const open = j.gates.filter((g) => g.verdict === 'inconclusive').map((g) => `${g.gate}: ${g.detail}`)
      const reason = `inconclusive at ${label}: ${open.join('; ')} — resume to judge it again, promote, or abort`
      if (transition(r.id, ['running'], { state: 'paused', reason }, false)) {
        closeWindows(r.id, 'inconclusive')
        event(r.id, 'paused', 'gantry', reason)
        publish(r.model, r.id, 'paused')
      }
      return
    }
    closeWindows(r.id, 'pass')
    event(r.id, 'passed', 'gantry', `${label} passed: ${j.gates.map((g) => `${g.gate} ${g.verdict}`).join(', ')}`)
    if (s.mode === 'shadow') {
      if (
        transition(
          r.id,
          ['running'],
          {
            state: 'passed',
            weight: 0,
            finished_at: o.now(),
            reason: 'the shadow passed its gates: promote it, or start a canary',
          },
          true,
        )
      ) {
        await applyNow(r.model)
        audit('release.passed', r.model, { release: r.id, version: s.version }, 'gantry')
        publish(r.model, r.id, 'passed')
      }
      return
    }
    if (r.step + 1 >= s.steps.length) {
      try {
        await commitPromotion(cur, 'gantry', true)
      } catch (err) {
        const reason = `the last step passed, but promotion failed: ${errorMessage(err)} — promote by hand once that is resolved`
        if (transition(r.id, ['running'], { state: 'paused', reason }, false)) {
          event(r.id, 'paused', 'gantry', reason)
          publish(r.model, r.id, 'paused')
        }
      }
      return
    }
    // Never a cold jump: the challenger answers its warm-up again before it gets more.
    const problem = await warmup(cur)
    if (problem) {
      const reason = `warm-up before step ${r.step + 2} failed: ${problem}`
      if (transition(r.id, ['running'], { state: 'paused', reason }, false)) {
        event(r.id, 'paused', 'gantry', reason)
        publish(r.model, r.id, 'paused')
      }
      return
    }
    await beginStep(rowOf(r.id), r.step + 1, ['running'])
  }

  /** Whether a console's runner looked within the last 10 s. */
  function fresh(): boolean {
    const v = (
      db.prepare(`SELECT value FROM release_settings WHERE key = 'heartbeat'`).get() as { value: string } | undefined
    )?.value
    return o.now() - Number(v ?? 0) <= 10_000
  }

  let lastReconcile = 0
  let beat: number | null = null
  // Two consoles on one data directory (a `gantry serve` and the desktop app) must not both carry
  // the releases: one holds a lease it renews every tick; the other waits until it lapses.
  const runnerId = `${process.pid}-${randomUUID()}`
  const LEASE_MS = 5000
  function holdLease(now: number): boolean {
    return db
      .transaction(() => {
        const v = (
          db.prepare(`SELECT value FROM release_settings WHERE key = 'runner'`).get() as { value: string } | undefined
        )?.value
        const held = v ? (JSON.parse(v) as { id: string; at: number }) : null
        if (held && held.id !== runnerId && now - held.at < LEASE_MS) return false
        db.prepare(
          `INSERT INTO release_settings (key, value) VALUES ('runner', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
        ).run(JSON.stringify({ id: runnerId, at: now }))
        return true
      })
      .immediate()
  }

  async function tick(): Promise<void> {
    const now = o.now()
    if (!holdLease(now)) return
    beat = now
    db.prepare(
      `INSERT INTO release_settings (key, value) VALUES ('heartbeat', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    ).run(String(now))
    const rows = db
      .prepare(`SELECT * FROM releases WHERE state IN ('warming','running','paused')`)
      .all() as ReleaseRow[]
    await Promise.all(
      rows
        .filter((r) => !busy.has(r.id))
        .map(async (r) => {
          busy.add(r.id)
          try {
            await advance(r)
          } catch (err) {
            o.log(`gantry: release #${r.id} of ${r.model}: ${errorMessage(err)}`)
            event(r.id, 'error', 'gantry', errorMessage(err))
          } finally {
            busy.delete(r.id)
          }
        }),
    )
    // Whatever the database says now, nginx should have: after another process changed it, and
    // every 10 s in any case (a crash between the journal and the file, a hand edit).
    const full = now - lastReconcile >= RECONCILE_MS
    if (full) lastReconcile = now
    for (const f of db.prepare('SELECT * FROM release_fronts').all() as FrontRow[]) {
      const a = activeRow(f.model)
      const rev = a?.rev ?? -1
      if (!full && lastApplied.get(f.model) === rev) continue
      try {
        const res = await applyNow(f.model)
        if (res.changed && res.ok && a)
          event(a.id, 'reconciled', 'gantry', 'nginx had an older file: rewritten from the journal')
        if (res.changed || !res.ok) publish(f.model, a?.id ?? null, a?.state ?? null)
        lastApplied.set(f.model, rev)
      } catch (err) {
        o.log(`gantry: release front of ${f.model}: ${errorMessage(err)}`)
      }
    }
  }

  let timer: ReturnType<typeof setTimeout> | null = null
  let running: Promise<void> | null = null
  let on = false
  const loop = (): void => {
    if (!on) return
    running = tick()
      .catch((err: unknown) => o.log(`gantry: releases: ${errorMessage(err)}`))
      .finally(() => {
        running = null
        if (on) timer = setTimeout(loop, tickMs)
      })
  }

  const need = (model: string): ReleaseRow => {
    const r = activeRow(model)
    if (!r)
      throw new GantryError('release/none', `${model} has no release in progress (gantry release status ${model})`)
    return r
  }

  return {
    name: 'releases',
    start() {
      if (!o.runs) return
      on = true
      // Releases a stopped console left are carried on from their journal (their windows' counts
      // and log offsets were saved at each gate); nginx kept serving meanwhile.
      for (const r of db
        .prepare(`SELECT id, model, state FROM releases WHERE state IN ('warming','running')`)
        .all() as ReleaseRow[])
        event(r.id, 'resumed', 'gantry', 'a console started: carried on from the journal')
      timer = setTimeout(loop, 0)
    },
    async stop() {
      if (!on) return
      on = false
      if (timer) clearTimeout(timer)
      await running
      // A clean stop says so at once: a CLI starting a release then knows no console carries it,
      // and another console may take the lease.
      db.prepare(`UPDATE release_settings SET value = '0' WHERE key = 'heartbeat'`).run()
      db.prepare(`DELETE FROM release_settings WHERE key = 'runner' AND value LIKE ?`).run(`{"id":"${runnerId}"%`)
    },
    fronts: () => (db.prepare('SELECT * FROM release_fronts ORDER BY model').all() as FrontRow[]).map(toFront),
    front: (model) => {
      const r = frontRow(model)
      return r ? toFront(r) : null
    },
    async addFront(input, actor) {
      if (!registry.hasModel(input.model))
        throw new GantryError('registry/unknown-model', `no model ${input.model}: register it first`)
      const host = input.host ?? LOCAL_HOST
      if (!o.hostExists(host)) throw new GantryError('hosts/unknown-host', `no host ${host} (gantry hosts lists them)`)
      const active = activeRow(input.model)
      if (active)
        throw new GantryError(
          'release/busy',
          `${input.model} has release #${active.id} ${active.state}: its front cannot change now`,
        )
      const access = o.accessOf(host)
      const dir = await access.files.resolve(input.nginxDir, { what: 'the nginx folder', kind: 'dir' })
      // nginx reads the paths unquoted (and would expand a $ in a log path): plain characters only.
      if (!/^\/[A-Za-z0-9._/-]*$/.test(dir))
        throw new GantryError(
          'release/invalid',
          `the nginx folder ${JSON.stringify(dir)} has characters nginx would read as syntax: use a path of letters, digits and . _ - /`,
        )
      const listen = input.listen
      // One port, one front: "8080" listens on every address, so it collides with "10.0.0.5:8080".
      const split = (a: string): { addr: string; port: string } => {
        const i = a.lastIndexOf(':')
        return i < 0 ? { addr: '*', port: a } : { addr: a.slice(0, i), port: a.slice(i + 1) }
      }
      const mine = split(listen)
      for (const other of (db.prepare('SELECT * FROM release_fronts').all() as FrontRow[]).map(toFront)) {
        const theirs = split(other.listen)
        if (
          other.model !== input.model &&
          other.host === host &&
          theirs.port === mine.port &&
          (theirs.addr === mine.addr || theirs.addr === '*' || mine.addr === '*')
        )
          throw new GantryError(
            'release/invalid',
            `${listen} on ${host} overlaps ${other.model}'s front (${other.listen})`,
          )
      }
      const names = frontNames(input.model, dir)
      const cmds = commandsOf(input.reloadCommand, input.testCommand)
      const existing = frontRow(input.model)
      const front: Front = {
        model: input.model,
        host,
        dir,
        file: names.file,
        accessLog: names.accessLog,
        shadowLog: names.shadowLog,
        listen,
        champion: input.champion,
        key: input.key ?? null,
        reloadCommand: cmds.reload,
        testCommand: cmds.test,
        createdAt: existing?.created_at ?? o.now(),
        applied: null,
      }
      const problems = await router.check(front)
      if (problems.length) throw new GantryError('release/unavailable', problems.join('; '))
      const res = await router.apply(front, {
        mode: 'off',
        weight: 0,
        challenger: null,
        idempotent: [],
        maxMirrorBody: 0,
        mirrorTimeoutMs: 5000,
        release: null,
        rev: 0,
      })
      if (!res.ok) throw new GantryError('release/proxy-refused', res.message)
      saveFront({ ...front, applied: { at: o.now(), ok: true, rev: 0, message: res.message } })
      // Moved (another folder or host): the old file would keep serving the old front — remove it.
      const old = existing ? toFront(existing) : null
      if (old && (old.file !== front.file || old.host !== front.host)) {
        const gone = await router.remove(old).catch((err: unknown) => ({ ok: false, message: errorMessage(err) }))
        if (!gone.ok)
          res.warnings.push(`the front's old file ${old.file} on ${old.host} could not be removed: ${gone.message}`)
      }
      audit(
        'front.add',
        input.model,
        { host, file: front.file, listen, champion: front.champion, key: front.key, reload: front.reloadCommand },
        actor,
      )
      publish(input.model, null, null)
      return { front: mustFront(input.model), warnings: res.warnings }
    },
    async removeFront(model, actor) {
      const f = mustFront(model)
      const active = activeRow(model)
      if (active)
        throw new GantryError(
          'release/busy',
          `${model} has release #${active.id} ${active.state}: abort or promote it first`,
        )
      const res = await router.remove(f)
      if (!res.ok) throw new GantryError('release/proxy-refused', res.message)
      db.prepare('DELETE FROM release_fronts WHERE model = ?').run(model)
      audit('front.remove', model, { file: f.file }, actor)
      publish(model, null, null)
    },
    async plan(input) {
      return (await prepare(input)).plan
    },
    async begin(input, actor) {
      const { plan, settings } = await prepare(input)
      const id = db.transaction(() => {
        const busyNow = activeRow(input.model)
        if (busyNow)
          throw new GantryError('release/busy', `${input.model} has release #${busyNow.id} ${busyNow.state} already`)
        const rid = Number(
          db
            .prepare(
              `INSERT INTO releases (model, json, state, step, weight, headroom_json, champion_version, actor, started_at, rev)
               VALUES (?, ?, 'warming', 0, 0, ?, ?, ?, ?, 1)`,
            )
            .run(
              input.model,
              JSON.stringify(settings),
              JSON.stringify(plan.headroom),
              plan.championVersion,
              actor,
              o.now(),
            ).lastInsertRowid,
        )
        event(
          rid,
          'started',
          actor,
          `${settings.mode} of v${settings.version} at ${settings.challenger}: ${settings.mode === 'shadow' ? `${settings.steps[0]} % mirrored` : `steps ${settings.steps.join(' → ')} %`}, each held ${Math.round(settings.holdMs / 1000)} s${plan.warnings.length ? `; ${plan.warnings.join('; ')}` : ''}`,
        )
        audit(
          'release.start',
          input.model,
          {
            release: rid,
            mode: settings.mode,
            version: settings.version,
            challenger: settings.challenger,
            steps: settings.steps,
            holdMs: settings.holdMs,
          },
          actor,
        )
        return rid
      })()
      publish(input.model, id, 'warming')
      const warnings = [...plan.warnings]
      if (!o.runs) {
        const hb = Number(
          (
            db.prepare(`SELECT value FROM release_settings WHERE key = 'heartbeat'`).get() as
              { value: string } | undefined
          )?.value ?? 0,
        )
        if (o.now() - hb > 10_000)
          warnings.push(
            'no console is running: the release waits for one (gantry serve or the desktop app) to carry it out',
          )
      }
      return { release: toRelease(rowOf(id)), warnings }
    },
    status(model) {
      const f = frontRow(model)
      const a = activeRow(model)
      const rows = db
        .prepare('SELECT * FROM releases WHERE model = ? ORDER BY id DESC LIMIT 20')
        .all(model) as ReleaseRow[]
      const current = a ?? rows[0]
      return {
        front: f ? toFront(f) : null,
        release: current ? toRelease(current) : null,
        past: rows
          .filter((r) => r.id !== current?.id)
          .map((r) => {
            const { evidence: _e, events: _v, ...rest } = toRelease(r)
            return rest
          }),
      }
    },
    active: () =>
      (
        db
          .prepare(`SELECT * FROM releases WHERE state IN ('warming','running','paused') ORDER BY id`)
          .all() as ReleaseRow[]
      ).map(toRelease),
    pause(model, actor, reason) {
      const r = need(model)
      if (r.state === 'paused') throw new GantryError('release/invalid', `release #${r.id} is paused already`)
      const why = reason ?? `paused by ${actor}`
      if (!transition(r.id, ['warming', 'running'], { state: 'paused', reason: why }, false))
        throw new GantryError('release/conflict', `release #${r.id} changed meanwhile`)
      // The window stays open: a paused release keeps its share and is still watched for failures.
      event(r.id, 'paused', actor, `${why} (the challenger keeps its ${r.weight} %)`)
      audit('release.pause', model, { release: r.id, weight: r.weight }, actor)
      publish(model, r.id, 'paused')
      return toRelease(rowOf(r.id))
    },
    resume(model, actor) {
      const r = need(model)
      if (r.state !== 'paused') throw new GantryError('release/invalid', `release #${r.id} is ${r.state}, not paused`)
      // A fresh window at the same step (the runner opens it): the evidence before the pause stays as it was judged.
      const to: ReleaseState = r.weight > 0 ? 'running' : 'warming'
      if (!transition(r.id, ['paused'], { state: to, reason: null, step_started_at: o.now() }, false))
        throw new GantryError('release/conflict', `release #${r.id} changed meanwhile`)
      closeWindows(r.id, null)
      event(r.id, 'resumed', actor, `resumed at step ${r.step + 1}: judged again over a new window`)
      audit('release.resume', model, { release: r.id }, actor)
      publish(model, r.id, to)
      return toRelease(rowOf(r.id))
    },
    async abort(model, actor, reason) {
      const r = need(model)
      return finishAbort(r, actor, reason ?? `aborted by ${actor}`, ['warming', 'running', 'paused'])
    },
    async promote(model, actor) {
      let r = activeRow(model)
      if (!r) {
        const last = db.prepare('SELECT * FROM releases WHERE model = ? ORDER BY id DESC LIMIT 1').get(model) as
          ReleaseRow | undefined
        if (last?.state === 'passed') r = last
      }
      if (!r)
        throw new GantryError('release/none', `${model} has no release to promote (gantry release status ${model})`)
      // By hand it may come from a shadow that passed days ago: the challenger must answer now.
      const problem = await warmup(r)
      if (problem) throw new GantryError('release/unavailable', `not promoted: ${problem}`)
      return commitPromotion(r, actor, false)
    },
    tick,
    heartbeat: () => {
      if (beat !== null) return beat
      const v = (
        db.prepare(`SELECT value FROM release_settings WHERE key = 'heartbeat'`).get() as { value: string } | undefined
      )?.value
      return v ? Number(v) : null
    },
  }
}
