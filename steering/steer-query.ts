import type { SteerQuery } from './schemas.js'

/**
 * `/v1/steer`'s query string checked by hand, answering exactly what the
 * `SteerQuery` schema under Fastify's default Ajv options (coerceTypes
 * 'array', removeAdditional, allErrors off) answered: the same first error,
 * in the same words, and the same coerced values. The schema cost the
 * busiest route Ajv's generated validator and Fastify's validation wrapper
 * on every request (about a tenth of what steering adds to a bare route);
 * test/steering/steer-query.test.ts holds this function to the schema run
 * through Fastify itself, on hostile query strings too.
 *
 * Kept as Ajv had it, quirks included: a number is whatever `Number()` reads
 * from a non-empty string (' 1 ', '0x10', '1e1'), and a non-finite one
 * ('Infinity') skips the range checks.
 */
export type SteerQueryCheck = { ok: true; value: SteerQuery } | { ok: false; error: string }

/** SteerQuery's title: TitleId's pattern and length, checked by character codes. */
const TITLE_MAX = 128
const TITLE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$'

const isAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)

function titleError(t: string): string | undefined {
  // Ajv counts code points (a surrogate pair is one character); only a title longer than the limit in UTF-16 units can exceed it.
  if (t.length > TITLE_MAX && codePoints(t) > TITLE_MAX) return `querystring/title must NOT have more than ${TITLE_MAX} characters`
  let ok = t.length > 0 && isAlnum(t.charCodeAt(0))
  for (let i = 1; ok && i < t.length; i++) {
    const c = t.charCodeAt(i)
    ok = isAlnum(c) || c === 95 || c === 46 || c === 45
  }
  return ok ? undefined : `querystring/title must match pattern "${TITLE_PATTERN}"`
}

function codePoints(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++
    n++
  }
  return n
}

/** A query value as Ajv's 'array' coercion sees it: one repeat (a one-item list) is the item. */
const single = (v: unknown): unknown => (Array.isArray(v) && v.length === 1 ? v[0] : v)

/** Ajv's coercion of a query value to a number: NaN when it would answer "must be number". */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.NaN
  if (typeof v === 'boolean' || v === null) return Number(v)
  return typeof v === 'string' && v !== '' ? Number(v) : Number.NaN
}

function numberError(name: string, v: unknown, min: number, max: number, integer: boolean): string | number {
  const x = toNumber(single(v))
  if (Number.isNaN(x)) return `querystring/${name} must be ${integer ? 'integer' : 'number'}`
  // Ajv reads 'Infinity' as a number (and, by `!(x % 1)`, as an integer) and checks ranges of finite numbers only.
  if (!Number.isFinite(x)) return x
  if (integer && x % 1 !== 0) return `querystring/${name} must be integer`
  if (x > max) return `querystring/${name} must be <= ${max}`
  if (x < min) return `querystring/${name} must be >= ${min}`
  return x
}

export function checkSteerQuery(query: Readonly<{ title?: unknown; lat?: unknown; lon?: unknown; n?: unknown }>): SteerQueryCheck {
  const { title: rawTitle, lat: rawLat, lon: rawLon, n: rawN } = query
  if (rawTitle === undefined) return { ok: false, error: "querystring must have required property 'title'" }
  if (rawLat !== undefined && rawLon === undefined) return { ok: false, error: 'querystring must have property lon when property lat is present' }
  if (rawLon !== undefined && rawLat === undefined) return { ok: false, error: 'querystring must have property lat when property lon is present' }
  let title = single(rawTitle)
  if (typeof title === 'number' || typeof title === 'boolean') title = String(title)
  else if (title === null) title = ''
  else if (typeof title !== 'string') return { ok: false, error: 'querystring/title must be string' }
  const bad = titleError(title as string)
  if (bad) return { ok: false, error: bad }
  const value: SteerQuery = { title: title as string }
  if (rawLat !== undefined) {
    const lat = numberError('lat', rawLat, -90, 90, false)
    if (typeof lat === 'string') return { ok: false, error: lat }
    value.lat = lat
  }
  if (rawLon !== undefined) {
    const lon = numberError('lon', rawLon, -180, 180, false)
    if (typeof lon === 'string') return { ok: false, error: lon }
    value.lon = lon
  }
  if (rawN !== undefined) {
    const n = numberError('n', rawN, 1, 50, true)
    if (typeof n === 'string') return { ok: false, error: n }
    value.n = n
  }
  return { ok: true, value }
}
