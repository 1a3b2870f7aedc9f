import type { OcaConfig } from '../lib/cluster.js'
import { CoverageZones } from './coverage-zones.js'
import type { LatLon } from './geo.js'
import { type HealthRecord, initialHealth } from './health-state.js'
import { type OcaView, PreparedFleet } from './policy.js'

/**
 * The fleet as steering knows it: each OCA's cluster-file entry, its health
 * record and the view the policy reads. A poll updates the OCA's view in
 * place; the prepared fleet (site orders, rendezvous orders) and the coverage
 * map are rebuilt only when OCAs are added or removed, so a steering decision
 * reads prepared arrays only. `version` changes whenever a ranking could:
 * membership, state, reason, titles held, or an OCA's load crossing the
 * spill-over threshold (load itself moves at every poll and is read live;
 * only the side of the threshold it is on changes an order).
 */
export interface RegistryEntry {
  config: OcaConfig
  health: HealthRecord
  view: OcaView
}

export class OcaRegistry {
  private readonly entries = new Map<string, RegistryEntry>()
  private fleetCache = new PreparedFleet([])
  private siteCache = new Map<string, LatLon>()
  private zoneCache = new CoverageZones([])
  private versionCounter = 0

  constructor(
    ocas: readonly OcaConfig[],
    /** may an OCA that lacks a title fill it on a miss (its parent chain reaches the origin); default true */
    private readonly fillOnMiss = true,
    /** the policy's spill-over threshold (fraction of capacity); default: never spills */
    private readonly spillAt = Number.POSITIVE_INFINITY,
    private readonly now: () => number = Date.now,
  ) {
    this.add(ocas)
  }

  get version(): number {
    return this.versionCounter
  }

  get views(): readonly OcaView[] {
    return this.fleetCache.ocas
  }

  /** the views prepared for ranking (site orders and rendezvous orders cached) */
  get fleet(): PreparedFleet {
    return this.fleetCache
  }

  get sites(): ReadonlyMap<string, LatLon> {
    return this.siteCache
  }

  get zones(): CoverageZones {
    return this.zoneCache
  }

  list(): RegistryEntry[] {
    return [...this.entries.values()]
  }

  get(id: string): RegistryEntry | undefined {
    return this.entries.get(id)
  }

  /** Add OCAs (or replace ones with the same id, forgetting their health); throws on bad coverage, changing nothing. */
  add(ocas: readonly OcaConfig[]): void {
    const next = new Map(this.entries)
    for (const o of ocas) next.set(o.id, this.entryFor(o))
    const zones = zonesOf([...next.values()])
    this.entries.clear()
    for (const [id, e] of next) this.entries.set(id, e)
    this.zoneCache = zones
    this.rebuild()
  }

  /** Remove OCAs by id; returns the ids that were known. */
  remove(ids: readonly string[]): string[] {
    const removed = ids.filter((id) => this.entries.delete(id))
    if (removed.length) {
      this.zoneCache = zonesOf(this.list())
      this.rebuild()
    }
    return removed
  }

  setHealth(id: string, health: HealthRecord): void {
    const e = this.entries.get(id)
    if (!e) return
    const prev = e.health
    const wasOver = this.overSpill(e.view)
    e.health = health
    e.view.state = health.state
    e.view.stateReason = health.reason
    e.view.loadBps = health.bytesPerSecond * 8
    if (prev.state !== health.state || prev.reason !== health.reason || !sameSet(prev.titles, health.titles) || wasOver !== this.overSpill(e.view))
      this.versionCounter++
  }

  private overSpill(v: OcaView): boolean {
    return v.capacityBps ? v.loadBps / v.capacityBps > this.spillAt : false
  }

  private entryFor(c: OcaConfig): RegistryEntry {
    const e: RegistryEntry = {
      config: c,
      health: initialHealth(this.now()),
      view: {
        id: c.id,
        site: c.site,
        url: c.url.replace(/\/+$/, ''),
        lat: c.lat,
        lon: c.lon,
        state: 'down',
        stateReason: '',
        holds: (title: string) => e.health.titles.has(title),
        canFill: this.fillOnMiss,
        loadBps: 0,
        capacityBps: c.bandwidthBps,
      },
    }
    e.view.stateReason = e.health.reason
    return e
  }

  private rebuild(): void {
    this.fleetCache = new PreparedFleet(this.list().map((e) => e.view))
    this.siteCache = sitesOf(this.entries.values())
    this.versionCounter++
  }
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => {
  if (a === b) return true
  if (a.size !== b.size) return false
  for (const x of a) if (!b.has(x)) return false
  return true
}

/** Each site's coordinates: its first OCA's. */
function sitesOf(entries: Iterable<RegistryEntry>): Map<string, LatLon> {
  const sites = new Map<string, LatLon>()
  for (const { config: c } of entries) if (!sites.has(c.site)) sites.set(c.site, { lat: c.lat, lon: c.lon })
  return sites
}

function zonesOf(entries: readonly RegistryEntry[]): CoverageZones {
  const sites = sitesOf(entries)
  return new CoverageZones(entries.flatMap((e) => e.config.coverage.map((cidr) => ({ cidr, site: e.config.site, point: sites.get(e.config.site) }))))
}
