/** steering's public API: what other stages and cli/ may use. */
export { buildSteeringServer } from './server.js'
