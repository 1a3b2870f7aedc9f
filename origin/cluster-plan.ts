import type { ClusterConfig } from '../lib/cluster.js'
import type { FileEntry } from '../lib/title-package.js'
import type { DemandSite } from './demand.js'
import { demandInput } from './demand.js'
import type { StoredTitle } from './master-store.js'
import { type Plan, type PlanInput, type PlanTitle, planPlacement } from './planner.js'
import type { PopularityModel } from './popularity.js'
import { filesFor } from './title-sizes.js'

/**
 * The planner applied to a real cluster: every OCA is a placement target
 * (OCAs sharing a `site` split its demand by title hash, see demand.ts), its
 * capacity scaled by `fillFraction` so miss fills keep some room.
 */
export const planTitles = (titles: StoredTitle[]): PlanTitle[] => titles.map((t) => t.sizes)

export function clusterSites(cluster: ClusterConfig, fillFraction = 1): DemandSite[] {
  return cluster.ocas.map((o) => ({ id: o.id, region: o.region, location: o.site, capacityBytes: Math.floor(o.capacityBytes * fillFraction) }))
}

export function clusterInput(titles: StoredTitle[], cluster: ClusterConfig, model: PopularityModel, fillFraction = 1): PlanInput {
  return demandInput(planTitles(titles), clusterSites(cluster, fillFraction), model)
}

export function planCluster(titles: StoredTitle[], cluster: ClusterConfig, model: PopularityModel, fillFraction = 1): Plan {
  return planPlacement(clusterInput(titles, cluster, model, fillFraction))
}

/** OCA id → title id → the files that OCA should hold for it. */
export type WantedFiles = Map<string, Map<string, FileEntry[]>>

export function wantedFiles(plan: Plan, titles: StoredTitle[]): WantedFiles {
  const byId = new Map(titles.map((t) => [t.title.id, t]))
  return new Map(
    plan.sites.map((s) => [
      s.site,
      new Map(
        s.titles.map((p) => {
          const t = byId.get(p.titleId)!
          return [p.titleId, filesFor(t.title, p.renditions, t.titleJson)] as const
        }),
      ),
    ]),
  )
}
