// The release gates' statistics and the nginx file's pieces: the anytime-valid confidence sequence
// covers the true rate at every look (simulated against the plain interval, which does not); the
// gates fail a clearly worse challenger, pass an equal one at the end of the hold only, and call a
// thin window inconclusive; the body-size regex nginx's map uses matches exactly 0…limit; commands
// split as a user typed them.
import { describe, expect, it } from 'vitest'
import { judge, kpiGates, rateInterval, type WindowData } from '../../src/main/core/release/gates'
import { atMostRegex, commandsOf, renderNginx } from '../../src/main/core/release/nginx'
import { splitCommand } from '../../src/main/cli/release'
import { GateSettings, type Front } from '../../src/shared/release'

/** A seeded generator (mulberry32): the simulations are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('the confidence sequence for a rate', () => {
  it('holds at every look: far fewer paths ever exclude the true rate than with a plain 95 % interval', () => {
    const rand = rng(7)
    const p = 0.05
    const paths = 300
    const looks = 2000
    let seqMiss = 0
    let plainMiss = 0
    for (let path = 0; path < paths; path++) {
      let k = 0
      let seqOut = false
      let plainOut = false
      for (let n = 1; n <= looks; n++) {
        if (rand() < p) k++
        if (n % 20 !== 0) continue // a look every 20 requests: 100 looks
        const i = rateInterval(n, k, 0.05)
        if (p < i.lo || p > i.hi) seqOut = true
        const m = k / n
        const half = 1.96 * Math.sqrt((m * (1 - m)) / n)
        if (p < m - half || p > m + half) plainOut = true
      }
      if (seqOut) seqMiss++
      if (plainOut) plainMiss++
    }
    // Ville's inequality: at most α of the paths ever leave it (here well under); peeking at the
    // plain interval 100 times leaves it on most paths.
    expect(seqMiss / paths).toBeLessThanOrEqual(0.05)
    expect(plainMiss / paths).toBeGreaterThan(0.3)
  })

  it('is tight near zero and brackets the estimate', () => {
    const clean = rateInterval(600, 0, 0.025)
    expect(clean.lo).toBe(0)
    expect(clean.hi).toBeGreaterThan(0.01)
    expect(clean.hi).toBeLessThan(0.02)
    const half = rateInterval(100, 50, 0.025)
    expect(half.lo).toBeLessThan(0.5)
    expect(half.hi).toBeGreaterThan(0.5)
    expect(half.hi - half.lo).toBeLessThan(0.45)
    expect(rateInterval(0, 0, 0.05)).toMatchObject({ lo: 0, hi: 1 })
  })
})

const settings = GateSettings.parse({ minRequests: 50 })
function win(o: { champErr?: number; challErr?: number; n?: number; slow?: number }): WindowData {
  const rand = rng(11)
  const n = o.n ?? 400
  const lat = (k: number, slow: number): number[] => Array.from({ length: k }, () => 0.01 + rand() * 0.005 + slow)
  const champ = lat(n * 9, 0)
  const chall = lat(n, o.slow ?? 0)
  // The slow line as a window fixes it (the champion's p95 + 20 %), then each request counted against it.
  const line = [...champ].sort((a, b) => a - b)[Math.floor(champ.length * 0.95)] * 1.2
  const arm = (xs: number[], err: number) => ({
    requests: xs.length,
    errors: Math.round(xs.length * err),
    latencies: xs,
    timed: xs.length,
    slow: xs.filter((x) => x > line).length,
  })
  return {
    champion: arm(champ, o.champErr ?? 0),
    challenger: arm(chall, o.challErr ?? 0),
    slowAbove: line,
    joined: 0,
    agreed: 0,
    outputs: null,
    logs: false,
    shadow: false,
  }
}

describe('the gates', () => {
  it('fail a challenger with many more errors at any look, naming the numbers', () => {
    const j = judge(win({ challErr: 0.2 }), settings, false)
    expect(j.verdict).toBe('fail')
    const g = j.gates.find((x) => x.gate === 'errors')!
    expect(g.verdict).toBe('fail')
    expect(g.detail).toMatch(/challenger 20\.0 % \[.+\] vs champion 0\.0 %/)
  })

  it('fail a slow challenger on latency, against a slow line fixed once per window', () => {
    const j = judge(win({ slow: 0.05 }), settings, false)
    expect(j.gates.find((x) => x.gate === 'latency')?.verdict).toBe('fail')
    // Before the line is fixed the gate is not judged; judge() proposes the line from the champion.
    const unfixed = { ...win({ slow: 0.05 }), slowAbove: null }
    const k = judge(unfixed, settings, false)
    expect(k.gates.find((x) => x.gate === 'latency')?.verdict).toBe('pending')
    expect(k.slowAbove).toBeGreaterThan(0.014)
    expect(k.slowAbove).toBeLessThan(0.019)
  })

  it('pass an equal challenger only at the end of the hold; before it they are pending', () => {
    expect(judge(win({ n: 1000 }), settings, false).verdict).toBe('pending')
    expect(judge(win({ n: 1000 }), settings, true).verdict).toBe('pass')
    // 400 clean requests cannot yet show the rise is within 2 points at every look: not a pass.
    expect(judge(win({ n: 400 }), settings, true).gates[0].verdict).toBe('inconclusive')
  })

  it('call a thin window inconclusive at the end of the hold (a pause for a human), never a pass', () => {
    const j = judge(win({ n: 20 }), settings, true)
    expect(j.verdict).toBe('inconclusive')
    expect(j.gates[0].detail).toMatch(/fewer than the 50 needed/)
    // A small rise within the tolerance, with too few requests to be sure: inconclusive too.
    const k = judge(win({ n: 60, challErr: 0.03 }), settings, true)
    expect(k.gates[0].verdict).toBe('inconclusive')
  })

  it('judge agreement in a shadow and output shift in a canary (fixed horizon: only at the end)', () => {
    const shadow = { ...win({}), logs: true, shadow: true, joined: 500, agreed: 300 }
    expect(judge(shadow, settings, false).gates.find((g) => g.gate === 'agreement')?.verdict).toBe('fail')
    const same = { ...win({}), logs: true, joined: 0, outputs: { champion: [1, 2, 3], challenger: [1, 2, 3] } }
    const rand = rng(3)
    const a = Array.from({ length: 300 }, () => rand())
    const b = Array.from({ length: 300 }, () => rand() + 0.5)
    const shifted = { ...same, outputs: { champion: a, challenger: b } }
    expect(judge(shifted, settings, false).gates.find((g) => g.gate === 'output-shift')?.verdict).toBe('pending')
    expect(judge(shifted, settings, true).gates.find((g) => g.gate === 'output-shift')?.verdict).toBe('fail')
    const equal = { ...same, outputs: { champion: a, challenger: a.map((x) => x + 1e-9) } }
    expect(judge(equal, settings, true).gates.find((g) => g.gate === 'output-shift')?.verdict).toBe('pass')
  })
})

describe('the nginx file', () => {
  it("matches exactly the body sizes up to the limit in its map's regex", () => {
    for (const limit of [0, 7, 10, 99, 100, 1000, 1048576, 2000, 305]) {
      const re = new RegExp(atMostRegex(limit))
      for (const n of [
        0, 1, 9, 10, 11, 99, 100, 101, 305, 306, 999, 1000, 1001, 1999, 2000, 2001, 1048575, 1048576, 1048577, 9999999,
      ]) {
        expect(re.test(String(n)), `${n} ≤ ${limit}`).toBe(n <= limit)
      }
    }
  })

  const front: Front = {
    model: 'fraud/scorer',
    host: 'local',
    dir: '/etc/nginx/gantry',
    file: '/etc/nginx/gantry/f.conf',
    accessLog: '/etc/nginx/gantry/f.access.log',
    shadowLog: '/etc/nginx/gantry/f.shadow.log',
    listen: '127.0.0.1:8080',
    champion: 'http://10.0.0.5:8000',
    key: 'X-User',
    reloadCommand: ['nginx', '-s', 'reload'],
    testCommand: ['nginx', '-t'],
    createdAt: 0,
    applied: null,
  }
  const base = {
    challenger: 'http://10.0.0.6:8000',
    idempotent: ['POST'],
    maxMirrorBody: 1 << 20,
    mirrorTimeoutMs: 5000,
    release: 3,
    rev: 7,
  }

  it('splits on the key (falling back to the request id), streams unbuffered, and passes the request id', () => {
    const t = renderNginx(front, { ...base, mode: 'canary', weight: 5 })
    expect(t).toMatch(/^# Managed by Gantry — model "fraud\/scorer", release #3, rev 7\./)
    expect(t).toContain('map $http_x_user $g_')
    expect(t).toMatch(/split_clients "\$\{g_[0-9a-f]{8}_key\}" \$g_[0-9a-f]{8}_arm \{ 5% challenger; \* champion; \}/)
    expect(t).toContain('proxy_buffering off;')
    expect(t).toContain('proxy_set_header X-Request-ID $request_id;')
    expect(t).not.toContain('mirror /.gantry-mirror')
    expect(renderNginx(front, { ...base, mode: 'canary', weight: 100 })).toMatch(/\{ \* challenger; \}/)
    const off = renderNginx(front, { ...base, mode: 'off', weight: 0, challenger: null })
    expect(off).not.toContain('_challenger')
  })

  it('mirrors in a shadow only what was picked, is idempotent and small enough, with short timeouts', () => {
    const t = renderNginx(front, { ...base, mode: 'shadow', weight: 10 })
    expect(t).toContain('mirror /.gantry-mirror;')
    expect(t).toMatch(/map \$request_method \$g_\w+_idem \{ POST 1; default 0; \}/)
    expect(t).toContain('proxy_read_timeout 5s;')
    expect(t).toContain('proxy_set_header X-Gantry-Shadow 1;')
    expect(t).toMatch(/split_clients "x\$\{request_id\}" \$g_\w+_pick \{ 10% 1; \* 0; \}/)
  })

  it('derives the test command from the reload command', () => {
    expect(commandsOf()).toEqual({ reload: ['nginx', '-s', 'reload'], test: ['nginx', '-t'] })
    expect(commandsOf(['/opt/nginx/sbin/nginx', '-p', '/srv/n', '-s', 'reload'])).toEqual({
      reload: ['/opt/nginx/sbin/nginx', '-p', '/srv/n', '-s', 'reload'],
      test: ['/opt/nginx/sbin/nginx', '-p', '/srv/n', '-t'],
    })
    expect(commandsOf(['systemctl', 'reload', 'nginx']).test).toEqual(['nginx', '-t'])
  })

  it('splits a command line as typed, quotes kept together, no shell', () => {
    expect(splitCommand(`nginx -p '/srv/my nginx' -c "/a b/c.conf" -s reload`)).toEqual([
      'nginx',
      '-p',
      '/srv/my nginx',
      '-c',
      '/a b/c.conf',
      '-s',
      'reload',
    ])
    expect(splitCommand('sudo  -n systemctl reload nginx')).toEqual(['sudo', '-n', 'systemctl', 'reload', 'nginx'])
    expect(() => splitCommand(`nginx -p '/x`)).toThrow(/unclosed/)
    expect(splitCommand(`a '' b`)).toEqual(['a', '', 'b'])
  })
})

describe('KPI gates', () => {
  const kpi = (over: Partial<Parameters<typeof kpiGates>[0][number]>) => ({
    name: 'conversion',
    value: 0.02,
    threshold: 0.03,
    breached: true,
    unit: '',
    error: null,
    direction: 'higher-is-better',
    ...over,
  })
  it('a breached KPI fails the step even when its answer came with a warning (several series)', () => {
    const [g] = kpiGates([kpi({ error: 'the query returned 3 series; their sum is used' })], false)
    expect(g.verdict).toBe('fail')
    expect(g.detail).toMatch(/note: the query returned 3 series/)
  })
  it('no value is pending while the step holds, inconclusive at its end', () => {
    expect(kpiGates([kpi({ value: null, error: 'timeout' })], false)[0].verdict).toBe('pending')
    expect(kpiGates([kpi({ value: null, error: 'timeout' })], true)[0].verdict).toBe('inconclusive')
    expect(kpiGates([kpi({ value: 0.05, breached: false })], true)[0].verdict).toBe('pass')
  })
})
