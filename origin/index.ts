/** origin's public API: what other stages and cli/ may use. */

export type { Catalog, CatalogEntry, OriginHealth, PrepositionRun } from './api.js'
export { type AdminPrepositionOptions, OriginClient, prepositionViaAdmin } from './client.js'
export { clusterSites } from './cluster-plan.js'
export { type DemandSite, demandInput } from './demand.js'
export { ingestPackage } from './ingest.js'
export { MasterStore } from './master-store.js'
export { DEFAULT_REACTIVE_SHARE, type PlanInput, planPlacement } from './planner.js'
export { type PopularityModel, parseFillWindow, readPopularity, wrongForecast, zipfPopularity } from './popularity.js'
export type { PrepositionEvent, PrepositionReport, SiteReport } from './preposition.js'
export { holdingsOf, oraclePlan, type RequestLog, replay, replayWithFill, sampleRequests, simulateLru } from './replay.js'
export { buildOriginServer, prepositionAndRecord } from './server.js'
export { syntheticCatalog } from './synthetic-catalog.js'
