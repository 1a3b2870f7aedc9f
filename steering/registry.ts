import type { OcaConfig } from '../lib/cluster.js'
import { CoverageZones } from './coverage-zones.js'
import type { LatLon } from './geo.js'
import { initialHealth, type HealthRecord } from './health-state.js'
import type { OcaView } from './policy.js'

/**
 * The fleet as steering knows it: each OCA's cluster-file entry and its
 * health record. Views for the policy and the coverage map are rebuilt when
 * something changes (a poll, an add, a remove), not per request, so a steering
 * decision reads prepared arrays only.
 */
export interface RegistryEntry {
  config: OcaConfig
  health: HealthRecord
}

export class OcaRegistry {
  private readonly entries = new Map<string, RegistryEntry>()
  private viewCache: OcaView[] = []
  private siteCache = new Map<string, LatLon>()
  private zoneCache = new CoverageZones([])

  constructor(
    ocas: readonly OcaConfig[],
    /** may an OCA that lacks a title fill it on a miss (its parent chain reaches the origin); default true */
    private readonly fillOnMiss = true,
    private readonly now: () => number = Date.now,
  ) {
    for (const o of ocas) this.entries.set(o.id, { config: o, health: initialHealth(this.now()) })
    this.rebuildZones()
    this.rebuildViews()
  }

  get views(): readonly OcaView[] {
    return this.viewCache
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

  /** Add OCAs (or replace ones with the same id, keeping nothing of their health); throws on bad coverage, changing nothing. */
  add(ocas: readonly OcaConfig[]): void {
    const next = new Map(this.entries)
    for (const o of ocas) next.set(o.id, { config: o, health: initialHealth(this.now()) })
    const zones = zonesOf([...next.values()])
    this.entries.clear()
    for (const [id, e] of next) this.entries.set(id, e)
    this.zoneCache = zones
    this.rebuildViews()
  }

  /** Remove OCAs by id; returns the ids that were known. */
  remove(ids: readonly string[]): string[] {
    const removed = ids.filter((id) => this.entries.delete(id))
    if (removed.length) {
      this.rebuildZones()
      this.rebuildViews()
    }
    return removed
  }

  setHealth(id: string, health: HealthRecord): void {
    const e = this.entries.get(id)
    if (!e) return
    e.health = health
    this.rebuildViews()
  }

  private rebuildZones(): void {
    this.zoneCache = zonesOf(this.list())
  }

  private rebuildViews(): void {
    this.viewCache = this.list().map(({ config: c, health: h }) => ({
      id: c.id,
      site: c.site,
      url: c.url.replace(/\/+$/, ''),
      lat: c.lat,
      lon: c.lon,
      state: h.state,
      stateReason: h.reason,
      holds: (title: string) => h.titles.has(title),
      canFill: this.fillOnMiss,
      loadBps: h.bytesPerSecond * 8,
      capacityBps: c.bandwidthBps,
    }))
    const sites = new Map<string, LatLon>()
    for (const c of this.list().map((e) => e.config)) if (!sites.has(c.site)) sites.set(c.site, { lat: c.lat, lon: c.lon })
    this.siteCache = sites
  }
}

const zonesOf = (entries: readonly RegistryEntry[]): CoverageZones =>
  new CoverageZones(entries.flatMap((e) => e.config.coverage.map((cidr) => ({ cidr, site: e.config.site }))))
