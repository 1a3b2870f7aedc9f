/**
 * origin's light entry: popularity models, the fill window and the device mix, without the
 * server or the planner. `oclab origin --help` and option parsing load this
 * alone; `index.ts` loads Fastify and the rest (measured: --help 0.41 → 0.15 CPU-s).
 */

export { checkDeviceMix, DEFAULT_DEVICE_MIX, type DeviceMix, parseDeviceMix } from './codec-demand.js'
export { DEFAULT_REACTIVE_SHARE } from './planner.js'
export { type PopularityModel, parseFillWindow, readPopularity, zipfPopularity } from './popularity.js'
