// User names of this machine's uids, from /etc/passwd: read once, and again (at most every 10 s)
// when a uid is not in it — an account created after Gantry started is still named.
import { readFileSync } from 'node:fs'

let names: Map<number, string> | null = null
let readAt = 0
const REREAD_MS = 10_000

function load(): Map<number, string> {
  const m = new Map<number, string>()
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':')
      if (name && id) m.set(Number(id), name)
    }
  } catch {
    // no passwd file (containers): callers fall back to the numeric uid
  }
  return m
}

/** The account name of `uid`, or "uid N" where this machine has none. */
export function userName(uid: number, now = Date.now()): string {
  if (!names || (!names.has(uid) && now - readAt > REREAD_MS)) {
    names = load()
    readAt = now
  }
  return names.get(uid) ?? `uid ${uid}`
}
