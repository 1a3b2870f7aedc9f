/** oca's public API: what other stages and cli/ may use. */

export type { FillProgress, FillRequest, FillStatus, HeldTitle, NodeStatus, OcaHealth } from './api.js'
export { OcaClient } from './client.js'
export { EVICTION_POLICIES } from './eviction.js'
export { ocaOptionsFromCluster } from './options.js'
export { buildOcaServer } from './server.js'
