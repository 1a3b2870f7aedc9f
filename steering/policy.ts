import type { ClientLocation } from './client-location.js'
import { haversineKm, type LatLon } from './geo.js'
import { rendezvousOrder } from './rendezvous.js'

/**
 * The selection policy, pure: the same inputs give the same ranking.
 *
 * 1. Candidates are OCAs that are not down and hold the title; OCAs that may
 *    fill it on a miss are added only to reach `minCandidates`.
 * 2. Order: the client's own site first, then sites by distance from the
 *    client; inside a site, rendezvous hashing of the title, so each title's
 *    requests concentrate on one node (its cache stays hot) and adding a node
 *    moves only the titles it wins.
 * 3. Spill-over: an OCA whose load (plus this client's throughput, when the
 *    player told us) would exceed `spillAt` of its bandwidth goes behind every
 *    OCA with room, keeping its relative order.
 * 4. Suspect OCAs (a recent failed probe, not yet down) go last: a player
 *    loses nothing by trying them after the others, and the pathway moves
 *    within one health interval instead of K. A suspect OCA that would also
 *    have to fill the title is the worst choice of all: it comes after them.
 */
export type OcaHealthState = 'up' | 'suspect' | 'down'

export interface OcaView extends LatLon {
  id: string
  site: string
  url: string
  state: OcaHealthState
  /** why the state is what it is (from the health checker) */
  stateReason: string
  holds: (title: string) => boolean
  /** a miss would be filled from a parent rather than answered 404 */
  canFill: boolean
  /** egress in bit/s, from the last health answer */
  loadBps: number
  /** egress capacity in bit/s; without it no spill-over */
  capacityBps?: number
}

export interface PolicyOptions {
  /** fill up to this many candidates with OCAs that may fill the title; default 3 */
  minCandidates: number
  /** load fraction of capacity above which an OCA spills to the next; default 0.8 */
  spillAt: number
}

export const POLICY_DEFAULTS: PolicyOptions = { minCandidates: 3, spillAt: 0.8 }

export interface RankInput {
  title: string
  client: ClientLocation
  ocas: readonly OcaView[]
  /** the player's throughput estimate in bit/s (_HLS_throughput / _DASH_throughput) */
  clientBps?: number
  /** the player's current pathway; kept first when it is as good as the best choice */
  current?: string
  /** the same OCAs prepared for many decisions (registry.ts keeps one); built here when absent */
  fleet?: PreparedFleet
}

export interface Ranked {
  id: string
  site: string
  url: string
  distanceKm: number | null
  holds: boolean
  reason: string
}

const pct = (x: number): string => `${Math.round(x * 100)}%`

interface SiteGroup extends LatLon {
  site: string
  members: OcaView[]
}

/**
 * The fleet prepared for many decisions: sites with their members, the
 * site order seen from each site (distances between sites do not change),
 * and each title's rendezvous order inside a site. Built once per registry
 * change; every decision after that is walks over prepared arrays.
 */
export class PreparedFleet {
  private readonly sites: SiteGroup[]
  private readonly fromSite = new Map<string, Array<{ g: SiteGroup; km: number }>>()
  private readonly hashed = new Map<string, OcaView[]>()

  constructor(readonly ocas: readonly OcaView[]) {
    const by = new Map<string, SiteGroup>()
    for (const o of ocas) {
      const g = by.get(o.site)
      if (g) g.members.push(o)
      else by.set(o.site, { site: o.site, lat: o.lat, lon: o.lon, members: [o] })
    }
    this.sites = [...by.values()].sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0))
  }

  /** Sites in the order a client sees them: its own first, then by distance (then id). */
  siteOrder(client: ClientLocation): Array<{ g: SiteGroup; km: number | null }> {
    const p = client.point
    // A client placed at its site's own coordinates sees a fixed order: cache it per site.
    const atSite = client.site !== undefined && p && this.sites.find((g) => g.site === client.site && g.lat === p.lat && g.lon === p.lon)
    if (atSite) {
      let order = this.fromSite.get(atSite.site)
      if (!order) {
        order = this.order(client)
        this.fromSite.set(atSite.site, order)
      }
      return order
    }
    return this.order(client)
  }

  private order(client: ClientLocation): Array<{ g: SiteGroup; km: number }> {
    const p = client.point
    return this.sites
      .map((g) => ({ g, km: p ? haversineKm(p, g) : Number.NaN, own: g.site === client.site }))
      .sort((a, b) => Number(b.own) - Number(a.own) || (p ? a.km - b.km : 0) || (a.g.site < b.g.site ? -1 : 1))
  }

  /** A site's members in the title's rendezvous order (cached; bounded so unknown titles cannot grow it without end). */
  membersFor(title: string, g: SiteGroup): OcaView[] {
    if (g.members.length === 1) return g.members
    const key = `${title}\n${g.site}`
    let m = this.hashed.get(key)
    if (!m) {
      if (this.hashed.size >= 100_000) this.hashed.clear()
      m = rendezvousOrder(title, g.members)
      this.hashed.set(key, m)
    }
    return m
  }
}

interface Placed {
  oca: OcaView
  km: number | null
  own: boolean
  site: SiteGroup
  index: number
}

export function rankOcas(input: RankInput, opts: PolicyOptions = POLICY_DEFAULTS, limit = Number.POSITIVE_INFINITY): Ranked[] {
  const { title, client } = input
  const fleet = input.fleet ?? new PreparedFleet(input.ocas)
  const loadOf = (oca: OcaView): number => (oca.capacityBps ? (oca.loadBps + (input.clientBps ?? 0)) / oca.capacityBps : 0)
  const withRoom: Placed[] = []
  const spilled: Array<Placed & { load: number }> = []
  const suspect: Placed[] = []
  const fillers: Placed[] = []
  const suspectFillers: Placed[] = []
  let holders = 0
  // Walk sites nearest first and stop once `limit` OCAs with room are found:
  // everything after them would be ranked lower anyway.
  walk: for (const { g, km } of fleet.siteOrder(client)) {
    const members = fleet.membersFor(title, g)
    for (let index = 0; index < members.length; index++) {
      const oca = members[index]!
      if (oca.state === 'down') continue
      const placed: Placed = { oca, km: km === null || Number.isNaN(km) ? null : km, own: g.site === client.site, site: g, index }
      if (!oca.holds(title)) {
        if (oca.canFill) (oca.state === 'suspect' ? suspectFillers : fillers).push(placed)
        continue
      }
      holders++
      if (oca.state === 'suspect') {
        suspect.push(placed)
        continue
      }
      const load = loadOf(oca)
      if (load > opts.spillAt) spilled.push({ ...placed, load })
      else withRoom.push(placed)
      if (withRoom.length >= limit && withRoom.length >= opts.minCandidates) break walk
    }
  }
  const reason = (p: Placed): string => {
    const where = p.own ? `own site ${p.site.site} (${client.how})` : p.km === null ? `site ${p.site.site}` : `site ${p.site.site} at ${Math.round(p.km)} km`
    const n = p.site.members.length
    const hash = n > 1 ? `, rendezvous #${p.index + 1} of ${n} for the title` : ''
    return `${where}${hash}${p.oca.holds(title) ? '' : ', may fill the title on a miss'}`
  }
  const out = (p: Placed, why: string): Ranked => ({
    id: p.oca.id,
    site: p.oca.site,
    url: p.oca.url,
    distanceKm: p.km === null ? null : Math.round(p.km * 10) / 10,
    holds: p.oca.holds(title),
    reason: why,
  })
  const list = withRoom.map((p) => out(p, reason(p)))
  if (input.current) keepCurrent(list, input.current, withRoom, out, reason, (o) => loadOf(o) <= opts.spillAt, title, fleet)
  for (const p of spilled) list.push(out(p, `spilled: load ${pct(p.load)} of capacity is above ${pct(opts.spillAt)}; ${reason(p)}`))
  // fillers only make up the numbers, healthy ones first
  const fill = holders < opts.minCandidates ? [...fillers, ...suspectFillers].slice(0, opts.minCandidates - holders) : []
  for (const p of fill) if (p.oca.state !== 'suspect') list.push(out(p, reason(p)))
  for (const p of suspect) list.push(out(p, `suspect (${p.oca.stateReason}), moved last; ${reason(p)}`))
  for (const p of fill) if (p.oca.state === 'suspect') list.push(out(p, `suspect (${p.oca.stateReason}), moved last; ${reason(p)}`))
  return list.length > limit ? list.slice(0, limit) : list
}

/**
 * Keep the player's current pathway first when it is in the same site as the
 * best choice and has room: switching within a site gains nothing and costs
 * the player a new connection. A pathway in a worse site is not kept, so a
 * client that failed over moves back once its own OCA is healthy again.
 */
function keepCurrent(
  list: Ranked[],
  current: string,
  placed: Placed[],
  out: (p: Placed, why: string) => Ranked,
  reason: (p: Placed) => string,
  hasRoom: (o: OcaView) => boolean,
  title: string,
  fleet: PreparedFleet,
): void {
  const best = placed[0]
  if (!best || best.oca.id === current) return
  const i = list.findIndex((r) => r.id === current)
  if (i > 0) {
    if (list[i]!.site !== best.oca.site) return
    const [r] = list.splice(i, 1)
    r!.reason = `kept: the player's current pathway, same site as the best; ${r!.reason}`
    list.unshift(r!)
    return
  }
  // cut off by the limit: find it in the best site directly
  const members = fleet.membersFor(title, best.site)
  const index = members.findIndex((m) => m.id === current)
  const m = members[index]
  if (m?.state !== 'up' || !m.holds(title)) return
  if (!hasRoom(m)) return
  const p: Placed = { ...best, oca: m, index }
  list.unshift(out(p, `kept: the player's current pathway, same site as the best; ${reason(p)}`))
}
