import { haversineKm, type LatLon } from './geo.js'
import { rendezvousOrder } from './rendezvous.js'
import type { ClientLocation } from './client-location.js'

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
 *    within one health interval instead of K.
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

export function rankOcas(input: RankInput, opts: PolicyOptions = POLICY_DEFAULTS): Ranked[] {
  const { title, client } = input
  const live = input.ocas.filter((o) => o.state !== 'down')
  const holders = live.filter((o) => o.holds(title))
  const fillers = holders.length < opts.minCandidates ? live.filter((o) => !o.holds(title) && o.canFill) : []

  const ordered = [...siteOrder(title, client, holders), ...siteOrder(title, client, fillers).slice(0, Math.max(0, opts.minCandidates - holders.length))]
  const withRoom: Ranked[] = []
  const spilled: Ranked[] = []
  const suspect: Ranked[] = []
  for (const { oca, km, why } of ordered) {
    const r: Ranked = { id: oca.id, site: oca.site, url: oca.url, distanceKm: km === null ? null : Math.round(km * 10) / 10, holds: oca.holds(title), reason: why }
    if (!r.holds) r.reason += ', may fill the title on a miss'
    if (oca.state === 'suspect') {
      r.reason = `suspect (${oca.stateReason}), moved last; ${r.reason}`
      suspect.push(r)
      continue
    }
    const load = oca.capacityBps ? (oca.loadBps + (input.clientBps ?? 0)) / oca.capacityBps : 0
    if (load > opts.spillAt) {
      r.reason = `spilled: load ${pct(load)} of capacity is above ${pct(opts.spillAt)}; ${r.reason}`
      spilled.push(r)
    } else withRoom.push(r)
  }
  if (input.current) keepCurrent(withRoom, input.current)
  return [...withRoom, ...spilled, ...suspect]
}

/**
 * Keep the player's current pathway first when it is in the same site as the
 * best choice and has room: switching within a site gains nothing and costs
 * the player a new connection. A pathway in a worse site is not kept, so a
 * client that failed over moves back once its own OCA is healthy again.
 */
function keepCurrent(list: Ranked[], current: string): void {
  const i = list.findIndex((r) => r.id === current)
  if (i <= 0 || list[i]!.site !== list[0]!.site || list[i]!.holds !== list[0]!.holds) return
  const [r] = list.splice(i, 1)
  r!.reason = `kept: the player's current pathway, same site as the best; ${r!.reason}`
  list.unshift(r!)
}

interface Placed {
  oca: OcaView
  km: number | null
  why: string
}

function siteOrder(title: string, client: ClientLocation, ocas: readonly OcaView[]): Placed[] {
  const bySite = new Map<string, OcaView[]>()
  for (const o of ocas) {
    const list = bySite.get(o.site)
    if (list) list.push(o)
    else bySite.set(o.site, [o])
  }
  const sites = [...bySite.entries()].map(([site, members]) => {
    const km = client.point ? haversineKm(client.point, members[0]!) : null
    return { site, members, km, own: site === client.site }
  })
  sites.sort((a, b) => Number(b.own) - Number(a.own) || (a.km ?? 0) - (b.km ?? 0) || (a.site < b.site ? -1 : a.site > b.site ? 1 : 0))
  const out: Placed[] = []
  for (const s of sites) {
    const where = s.own ? `own site ${s.site} (${client.how})` : s.km === null ? `site ${s.site}` : `site ${s.site} at ${Math.round(s.km)} km`
    const members = rendezvousOrder(title, s.members)
    members.forEach((oca, i) => {
      const hash = members.length > 1 ? `, rendezvous #${i + 1} of ${members.length} for the title` : ''
      out.push({ oca, km: s.km, why: `${where}${hash}` })
    })
  }
  return out
}
