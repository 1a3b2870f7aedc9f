/**
 * Steering decisions cached by (where the client is, title), as Traffic
 * Router answers every client of a coverage zone alike.
 *
 * One generation of entries is valid for one registry version (membership,
 * state, titles held, or an OCA crossing its spill-over threshold: whatever
 * can change an order); it is dropped whole when that changes or when it
 * holds `max` entries. Token expiry is not an input here: a ranking outlives
 * its signatures, so the caller keeps the ranking in the entry and re-signs
 * an entry whose expiry has passed (steer-routes.ts), rather than ranking
 * every key again each minute. There is no clock: load moves at
 * every poll but changes an order only when it crosses the threshold, which
 * bumps the version, so the load figure a spilled OCA's reason quotes is the
 * one of the poll that made the ranking. Dropping whole generations instead of
 * keeping an LRU's per-entry order costs a burst of misses when the fleet
 * changes and saves work on every hit, which is what a busy steering service
 * does.
 *
 * A generation that is merely full is still right: its inputs did not
 * change. It is kept as the previous generation, and a miss in the new one
 * takes the entry from there (one copy) instead of ranking again, so filling
 * up never costs a round of misses over the hot keys; what nobody asks for
 * again goes when the next generation fills. A generation whose inputs
 * changed is never consulted again: an answer from it could name an OCA that
 * went down.
 *
 * Keys are two plain strings, the location first: the common location key
 * is a site id the coverage map hands out (the same string object each
 * time, so its hash is computed once), and only the title is a new string
 * per request.
 */
export const DECISION_CACHE_MAX = 50_000

export class DecisionCache<V> {
  private entries = new Map<string, Map<string, V>>()
  /** the last generation, when it ended only because it was full (same inputs: its entries are valid) */
  private previous: Map<string, Map<string, V>> | undefined
  private size = 0
  private version = Number.NaN

  constructor(private readonly max = DECISION_CACHE_MAX) {}

  /** Start a new generation when the registry version changed, or this one is full. */
  refresh(version: number): void {
    if (version === this.version && this.size < this.max) return
    this.previous = version === this.version ? this.entries : undefined
    this.entries = new Map()
    this.size = 0
    this.version = version
  }

  get(location: string, title: string): V | undefined {
    const v = this.entries.get(location)?.get(title)
    if (v !== undefined || !this.previous) return v
    const carried = this.previous.get(location)?.get(title)
    if (carried !== undefined) this.set(location, title, carried)
    return carried
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
