/**
 * Validators and conditional requests per RFC 9110 §8.8 and §13. Pure: the
 * caller supplies the representation's validators and the request headers.
 */

/**
 * A strong ETag derived from the content hash, so every node holding the same
 * bytes (origin, any OCA) hands out the same validator and a player's
 * If-Range survives failover between them. 128 bits of the sha256 suffice.
 */
export const etagForSha256 = (sha256: string): string => `"${sha256.slice(0, 32)}"`

/** Fallback when the hash is not known: size and mtime, as nginx does. */
export const etagForStat = (size: number, mtimeMs: number): string => `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`

export const httpDate = (ms: number): string => new Date(ms).toUTCString()

export interface Validators {
  etag: string
  /** mtime in ms; compared at one-second resolution, like the header */
  lastModified: number
}

export type ConditionalOutcome = 'proceed' | 'not-modified' | 'precondition-failed'

type Headers = Record<string, string | string[] | undefined>

const one = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h.join(', ') : h)

/** Split an entity-tag list; `*` is returned as the single element "*". */
export function parseETagList(value: string): string[] {
  const tags: string[] = []
  const re = /\s*(\*|(?:W\/)?"[^"]*")\s*(?:,|$)/gy
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    tags.push(m[1]!)
    if (re.lastIndex >= value.length) break
  }
  return tags
}

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag)
const isWeak = (tag: string): boolean => tag.startsWith('W/')

/** §8.8.3.2: strong comparison needs both tags strong and equal. */
export const strongMatch = (a: string, b: string): boolean => !isWeak(a) && !isWeak(b) && a === b
/** §8.8.3.2: weak comparison ignores the W/ prefix. */
export const weakMatch = (a: string, b: string): boolean => opaque(a) === opaque(b)

const seconds = (ms: number): number => Math.floor(ms / 1000)

function parseDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value)
  return Number.isNaN(t) ? undefined : t
}

/**
 * The precondition order of §13.2.2: If-Match, else If-Unmodified-Since
 * (412 on failure); then If-None-Match, else If-Modified-Since for GET/HEAD
 * (304). Range and If-Range come after and are decided by `rangeApplies`.
 */
export function evaluatePreconditions(method: string, headers: Headers, v: Validators): ConditionalOutcome {
  const getOrHead = method === 'GET' || method === 'HEAD'
  const ifMatch = one(headers['if-match'])
  if (ifMatch !== undefined) {
    const tags = parseETagList(ifMatch)
    if (!tags.some((t) => t === '*' || strongMatch(t, v.etag))) return 'precondition-failed'
  } else {
    const ius = parseDate(one(headers['if-unmodified-since']))
    if (ius !== undefined && seconds(v.lastModified) > seconds(ius)) return 'precondition-failed'
  }
  const ifNoneMatch = one(headers['if-none-match'])
  if (ifNoneMatch !== undefined) {
    const tags = parseETagList(ifNoneMatch)
    if (tags.some((t) => t === '*' || weakMatch(t, v.etag))) return getOrHead ? 'not-modified' : 'precondition-failed'
  } else if (getOrHead) {
    const ims = parseDate(one(headers['if-modified-since']))
    if (ims !== undefined && seconds(v.lastModified) <= seconds(ims)) return 'not-modified'
  }
  return 'proceed'
}

/**
 * §13.1.5: a Range is honoured only if If-Range is absent or still matches.
 * An entity-tag must match strongly; a date must equal Last-Modified exactly
 * (we do not apply the "one second older than Date" weakening: our
 * Last-Modified is a file mtime that never goes backwards for one name).
 */
export function rangeApplies(headers: Headers, v: Validators): boolean {
  const ifRange = one(headers['if-range'])
  if (ifRange === undefined) return true
  const value = ifRange.trim()
  if (value.startsWith('"') || value.startsWith('W/')) return strongMatch(value, v.etag)
  const date = parseDate(value)
  return date !== undefined && seconds(date) === seconds(v.lastModified)
}
