/**
 * origin's light entry: popularity models and the fill window, without the
 * server or the planner. `oclab origin --help` and option parsing load this
 * alone; `index.ts` loads Fastify and the rest (measured: --help 0.41 → 0.15 CPU-s).
 */

export { type PopularityModel, parseFillWindow, readPopularity, zipfPopularity } from './popularity.js'
