import type { ClusterConfig } from '../lib/cluster.js'
import type { FileEntry } from '../lib/title-package.js'
import type { DeviceMix } from './codec-demand.js'
import type { DemandSite } from './demand.js'
import { demandInput } from './demand.js'
import type { StoredTitle } from './master-store.js'
import { DEFAULT_REACTIVE_SHARE, type Plan, type PlanInput, type PlanTitle, planPlacement } from './planner.js'
import type { PopularityModel } from './popularity.js'
import { filesFor } from './title-sizes.js'

/**
 * The planner applied to a real cluster: every OCA is a placement target
 * (OCAs sharing a `site` split its demand by title hash, see demand.ts) with
 * its whole capacity; the plan leaves `reactiveShare` of it to the OCA's fill
 * on miss (planner.ts), the reserve bench/placement.ts measured, as
 * `oclab origin evaluate` replays it.
 */
export interface ClusterPlanOptions {
  /** share of each OCA left to fill on miss; default DEFAULT_REACTIVE_SHARE */
  reactiveShare?: number
  /** which codecs clients prefer; default codec-demand.ts DEFAULT_DEVICE_MIX */
  devices?: DeviceMix
}

export const planTitles = (titles: StoredTitle[]): PlanTitle[] => titles.map((t) => t.sizes)

export function clusterSites(cluster: ClusterConfig): DemandSite[] {
  return cluster.ocas.map((o) => ({ id: o.id, region: o.region, location: o.site, capacityBytes: o.capacityBytes }))
}

export function clusterInput(titles: StoredTitle[], cluster: ClusterConfig, model: PopularityModel, o: ClusterPlanOptions = {}): PlanInput {
  return demandInput(planTitles(titles), clusterSites(cluster), model, o.devices ? { devices: o.devices } : {})
}

export function planCluster(titles: StoredTitle[], cluster: ClusterConfig, model: PopularityModel, o: ClusterPlanOptions = {}): Plan {
  return planPlacement(clusterInput(titles, cluster, model, o), { reactiveShare: o.reactiveShare ?? DEFAULT_REACTIVE_SHARE })
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
