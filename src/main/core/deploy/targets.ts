// How each kind of target is switched, reloaded, asked what it serves, and verified. Every call
// to a server is bounded (deadline, size cap); every failure is an Error whose message says what
// the operator would need to know.
import { posix } from 'node:path'
import type { HostAccess } from '../hosts/access'
import type { TargetConfig } from '../../../shared/deploy'
import type { ProbeResult } from '../../../shared/serving'
import { boundedFetch, json } from '../serving/http'
import { checkIntent } from '../serving/intent'

export interface VersionRef {
  model: string
  version: number
  location: string
  sha256: string | null
  params: Record<string, string>
}

export interface TargetAdapter {
  /** Is the target there at all (folder exists, server answers)? Returns a detail line. */
  preflight(v: VersionRef): Promise<string>
  /** What the target points at now, in the target's own terms (a path, versions, a digest). */
  pointer(): Promise<string | null>
  /** Whether that pointer means version `v`. */
  pointsAt(pointer: string | null, v: VersionRef): boolean
  switchTo(v: VersionRef): Promise<string>
  /** Null when this target has nothing to reload. */
  reload(): Promise<string | null>
  /** Puts back exactly what `pointer()` said before the switch (null: nothing was there), where
   *  the target can; a target without it is reverted by switching to the previous version. */
  restore?(pointer: string | null): Promise<string>
  /** Resolves when `v` is served and ready; rejects with why not by `deadline`. */
  verify(v: VersionRef, deadline: number): Promise<string>
}

export interface AdapterDeps {
  /** Probes a saved endpoint now (its credentials and smoke request included). */
  probe(endpointId: number): Promise<ProbeResult>
  /** The host a model-folder target is on (its files under that host's roots, its commands). */
  access: HostAccess
  sleep?(ms: number): Promise<void>
}

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const HTTP = { timeoutMs: 10_000 }

/** Polls `check` until it returns null (done) or the deadline passes; rejects with the last reason. */
async function until(deadline: number, check: () => Promise<string | null>, sleep = sleepMs): Promise<void> {
  let why: string | null = 'not checked'
  const started = Date.now()
  for (;;) {
    why = await check()
    if (why === null) return
    // The headline says what ran out (the verification timeout), then what was still wrong.
    if (Date.now() >= deadline)
      throw new Error(`verification timed out after ${Math.max(1, Math.round((deadline - started) / 1000))} s: ${why}`)
    await sleep(Math.min(500, Math.max(50, deadline - Date.now())))
  }
}

/** The probe's own failing health or readiness check, not a secondary one (a missing /metrics). */
function causeOf(r: {
  checks: { method: string; path: string; status: number | null; error: string | null }[]
  problems: string[]
}): string {
  const c = r.checks.find((x) => !/metrics/i.test(x.path) && (x.error !== null || (x.status ?? 0) >= 400))
  if (c) return `${c.method} ${c.path}: ${c.error ?? `HTTP ${c.status}`}`
  return r.problems.find((p) => !/^metrics\b/i.test(p)) ?? r.problems[0] ?? 'no answer'
}

function answerError(
  what: string,
  a: { status: number | null; text: string | null; check: { error: string | null } },
): Error {
  return new Error(`${what}: ${a.check.error ?? `HTTP ${a.status}${a.text ? ` ${a.text.slice(0, 200)}` : ''}`}`)
}

export function createAdapter(model: string, c: TargetConfig, deps: AdapterDeps): TargetAdapter {
  const served = ('servedName' in c && c.servedName) || model
  const sleep = deps.sleep ?? sleepMs
  switch (c.kind) {
    case 'model-folder': {
      // Everything here goes through the target host's access: this machine's fs and processes,
      // or SFTP and exec channels on an SSH host — the same steps, the same checks.
      const a = deps.access
      const on = c.host && c.host !== 'local' ? ` on ${c.host}` : ''
      const link = posix.join(c.folder, c.link)
      /** The link path must be a link or nothing: never a file or folder someone put there. */
      const linkOrNothing = async (): Promise<void> => {
        const st = await a.lstat(link)
        if (st && st.kind !== 'link') {
          throw new Error(
            `${link}${on} is a ${st.kind === 'dir' ? 'folder' : st.kind === 'file' ? 'regular file' : 'special file'}, not a link: ` +
              'Gantry will not replace it (move it away, or pick another link name)',
          )
        }
      }
      /** A new link beside the old, then rename over it: the server sees the old or the new
       *  target, never a missing or half-written link. */
      const relink = async (to: string): Promise<void> => {
        await linkOrNothing()
        const tmp = posix.join(c.folder, `.${c.link}.gantry-${process.pid}-${Date.now()}`)
        if (await a.lstat(tmp)) await a.unlink(tmp)
        await a.symlink(to, tmp)
        try {
          await linkOrNothing() // a file put there meanwhile is not replaced either
          await a.rename(tmp, link)
        } catch (err) {
          await a.unlink(tmp).catch(() => undefined)
          throw err
        }
      }
      return {
        async preflight() {
          await a.files.resolve(c.folder, { what: 'target folder', kind: 'dir' }).catch((err: unknown) => {
            const e = err as { code?: string; message?: string }
            throw new Error(
              e.code === 'files/missing' ? `target folder ${c.folder}${on} does not exist` : String(e.message),
            )
          })
          await linkOrNothing()
          return `folder ${c.folder}${on} present`
        },
        pointer: () => a.readlink(link),
        pointsAt: (p, v) => p !== null && p.replace(/\/+$/, '') === v.location.replace(/\/+$/, ''),
        async switchTo(v) {
          await a.files.resolveNew(c.folder, { what: 'target folder' })
          await a.mkdirp(c.folder)
          await relink(v.location)
          return `${link} → ${v.location}${on}`
        },
        async restore(pointer) {
          if (pointer === null) {
            // There was no link before this deploy: remove the one it made, and only a link.
            if ((await a.lstat(link))?.kind === 'link') await a.unlink(link)
            return `${link}${on} removed: there was none before`
          }
          if ((await a.readlink(link)) !== pointer) await relink(pointer)
          return `${link} → ${pointer}${on} again, as before`
        },
        async reload() {
          if (c.reloadCommand) {
            const r = await a.run(c.reloadCommand, { timeoutMs: 120_000, maxBytes: 1024 * 1024 })
            if (r.code !== 0) {
              const why = r.error ?? (r.notFound ? `${c.reloadCommand[0]} not found${on}` : null)
              const out = (r.stderr || r.stdout).trim().slice(-300)
              throw new Error(
                `reload command ${c.reloadCommand.join(' ')}${on} failed: ${
                  why ?? (r.timedOut ? 'no end within 120 s' : `exit ${r.code ?? r.signal}${out ? `: ${out}` : ''}`)
                }`,
              )
            }
            return `ran ${c.reloadCommand.join(' ')}${on}`
          }
          if (c.reloadUrl) {
            // On an SSH host the URL is the host's own (often localhost there): reached through it.
            const via = on ? (h: string, p: number) => deps.access.forward(h, p) : undefined
            const r = await boundedFetch(c.reloadUrl, '', { ...HTTP, method: 'POST', via })
            if (r.status === null || r.status >= 300) throw answerError(`reload POST ${c.reloadUrl}${on}`, r)
            return `POST ${c.reloadUrl}${on} → ${r.status}`
          }
          return null
        },
        async verify(v, deadline) {
          let detail = ''
          await until(
            deadline,
            async () => {
              const r = await deps.probe(c.endpointId)
              if (r.live !== true) return `the server is not live (${causeOf(r)})`
              if (r.ready === false) return `the server answers but is not ready (${causeOf(r)})`
              if (r.smoke && !r.smoke.ok) return `the smoke request fails: ${r.smoke.error}`
              const i = checkIntent({ model, servedName: served, alias: 'intended' }, v, r)
              if (i.state !== 'match') return `wrong version served: ${i.detail}`
              detail = i.detail
              return null
            },
            sleep,
          )
          return detail
        },
      }
    }
    case 'triton': {
      const index = async (): Promise<{ version: string; state: string; reason: string }[]> => {
        const a = await boundedFetch(c.url, 'v2/repository/index', { ...HTTP, method: 'POST', body: {} })
        const rows = json(a)
        if (!Array.isArray(rows)) throw answerError('repository index', a)
        return rows
          .filter((r) => r && typeof r === 'object' && (r as { name?: unknown }).name === served)
          .map((r) => r as { version: string; state: string; reason: string })
      }
      return {
        async preflight() {
          const a = await boundedFetch(c.url, 'v2/health/live', HTTP)
          if (a.status !== 200) throw answerError(`Triton at ${c.url} is not live`, a)
          return `Triton at ${c.url} is live`
        },
        async pointer() {
          const ready = (await index()).filter((r) => r.state === 'READY').map((r) => r.version)
          return ready.length ? ready.sort().join(',') : null
        },
        pointsAt: (p, v) => p === String(v.version),
        async switchTo(v) {
          // Explicit model control: keep every <N>/ folder, pin the policy to N, load.
          const config = JSON.stringify({ version_policy: { specific: { versions: [v.version] } } })
          const a = await boundedFetch(c.url, `v2/repository/models/${encodeURIComponent(served)}/load`, {
            ...HTTP,
            timeoutMs: Math.max(HTTP.timeoutMs, c.readyTimeoutMs),
            method: 'POST',
            body: { parameters: { config } },
          })
          if (a.status !== 200) throw answerError(`load ${served} v${v.version}`, a)
          return `POST v2/repository/models/${served}/load with version_policy specific [${v.version}] → 200`
        },
        reload: async () => null,
        async verify(v, deadline) {
          await until(
            deadline,
            async () => {
              const rows = await index()
              const mine = rows.find((r) => r.version === String(v.version))
              if (!mine) return `the repository index does not list ${served} v${v.version}`
              if (mine.state !== 'READY')
                return `${served} v${v.version} is ${mine.state}${mine.reason ? ` (${mine.reason})` : ''}`
              const others = rows.filter((r) => r.version !== String(v.version) && r.state === 'READY')
              if (others.length) return `other versions still ready: ${others.map((r) => r.version).join(', ')}`
              return null
            },
            sleep,
          )
          return `repository index: ${served} v${v.version} READY, no other version ready`
        },
      }
    }
    case 'torchserve': {
      const tsVersion = (v: VersionRef): string => v.params['torchserve.version'] ?? String(v.version)
      const describe = async (): Promise<{ modelVersion: string; workers?: { status: string }[] }[]> => {
        const a = await boundedFetch(c.managementUrl, `models/${encodeURIComponent(served)}`, HTTP)
        const rows = json(a)
        if (!Array.isArray(rows)) throw answerError(`describe ${served}`, a)
        return rows as { modelVersion: string; workers?: { status: string }[] }[]
      }
      return {
        async preflight() {
          await describe()
          return `TorchServe management API knows ${served}`
        },
        pointer: async () => (await describe())[0]?.modelVersion ?? null,
        pointsAt: (p, v) => p === tsVersion(v),
        async switchTo(v) {
          const path = `models/${encodeURIComponent(served)}/${encodeURIComponent(tsVersion(v))}/set-default`
          const a = await boundedFetch(c.managementUrl, path, { ...HTTP, method: 'PUT' })
          if (a.status !== 200) throw answerError(`set-default ${served} ${tsVersion(v)}`, a)
          return `PUT ${path} → 200`
        },
        reload: async () => null,
        async verify(v, deadline) {
          await until(
            deadline,
            async () => {
              const d = (await describe())[0]
              if (!d) return `TorchServe describes no default version of ${served}`
              if (d.modelVersion !== tsVersion(v)) return `default version is ${d.modelVersion}, not ${tsVersion(v)}`
              const ready = (d.workers ?? []).filter((w) => w.status === 'READY').length
              if (!ready) return `version ${d.modelVersion} has no READY worker`
              return null
            },
            sleep,
          )
          return `default version ${tsVersion(v)} with READY workers`
        },
      }
    }
    case 'ollama': {
      const sourceTag = (v: VersionRef): string => {
        const t = v.params['ollama.tag']
        if (!t) throw new Error(`${model} v${v.version} has no ollama.tag parameter naming the pinned tag to copy`)
        return t
      }
      const digestOf = async (tag: string): Promise<string | null> => {
        const a = await boundedFetch(c.url, 'api/tags', HTTP)
        const body = json(a) as { models?: { name?: string; model?: string; digest?: string }[] } | null
        if (!body || !Array.isArray(body.models)) throw answerError('GET api/tags', a)
        return body.models.find((m) => m.name === tag || m.model === tag)?.digest ?? null
      }
      return {
        async preflight(v) {
          const d = await digestOf(sourceTag(v))
          if (!d) throw new Error(`Ollama has no tag ${sourceTag(v)}`)
          const pinned = v.params['ollama.digest']
          if (pinned && pinned !== d)
            throw new Error(`tag ${sourceTag(v)} now has digest ${d}, not the registered ${pinned}`)
          return `${sourceTag(v)} present (${d.slice(0, 12)})`
        },
        pointer: () => digestOf(c.servingTag),
        pointsAt: (p, v) => p !== null && (v.params['ollama.digest'] ? p === v.params['ollama.digest'] : false),
        async switchTo(v) {
          const a = await boundedFetch(c.url, 'api/copy', {
            ...HTTP,
            method: 'POST',
            body: { source: sourceTag(v), destination: c.servingTag },
          })
          if (a.status !== 200) throw answerError(`copy ${sourceTag(v)} → ${c.servingTag}`, a)
          return `POST api/copy ${sourceTag(v)} → ${c.servingTag}`
        },
        reload: async () => null,
        async verify(v, deadline) {
          const want = v.params['ollama.digest'] ?? (await digestOf(sourceTag(v)))
          await until(
            deadline,
            async () => {
              const d = await digestOf(c.servingTag)
              return d === want ? null : `${c.servingTag} has digest ${d ?? 'none'}, not ${want}`
            },
            sleep,
          )
          return `${c.servingTag} digest ${want?.slice(0, 12)}`
        },
      }
    }
  }
}
