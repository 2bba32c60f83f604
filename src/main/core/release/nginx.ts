// The nginx router: one include file per model, owned by Gantry, in a folder the site's nginx
// includes inside `http {}`. It holds the champion and challenger upstreams, a `split_clients`
// on the configured request key (sticky weights: a key in the challenger's hash range stays there
// as the range grows), a `mirror` location for shadows (a no-op subrequest unless the request was
// picked, its method is marked idempotent and its body is within the limit — otherwise counted as
// skipped in the access log), a JSON access-log format with $request_id, $upstream_addr, $status,
// $request_time and $upstream_response_time, and X-Request-ID passed to both arms. Every write is
// checked by `nginx -t` before a graceful reload; the previous file is kept beside it (.prev) and
// put back when nginx refuses the new one or the reload fails. While Gantry is down nginx keeps
// serving the last file it took.
import { createHash } from 'node:crypto'
import { posix } from 'node:path'
import type { Front } from '../../../shared/release'
import type { HostAccess } from '../hosts/access'
import { errorMessage } from '../errors'
import type { ApplyResult, Traffic, TrafficRouter } from './router'

const MARK = '# Managed by Gantry'
const CMD_TIMEOUT_MS = 30_000

/** The names one model's front uses: nginx variables, the file, its logs. */
export function frontNames(
  model: string,
  dir: string,
): { v: string; file: string; accessLog: string; shadowLog: string } {
  const h = createHash('sha256').update(model).digest('hex').slice(0, 8)
  const slug = model.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60)
  const base = `gantry-${slug}-${h}`
  return {
    v: `g_${h}`,
    file: posix.join(dir, `${base}.conf`),
    accessLog: posix.join(dir, `${base}.access.log`),
    shadowLog: posix.join(dir, `${base}.shadow.log`),
  }
}

/** A regex (for nginx's map) matching decimal integers from 0 to `limit`. */
export function atMostRegex(limit: number): string {
  const s = String(Math.floor(limit))
  const alts: string[] = []
  if (s.length > 1) alts.push(`[0-9]{1,${s.length - 1}}`)
  for (let i = 0; i < s.length; i++) {
    const d = Number(s[i])
    const lowest = i === 0 && s.length > 1 ? 1 : 0
    if (d - 1 < lowest) continue
    const rest = s.length - i - 1
    alts.push(`${s.slice(0, i)}[${lowest}-${d - 1}]${rest ? `[0-9]{${rest}}` : ''}`)
  }
  alts.push(s)
  return `^(${alts.join('|')})$`
}

/** "http://10.0.0.5:8000" → "10.0.0.5:8000" (the URL was checked by the contract). */
function serverOf(url: string): string {
  const u = new URL(url)
  return `${u.hostname}:${u.port || 80}`
}

/** split_clients takes at most two decimals. */
const share = (w: number): string => `${Math.round(w * 100) / 100}%`

export function renderNginx(front: Front, t: Traffic): string {
  const n = frontNames(front.model, front.dir)
  const v = n.v
  const L: string[] = []
  L.push(
    `${MARK} — model ${JSON.stringify(front.model)}, ${t.release ? `release #${t.release}` : 'no release'}, rev ${t.rev}.`,
    `# Do not edit: Gantry rewrites this file (the one before is kept as ${posix.basename(n.file)}.prev).`,
    `# nginx includes it inside http { }: include ${front.dir}/*.conf;`,
    `# Traffic now: ${t.mode === 'off' ? 'all to the champion' : t.mode === 'canary' ? `${t.weight} % to the challenger` : `${t.weight} % mirrored to the challenger`}.`,
    '',
    `log_format ${v}_log escape=json '{"t":"$msec","id":"$request_id","arm":"$${v}_arm","st":"$status","rt":"$request_time","urt":"$upstream_response_time","up":"$upstream_addr","m":"$request_method","mir":"$${v}_mirror"}';`,
    // max_fails=0: one slow answer must not mark the only server of an arm down for everyone.
    `upstream ${v}_champion { server ${serverOf(front.champion)} max_fails=0; keepalive 32; }`,
  )
  if (t.challenger && t.mode !== 'off')
    L.push(`upstream ${v}_challenger { server ${serverOf(t.challenger)} max_fails=0; keepalive 32; }`)
  if (t.mode === 'canary' && t.weight > 0) {
    let key = '$request_id'
    if (front.key) {
      const h = `$http_${front.key.toLowerCase().replace(/-/g, '_')}`
      L.push(`map ${h} $${v}_key { "" $request_id; default ${h}; }`)
      key = `$${v}_key`
    }
    L.push(
      t.weight >= 100
        ? `split_clients "${key.replace('$', '${').concat('}')}" $${v}_arm { * challenger; }`
        : `split_clients "${key.replace('$', '${').concat('}')}" $${v}_arm { ${share(t.weight)} challenger; * champion; }`,
    )
  } else {
    L.push(`map $request_id $${v}_arm { default champion; }`)
  }
  const shadow = t.mode === 'shadow' && t.weight > 0 && t.challenger
  if (shadow) {
    const methods = t.idempotent.map((m) => `${m} 1;`).join(' ')
    L.push(
      `split_clients "x\${request_id}" $${v}_pick { ${share(Math.min(t.weight, 100))} 1; * 0; }`,
      `map $request_method $${v}_idem { ${methods} default 0; }`,
      // A body within the limit (Content-Length) mirrors; a chunked one of unknown size does not.
      `map "$content_length:$http_transfer_encoding" $${v}_small { ":" 1; "~${atMostRegex(t.maxMirrorBody).replace('$', '')}:$" 1; default 0; }`,
      `map "$${v}_pick$${v}_idem$${v}_small" $${v}_mirror { "111" mirrored; "~^10" skipped-method; "~^110" skipped-size; default off; }`,
    )
  } else {
    L.push(`map $request_id $${v}_mirror { default off; }`)
  }
  const timeout = `${Math.max(1, Math.ceil(t.mirrorTimeoutMs / 1000))}s`
  L.push(
    '',
    'server {',
    `  listen ${front.listen};`,
    `  access_log ${front.accessLog} ${v}_log;`,
    '  location / {',
    `    proxy_pass http://${v}_$${v}_arm;`,
    '    proxy_http_version 1.1;',
    '    proxy_set_header Connection "";',
    '    proxy_set_header Host $http_host;',
    '    proxy_set_header X-Request-ID $request_id;',
    '    # Streamed answers (SSE, long generations) pass as they come.',
    '    proxy_buffering off;',
    '    proxy_read_timeout 3600s;',
    `    add_header X-Gantry-Route $${v}_arm always;`,
  )
  if (shadow) {
    L.push(
      '    mirror /.gantry-mirror;',
      '    mirror_request_body on;',
      `    client_body_buffer_size ${Math.min(t.maxMirrorBody, 16 << 20)};`,
    )
  }
  L.push('  }')
  if (shadow) {
    L.push(
      '  # The shadow: its answer is discarded by nginx; short timeouts so a slow challenger cannot hold the champion.',
      '  location = /.gantry-mirror {',
      '    internal;',
      '    log_subrequest on;',
      `    access_log ${front.shadowLog} ${v}_log;`,
      `    if ($${v}_mirror != mirrored) { return 204; }`,
      `    proxy_pass http://${v}_challenger$request_uri;`,
      '    proxy_http_version 1.1;',
      '    proxy_set_header Connection "";',
      '    proxy_set_header Host $http_host;',
      '    proxy_set_header X-Request-ID $request_id;',
      '    proxy_set_header X-Gantry-Shadow 1;',
      `    proxy_connect_timeout ${timeout};`,
      `    proxy_send_timeout ${timeout};`,
      `    proxy_read_timeout ${timeout};`,
      '  }',
    )
  }
  L.push('}', '')
  return L.join('\n')
}

/** The last lines of what a command said, for an error message. */
function said(r: {
  stderr: string
  stdout: string
  error: string | null
  code: number | null
  timedOut: boolean
}): string {
  if (r.error) return r.error
  if (r.timedOut) return `no answer within ${CMD_TIMEOUT_MS / 1000} s`
  const text = `${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-4).join(' / ')
  return text || `exit ${r.code}`
}

/** The reload command given, or `nginx -s reload`; the test command given, or derived from it. */
export function commandsOf(reload?: string[], test?: string[]): { reload: string[]; test: string[] } {
  const r = reload ?? ['nginx', '-s', 'reload']
  if (test) return { reload: r, test }
  const i = r.findIndex((a, k) => a === '-s' && r[k + 1] === 'reload')
  if (i >= 0) return { reload: r, test: [...r.slice(0, i), '-t', ...r.slice(i + 2)] }
  return { reload: r, test: ['nginx', '-t'] }
}

export function createNginxRouter(accessOf: (host: string) => HostAccess): TrafficRouter {
  // One write at a time per file: a console and a CLI in one process never interleave.
  const chains = new Map<string, Promise<unknown>>()
  const serial = <T>(file: string, f: () => Promise<T>): Promise<T> => {
    const p = (chains.get(file) ?? Promise.resolve()).then(f, f)
    chains.set(
      file,
      p.catch(() => {}),
    )
    return p
  }

  async function current(access: HostAccess, file: string): Promise<string | null> {
    try {
      const f = await access.files.open(file, { what: 'the nginx include file', maxBytes: 1 << 20 })
      try {
        return await f.text()
      } finally {
        await f.close()
      }
    } catch (err) {
      if ((err as { code?: string }).code === 'files/missing') return null
      throw err
    }
  }

  const digest = (text: string | null): string =>
    text === null ? 'none' : createHash('sha256').update(text).digest('hex')
  /** What nginx was last reloaded with, as recorded beside the file after each good reload. */
  async function loaded(access: HostAccess, front: Front): Promise<string | null> {
    const mark = await current(access, `${front.file}.loaded`).catch(() => null)
    return mark?.trim() || null
  }

  /**
   * Writes `next` (or removes the file), has nginx test it and reload; restores the previous on
   * failure. "Already there" means the file says `next` *and* the mark written after the last good
   * reload says nginx loaded exactly that — a file written by a process that died before its
   * reload is tested and reloaded again, not trusted.
   */
  async function swap(front: Front, next: string | null): Promise<ApplyResult> {
    const access = accessOf(front.host)
    const before = await current(access, front.file)
    const mark = await loaded(access, front)
    if (before === next && mark === digest(next))
      return { ok: true, changed: false, message: 'nginx already has this', warnings: [] }
    if (before !== null && !before.startsWith(MARK))
      return {
        ok: false,
        changed: false,
        message: `${front.file} exists and was not written by Gantry: move it away or choose another folder (Gantry writes only files it owns)`,
        warnings: [],
      }
    // What to put back on failure: what nginx last loaded (the .prev of an interrupted write when
    // the file itself never was), else the file as it was.
    let good = before
    if (mark !== null && digest(before) !== mark) {
      const prev = await current(access, `${front.file}.prev`).catch(() => null)
      if (digest(prev) === mark) good = prev
      else if (mark === 'none') good = null
    }
    const restore = async (): Promise<void> => {
      if (good !== null) await access.writeFile(front.file, good)
      else await access.unlink(front.file).catch(() => {})
    }
    try {
      if (before !== next) {
        if (good !== null) await access.writeFile(`${front.file}.prev`, good)
        if (next === null) await access.unlink(front.file)
        else await access.writeFile(front.file, next)
      }
    } catch (err) {
      await restore().catch(() => {})
      return { ok: false, changed: false, message: `writing ${front.file}: ${errorMessage(err)}`, warnings: [] }
    }
    const t = await access.run(front.testCommand, { timeoutMs: CMD_TIMEOUT_MS })
    if (t.code !== 0) {
      await restore().catch(() => {})
      return {
        ok: false,
        changed: false,
        message: `${front.testCommand.join(' ')} rejected the new file, so it was not loaded and the previous one stays: ${said(t)}`,
        warnings: [],
      }
    }
    const r = await access.run(front.reloadCommand, { timeoutMs: CMD_TIMEOUT_MS })
    if (r.code !== 0) {
      await restore().catch(() => {})
      const again = await access.run(front.reloadCommand, { timeoutMs: CMD_TIMEOUT_MS })
      return {
        ok: false,
        changed: false,
        message: `${front.reloadCommand.join(' ')} failed (${said(r)}); the previous file was put back${again.code === 0 ? '' : ' (and reloading it failed too)'}`,
        warnings: [],
      }
    }
    await access.writeFile(`${front.file}.loaded`, `${digest(next)}\n`).catch(() => {})
    const warnings: string[] = []
    if (before === null && next !== null) {
      // The first write: is the file really included? `nginx -T` prints every file it loaded.
      const dumpCmd = front.testCommand.map((a) => (a === '-t' ? '-T' : a))
      if (dumpCmd.includes('-T')) {
        const d = await access.run(dumpCmd, { timeoutMs: CMD_TIMEOUT_MS, maxBytes: 32 << 20 })
        if (d.code === 0 && !d.stdout.includes(`# configuration file ${front.file}:`))
          warnings.push(
            `nginx does not include ${front.file}: add "include ${front.dir}/*.conf;" inside http { } of nginx.conf, then reload`,
          )
      }
    }
    return { ok: true, changed: true, message: t.stderr.trim().split('\n').slice(-1)[0] ?? 'reloaded', warnings }
  }

  return {
    kind: 'nginx',
    render: renderNginx,
    apply: (front, traffic) => serial(front.file, () => swap(front, renderNginx(front, traffic))),
    remove: (front) => serial(front.file, () => swap(front, null)),
    async appliedRev(front) {
      const text = await current(accessOf(front.host), front.file).catch(() => null)
      if (!text?.startsWith(MARK)) return null
      const m = /, rev (\d+)\./.exec(text.split('\n')[0])
      return m ? Number(m[1]) : null
    },
    async check(front) {
      const problems: string[] = []
      const access = accessOf(front.host)
      const v = await access.run([front.testCommand[0], '-v'], { timeoutMs: CMD_TIMEOUT_MS })
      if (v.notFound)
        problems.push(
          `nginx is not installed on ${front.host} (${front.testCommand[0]} not found): install it (Debian/Ubuntu: apt install nginx), or give --test-command and --reload-command with its path`,
        )
      else if (v.error) problems.push(`cannot run ${front.testCommand[0]} on ${front.host}: ${v.error}`)
      const probe = posix.join(front.dir, `.gantry-write-check-${process.pid}`)
      try {
        await access.writeFile(probe, '')
        await access.unlink(probe)
      } catch (err) {
        problems.push(
          `${front.dir} on ${front.host} is not writable by Gantry's login there (${errorMessage(err)}): give it write access (chown/chmod), or choose a folder nginx includes that it can write`,
        )
      }
      return problems
    },
  }
}
