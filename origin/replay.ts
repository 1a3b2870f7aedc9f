import { AliasTable, seededRandom } from '../lib/random.js'
import { type Plan, type PlanInput, planPlacement } from './planner.js'

/**
 * Verification by replay: a request log (one line per play: the client's
 * site, the title, the rung) run against a placement gives the edge hit
 * ratio, the share of requested bytes served by the client's own site, then
 * by another site of its region, then by the origin. Pure and in memory: a
 * million plays replay in well under a second.
 *
 * A play names the rendition its client prefers. In a title with several
 * codecs (planner.ts, codec-demand.ts) the client plays that rendition when
 * its site holds it, else the first of its fallbacks the site holds, else it
 * misses on the preferred rendition's bytes. Requested bytes are the bytes of
 * what was played.
 */
export interface RequestLog {
  site: Uint16Array
  title: Uint32Array
  rendition: Uint16Array
  length: number
}

export interface HitRatio {
  /** bytes requested */
  bytes: number
  own: number
  region: number
  origin: number
}

export interface FillReplay extends HitRatio {
  /**
   * Link bytes the placement saved against every play fetched from the
   * origin in its preferred rendition (planner.ts: a hit saves 2 × the
   * preferred bytes less the bytes played, a miss nothing). With one codec
   * per title this is the bytes served by the client's own site.
   */
  savedBytes: number
}

/** Item keys' fallback keys (-1: none), for the replays below. */
function fallbackKeys(input: PlanInput, stride: number): Int32Array {
  const out = new Int32Array(input.titles.length * stride).fill(-1)
  for (const [ti, t] of input.titles.entries())
    for (const [ri, r] of t.renditions.entries()) if (r.fallback !== undefined) out[ti * stride + 1 + ri] = ti * stride + 1 + r.fallback
  return out
}

/** The key a client preferring `key` plays at a site that `holds`: the first of its chain held, else `key` itself (a miss). */
function played(key: number, fallback: Int32Array, holds: (k: number) => boolean): number {
  for (let k = key; k >= 0; k = fallback[k]!) if (holds(k)) return k
  return key
}

function sum(v: ArrayLike<number>): number {
  let total = 0
  for (let i = 0; i < v.length; i++) total += v[i]!
  return total
}

/**
 * Plays drawn from the forecast itself: the site by its share of all
 * plays, the title by the site's views, the rung by the region's mix. The
 * multinomial sampling is the noise between any forecast and the day.
 */
export function sampleRequests(input: PlanInput, count: number, seed: number): RequestLog {
  const rng = seededRandom(seed)
  const siteTotals = input.views.map(sum)
  const sites = new AliasTable(siteTotals)
  const titleTables = input.views.map((v) => new AliasTable(v))
  const shareCache = input.sites.map(() => new Array<ArrayLike<number> | undefined>(input.titles.length))
  const shares = (s: number, t: number): ArrayLike<number> => (shareCache[s]![t] ??= input.share(s, t))
  const log: RequestLog = { site: new Uint16Array(count), title: new Uint32Array(count), rendition: new Uint16Array(count), length: count }
  for (let i = 0; i < count; i++) {
    const s = sites.sample(rng)
    const t = titleTables[s]!.sample(rng)
    const share = shares(s, t)
    let u = rng()
    let r = 0
    while (r < share.length - 1 && u >= share[r]!) u -= share[r++]!
    log.site[i] = s
    log.title[i] = t
    log.rendition[i] = r
  }
  return log
}

/** Which items each site holds: `held[s][t * stride + 0]` the shared part, `+ 1 + r` rendition r. */
export interface Holdings {
  stride: number
  held: Uint8Array[]
}

export const strideOf = (input: PlanInput): number => 1 + input.titles.reduce((m, t) => Math.max(m, t.renditions.length), 0)

export function holdingsOf(input: PlanInput, plan: Plan): Holdings {
  const stride = strideOf(input)
  const index = new Map(input.titles.map((t, i) => [t.id, i]))
  const held = plan.sites.map((sp) => {
    const h = new Uint8Array(input.titles.length * stride)
    for (const p of sp.titles) {
      const ti = index.get(p.titleId)!
      const t = input.titles[ti]!
      h[ti * stride] = 1
      for (const r of p.renditions) h[ti * stride + 1 + t.renditions.findIndex((x) => x.id === r)] = 1
    }
    return h
  })
  return { stride, held }
}

const regionPeers = (input: PlanInput): number[][] => input.sites.map((s, i) => input.sites.flatMap((o, j) => (j !== i && o.region === s.region ? [j] : [])))

function ratio(bytes: number, own: number, region: number): HitRatio {
  return bytes > 0 ? { bytes, own: own / bytes, region: region / bytes, origin: (bytes - own - region) / bytes } : { bytes, own: 0, region: 0, origin: 0 }
}

/** Replay `log` against a fixed placement. */
export function replay(input: PlanInput, log: RequestLog, h: Holdings): HitRatio {
  // How many sites of each region hold each item: a peer holds it when the count exceeds the site's own.
  const regions = [...new Set(input.sites.map((s) => s.region))]
  const regionOf = input.sites.map((s) => regions.indexOf(s.region))
  const inRegion = regions.map(() => new Uint16Array(h.held[0]?.length ?? 0))
  h.held.forEach((held, s) => {
    const count = inRegion[regionOf[s]!]!
    for (let k = 0; k < held.length; k++) count[k]! += held[k]!
  })
  const fallback = fallbackKeys(input, h.stride)
  let bytes = 0
  let own = 0
  let region = 0
  const count = (s: number, key: number, b: number): void => {
    bytes += b
    const mine = h.held[s]![key]!
    if (mine) own += b
    else if (inRegion[regionOf[s]!]![key]! > 0) region += b
  }
  for (let i = 0; i < log.length; i++) {
    const s = log.site[i]!
    const t = log.title[i]!
    const r = log.rendition[i]!
    const title = input.titles[t]!
    count(s, t * h.stride, title.baseBytes)
    const key = played(t * h.stride + 1 + r, fallback, (k) => h.held[s]![k] === 1)
    count(s, key, title.renditions[key - t * h.stride - 1]!.bytes)
  }
  return ratio(bytes, own, region)
}

/**
 * The oracle: the planner fed the log's exact per-site counts instead of the
 * forecast, at the same capacities. It knew every request in advance.
 */
export function oraclePlan(input: PlanInput, log: RequestLog): Plan {
  const stride = strideOf(input)
  const n = input.titles.length
  const plays = input.sites.map(() => new Float64Array(n))
  const atRung = input.sites.map(() => new Float64Array(n * stride))
  for (let i = 0; i < log.length; i++) {
    plays[log.site[i]!]![log.title[i]!]!++
    atRung[log.site[i]!]![log.title[i]! * stride + log.rendition[i]!]!++
  }
  const share = (s: number, t: number): Float64Array => {
    const k = plays[s]![t]!
    const out = atRung[s]!.slice(t * stride, t * stride + input.titles[t]!.renditions.length)
    if (k > 0) for (let r = 0; r < out.length; r++) out[r]! /= k
    return out
  }
  return planPlacement({ ...input, views: plays, share })
}

/** A byte-bounded LRU over item numbers 0..size-1: an intrusive doubly linked list in typed arrays (O(1) everything). */
class ItemLru {
  private readonly prev: Int32Array
  private readonly next: Int32Array
  private readonly bytes: Float64Array
  private head = -1
  private tail = -1
  used = 0

  constructor(
    size: number,
    private readonly capacity: number,
  ) {
    this.prev = new Int32Array(size).fill(-2)
    this.next = new Int32Array(size).fill(-2)
    this.bytes = new Float64Array(size)
  }

  has(k: number): boolean {
    return this.prev[k] !== -2
  }

  private unlink(k: number): void {
    const p = this.prev[k]!
    const n = this.next[k]!
    if (p >= 0) this.next[p] = n
    else this.head = n
    if (n >= 0) this.prev[n] = p
    else this.tail = p
    this.prev[k] = -2
    this.next[k] = -2
  }

  private pushFront(k: number): void {
    this.prev[k] = -1
    this.next[k] = this.head
    if (this.head >= 0) this.prev[this.head] = k
    this.head = k
    if (this.tail < 0) this.tail = k
  }

  touch(k: number): void {
    this.unlink(k)
    this.pushFront(k)
  }

  /** Insert, evicting least recently used items; an item larger than the whole cache is not kept. */
  insert(k: number, b: number): void {
    if (b > this.capacity) return
    while (this.used + b > this.capacity && this.tail >= 0) {
      const victim = this.tail
      this.used -= this.bytes[victim]!
      this.unlink(victim)
    }
    this.bytes[k] = b
    this.used += b
    this.pushFront(k)
  }
}

/**
 * Plain LRU fill-on-miss, the reactive baseline: every site caches what its
 * clients ask for, byte-bounded, evicting the least recently used item. A
 * miss looks at the region's other caches (without touching their recency),
 * then goes to the origin; either way the site keeps a copy. The caches are
 * warmed on `warm` (a previous day) before `log` is measured, so the
 * baseline is not charged for a cold start the planner never has.
 */
export function simulateLru(input: PlanInput, warm: RequestLog, log: RequestLog): FillReplay {
  return replayWithFill(input, warm, log)
}

/**
 * A placement as an OCA runs it: the planned items are pinned (never
 * evicted), and every miss fills into an LRU region made of the capacity the
 * plan left free (oca/miss-fill.ts, oca/eviction.ts). Without `pinned` this
 * is plain LRU. A miss counts as a region hit when another site of the
 * region holds the item, pinned or cached. Warmed on `warm` like the LRU
 * baseline, so the reactive region starts the day as full as LRU's does.
 */
export function replayWithFill(input: PlanInput, warm: RequestLog, log: RequestLog, pinned?: Holdings): FillReplay {
  const stride = strideOf(input)
  if (pinned && pinned.stride !== stride) throw new Error('holdings were made for another input')
  const peers = regionPeers(input)
  const size = input.titles.length * stride
  const none = new Uint8Array(size)
  const held = input.sites.map((_, s) => pinned?.held[s] ?? none)
  const itemBytes = new Float64Array(size)
  for (const [ti, t] of input.titles.entries()) {
    itemBytes[ti * stride] = t.baseBytes
    for (const [ri, r] of t.renditions.entries()) itemBytes[ti * stride + 1 + ri] = r.bytes
  }
  const caches = input.sites.map((site, s) => {
    let used = 0
    const h = held[s]!
    for (let k = 0; k < size; k++) if (h[k]) used += itemBytes[k]!
    return new ItemLru(size, Math.max(0, site.capacityBytes - used))
  })
  const fallback = fallbackKeys(input, stride)
  let bytes = 0
  let own = 0
  let region = 0
  let savedBytes = 0
  /** One request; true when the site served it from its pinned or cached items. */
  const access = (s: number, key: number, b: number, count: boolean): boolean => {
    if (held[s]![key]) {
      if (count) own += b
      return true
    }
    const cache = caches[s]!
    if (cache.has(key)) {
      cache.touch(key)
      if (count) own += b
      return true
    }
    if (count && peers[s]!.some((p) => held[p]![key] || caches[p]!.has(key))) region += b
    cache.insert(key, b)
    return false
  }
  for (const [l, count] of [
    [warm, false],
    [log, true],
  ] as const) {
    for (let i = 0; i < l.length; i++) {
      const s = l.site[i]!
      const t = l.title[i]!
      const title = input.titles[t]!
      const want = t * stride + 1 + l.rendition[i]!
      const key = played(want, fallback, (k) => held[s]![k] === 1 || caches[s]!.has(k))
      const rb = itemBytes[key]!
      if (count) bytes += title.baseBytes + rb
      if (access(s, t * stride, title.baseBytes, count) && count) savedBytes += title.baseBytes
      if (access(s, key, rb, count) && count) savedBytes += 2 * itemBytes[want]! - rb
    }
  }
  return { ...ratio(bytes, own, region), savedBytes }
}
