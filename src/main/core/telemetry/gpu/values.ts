// Reading nvidia-smi values: numbers with or without units ("575 MiB", "38 %", "71.15 W",
// "0x00000000000001FF"), and the placeholders it prints instead of a value ("[N/A]", "N/A",
// "[Not Supported]", "[Unknown Error]", "Requested functionality has been deprecated"), which
// become null with the reason kept — never 0 (notes/gpu.md §4).
import { decimalAt } from '../../util/number'

export interface Read<T> {
  value: T | null
  /** Why value is null: the placeholder as printed, or "missing" / "unparseable: …". */
  reason: string | null
}

const PLACEHOLDER =
  /^\[?(n\/a|not supported|unknown error|requested functionality has been deprecated|insufficient permissions|gpu requires reset|gpu is lost|not available|none|unknown)\]?$/i

/** Trims, folds internal whitespace (XML values can hold newlines), and recognises placeholders. */
export function cleanText(raw: unknown): Read<string> {
  if (raw === undefined || raw === null) return { value: null, reason: 'missing' }
  if (typeof raw !== 'string') return { value: null, reason: 'missing' }
  const t = raw.replace(/\s+/g, ' ').trim()
  if (t === '') return { value: null, reason: 'empty' }
  if (PLACEHOLDER.test(t) || /^\[.*\]$/.test(t)) return { value: null, reason: t.replace(/^\[|\]$/g, '') }
  return { value: t, reason: null }
}

/** A number, dropping a trailing unit ("MiB", "W", "%", "MHz", "C", "x", "us"); hex allowed. */
const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/

export function readNumber(raw: unknown): Read<number> {
  // Fast path: the stream's nounits values are bare numbers (this runs ~40 times per GPU per tick).
  if (typeof raw === 'string' && PLAIN_NUMBER.test(raw)) return { value: Number(raw), reason: null }
  const t = cleanText(raw)
  if (t.value === null) return { value: null, reason: t.reason }
  const s = t.value
  if (/^0x[0-9a-f]+$/i.test(s)) return { value: Number.parseInt(s, 16), reason: null }
  const m = /^(-?\d+(?:\.\d+)?)\s*([A-Za-z%]*)$/.exec(s)
  if (!m) return { value: null, reason: `unparseable: ${s.slice(0, 40)}` }
  const v = Number(m[1])
  return Number.isFinite(v) ? { value: v, reason: null } : { value: null, reason: `unparseable: ${s.slice(0, 40)}` }
}

/** "Active" / "Not Active", "Yes" / "No", "Enabled" / "Disabled". */
export function readFlag(raw: unknown): Read<boolean> {
  const t = cleanText(raw)
  if (t.value === null) return { value: null, reason: t.reason }
  const s = t.value.toLowerCase()
  if (s === 'active' || s === 'yes' || s === 'enabled' || s === '1' || s === 'true')
    return { value: true, reason: null }
  if (s === 'not active' || s === 'no' || s === 'disabled' || s === '0' || s === 'false')
    return { value: false, reason: null }
  return { value: null, reason: `unparseable: ${t.value.slice(0, 40)}` }
}

// Text and flag values repeat tick after tick (uuid, name, bus id, "Enabled", "[N/A]"), so their
// readings are cached by the raw string; the cache is dropped when it grows past a bound (a
// hostile or garbled stream cannot make it grow without limit).
const CACHE_MAX = 4096
const textCache = new Map<string, Read<string>>()
const flagCache = new Map<string, Read<boolean>>()
const numberCache = new Map<string, Read<number>>()
function cached<T>(cache: Map<string, Read<T>>, raw: unknown, read: (raw: unknown) => Read<T>): Read<T> {
  if (typeof raw !== 'string') return read(raw)
  let r = cache.get(raw)
  if (r === undefined) {
    if (cache.size >= CACHE_MAX) cache.clear()
    r = read(raw)
    cache.set(raw, r)
  }
  return r
}

/** Collects the reasons of null fields as it reads them, for Gpu.unavailable. */
export class FieldReader {
  readonly unavailable: Record<string, string> = {}
  num(field: string, raw: unknown): number | null {
    // Fast path without a regex or an intermediate object: the stream's nounits values are bare
    // decimals ("99", "696.70"); anything else (placeholders, units, hex) takes the full reading.
    if (typeof raw === 'string') {
      const v = decimalAt(raw, 0, raw.length)
      if (!Number.isNaN(v)) return v
    }
    return this.note(field, cached(numberCache, raw, readNumber))
  }
  text(field: string, raw: unknown): string | null {
    return this.note(field, cached(textCache, raw, cleanText))
  }
  flag(field: string, raw: unknown): boolean | null {
    return this.note(field, cached(flagCache, raw, readFlag))
  }
  /** The value of a reading, its reason kept when it is null. */
  note<T>(field: string, r: Read<T>): T | null {
    if (r.value === null && r.reason && r.reason !== 'missing') this.unavailable[field] = r.reason
    return r.value
  }
}
