import type { CoverageZones } from './coverage-zones.js'
import { haversineKm, type LatLon } from './geo.js'
import type { IpValue } from './ip.js'

/**
 * Where a client is, in the order Traffic Router uses: the coverage zone map
 * (longest CIDR match), else geo distance from a location the client gave,
 * else the cluster's default site. `point` is what distances are measured
 * from: the client's own coordinates when it gave them, else its site's.
 */
export interface ClientLocation {
  readonly site?: string
  readonly point?: LatLon
  readonly how: 'coverage' | 'geo' | 'default' | 'unknown'
  /** the matching coverage prefix, when how is coverage */
  readonly cidr?: string
}

export interface LocateInput {
  ip?: IpValue
  point?: LatLon
}

export function locateClient(input: LocateInput, zones: CoverageZones, sites: ReadonlyMap<string, LatLon>, defaultSite?: string): ClientLocation {
  // Every location has the same four fields in the same order: one object shape where they are read.
  const zone = input.ip ? zones.lookup(input.ip) : undefined
  if (zone) return input.point ? { site: zone.site, point: input.point, how: 'coverage', cidr: zone.cidr } : zone
  if (input.point) {
    let best: { site: string; km: number } | undefined
    for (const [site, at] of sites) {
      const km = haversineKm(input.point, at)
      if (!best || km < best.km || (km === best.km && site < best.site)) best = { site, km }
    }
    return { site: best?.site, point: input.point, how: 'geo', cidr: undefined }
  }
  if (defaultSite && sites.has(defaultSite)) return { site: defaultSite, point: sites.get(defaultSite), how: 'default', cidr: undefined }
  return { site: undefined, point: undefined, how: 'unknown', cidr: undefined }
}
