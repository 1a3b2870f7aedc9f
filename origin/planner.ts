/**
 * The placement planner (Open Connect's proactive caching): which titles, and
 * which of their renditions, each site holds, to maximise the bytes of
 * expected demand its own clients find there, under every site's capacity.
 * Pure: no I/O, no clock, no randomness.
 *
 * Per site this is a knapsack. The unit is a title's shared part (manifests,
 * audio, title.json: every play reads it) or one video rendition (read only by
 * the plays at that rung); an item's value is the bytes its plays would read,
 * its weight its size, so its value density is the number of times each of
 * its bytes is expected to be read. Greedy by density, continuing past items
 * that no longer fit, is optimal whenever the chosen items fill the site
 * exactly and near-optimal when items are small against the capacity (a
 * title against a disk). The fractional-knapsack relaxation of the same
 * input is an upper bound on any placement (it also drops the rule that a
 * rendition needs its title's shared part), so `ratioToBound` says how close
 * the plan is at worst.
 *
 * A rendition's density is at most its shared part's (its plays are a
 * subset), so the shared part always sorts first; a rendition whose shared
 * part did not fit is skipped, and a shared part left without any rendition
 * is dropped again (manifests without media serve nobody).
 *
 * Hedging (`reactiveShare`): a forecast is wrong (titles it never heard of,
 * plays off by tens of percent), and an OCA fills on miss into whatever its
 * plan leaves free (oca/miss-fill.ts; pre-positioned objects are pinned, the
 * rest is LRU). So the planner may plan only part of each site and leave the
 * rest as that reactive region: the plan's last, least dense items are the
 * ones a wrong forecast most likely mis-ranked, and an LRU region of the same
 * size catches what the forecast missed. `reactiveBytes` states the split.
 *
 * Several codecs (origin/codec-demand.ts): a title may carry H.264, HEVC and
 * AV1 ladders; each play prefers one rendition (its device's codec, its
 * rung), and a rendition that has a `fallback` (a less advanced codec's rung)
 * is played only when held, its fallback otherwise. The value of a placement
 * is then the link bytes it saves: a miss crosses origin → OCA and OCA →
 * client, a hit only the second, so a hit saves 2 × the preferred bytes less
 * the bytes played. For one codec this is exactly the bytes served (a hit
 * saves its own bytes), so single-codec titles place as before. A rendition
 * with a fallback is held only on top of it (H.264 is the universal
 * fallback), and its value is what it saves over that fallback: the bytes
 * between the two, for every play that prefers it or a rendition falling
 * back to it. These chained values add up exactly, and a dependant is taken
 * only once what it needs is, as a rendition needs its shared part.
 */
export interface PlanTitle {
  id: string
  /** bytes every play of the title reads, whatever its rung */
  baseBytes: number
  /** video renditions, in the order the share vectors use */
  renditions: PlanRendition[]
}

export interface PlanRendition {
  id: string
  bytes: number
  /** the codec of its ladder; set only on titles with several codecs */
  codec?: string
  /** index of the rendition a client plays instead when this one is not held (codec-demand.ts `fallbacks`) */
  fallback?: number
}

export interface PlanSite {
  id: string
  region: string
  capacityBytes: number
}

export interface PlanInput {
  titles: PlanTitle[]
  sites: PlanSite[]
  /** views[s][t]: expected plays of title t by the clients of site s */
  views: ArrayLike<number>[]
  /** share of those plays preferring each rendition of title t (sums to at most 1) */
  share: (site: number, title: number) => ArrayLike<number>
}

export interface PlacedTitle {
  titleId: string
  /** the video renditions held; the shared part is always held with them */
  renditions: string[]
  bytes: number
}

export interface PlanOptions {
  /**
   * Share of each site's capacity left out of the plan, for the OCA's
   * fill-on-miss (LRU) region; 0 plans the whole disk. See the module comment.
   */
  reactiveShare?: number
}

/**
 * The default hedge, chosen by bench/placement.ts across Zipf exponents
 * 0.8–1.2, capacities 5–30 % of the catalog and several seeds with a forecast
 * off by ±30 % and 10 % of titles unknown (README, benchmarks).
 */
export const DEFAULT_REACTIVE_SHARE = 0.2

export interface SitePlan {
  site: string
  region: string
  capacityBytes: number
  /** capacity the plan leaves to fill on miss: capacityBytes − usedBytes */
  reactiveBytes: number
  titles: PlacedTitle[]
  usedBytes: number
  /** expected bytes the site's clients read from it under this plan (with several codecs: the link bytes it saves, see above) */
  servedBytes: number
  /** the fractional relaxation's value over the planned capacity: no placement there serves more */
  boundBytes: number
  /** every byte the site's clients are expected to read (in their preferred renditions) */
  demandBytes: number
}

export interface Plan {
  sites: SitePlan[]
  servedBytes: number
  boundBytes: number
  demandBytes: number
  /** servedBytes / boundBytes (1 when there is no demand) */
  ratioToBound: number
}

/** Items of one site, in struct-of-arrays form: the bench plans 20 × 5 000 titles × ~6 items. */
interface Items {
  title: Uint32Array
  /** -1 for the shared part, else the rendition index */
  rendition: Int16Array
  /** the item a rendition is held on top of (its fallback's), -1 when it needs only its shared part */
  need: Int32Array
  /** the item of each item's title's shared part */
  shared: Int32Array
  bytes: Float64Array
  density: Float64Array
  order: Uint32Array
  count: number
}

function siteItems(input: PlanInput, s: number): { items: Items; demandBytes: number } {
  const views = input.views[s]!
  let max = 0
  for (const t of input.titles) max += 1 + t.renditions.length
  const title = new Uint32Array(max)
  const rendition = new Int16Array(max)
  const need = new Int32Array(max).fill(-1)
  const shared = new Int32Array(max)
  const bytes = new Float64Array(max)
  const density = new Float64Array(max)
  let n = 0
  let demandBytes = 0
  input.titles.forEach((t, ti) => {
    const v = views[ti] ?? 0
    if (!(v > 0)) return
    const share = input.share(s, ti)
    const sharedItem = n
    title[n] = ti
    rendition[n] = -1
    shared[n] = n
    bytes[n] = t.baseBytes
    density[n] = v
    demandBytes += v * t.baseBytes
    n++
    if (t.renditions.some((r) => r.fallback !== undefined)) {
      const values = chainedValues(t.renditions, v, share)
      demandBytes += values.demand
      const itemOf = new Int32Array(t.renditions.length).fill(-1)
      // Fallbacks first, so a dependant can name its fallback's item (a fallback is always a less advanced codec's rung).
      for (const ri of values.order) {
        const r = t.renditions[ri]!
        const d = values.value[ri]! / r.bytes
        const fb = r.fallback === undefined ? -1 : itemOf[r.fallback]!
        if (!(d > 0) || (r.fallback !== undefined && fb < 0)) continue
        title[n] = ti
        rendition[n] = ri
        need[n] = fb
        shared[n] = sharedItem
        bytes[n] = r.bytes
        density[n] = d
        itemOf[ri] = n
        n++
      }
      return
    }
    t.renditions.forEach((r, ri) => {
      const d = v * (share[ri] ?? 0)
      if (!(d > 0)) return
      title[n] = ti
      rendition[n] = ri
      shared[n] = sharedItem
      bytes[n] = r.bytes
      density[n] = d
      demandBytes += d * r.bytes
      n++
    })
  })
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  // Density first; on a tie the shared part before its renditions, then catalog order (deterministic).
  order.sort((a, b) => density[b]! - density[a]! || title[a]! - title[b]! || rendition[a]! - rendition[b]!)
  return { items: { title, rendition, need, shared, bytes, density, order, count: n }, demandBytes }
}

/**
 * Expected link bytes each rendition of a multi-codec title saves when held
 * on top of its fallback chain (see the module comment), for `views` plays
 * preferring the renditions by `share`. A rendition without a fallback saves,
 * for each play whose chain ends at it, 2 × the preferred bytes less its own;
 * one with a fallback saves its fallback's bytes less its own for every play
 * whose chain passes through it. Held together, a play's chain saves exactly
 * its preferred bytes. `demand` is that total; `order` lists fallbacks before
 * their dependants.
 */
export function chainedValues(
  renditions: readonly PlanRendition[],
  views: number,
  share: ArrayLike<number>,
): { value: Float64Array; demand: number; order: number[] } {
  const value = new Float64Array(renditions.length)
  let demand = 0
  renditions.forEach((x, xi) => {
    const p = views * (share[xi] ?? 0)
    if (!(p > 0)) return
    demand += p * x.bytes
    let y = xi
    for (let fb = renditions[y]!.fallback; fb !== undefined; fb = renditions[y]!.fallback) {
      value[y]! += p * (renditions[fb]!.bytes - renditions[y]!.bytes)
      y = fb
    }
    value[y]! += p * (2 * x.bytes - renditions[y]!.bytes)
  })
  const depth = (ri: number): number => {
    let d = 0
    for (let fb = renditions[ri]!.fallback; fb !== undefined; fb = renditions[fb]!.fallback) d++
    return d
  }
  const order = renditions.map((_, i) => i).sort((a, b) => depth(a) - depth(b) || a - b)
  return { value, demand, order }
}

/** The fractional knapsack over items sorted by density: whole items while they fit, then a fraction of the next. */
function fractionalBound(items: Items, capacity: number): number {
  let free = capacity
  let value = 0
  for (let k = 0; k < items.count && free > 0; k++) {
    const i = items.order[k]!
    const take = Math.min(items.bytes[i]!, free)
    value += take * items.density[i]!
    free -= take
  }
  return value
}

function planSite(input: PlanInput, s: number, reactiveShare: number): SitePlan {
  const site = input.sites[s]!
  const { items, demandBytes } = siteItems(input, s)
  const planned = Math.floor(site.capacityBytes * (1 - reactiveShare))
  let free = planned
  let servedBytes = 0
  const placed = new Map<number, PlacedTitle>()
  const taken = new Uint8Array(items.count)
  const take = (i: number, p: PlacedTitle, ri: number): void => {
    if (ri >= 0) p.renditions.push(input.titles[items.title[i]!]!.renditions[ri]!.id)
    p.bytes += items.bytes[i]!
    free -= items.bytes[i]!
    servedBytes += items.bytes[i]! * items.density[i]!
    taken[i] = 1
  }
  const ready = (i: number): boolean => items.need[i]! < 0 || taken[items.need[i]!] === 1
  /** Take a title's shared part (item `s`). */
  const placeTitle = (s: number): PlacedTitle => {
    const p: PlacedTitle = { titleId: input.titles[items.title[s]!]!.id, renditions: [], bytes: 0 }
    placed.set(items.title[s]!, p)
    take(s, p, -1)
    return p
  }
  for (let k = 0; k < items.count; k++) {
    const i = items.order[k]!
    if (items.bytes[i]! > free) continue
    const ti = items.title[i]!
    const ri = items.rendition[i]!
    if (ri < 0) {
      if (!placed.has(ti)) placeTitle(i)
      continue
    }
    const p = placed.get(ti)
    if (p) {
      if (ready(i)) take(i, p, ri)
    } else if (items.need[i]! < 0 && items.bytes[i]! + items.bytes[items.shared[i]!]! <= free) {
      // Denser than its shared part (a rendition also sparing a better codec's misses, see chainedValues): both go in now.
      take(i, placeTitle(items.shared[i]!), ri)
    }
  }
  // A shared part none of whose renditions fitted would hold manifests without media: give its room back
  // and offer it to the renditions of titles that are held.
  for (const [ti, p] of placed) {
    if (p.renditions.length > 0) continue
    placed.delete(ti)
    free += p.bytes
    servedBytes -= p.bytes * (input.views[s]![ti] ?? 0)
  }
  // Again until nothing changes: a rendition denser than its fallback was passed over until the fallback was taken.
  for (let changed = true; changed; ) {
    changed = false
    for (let k = 0; k < items.count; k++) {
      const i = items.order[k]!
      const p = placed.get(items.title[i]!)
      if (!taken[i] && items.rendition[i]! >= 0 && p && items.bytes[i]! <= free && ready(i)) {
        take(i, p, items.rendition[i]!)
        changed = true
      }
    }
  }
  const titles = [...placed.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p)
  const usedBytes = titles.reduce((a, p) => a + p.bytes, 0)
  return {
    site: site.id,
    region: site.region,
    capacityBytes: site.capacityBytes,
    reactiveBytes: site.capacityBytes - usedBytes,
    titles,
    usedBytes,
    servedBytes,
    boundBytes: fractionalBound(items, planned),
    demandBytes,
  }
}

/** Plans the whole capacity unless `reactiveShare` says otherwise (callers that hedge pass DEFAULT_REACTIVE_SHARE). */
export function planPlacement(input: PlanInput, o: PlanOptions = {}): Plan {
  const share = o.reactiveShare ?? 0
  if (!(share >= 0 && share < 1)) throw new RangeError(`reactiveShare must be in [0, 1), got ${share}`)
  const sites = input.sites.map((_, s) => planSite(input, s, share))
  const servedBytes = sites.reduce((a, p) => a + p.servedBytes, 0)
  const boundBytes = sites.reduce((a, p) => a + p.boundBytes, 0)
  const demandBytes = sites.reduce((a, p) => a + p.demandBytes, 0)
  return { sites, servedBytes, boundBytes, demandBytes, ratioToBound: boundBytes > 0 ? servedBytes / boundBytes : 1 }
}
