/**
 * Steering decisions cached by (where the client is, title), as Traffic
 * Router answers every client of a coverage zone alike.
 *
 * One generation of entries is valid for one registry version (OCA state or
 * titles changed) and one token expiry; it is dropped whole when either
 * changes, when it is older than `ttlMs` (load, which moves at every poll, is
 * read again) or when it holds `max` entries. Dropping whole generations
 * instead of keeping an LRU's per-entry order and clock costs a burst of
 * misses once a second and saves work on every hit, which is what a busy
 * steering service does.
 *
 * Keys are two plain strings, the location first: the common location key
 * is a site id the coverage map hands out (the same string object each
 * time, so its hash is computed once), and only the title is a new string
 * per request.
 */
export interface DecisionCacheOptions {
  /** how long a generation lives; default 1000 ms (one health interval) */
  ttlMs: number
  /** entries per generation before it is dropped; default 50 000 */
  max: number
}

export const DECISION_CACHE_DEFAULTS: DecisionCacheOptions = { ttlMs: 1000, max: 50_000 }

export class DecisionCache<V> {
  private entries = new Map<string, Map<string, V>>()
  private size = 0
  private version = Number.NaN
  private exp: number | undefined = Number.NaN
  private born = 0

  constructor(private readonly opts: DecisionCacheOptions = DECISION_CACHE_DEFAULTS) {}

  /** Start a new generation when the inputs every entry depends on changed, or this one is old or full. */
  refresh(version: number, exp: number | undefined, nowMs: number): void {
    if (version === this.version && exp === this.exp && nowMs - this.born < this.opts.ttlMs && this.size < this.opts.max) return
    this.entries = new Map()
    this.size = 0
    this.version = version
    this.exp = exp
    this.born = nowMs
  }

  get(location: string, title: string): V | undefined {
    return this.entries.get(location)?.get(title)
  }

  set(location: string, title: string, value: V): void {
    let m = this.entries.get(location)
    if (!m) this.entries.set(location, (m = new Map()))
    if (!m.has(title)) this.size++
    m.set(title, value)
  }
}
