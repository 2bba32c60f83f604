// Another account on the same machine against `gantry serve` on its default loopback address, as
// issue #13 found it: without the data directory's token it gets 401 and can run nothing (no
// reload command, no file read, no WebSocket), it cannot read the token, and where someone did
// hand it the link, the audit names that account, not Gantry's user.
import { request } from 'node:http'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOsUser, type OsUser } from '../helpers/os-user'
import { serve, type Served } from '../helpers/serve'
import { cleanupTmp, tmpDir } from '../helpers/tmp'

let attacker: OsUser | null = null
let console_: Served | null = null
let data = ''
const pwned = join('/tmp', `gantry-pwned-${process.pid}`)

beforeAll(async () => {
  attacker = createOsUser('gantry-atk')
  if (!attacker) return
  data = tmpDir('gantry-victim-')
  console_ = await serve(data)
})
afterAll(async () => {
  await console_?.stop()
  attacker?.remove()
  cleanupTmp()
})

/** A script the attacker runs with node: every request of the findings, without the token. */
const ATTACK = `
const base = process.env.BASE
const post = (m, body, auth) => fetch(base + '/api/' + m, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(auth ? { authorization: 'Bearer ' + auth } : {}) },
  body: JSON.stringify(body),
}).then(async (r) => ({ status: r.status, body: await r.json() }))
const http = require('node:http')
const upgrade = () => new Promise((resolve) => {
  const u = new URL(base + '/ws')
  const req = http.request({ host: u.hostname, port: u.port, path: '/ws', headers: {
    connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'gantry' } })
  req.on('response', (res) => { res.resume(); resolve(res.statusCode) })
  req.on('upgrade', () => resolve(101))
  req.on('error', (e) => resolve(String(e)))
  req.end()
})
;(async () => {
  let tokenRead
  try { require('node:fs').readFileSync(process.env.TOKEN_FILE, 'utf8'); tokenRead = 'read' } catch (e) { tokenRead = e.code }
  const out = {
    tokenRead,
    createModel: await post('registry.createModel', { name: 'pwn' }),
    addTarget: await post('deploy.addTarget', { model: 'pwn', name: 't', config: {
      kind: 'model-folder', folder: '/tmp', link: 'x', endpointId: 1,
      reloadCommand: ['/bin/sh', '-c', 'touch ' + process.env.PWNED] } }),
    shadow: await post('drift.report', { reference: '/etc/shadow', current: '/etc/shadow' }),
    guessed: await post('app.info', {}, 'A'.repeat(43)),
    ws: await upgrade(),
    health: (await fetch(base + '/healthz')).status,
  }
  if (process.env.TOKEN) out.withToken = await post('registry.createModel', { name: 'handed-over' }, process.env.TOKEN)
  console.log(JSON.stringify(out))
})()
`

describe('another local account against the loopback console', () => {
  it('gets 401 and nothing else for every request without the token, and cannot read the token', async (ctx) => {
    if (!attacker || !console_) return ctx.skip('needs root to create another OS account (useradd)')
    const script = join(tmpDir('gantry-atk-script-'), 'attack.js')
    writeFileSync(script, ATTACK, { mode: 0o644 })
    const { chmodSync } = await import('node:fs')
    chmodSync(join(script, '..'), 0o755)
    const r = await attacker.runAsync([process.execPath, script], {
      env: { BASE: console_.base, TOKEN_FILE: join(data, 'server-token'), PWNED: pwned },
    })
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.tokenRead).toBe('EACCES') // the data directory is 0700, the token 0600
    for (const k of ['createModel', 'addTarget', 'shadow', 'guessed']) {
      expect(out[k].status, k).toBe(401)
      expect(Object.keys(out[k].body).sort(), k).toEqual(['error', 'ok'])
      expect(out[k].body.error.code, k).toBe('auth/unauthorized')
      expect(JSON.stringify(out[k].body), k).not.toMatch(/root:|shadow:|\$6\$/)
    }
    expect(out.ws).toBe(401)
    expect(out.health).toBe(200) // the health check stays open: it says nothing
    // Nothing ran, nothing was written.
    expect(existsSync(pwned)).toBe(false)
    const models = await console_.call('registry.listModels', {})
    expect(models.body.data).toEqual([])
    const targets = await console_.call('deploy.listTargets', {})
    expect(targets.body.data).toEqual([])
    // And `gantry url` as that account cannot print the link either.
    const url = attacker.run([
      process.execPath,
      join(__dirname, '..', '..', 'bin', 'gantry.js'),
      '--data-dir',
      data,
      'url',
    ])
    expect(url.status).not.toBe(0)
    expect(url.stdout).not.toContain(console_.token)
  })

  it('where the link was handed over, the audit names the account that used it', async (ctx) => {
    if (!attacker || !console_) return ctx.skip('needs root to create another OS account (useradd)')
    const script = join(tmpDir('gantry-atk-script-'), 'attack.js')
    writeFileSync(script, ATTACK, { mode: 0o644 })
    const { chmodSync } = await import('node:fs')
    chmodSync(join(script, '..'), 0o755)
    const r = await attacker.runAsync([process.execPath, script], {
      env: { BASE: console_.base, TOKEN_FILE: join(data, 'server-token'), PWNED: pwned, TOKEN: console_.token },
    })
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).withToken.status).toBe(200)
    const audit = await console_.call('audit.list', { model: 'handed-over' })
    expect(audit.body.data[0]).toMatchObject({ action: 'model.create', actor: `${attacker.name} via web` })
  })
})

describe('the printed link', () => {
  it('is printed once, with the token only in the fragment, and `gantry url` prints it again for the owner', async () => {
    const d = tmpDir()
    const s = await serve(d)
    try {
      const out = s.output()
      expect(out.split(s.token).length - 1).toBe(1) // the token appears exactly once
      expect(s.link).toBe(`${s.base}/#token=${s.token}`)
      const { spawnSync } = await import('node:child_process')
      const again = spawnSync(
        process.execPath,
        [join(__dirname, '..', '..', 'bin', 'gantry.js'), '--data-dir', d, 'url'],
        {
          encoding: 'utf8',
        },
      )
      expect(again.status, again.stderr).toBe(0)
      expect(again.stdout.trim()).toBe(s.link)
      // Nothing about the token reaches the server's answers to a caller without it.
      const r = await new Promise<string>((resolve) => {
        const req = request(`${s.base}/api/app.info`, { method: 'POST' }, (res) => {
          let b = ''
          res.on('data', (c) => (b += c))
          res.on('end', () => resolve(b))
        })
        req.end('{}')
      })
      expect(r).not.toContain(s.token)
    } finally {
      await s.stop()
    }
    // Stopped: no console to link to.
    const { spawnSync } = await import('node:child_process')
    const after = spawnSync(
      process.execPath,
      [join(__dirname, '..', '..', 'bin', 'gantry.js'), '--data-dir', d, 'url'],
      {
        encoding: 'utf8',
      },
    )
    expect(after.status).toBe(1)
    expect(after.stderr).toMatch(/no console is running/)
  })
})
