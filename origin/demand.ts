import { hashSeed } from '../lib/random.js'
import { codecShares, DEFAULT_DEVICE_MIX, type DeviceMix } from './codec-demand.js'
import type { PlanInput, PlanSite, PlanTitle } from './planner.js'
import { type PopularityModel, rungShares } from './popularity.js'

/**
 * Turn a regional forecast into the planner's per-site demand. A region's
 * plays are split over its locations by their share of the region's clients
 * (even by default). Several nodes at one location (OCAs sharing a `site`)
 * split the titles between them by rendezvous hashing, as steering does
 * inside a site, so each title's local demand lands on exactly one node and
 * one node's plan never duplicates its neighbour's.
 *
 * A title with several codecs' ladders splits its plays over them by the
 * device mix (codec-demand.ts: each client prefers the most advanced codec
 * it decodes), then over each ladder's rungs by the region's rung mix.
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

export interface DemandOptions {
  /** which codec clients prefer; default DEFAULT_DEVICE_MIX (codec-demand.ts, with its source) */
  devices?: DeviceMix
}

/** `titles` must list each ladder's renditions top rung first (as `titleSizes` does). */
export function demandInput(titles: PlanTitle[], sites: DemandSite[], model: PopularityModel, o: DemandOptions = {}): PlanInput {
  const devices = o.devices ?? DEFAULT_DEVICE_MIX
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
    const renditions = titles[t]!.renditions
    const multiCodec = renditions.some((r) => r.codec !== undefined)
    const key = `${region}\n${multiCodec ? renditions.map((r) => r.codec).join() : renditions.length}`
    let out = cache.get(key)
    if (!out) {
      const weights = model.regions.get(region)?.rungShare ?? []
      out = multiCodec ? codecRungShares(renditions as { codec: string }[], weights, devices) : rungShares(weights, renditions.length)
      cache.set(key, out)
    }
    return out
  }
  return { titles, sites: sites.map((s) => ({ id: s.id, region: s.region, capacityBytes: s.capacityBytes })), views, share }
}

/** Share of a multi-codec title's plays preferring each rendition: its codec's share of the devices × its rung's share of its own ladder. */
export function codecRungShares(renditions: readonly { codec: string }[], weights: readonly number[], devices: DeviceMix): number[] {
  const byCodec = codecShares(
    renditions.map((r) => r.codec),
    devices,
  )
  const count = new Map<string, number>()
  const position = renditions.map((r) => {
    const k = count.get(r.codec) ?? 0
    count.set(r.codec, k + 1)
    return k
  })
  const rungs = new Map([...count].map(([c, n]) => [c, rungShares(weights, n)]))
  return renditions.map((r, i) => byCodec.get(r.codec)! * rungs.get(r.codec)![position[i]!]!)
}
