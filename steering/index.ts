/** steering's public API: what other stages and cli/ may use. */
export { buildSteeringServer } from './server.js'
export { SteeringClient } from './client.js'
export type { SteerAnswer, SteerCandidate } from './api.js'
