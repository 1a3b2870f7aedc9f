/**
 * Steering decisions cached by (where the client is, title), as Traffic
 * Router answers every client of a coverage zone alike.
 *
 * One generation of entries is valid for one registry version (membership,
 * state, titles held, or an OCA crossing its spill-over threshold: whatever
 * can change an order) and one token expiry; it is dropped whole when either
 * changes or when it holds `max` entries. There is no clock: load moves at
 * every poll but changes an order only when it crosses the threshold, which
 * bumps the version, so the load figure a spilled OCA's reason quotes is the
 * one of the poll that made the ranking. Dropping whole generations instead of
 * keeping an LRU's per-entry order costs a burst of misses when the fleet
 * changes and saves work on every hit, which is what a busy steering service
 * does.
 *
 * Keys are two plain strings, the location first: the common location key
 * is a site id the coverage map hands out (the same string object each
 * time, so its hash is computed once), and only the title is a new string
 * per request.
 */
export const DECISION_CACHE_MAX = 50_000

export class DecisionCache<V> {
  private entries = new Map<string, Map<string, V>>()
  private size = 0
  private version = Number.NaN
  private exp: number | undefined = Number.NaN

  constructor(private readonly max = DECISION_CACHE_MAX) {}

  /** Start a new generation when the inputs every entry depends on changed, or this one is full. */
  refresh(version: number, exp: number | undefined): void {
    if (version === this.version && exp === this.exp && this.size < this.max) return
    this.entries = new Map()
    this.size = 0
    this.version = version
    this.exp = exp
  }

  get(location: string, title: string): V | undefined {
    return this.entries.get(location)?.get(title)
  }

  set(location: string, title: string, value: V): void {
    let m = this.entries.get(location)
    if (!m) {
      m = new Map()
      this.entries.set(location, m)
    }
    if (!m.has(title)) this.size++
    m.set(title, value)
  }
}
