import { normalSample, seededRandom } from '../lib/random.js'
import type { PlanTitle } from './planner.js'

/**
 * A made-up catalog with realistic sizes, for the benchmark and `oclab
 * origin evaluate --synthetic`: 70 % episodes (log-normal around 42 min),
 * 30 % films (around 105 min); the classic eight-rung ladder 235 kbit/s to
 * 5.8 Mbit/s scaled per title by a log-normal complexity factor (per-title
 * encoding), older titles without their top rungs; AAC audio at 128 kbit/s,
 * a second language on one title in five.
 */
export const CLASSIC_LADDER_KBPS = [5800, 4300, 3000, 1750, 1050, 750, 375, 235]

export function syntheticCatalog(count: number, seed = 1): PlanTitle[] {
  const rng = seededRandom(seed)
  return Array.from({ length: count }, (_, i) => {
    const film = rng() < 0.3
    const minutes = film ? 105 * Math.exp(0.2 * normalSample(rng)) : 42 * Math.exp(0.3 * normalSample(rng))
    const seconds = minutes * 60
    const complexity = Math.exp(0.35 * normalSample(rng))
    const dropTop = rng() < 0.25 ? 1 + Math.floor(rng() * 3) : 0
    const rungs = CLASSIC_LADDER_KBPS.slice(dropTop)
    const audio = (rng() < 0.2 ? 2 : 1) * 128_000
    const manifests = 200_000
    return {
      id: `t${String(i + 1).padStart(5, '0')}`,
      baseBytes: Math.round((audio * seconds) / 8 + manifests),
      renditions: rungs.map((kbps) => ({ id: `v${kbps}k`, bytes: Math.round((kbps * 1000 * complexity * seconds) / 8) })),
    }
  })
}
