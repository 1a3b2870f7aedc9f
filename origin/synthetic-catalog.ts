import { hashSeed, normalSample, seededRandom } from '../lib/random.js'
import { fallbacks } from './codec-demand.js'
import type { PlanRendition, PlanTitle } from './planner.js'

/**
 * A made-up catalog with realistic sizes, for the benchmark and `oclab
 * origin evaluate --synthetic`: 70 % episodes (log-normal around 42 min),
 * 30 % films (around 105 min); the classic eight-rung ladder 235 kbit/s to
 * 5.8 Mbit/s scaled per title by a log-normal complexity factor (per-title
 * encoding), older titles without their top rungs; AAC audio at 128 kbit/s,
 * a second language on one title in five.
 *
 * `av1Share` of the titles (drawn from their own seeded stream, so the
 * H.264 catalog is the same with or without) also carry an AV1 ladder of the
 * same rungs at `av1Bytes` of the H.264 bytes.
 */
export const CLASSIC_LADDER_KBPS = [5800, 4300, 3000, 1750, 1050, 750, 375, 235]

export interface SyntheticCodecs {
  /** share of titles with an AV1 ladder beside H.264; default 0 */
  av1Share?: number
  /**
   * AV1 bytes per H.264 byte at the same rung; default 2/3 (Netflix TechBlog,
   * Dec 2025: AV1 sessions use about a third less bandwidth than AVC)
   */
  av1Bytes?: number
}

export function syntheticCatalog(count: number, seed = 1, codecs: SyntheticCodecs = {}): PlanTitle[] {
  const rng = seededRandom(seed)
  const av1Rng = seededRandom(hashSeed('av1', seed))
  const av1Share = codecs.av1Share ?? 0
  const av1Bytes = codecs.av1Bytes ?? 2 / 3
  return Array.from({ length: count }, (_, i) => {
    const film = rng() < 0.3
    const minutes = film ? 105 * Math.exp(0.2 * normalSample(rng)) : 42 * Math.exp(0.3 * normalSample(rng))
    const seconds = minutes * 60
    const complexity = Math.exp(0.35 * normalSample(rng))
    const dropTop = rng() < 0.25 ? 1 + Math.floor(rng() * 3) : 0
    const rungs = CLASSIC_LADDER_KBPS.slice(dropTop)
    const audio = (rng() < 0.2 ? 2 : 1) * 128_000
    const manifests = 200_000
    const h264 = rungs.map((kbps) => ({ id: `v${kbps}k`, bytes: Math.round((kbps * 1000 * complexity * seconds) / 8) }))
    const withAv1 = av1Share > 0 && av1Rng() < av1Share
    let renditions: PlanRendition[] = h264
    if (withAv1) {
      const both = [
        ...h264.map((r) => ({ ...r, codec: 'h264' })),
        ...h264.map((r) => ({ id: `av1-${r.id}`, bytes: Math.round(r.bytes * av1Bytes), codec: 'av1' })),
      ]
      const fb = fallbacks(both)
      renditions = both.map((r, k) => (fb[k] === undefined ? r : { ...r, fallback: fb[k] }))
    }
    return { id: `t${String(i + 1).padStart(5, '0')}`, baseBytes: Math.round((audio * seconds) / 8 + manifests), renditions }
  })
}
