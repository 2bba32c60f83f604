// Drift monitoring per model: a folder the serving stack writes inference logs into (JSONL or
// CSV files) is read incrementally — new files and appended lines picked up, a rotated or
// truncated file read again from its start, a partial last line left for the next poll; Parquet
// files dropped in are read once their footer is written, row by row from where the last poll
// stopped (a rewritten file from its start) — and cut
// into windows (every N rows, or by hour / day / week of a timestamp column). Each complete window
// is compared with the production version's reference dataset (its sha256 checked against the
// registry first), and the result is stored and announced. Memory: one window's columns at a time.
import Papa from 'papaparse'
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { Db } from '../db/database'
import { GantryError, errorMessage } from '../errors'
import type { FileAccess } from '../files/local-files'
import {
  DriftMonitorConfig,
  type DriftCrossing,
  type DriftReport,
  type DriftWindow,
  type MonitorPerformance,
  type MonitorStatus,
  type Performance,
} from '../../../shared/drift'
import type { Registry } from '../registry/registry'
import { fingerprintDataset } from '../registry/hash'
import { compareTables } from './report'
import { TableBuilder, jsonLine, readTable, type ColumnType, type Table } from './table'
import { parquetRowBatches } from './parquet'
import { metricsOf, readTruth, truthFiles, truthKey, truthNumber } from './performance'
import { profileOf, storeProfile, storedProfile, tableOfProfile } from './profile'

const READ_CAP = 8 << 20 // per file per poll: a huge backlog is worked through over several polls
/** How long a read lease lasts without a commit renewing it (a crashed reader blocks no longer). */
const LEASE_MS = 10 * 60_000

interface FileState {
  ino: number
  /** Text logs: the byte after the last row taken. Parquet: the number of rows taken. */
  offset: number
  /** CSV: the header line's fields. */
  header?: string[]
  /** Parquet: the size and modification time the rows were counted on (a change means rewritten). */
  size?: number
  mtimeMs?: number
}
interface State {
  files: Record<string, FileState>
  problems: string[]
}

const WINDOW_MS = { hour: 3600_000, day: 86_400_000, week: 7 * 86_400_000 } as const

export function windowStart(t: number, by: 'hour' | 'day' | 'week'): number {
  if (by === 'week') {
    // Weeks start on Monday 00:00 UTC.
    const day = Math.floor(t / 86_400_000)
    const dow = (day + 3) % 7 // 1970-01-01 was a Thursday
    return (day - dow) * 86_400_000
  }
  return Math.floor(t / WINDOW_MS[by]) * WINDOW_MS[by]
}

function parseTime(v: unknown): number | null {
  if (typeof v === 'number') return v > 1e12 ? v : v * 1000 // ms or s since the epoch
  if (typeof v !== 'string' || !v.trim()) return null
  const s = /^\d{4}-\d{2}-\d{2} \d/.test(v) ? `${v.replace(' ', 'T')}Z` : v
  const t = Date.parse(s)
  return Number.isNaN(t) ? null : t
}

/** Why a new monitor config makes the stored read positions meaningless, or null if they still hold. */
function resetReason(
  before: DriftMonitorConfig,
  after: DriftMonitorConfig,
  afterReal: string,
  beforeReal: string,
): string | null {
  if ((before.host ?? 'local') !== (after.host ?? 'local')) {
    return `the folder is now on ${after.host ?? 'local'}, was on ${before.host ?? 'local'}`
  }
  if (afterReal !== beforeReal) return `the folder changed from ${before.folder} to ${after.folder}`
  if (before.windowBy !== after.windowBy) return `windows are now by ${after.windowBy}, were by ${before.windowBy}`
  if (after.windowBy === 'rows' && before.windowRows !== after.windowRows) {
    return `windows are now ${after.windowRows} rows, were ${before.windowRows}`
  }
  if (after.windowBy !== 'rows' && (before.timestampColumn ?? null) !== (after.timestampColumn ?? null)) {
    return `the timestamp column changed from ${before.timestampColumn ?? '(read time)'} to ${after.timestampColumn ?? '(read time)'}`
  }
  return null
}

async function realOf(files: FileAccess, path: string): Promise<string> {
  try {
    return await files.resolve(path, { what: 'log folder', kind: 'dir' })
  } catch {
    return path // gone (or no longer allowed): compared by name
  }
}

/** Per model: the inference-log folder it watches, the windows closed from it. */
export interface DriftMonitor {
  /** The models with a monitor. */
  monitored(): string[]
  configOf(model: string): DriftMonitorConfig | null
  /** Reads what is new in the folder now; returns the windows that closed. */
  poll(model: string): Promise<DriftWindow[]>
  latest(model: string): DriftWindow | null
  setMonitor(model: string, config: DriftMonitorConfig | null): Promise<MonitorStatus>
  status(model: string): MonitorStatus
  windows(model: string, limit?: number): DriftWindow[]
  /** Every monitored model, polled once (the console's timer). */
  pollAll(): Promise<void>
}

export function createDriftMonitor(o: {
  db: Db
  registry: Registry
  /** How references are read (regular files in allowed folders, on this machine). */
  files: FileAccess
  /** How a monitor's log folder and ground truth are read: on the host the config names (SFTP
   *  for an SSH host), default this machine. */
  filesOf(host: string | undefined): FileAccess
  now: () => number
  publish(w: DriftWindow): void
  /** A window whose verdict differs from the previous window's. */
  crossed?(c: DriftCrossing): void
  log(line: string): void
}) {
  const open = new Map<
    string,
    { builder: TableBuilder; start: number | null; at: number; preds: [string, number | null, number | null][] }
  >()
  // Read positions as far as this process has read. The database holds them only as of the last
  // closed window, so after a restart the rows of the open window are read again, not lost.
  const live = new Map<string, State>()
  const references = new Map<string, { key: string; table: Table; types: Record<string, ColumnType> }>()

  const row = (model: string) =>
    o.db
      .prepare('SELECT config_json, state_json, rev, last_error, last_error_at FROM drift_monitors WHERE model = ?')
      .get(model) as
      | {
          config_json: string
          state_json: string
          rev: number
          last_error: string | null
          last_error_at: number | null
        }
      | undefined
  // This process's identity for the read lease, and the revision of each model's positions as
  // this process last committed or loaded them.
  const me = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  const seenRev = new Map<string, number>()

  function configOf(model: string): DriftMonitorConfig | null {
    const r = row(model)
    return r ? DriftMonitorConfig.parse(JSON.parse(r.config_json)) : null
  }

  /** The production version's reference, from its stored profile — computed once from the dataset
   *  (sha256 checked against the registry) and kept in the database. */
  async function reference(
    model: string,
  ): Promise<{ version: number; table: Table; types: Record<string, ColumnType> }> {
    const version = o.registry.productionVersion(model)
    if (version === null)
      throw new GantryError('drift/invalid-data', `${model} has no production version to compare against`)
    const v = o.registry.getVersion(model, version).version
    const ref = v.datasets.find((d) => d.role === 'reference')
    if (!ref)
      throw new GantryError(
        'drift/invalid-data',
        `${model} v${version} has no reference dataset: register one with --reference`,
      )
    const key = `${version}:${ref.sha256}`
    const cached = references.get(model)
    if (cached?.key === key) return { version, table: cached.table, types: cached.types }
    let profile = storedProfile(o.db, model, version, ref.sha256)
    if (!profile) {
      if (ref.sha256) {
        const fp = await fingerprintDataset(o.files, ref.uri)
        if (fp.sha256 !== ref.sha256) {
          throw new GantryError(
            'drift/invalid-data',
            `the reference dataset ${ref.uri} changed since v${version} was registered (sha256 differs)`,
          )
        }
      }
      profile = profileOf(await readTable(o.files, ref.uri))
      storeProfile(o.db, model, version, ref.sha256, profile, o.now())
    }
    const { table, types } = tableOfProfile(profile, ref.uri)
    references.set(model, { key, table, types })
    return { version, table, types }
  }

  function toWindow(r: {
    id: number
    model: string
    version: number | null
    window_start: number | null
    window_end: number | null
    rows: number
    drifted: number
    share: number
    report_json: string
    performance_json: string | null
    performance_at: number | null
    created_at: number
  }): DriftWindow {
    return {
      id: r.id,
      model: r.model,
      version: r.version,
      windowStart: r.window_start,
      windowEnd: r.window_end,
      rows: r.rows,
      drifted: r.drifted === 1,
      share: r.share,
      report: JSON.parse(r.report_json) as DriftReport,
      performance: r.performance_json ? (JSON.parse(r.performance_json) as Performance) : null,
      performanceAt: r.performance_at,
      at: r.created_at,
    }
  }

  /** Read positions committed with the window that ends at them (one transaction: a crash can
   *  never leave a stored window whose rows would be read again). */
  function saveState(model: string, stateJson: string): void {
    o.db
      .prepare(
        'UPDATE drift_monitors SET state_json = ?, updated_at = ?, rev = rev + 1, lease_until = ? WHERE model = ?',
      )
      .run(stateJson, o.now(), o.now() + LEASE_MS, model)
    seenRev.set(model, (seenRev.get(model) ?? 0) + 1)
  }

  async function closeWindow(
    model: string,
    cfg: DriftMonitorConfig,
    end: number | null,
    positions: () => string,
  ): Promise<DriftWindow | null> {
    const w = open.get(model)
    open.delete(model)
    if (!w || w.builder.rows === 0) {
      saveState(model, positions())
      return null
    }
    const { version, table, types } = await reference(model)
    const report = await compareTables(table, w.builder.table(), {
      referenceTypes: types,
      types: cfg.types,
      idColumn: cfg.idColumn,
      predictionColumns: cfg.predictionColumns,
      methods: cfg.methods,
      thresholds: cfg.thresholds,
      driftShare: cfg.driftShare,
    })
    // The report's column arrays were sorted in place; the reference stays valid for the next window.
    // The window and its predictions (for the ground truth that arrives later) in one transaction.
    const insertPred = o.db.prepare(
      'INSERT OR REPLACE INTO drift_window_predictions (window_id, row_key, prediction, score) VALUES (?, ?, ?, ?)',
    )
    const prev = o.db
      .prepare('SELECT drifted FROM drift_windows WHERE model = ? ORDER BY id DESC LIMIT 1')
      .get(model) as { drifted: number } | undefined
    const id = o.db.transaction(() => {
      const wid = Number(
        o.db
          .prepare(
            `INSERT INTO drift_windows (model, version, window_start, window_end, rows, drifted, share, report_json, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            model,
            version,
            w.start,
            end,
            w.builder.rows,
            report.dataset.drifted ? 1 : 0,
            report.dataset.share,
            JSON.stringify(report),
            o.now(),
          ).lastInsertRowid,
      )
      for (const [key, p, sc] of w.preds) insertPred.run(wid, key, p, sc)
      saveState(model, positions())
      return wid
    })()
    const stored = toWindow(
      o.db.prepare('SELECT * FROM drift_windows WHERE id = ?').get(id) as Parameters<typeof toWindow>[0],
    )
    o.publish(stored)
    const previous = prev ? prev.drifted === 1 : null
    if (previous === null ? stored.drifted : previous !== stored.drifted) {
      o.crossed?.({
        model,
        windowId: stored.id,
        drifted: stored.drifted,
        previous,
        share: stored.share,
        threshold: stored.report.dataset.threshold,
        at: stored.at,
      })
    }
    return stored
  }

  /** Reads what is new in the folder; closes every window that completed. Returns them. One
   *  process at a time per model (a lease in the database). */
  async function poll(model: string): Promise<DriftWindow[]> {
    const t = o.now()
    const got = o.db
      .prepare(
        `UPDATE drift_monitors SET lease_owner = ?, lease_until = ?
          WHERE model = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)`,
      )
      .run(me, t + LEASE_MS, model, me, t)
    if (got.changes === 0) {
      const holder = o.db.prepare('SELECT lease_owner FROM drift_monitors WHERE model = ?').get(model) as
        { lease_owner: string | null } | undefined
      if (!holder) throw new GantryError('drift/invalid-data', `${model} has no drift monitor`)
      // A holder on this host whose process is gone (killed, crashed) holds nothing: taken over.
      const [host, pid] = (holder.lease_owner ?? '').split(':')
      const taken =
        host === hostname() &&
        !alive(Number(pid)) &&
        o.db
          .prepare('UPDATE drift_monitors SET lease_owner = ?, lease_until = ? WHERE model = ? AND lease_owner = ?')
          .run(me, t + LEASE_MS, model, holder.lease_owner).changes === 1
      if (taken) {
        o.log(`gantry: drift monitor for ${model}: took over the read lease of ${holder.lease_owner} (no such process)`)
        try {
          return await pollLeased(model)
        } finally {
          release(model)
        }
      }
      throw new GantryError(
        'drift/busy',
        `another Gantry process (${holder.lease_owner}) is reading ${model}'s log folder now; try again when it is done`,
      )
    }
    try {
      return await pollLeased(model)
    } finally {
      release(model)
    }
  }

  function release(model: string): void {
    o.db
      .prepare('UPDATE drift_monitors SET lease_owner = NULL, lease_until = NULL WHERE model = ? AND lease_owner = ?')
      .run(model, me)
  }

  function alive(pid: number): boolean {
    if (!Number.isInteger(pid) || pid <= 0) return false
    try {
      process.kill(pid, 0)
      return true
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM' // exists, another user's
    }
  }

  async function pollLeased(model: string): Promise<DriftWindow[]> {
    const r = row(model)
    if (!r) throw new GantryError('drift/invalid-data', `${model} has no drift monitor`)
    const cfg = DriftMonitorConfig.parse(JSON.parse(r.config_json))
    const logs = o.filesOf(cfg.host)
    if (live.has(model) && seenRev.get(model) !== r.rev) {
      // Another process committed positions since this one last did: the rows of this process's
      // open window may be in its closed windows now. Drop them and continue from its positions.
      live.delete(model)
      open.delete(model)
      o.log(
        `gantry: drift monitor for ${model}: another process read the folder meanwhile; continuing from its positions`,
      )
    }
    if (!live.has(model)) seenRev.set(model, r.rev)
    const state = live.get(model) ?? (JSON.parse(r.state_json) as State)
    state.files ??= {}
    state.problems = []
    live.set(model, state)
    const positions = (): string => JSON.stringify(state)
    const closed: DriftWindow[] = []
    let names: string[]
    try {
      names = (await logs.list(cfg.folder, { what: 'log folder' }))
        .filter((e) => e.kind !== 'dir' && /\.(jsonl|ndjson|csv|parquet)$/i.test(e.name))
        .map((e) => e.name)
    } catch (err) {
      // Kept in the database: the model, the Models list and the health roll-up show it until a read works.
      const message = `cannot read the log folder ${cfg.folder}: ${errorMessage(err)}`
      o.db
        .prepare('UPDATE drift_monitors SET last_error = ?, last_error_at = ? WHERE model = ?')
        .run(message, o.now(), model)
      throw new GantryError('drift/invalid-data', message)
    }
    o.db
      .prepare(
        'UPDATE drift_monitors SET last_error = NULL, last_error_at = NULL WHERE model = ? AND last_error IS NOT NULL',
      )
      .run(model)
    /** One row into the open window. `taken` moves the read position past the row: called before
     *  a row window that this row completes is closed, so that window's positions include it. */
    const take = async (rec: Record<string, unknown>, taken: () => void): Promise<void> => {
      let w = open.get(model)
      const t =
        cfg.windowBy === 'rows' ? null : (parseTime(cfg.timestampColumn ? rec[cfg.timestampColumn] : null) ?? o.now())
      const start = cfg.windowBy === 'rows' || t === null ? null : windowStart(t, cfg.windowBy)
      if (w && cfg.windowBy !== 'rows' && start !== null && w.start !== null && start !== w.start) {
        // The row that opens the next window is not in the closed one: commit the position before it.
        const done = await closeWindow(model, cfg, w.start + WINDOW_MS[cfg.windowBy], positions)
        if (done) closed.push(done)
        w = undefined
      }
      if (!w) {
        w = { builder: new TableBuilder(`${cfg.folder} (window)`), start, at: o.now(), preds: [] }
        open.set(model, w)
      }
      w.builder.addObject(rec)
      const perf = cfg.performance
      if (perf && cfg.idColumn) {
        const k = truthKey(rec[cfg.idColumn])
        if (k !== null) {
          w.preds.push([
            k,
            truthNumber(rec[perf.predictionColumn]),
            perf.scoreColumn ? truthNumber(rec[perf.scoreColumn]) : null,
          ])
        }
      }
      if (cfg.windowBy === 'rows' && w.builder.rows >= cfg.windowRows) {
        taken()
        const done = await closeWindow(model, cfg, null, positions)
        if (done) closed.push(done)
      }
    }
    for (const name of names) {
      const path = join(cfg.folder, name)
      const st = await logs.stat(path)
      if (!st) continue // removed meanwhile
      if (!st.isFile()) {
        state.problems.push(`${name}: not a regular file (a FIFO, a device, a folder); skipped`)
        continue
      }
      let f = state.files[name]
      if (/\.parquet$/i.test(name)) {
        if (!f || f.ino !== st.ino || f.size !== st.size || f.mtimeMs !== st.mtimeMs) {
          f = { ino: st.ino, offset: 0, size: st.size, mtimeMs: st.mtimeMs }
          state.files[name] = f
        }
        const pf = f
        try {
          for await (const batch of parquetRowBatches(logs, path, pf.offset)) {
            for (const rec of batch) {
              const next = pf.offset + 1
              await take(rec, () => (pf.offset = next))
              pf.offset = next
            }
          }
        } catch (err) {
          // Still being written (no footer yet) or not Parquet: said, and tried again next poll.
          state.problems.push(`${name}: ${errorMessage(err).replace(`${path}: `, '')}; will retry`)
        }
        continue
      }
      if (!f || f.ino !== st.ino || st.size < f.offset) {
        // New, replaced (rotation) or truncated: read from its start.
        f = { ino: st.ino, offset: 0 }
        state.files[name] = f
      }
      if (st.size <= f.offset) continue
      const len = Math.min(st.size - f.offset, READ_CAP)
      const buf = Buffer.alloc(len)
      let got = 0
      try {
        const file = await logs.open(path, { what: 'log file' })
        try {
          if (file.ino !== f.ino) continue // replaced between the stat and the open: next poll
          got = await file.read(buf, 0, len, f.offset)
        } finally {
          await file.close()
        }
      } catch (err) {
        state.problems.push(`${name}: ${errorMessage(err)}`)
        continue
      }
      if (got < len) buf.fill(0, got) // shrank meanwhile: only what was there
      const data = got < len ? buf.subarray(0, got) : buf
      const lastNl = data.lastIndexOf(10)
      if (lastNl < 0) continue // a partial line: wait for its end
      // Line by line, so the read position is exact at every row (a window may close mid-file).
      const base = f.offset
      let pos = 0
      while (pos <= lastNl) {
        const nl = data.indexOf(10, pos)
        const line = data.subarray(pos, nl).toString('utf8').replace(/\r$/, '')
        pos = nl + 1
        const after = base + pos // just after this line
        // Until the row is taken, the position stays before it: a time window closed by this row
        // commits a position that does not include it.
        if (!line.trim()) {
          f.offset = after
          continue
        }
        let rec: Record<string, unknown> | string
        if (/\.csv$/i.test(name)) {
          const fields = Papa.parse<string[]>(line).data[0] ?? []
          if (!f.header) {
            f.header = fields.map((h) => h.trim())
            f.offset = after
            continue
          }
          const obj: Record<string, unknown> = {}
          f.header.forEach((h, i) => (obj[h] = i < fields.length ? fields[i] : null))
          rec = obj
        } else rec = jsonLine(line)
        if (typeof rec === 'string') {
          state.problems.push(`${name}: a line is ${rec}; skipped`)
          f.offset = after
          continue
        }
        const file = f
        await take(rec, () => (file.offset = after))
        f.offset = after
      }
    }
    if (cfg.performance && cfg.idColumn) {
      const scored = await scorePerformance(model, cfg.idColumn, cfg.performance, state, logs)
      for (const c of closed) {
        const again = scored.get(c.id)
        if (again) Object.assign(c, { performance: again.performance, performanceAt: again.performanceAt })
      }
    }
    return closed
  }

  /** Last ground-truth files seen per model (size and mtime): unchanged truth and no new window
   *  means nothing to recompute. */
  const truthSeen = new Map<string, string>()

  /**
   * Realized performance of the windows whose ground truth is not complete yet (the latest 50):
   * their stored predictions joined by id with the truth read now. Stored per window.
   */
  async function scorePerformance(
    model: string,
    idColumn: string,
    perf: MonitorPerformance,
    state: State,
    logs: FileAccess,
  ): Promise<Map<number, DriftWindow>> {
    const out = new Map<number, DriftWindow>()
    const pending = o.db
      .prepare(
        `SELECT id, rows FROM drift_windows
          WHERE model = ? AND (performance_json IS NULL OR json_extract(performance_json, '$.matched') < json_extract(performance_json, '$.rows'))
          ORDER BY id DESC LIMIT 50`,
      )
      .all(model) as { id: number; rows: number }[]
    if (pending.length === 0) return out
    let files
    try {
      files = await truthFiles(logs, perf.groundTruth)
    } catch (err) {
      state.problems.push(errorMessage(err))
      return out
    }
    const signature = `${pending.map((p) => p.id).join(',')}|${files.map((f) => `${f.path}:${f.size}:${f.mtimeMs}`).join(',')}`
    if (truthSeen.get(model) === signature) return out
    const predsOf = o.db.prepare('SELECT row_key, prediction, score FROM drift_window_predictions WHERE window_id = ?')
    const byWindow = pending.map((p) => ({
      ...p,
      preds: predsOf.all(p.id) as { row_key: string; prediction: number | null; score: number | null }[],
    }))
    const wanted = new Set<string>()
    for (const w of byWindow) for (const r of w.preds) wanted.add(r.row_key)
    const { truth, problems } = await readTruth(logs, perf.groundTruth, idColumn, perf.targetColumn, wanted)
    state.problems.push(...problems)
    const at = o.now()
    const save = o.db.prepare('UPDATE drift_windows SET performance_json = ?, performance_at = ? WHERE id = ?')
    o.db.transaction(() => {
      for (const w of byWindow) {
        const ys: number[] = []
        const ps: number[] = []
        const ss: number[] = []
        for (const r of w.preds) {
          const y = truth.get(r.row_key)
          if (y === undefined || r.prediction === null || (perf.scoreColumn && r.score === null)) continue
          ys.push(y)
          ps.push(r.prediction)
          ss.push(r.score ?? 0)
        }
        if (ys.length === 0) continue // no truth for this window yet
        save.run(JSON.stringify(metricsOf(ys, ps, perf.scoreColumn ? ss : null, w.rows, perf.task)), at, w.id)
      }
    })()
    truthSeen.set(model, signature)
    for (const w of byWindow) {
      const r = o.db.prepare('SELECT * FROM drift_windows WHERE id = ?').get(w.id) as Parameters<typeof toWindow>[0]
      if (r.performance_json) out.set(w.id, toWindow(r))
    }
    return out
  }

  function latest(model: string): DriftWindow | null {
    const r = o.db.prepare('SELECT * FROM drift_windows WHERE model = ? ORDER BY id DESC LIMIT 1').get(model) as
      Parameters<typeof toWindow>[0] | undefined
    return r ? toWindow(r) : null
  }

  return {
    configOf,
    poll,
    latest,
    /**
     * Sets (or with null removes) a model's monitor. Its read positions are kept when the folder
     * and the window definition are the same (re-running `gantry drift-monitor` with the same
     * arguments counts no row twice); otherwise they are reset, and the answer says why.
     */
    async setMonitor(model: string, config: DriftMonitorConfig | null): Promise<MonitorStatus> {
      o.registry.getModel(model) // must exist
      if (config?.performance && !config.idColumn) {
        throw new GantryError(
          'contract/invalid-input',
          'realized performance joins ground truth to the logged rows by id: set the id column too',
        )
      }
      let note: string | null = null
      if (config) {
        // The folder is checked now, not at the first poll: a typo or a folder Gantry may not read is said at once.
        const logs = o.filesOf(config.host)
        const real = await logs.resolve(config.folder, { what: 'log folder', kind: 'dir' }).catch((err: unknown) => {
          throw new GantryError((err as GantryError).code ?? 'drift/invalid-data', errorMessage(err))
        })
        // Resolving is not reading: a folder Gantry may name but not list (its permissions, an SSH
        // login without access) is refused now, not at the first poll.
        await logs.list(real, { what: 'log folder' }).catch((err: unknown) => {
          throw new GantryError(
            'drift/invalid-data',
            `cannot read the log folder ${config.folder}: ${errorMessage(err)}`,
          )
        })
        if (config.performance) await logs.resolveNew(config.performance.groundTruth, { what: 'ground truth' })
        const before = configOf(model)
        const why = before
          ? resetReason(before, config, real, await realOf(o.filesOf(before.host), before.folder))
          : null
        const keep = before !== null && why === null
        note = keep
          ? 'read positions kept: the same folder and windows, so no row is read twice'
          : before
            ? `read positions reset (${why}): the folder is read from its start`
            : null
        o.db
          .prepare(
            `INSERT INTO drift_monitors (model, config_json, updated_at) VALUES (?, ?, ?)
             ON CONFLICT(model) DO UPDATE SET config_json = excluded.config_json,
               state_json = CASE WHEN ? THEN state_json ELSE '{}' END,
               rev = CASE WHEN ? THEN rev ELSE rev + 1 END,
               updated_at = excluded.updated_at,
               last_error = NULL, last_error_at = NULL`,
          )
          .run(model, JSON.stringify(config), o.now(), keep ? 1 : 0, keep ? 1 : 0)
        if (keep) {
          references.delete(model) // thresholds or methods may differ for the windows to come
          truthSeen.delete(model)
          return { ...this.status(model), note }
        }
      } else o.db.prepare('DELETE FROM drift_monitors WHERE model = ?').run(model)
      open.delete(model)
      live.delete(model)
      seenRev.delete(model)
      references.delete(model)
      truthSeen.delete(model)
      return { ...this.status(model), note }
    },
    status(model: string): MonitorStatus {
      const r = row(model)
      const state = live.get(model) ?? (r ? (JSON.parse(r.state_json) as Partial<State>) : null)
      return {
        model,
        config: r ? DriftMonitorConfig.parse(JSON.parse(r.config_json)) : null,
        openRows: open.get(model)?.builder.rows ?? 0,
        problems: state?.problems ?? [],
        lastError: r?.last_error ? { message: r.last_error, at: r.last_error_at ?? 0 } : null,
        latest: latest(model),
        note: null,
      }
    },
    windows(model: string, limit = 100): DriftWindow[] {
      return (
        o.db
          .prepare('SELECT * FROM drift_windows WHERE model = ? ORDER BY id DESC LIMIT ?')
          .all(model, limit) as Parameters<typeof toWindow>[0][]
      ).map(toWindow)
    },
    monitored(): string[] {
      return (o.db.prepare('SELECT model FROM drift_monitors ORDER BY model').all() as { model: string }[]).map(
        (m) => m.model,
      )
    },
    /** Every monitored model, polled once (the console's timer). */
    async pollAll(): Promise<void> {
      const models = (o.db.prepare('SELECT model FROM drift_monitors').all() as { model: string }[]).map((m) => m.model)
      for (const m of models) {
        try {
          await poll(m)
        } catch (err) {
          o.log(`gantry: drift monitor for ${m}: ${errorMessage(err)}`)
        }
      }
    },
  }
}
