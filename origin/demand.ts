import { hashSeed } from '../lib/random.js'
import type { PlanInput, PlanSite, PlanTitle } from './planner.js'
import { type PopularityModel, rungShares } from './popularity.js'

/**
 * Turn a regional forecast into the planner's per-site demand. A region's
 * plays are split over its locations by their share of the region's clients
 * (even by default). Several nodes at one location (OCAs sharing a `site`)
 * split the titles between them by rendezvous hashing, as steering does
 * inside a site, so each title's local demand lands on exactly one node and
 * one node's plan never duplicates its neighbour's.
 */
export interface DemandSite extends PlanSite {
  /** the location; nodes sharing one split titles by hashing; default the node's own id */
  location?: string
  /** this location's share of its region's clients; default even over the region's locations */
  clientShare?: number
}

/** The node of `nodes` that owns `titleId` (highest hash of node and title). */
export function ownerOf(titleId: string, nodes: readonly string[]): string {
  let best = nodes[0]!
  let bestScore = -1
  for (const n of nodes) {
    const score = hashSeed(`${n}\n${titleId}`)
    if (score > bestScore) {
      best = n
      bestScore = score
    }
  }
  return best
}

/** `titles` must list each title's renditions top rung first (as `titleSizes` does). */
export function demandInput(titles: PlanTitle[], sites: DemandSite[], model: PopularityModel): PlanInput {
  const modelIndex = new Map(model.titleIds.map((id, i) => [id, i]))
  const locationOf = (s: DemandSite): string => s.location ?? s.id
  const locations = new Map<string, DemandSite[]>()
  for (const s of sites) locations.set(locationOf(s), [...(locations.get(locationOf(s)) ?? []), s])
  const regionLocations = new Map<string, Set<string>>()
  for (const s of sites) regionLocations.set(s.region, (regionLocations.get(s.region) ?? new Set()).add(locationOf(s)))

  const views = sites.map((s) => {
    const region = model.regions.get(s.region)
    const v = new Float64Array(titles.length)
    if (!region) return v
    const share = s.clientShare ?? 1 / regionLocations.get(s.region)!.size
    const nodes = locations.get(locationOf(s))!.map((n) => n.id)
    titles.forEach((t, ti) => {
      const mi = modelIndex.get(t.id)
      if (mi === undefined) return
      if (nodes.length > 1 && ownerOf(t.id, nodes) !== s.id) return
      v[ti] = region.views[mi]! * share
    })
    return v
  })

  const cache = new Map<string, number[]>()
  const share = (s: number, t: number): number[] => {
    const region = sites[s]!.region
    const n = titles[t]!.renditions.length
    const key = `${region}\n${n}`
    let out = cache.get(key)
    if (!out) {
      out = rungShares(model.regions.get(region)?.rungShare ?? [], n)
      cache.set(key, out)
    }
    return out
  }
  return { titles, sites: sites.map((s) => ({ id: s.id, region: s.region, capacityBytes: s.capacityBytes })), views, share }
}
