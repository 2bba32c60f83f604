// Alertmanager's matchers, exactly: `=`, `!=`, `=~`, `!~`; regexes are anchored (^(?:re)$) and in
// RE2 syntax, as Alertmanager's Go regexps are — matched by re2js (linear time: a silence's pattern,
// Gantry's or one read back from an Alertmanager, runs against every alert at every evaluation, so
// a backtracking engine would let `(a+)+$` freeze the console). A missing label equals "". A
// silence mutes an alert when every matcher matches.
import { RE2JS } from 're2js'
import type { Labels, Matcher, Silence } from '../../../shared/alerts'
import { GantryError } from '../errors'

/** A regex matcher's pattern is bounded: it runs against every alert's labels at every evaluation. */
export const MAX_REGEX = 256

const compiled = new Map<string, RE2JS | null>()
function regexOf(pattern: string): RE2JS | null {
  let r = compiled.get(pattern)
  if (r === undefined) {
    try {
      r = pattern.length <= MAX_REGEX ? RE2JS.compile(`^(?:${pattern})$`) : null
    } catch {
      r = null
    }
    if (compiled.size > 1000) compiled.clear()
    compiled.set(pattern, r)
  }
  return r
}

/** Checks a matcher before it is saved: a regex must compile (and be short). */
export function checkMatcher(m: Matcher): void {
  if (m.isRegex && !regexOf(m.value)) {
    throw new GantryError(
      'contract/invalid-input',
      m.value.length > MAX_REGEX
        ? `matcher ${m.name}: a regex is at most ${MAX_REGEX} characters`
        : `matcher ${m.name}: "${m.value}" is not a regular expression (RE2 syntax, as Alertmanager's)`,
    )
  }
}

export function matches(m: Matcher, labels: Labels): boolean {
  const v = labels[m.name] ?? ''
  let hit: boolean
  if (m.isRegex) {
    const r = regexOf(m.value)
    if (!r) return false // an unreadable matcher (read back from an Alertmanager) matches nothing
    hit = r.matcher(v).find()
  } else hit = v === m.value
  return m.isEqual === false ? !hit : hit
}

/** The ids of the active silences that mute these labels (an Alertmanager's as am:ID). */
export function silencedBy(silences: Silence[], labels: Labels, now: number): string[] {
  const out: string[] = []
  for (const s of silences) {
    if (s.startsAt > now || s.endsAt <= now || !s.matchers.length) continue
    if (s.matchers.every((m) => matches(m, labels))) out.push(s.origin === 'alertmanager' ? `am:${s.id}` : s.id)
  }
  return out
}

/** `name=value`, `name!=value`, `name=~re`, `name!~re` (quotes around the value are dropped). */
export function parseMatcher(text: string): Matcher {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/.exec(text)
  if (!m) {
    throw new GantryError(
      'contract/invalid-input',
      `"${text}" is not a matcher (name=value, name!=value, name=~re, name!~re)`,
    )
  }
  let value = m[3]
  if (/^".*"$/.test(value) || /^'.*'$/.test(value)) value = value.slice(1, -1)
  const op = m[2]
  return { name: m[1], value, isRegex: op === '=~' || op === '!~', isEqual: op === '=' || op === '=~' }
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.isEqual === false ? '!' : '='}${m.isRegex ? '~' : ''}"${m.value}"`
}
