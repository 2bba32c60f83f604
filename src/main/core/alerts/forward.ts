// Forwarding to a site's Alertmanager, as Prometheus does (rules/manager.go, notifier): every firing
// alert is POSTed to /api/v2/alerts with an explicit endsAt of 4 × the resend interval and re-sent
// each interval (Alertmanager is stateless about clients); a resolved one is sent with endsAt = its
// resolution for 15 minutes. Its silences are read back (GET /api/v2/silences) and shown. A down or
// slow Alertmanager is a state with its error and a backoff, never a lost alert: the next send
// carries everything still firing.
import { Matcher, type Alert, type ForwardStatus, type Silence } from '../../../shared/alerts'
import { boundedFetch, json } from '../serving/http'
import { GantryError } from '../errors'
import { z } from 'zod'

export const RESEND_MS = 60_000
/** Below the endsAt a forwarded alert carries (4 × the resend interval): an outage of the
 *  Alertmanager never lets an alert that still fires time out there before the next try. */
const MAX_BACKOFF_MS = 2 * 60_000

/** An Alertmanager base URL: http(s), a host, no credentials, no query. */
export function checkAlertmanagerUrl(raw: string): string {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new GantryError('contract/invalid-input', `"${raw}" is not a URL (e.g. http://alertmanager:9093/)`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new GantryError('contract/invalid-input', `${u.protocol} is not an Alertmanager API (http or https)`)
  }
  if (u.username || u.password) throw new GantryError('contract/invalid-input', 'no credentials in the URL')
  if (u.search || u.hash) throw new GantryError('contract/invalid-input', 'the base URL takes no query or fragment')
  if (!u.pathname.endsWith('/')) u.pathname += '/'
  return u.toString()
}

const AmSilence = z.object({
  id: z.string(),
  status: z.object({ state: z.string() }),
  matchers: z.array(
    z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean().optional() }),
  ),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
})

export interface Forwarder {
  status(): ForwardStatus
  /** Sends what needs sending now (firing, recently resolved) if the interval or a change calls for it. */
  tick(alerts: Alert[], now: number, changed: boolean): Promise<void>
  /** Silences last read from the Alertmanager. */
  silences(): Silence[]
  setUrl(url: string | null): void
}

export function createForwarder(o: {
  url: string | null
  /** The console's link for generatorURL (null: none known, e.g. the desktop app). */
  consoleUrl: () => string | null
  timeoutMs?: number
  evalIntervalMs: number
  /** Where the last-read silences are kept for other processes (the CLI) to show. */
  saveSilences: (s: Silence[]) => void
  log: (line: string) => void
}): Forwarder {
  let url = o.url
  let lastSentAt: number | null = null
  let lastError: string | null = null
  let failures = 0
  let nextTryAt: number | null = null
  let sent = 0
  let amSilences: Silence[] = []
  let skippedSilences = 0
  let silenceError: string | null = null
  let busy = false
  const timeoutMs = o.timeoutMs ?? 5000
  const resendMs = Math.max(RESEND_MS, o.evalIntervalMs)

  const payload = (a: Alert, now: number) => {
    const link = o.consoleUrl()
    return {
      labels: { ...a.labels, alertname: a.rule, severity: a.severity },
      annotations: {
        summary: a.summary,
        ...(a.runbookUrl ? { runbook_url: a.runbookUrl } : {}),
        receiver: a.route.receiver,
        ...(a.route.oncall ? { oncall: a.route.oncall } : {}),
        ...(a.ack ? { acknowledged_by: a.ack.by, acknowledged_note: a.ack.note } : {}),
      },
      startsAt: new Date(a.firedAt ?? a.activeAt).toISOString(),
      endsAt: new Date(a.state === 'resolved' && a.resolvedAt ? a.resolvedAt : now + 4 * resendMs).toISOString(),
      ...(link ? { generatorURL: `${link}#/alerts/${a.id}` } : {}),
    }
  }

  const readSilences = async (base: string, now: number): Promise<void> => {
    const r = await boundedFetch(base, 'api/v2/silences', { timeoutMs, maxRedirects: 0 })
    if (r.status !== 200) throw new Error(`GET /api/v2/silences: ${r.check.error ?? `HTTP ${r.status}`}`)
    const body = json(r)
    if (!Array.isArray(body)) throw new Error('GET /api/v2/silences: not an Alertmanager answer')
    // One silence Gantry cannot read (a UTF-8 label name, a value past the limits) is skipped, not
    // a failed read of all of them.
    const readable = body.flatMap((x) => {
      const p = AmSilence.safeParse(x)
      if (!p.success) return []
      const matchers = p.data.matchers.map((m) => Matcher.safeParse({ ...m, isEqual: m.isEqual ?? true }))
      return matchers.every((m) => m.success) ? [{ ...p.data, matchers: matchers.map((m) => m.data as Matcher) }] : []
    })
    skippedSilences = body.length - readable.length
    amSilences = readable
      .filter((s) => s.status.state !== 'expired')
      .map((s) => {
        const startsAt = Date.parse(s.startsAt)
        const endsAt = Date.parse(s.endsAt)
        return {
          id: s.id,
          matchers: s.matchers,
          startsAt,
          endsAt,
          createdBy: s.createdBy,
          comment: s.comment,
          state: endsAt <= now ? 'expired' : startsAt > now ? 'pending' : 'active',
          origin: 'alertmanager',
        }
      })
    o.saveSilences(amSilences)
  }

  return {
    status: () => ({
      url,
      state: url === null ? 'off' : lastError ? 'failing' : lastSentAt === null ? 'starting' : 'ok',
      lastSentAt,
      lastError:
        lastError ??
        (silenceError
          ? `alerts sent, but its silences could not be read: ${silenceError}`
          : skippedSilences
            ? `${skippedSilences} of its silences could not be read (label names Gantry does not take) and are not shown`
            : null),
      nextTryAt,
      sent,
      silences: amSilences.length,
    }),
    silences: () => amSilences,
    setUrl(u) {
      url = u
      lastError = null
      silenceError = null
      skippedSilences = 0
      failures = 0
      nextTryAt = null
      lastSentAt = null
      amSilences = []
    },
    async tick(alerts, now, changed) {
      if (!url || busy) return
      if (nextTryAt !== null && now < nextTryAt) return
      if (!changed && lastSentAt !== null && now - lastSentAt < resendMs && lastError === null) return
      busy = true
      const base = url
      try {
        // Every firing alert, silenced here or not: an alert left out would time out there and
        // be notified as resolved. Silences for the pager are made in the Alertmanager.
        const body = alerts
          .filter((a) => (a.state === 'firing' || a.state === 'resolved') && a.firedAt !== null)
          .map((a) => payload(a, now))
        if (body.length) {
          const r = await boundedFetch(base, 'api/v2/alerts', { method: 'POST', body, timeoutMs, maxRedirects: 0 })
          if (r.status === null || r.status >= 300) {
            throw new Error(
              `POST /api/v2/alerts: ${r.check.error ?? `HTTP ${r.status} ${(r.text ?? '').slice(0, 200)}`}`,
            )
          }
          sent += body.length
        }
        lastSentAt = now
        lastError = null
        failures = 0
        nextTryAt = null
      } catch (err) {
        failures++
        lastError = `${base}: ${err instanceof Error ? err.message : String(err)}`
        nextTryAt = now + Math.min(MAX_BACKOFF_MS, 5000 * 2 ** (failures - 1))
        if (failures === 1 || failures % 10 === 0) o.log(`gantry: forwarding alerts failed: ${lastError}`)
      } finally {
        busy = false
      }
      // Its silences are read after a successful send, apart from it: a proxy refusing this GET
      // is said on the status, and does not hold back the alerts.
      if (lastError === null && url === base) {
        try {
          await readSilences(base, now)
          silenceError = null
        } catch (err) {
          silenceError = err instanceof Error ? err.message : String(err)
        }
      }
    },
  }
}
