/** steering's public API: what other stages and cli/ may use. */

export type { SteerAnswer, SteerCandidate } from './api.js'
export { SteeringClient } from './client.js'
export { type ClientAddress, clientAddress, TrustedProxies } from './client-ip.js'
export { formatIp, type IpValue, parseIp } from './ip.js'
export { buildSteeringServer } from './server.js'
