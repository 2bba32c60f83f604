// `gantry hosts`: the machines Gantry watches — this one, and SSH hosts with nothing installed on
// them. list connects to each (a fleet check from a laptop), test shows a new host's key and
// tools without saving it, add pins its key (known_hosts, or the fingerprint confirmed with
// --accept), accept-key takes a changed key once someone checked it. A key's passphrase comes from
// $GANTRY_SSH_PASSPHRASE, never from the command line (it would sit in the shell history).
import type { Command } from 'commander'
import type { HostProbe, HostSummary } from '../../shared/hosts'
import type { Gantry } from '../core'
import { GantryError } from '../core/errors'

type WithCore = (f: (g: Gantry) => Promise<void>, opts?: { readOnly?: boolean }) => Promise<void>

async function call<T>(g: Gantry, method: string, input: unknown): Promise<T> {
  const r = await g.api.call(method as never, input)
  if (!r.ok) throw new GantryError(r.error.code, r.error.message)
  return r.data as T
}

const ago = (t: number | null): string => {
  if (!t) return '—'
  const s = Math.max(0, Math.round((Date.now() - t) / 1000))
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`
}

/** One line per host, worst first, in columns a terminal reads. */
export function formatHosts(list: HostSummary[]): string {
  const rows = list.map((h) => [
    h.name,
    h.health.level.toUpperCase(),
    h.connection.state,
    h.gpus.count ? `${h.gpus.count}${h.gpus.avgUtilPct === null ? '' : ` @ ${h.gpus.avgUtilPct}%`}` : '—',
    h.storage ? `${h.storage.mount} ${h.storage.usedPct.toFixed(0)}%` : '—',
    h.cpuPct === null ? '—' : `${h.cpuPct.toFixed(0)}%`,
    h.address ?? 'this machine',
    ago(h.lastUpdate),
  ])
  const head = ['HOST', 'HEALTH', 'CONNECTION', 'GPUS', 'FULLEST', 'CPU', 'ADDRESS', 'UPDATED']
  const widths = head.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)))
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  const out = [line(head), ...rows.map(line)]
  for (const h of list) {
    if (h.health.level !== 'ok' && h.health.reasons.length) out.push(`  ${h.name}: ${h.health.reasons.join('; ')}`)
  }
  return `${out.join('\n')}\n`
}

export function formatProbe(p: HostProbe): string {
  const s = p.settings
  const lines = [
    `${s.user}@${s.hostname}:${s.port}${s.proxyJump.length ? ` via ${s.proxyJump.join(' → ')}` : ''}${s.alias ? ` (alias ${s.alias})` : ''}`,
    `  key: ${p.fingerprint ? `${p.keyType} ${p.fingerprint}` : 'not seen'} — known_hosts: ${
      { match: 'matches', mismatch: 'HAS ANOTHER KEY FOR THIS HOST', unknown: 'does not know this host' }[p.knownHosts]
    }`,
    `  auth: ${s.identityFile ? `key file ${s.identityFile}` : 'ssh-agent'}`,
  ]
  if (p.ok) {
    lines.push(`  os: ${p.os ?? 'unknown'}`)
    const tools = Object.entries(p.tools)
    lines.push(`  tools: ${tools.map(([t, ok]) => `${t} ${ok ? 'yes' : 'MISSING'}`).join(', ')}`)
  } else lines.push(`  ! ${p.error}`)
  if (p.knownHosts === 'unknown' && p.fingerprint) {
    lines.push(
      "  To add it, compare the fingerprint with the server's own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub there), then:",
      `  gantry hosts add ${s.target} --accept ${p.fingerprint}`,
    )
  }
  return `${lines.join('\n')}\n`
}

/** Connects to each enabled SSH host of the list and waits (at most `waitMs`) for it to be up or to fail. */
async function connectAll(g: Gantry, waitMs: number, only?: string): Promise<void> {
  const rows = (await call<HostSummary[]>(g, 'hosts.list', {})).filter(
    (h) => h.kind === 'ssh' && h.enabled && (!only || h.name === only),
  )
  for (const h of rows) g.fleet.get(h.name) // opens its connection
  const sources = g.fleet.externalReady() // each Prometheus source asked once, meanwhile
  const end = Date.now() + waitMs
  while (Date.now() < end && rows.some((h) => g.fleet.connection(h.name).state === 'connecting')) {
    await new Promise((r) => setTimeout(r, 100))
  }
  await sources
  // A fresh host and storage sample of each host that is up, so its health is today's.
  await Promise.all(
    [{ name: 'local' }, ...rows]
      .filter((h) => h.name === 'local' || g.fleet.connection(h.name).state === 'up')
      .flatMap((h) => [
        g.api.call('host.snapshot', { host: h.name, fresh: true }),
        g.api.call('storage.list', { host: h.name, fresh: true }),
      ]),
  )
}

const wait = (v: string): number => {
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new GantryError('contract/invalid-input', '--wait is milliseconds')
  return n
}

export function addHostsCommands(program: Command, withCore: WithCore): void {
  const cmd = program.command('hosts').description('the machines Gantry watches: this one and servers over SSH')
  cmd
    .command('list', { isDefault: true })
    .description('every host, worst health first: connection, GPUs, fullest filesystem (connects to each)')
    .option('--json', 'print as JSON')
    .option('--wait <ms>', 'how long to wait for the connections', wait, 8000)
    .action(async (o: { json?: boolean; wait: number }) => {
      await withCore(async (g) => {
        await connectAll(g, o.wait)
        const list = await call<HostSummary[]>(g, 'hosts.list', {})
        process.stdout.write(o.json ? `${JSON.stringify(list, null, 2)}\n` : formatHosts(list))
        if (list.some((h) => h.health.level === 'critical')) process.exitCode = 1
      })
    })
  cmd
    .command('test <target>')
    .description('connect once to user@host[:port] or an ~/.ssh/config alias: its key, OS and tools (nothing saved)')
    .option('-i, --identity <file>', 'private key file (default: the ssh-agent, or IdentityFile of ~/.ssh/config)')
    .option('--json', 'print as JSON')
    .action(async (target: string, o: { identity?: string; json?: boolean }) => {
      await withCore(async (g) => {
        const p = await call<HostProbe>(g, 'hosts.test', {
          target,
          identityFile: o.identity,
          passphrase: process.env.GANTRY_SSH_PASSPHRASE || undefined,
        })
        process.stdout.write(o.json ? `${JSON.stringify(p, null, 2)}\n` : formatProbe(p))
        if (!p.ok) process.exitCode = 1
      })
    })
  cmd
    .command('add <target>')
    .description('watch an SSH host; its key must be in known_hosts or confirmed with --accept (then pinned)')
    .option('--name <name>', 'its name in Gantry (default: the alias or host name)')
    .option('-i, --identity <file>', 'private key file (passphrase from $GANTRY_SSH_PASSPHRASE)')
    .option('--owner <team>', 'who answers for it')
    .option('--accept <fingerprint>', 'the SHA256 fingerprint `gantry hosts test` showed, checked on the server')
    .option('--json', 'print as JSON')
    .action(
      async (
        target: string,
        o: { name?: string; identity?: string; owner?: string; accept?: string; json?: boolean },
      ) => {
        await withCore(async (g) => {
          const h = await call<HostSummary>(g, 'hosts.add', {
            target,
            name: o.name,
            identityFile: o.identity,
            owner: o.owner,
            acceptFingerprint: o.accept,
            passphrase: process.env.GANTRY_SSH_PASSPHRASE || undefined,
          })
          process.stdout.write(
            o.json
              ? `${JSON.stringify(h, null, 2)}\n`
              : `added host ${h.name} (${h.address}), key ${h.connection.pinned} pinned\n`,
          )
        })
      },
    )
  cmd
    .command('update <name>')
    .description("change a host's owner or key file, or turn it off and on")
    .option('--owner <team>', 'who answers for it ("" clears it)')
    .option('-i, --identity <file>', 'private key file (passphrase from $GANTRY_SSH_PASSPHRASE)')
    .option('--agent', 'authenticate with the ssh-agent instead of a key file')
    .option('--on', 'watch it again')
    .option('--off', 'stop watching it (its data is kept)')
    .option('--json', 'print as JSON')
    .action(
      async (
        name: string,
        o: { owner?: string; identity?: string; agent?: boolean; on?: boolean; off?: boolean; json?: boolean },
      ) => {
        if (o.on && o.off) throw new GantryError('contract/invalid-input', '--on or --off, not both')
        await withCore(async (g) => {
          const passphrase = process.env.GANTRY_SSH_PASSPHRASE
          const h = await call<HostSummary>(g, 'hosts.update', {
            name,
            ...(o.owner !== undefined ? { owner: o.owner || null } : {}),
            ...(o.identity ? { identityFile: o.identity } : o.agent ? { identityFile: null } : {}),
            ...(o.identity || o.agent ? { passphrase: passphrase || null } : {}),
            ...(o.on ? { enabled: true } : o.off ? { enabled: false } : {}),
          })
          process.stdout.write(o.json ? `${JSON.stringify(h, null, 2)}\n` : `updated host ${h.name}\n`)
        })
      },
    )
  cmd
    .command('accept-key <name> <fingerprint>')
    .description('trust the key a host shows now, after checking it on the server (audited)')
    .option('--wait <ms>', 'how long to wait for the host to show its key', wait, 8000)
    .action(async (name: string, fingerprint: string, o: { wait: number }) => {
      await withCore(async (g) => {
        await connectAll(g, o.wait, name)
        const h = await call<HostSummary>(g, 'hosts.acceptKey', { name, fingerprint })
        process.stdout.write(`host ${h.name}: key ${h.connection.pinned} accepted\n`)
      })
    })
  cmd
    .command('remove <name>')
    .description(
      'stop watching a host and drop its stored samples (refused while endpoints, targets or monitors use it)',
    )
    .action(async (name: string) => {
      await withCore(async (g) => {
        await call(g, 'hosts.remove', { name })
        process.stdout.write(`removed host ${name}\n`)
      })
    })
}
