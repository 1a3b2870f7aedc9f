/**
 * Per-title ladder maths (Netflix, "Per-Title Encode Optimization", 2015;
 * "Dynamic optimizer", 2018): probe encodes give (bitrate, quality) points per
 * resolution; the upper convex hull across resolutions is the best quality
 * reachable at each bitrate; rungs are picked along it. Pure functions only.
 */

export interface RdPoint {
  width: number
  height: number
  /** bit/s */
  bitrate: number
  quality: number
}

/** cross product of (b - a) × (c - a) in (bitrate, quality) space */
const cross = (a: RdPoint, b: RdPoint, c: RdPoint): number =>
  (b.bitrate - a.bitrate) * (c.quality - a.quality) - (b.quality - a.quality) * (c.bitrate - a.bitrate)

/**
 * Upper convex hull (Andrew's monotone chain, upper half), trimmed to its
 * rising part: past the highest quality, more bits buy nothing. Returns points
 * in increasing bitrate. Collinear middle points are dropped.
 */
export function upperConvexHull<P extends RdPoint>(points: readonly P[]): P[] {
  const pts = points
    .filter((p) => Number.isFinite(p.bitrate) && Number.isFinite(p.quality) && p.bitrate > 0)
    .sort((a, b) => a.bitrate - b.bitrate || b.quality - a.quality)
  const hull: P[] = []
  for (const p of pts) {
    if (hull.length && hull[hull.length - 1]!.bitrate === p.bitrate) continue // same rate, lower quality
    while (hull.length >= 2 && cross(hull[hull.length - 2]!, hull[hull.length - 1]!, p) >= 0) hull.pop()
    hull.push(p)
  }
  let best = 0
  hull.forEach((p, i) => {
    if (p.quality > (hull[best]?.quality ?? -Infinity)) best = i
  })
  return hull.slice(0, best + 1)
}

/**
 * Bitrate needed to reach `quality` on the hull, interpolating linearly
 * between hull points (the hull is concave, so this is conservative). The
 * resolution is that of the nearer hull vertex: between two vertices the best
 * curve changes resolution somewhere, and the nearer one is the better guess.
 * null when out of reach.
 */
export function bitrateForQuality(hull: readonly RdPoint[], quality: number): RdPoint | null {
  const [first, ...rest] = hull
  if (!first) return null
  if (quality <= first.quality) return { ...first, quality }
  let a = first
  for (const b of rest) {
    if (quality <= b.quality) {
      const f = (quality - a.quality) / (b.quality - a.quality)
      const near = f < 0.5 ? a : b
      return { width: near.width, height: near.height, bitrate: Math.round(a.bitrate + f * (b.bitrate - a.bitrate)), quality }
    }
    a = b
  }
  return null
}

/** Quality the hull reaches at `bitrate` (linear between points, clamped at the ends). */
export function qualityAtBitrate(hull: readonly RdPoint[], bitrate: number): RdPoint | null {
  const [first, ...rest] = hull
  if (!first) return null
  if (bitrate <= first.bitrate) return { ...first, bitrate }
  let a = first
  for (const b of rest) {
    if (bitrate <= b.bitrate) {
      const f = (bitrate - a.bitrate) / (b.bitrate - a.bitrate)
      const near = f < 0.5 ? a : b
      return { width: near.width, height: near.height, bitrate, quality: a.quality + f * (b.quality - a.quality) }
    }
    a = b
  }
  return { ...hull[hull.length - 1]!, bitrate }
}

export interface RungSelection {
  /** Quality the top rung should reach (e.g. VMAF 95). */
  targetQuality: number
  /** Quality distance between neighbouring rungs: one JND (about 6 VMAF points). */
  step: number
  minBitrate: number
  maxBitrate: number
  /** Stop adding rungs below this quality (nobody watches VMAF 20). */
  minQuality: number
  maxRungs: number
  /**
   * Neighbouring rungs differ in bitrate by at least this factor: closer
   * rungs make players switch for no visible gain (Apple's authoring spec
   * asks for adjacent rates 1.5–2× apart; 1.3 leaves room for JND spacing).
   */
  minStepRatio: number
  /**
   * ... and by at most this factor: a wider gap is one players cannot step
   * through smoothly (Apple's spec: adjacent rates at most 2× apart). Where
   * the hull is flat, one JND down costs more than that, and the rung is
   * placed at the ratio instead (less than a JND below).
   */
  maxStepRatio: number
  /**
   * The top rung stops where the hull's gain falls under this much quality
   * per doubling of bitrate: past that knee, bits buy almost nothing (grainy
   * content would otherwise climb to maxBitrate chasing an unreachable target).
   */
  minGainPerDoubling: number
}

export const DEFAULT_VMAF_SELECTION: RungSelection = {
  targetQuality: 95,
  step: 6,
  // The floor must sit below what an easy title needs for its whole ladder: the
  // simple (animation-like) 360p source reaches VMAF 95 at 160 kbit/s, and a
  // 150 kbit/s floor collapsed its ladder to that one rung. At 50 kbit/s a
  // flat title still gets 180p around VMAF 60, the useful bottom of a ladder.
  minBitrate: 50_000,
  maxBitrate: 8_000_000,
  minQuality: 30,
  maxRungs: 10,
  minStepRatio: 1.3,
  maxStepRatio: 1.9,
  minGainPerDoubling: 1.5,
}

/**
 * The hull's knee: the first vertex after which the next segment gains less
 * than `minGain` quality per doubling of bitrate (the last vertex if none).
 */
export function hullKnee(hull: readonly RdPoint[], minGain: number): RdPoint | undefined {
  for (let i = 0; i + 1 < hull.length; i++) {
    const a = hull[i]!
    const b = hull[i + 1]!
    const gain = (b.quality - a.quality) / Math.log2(b.bitrate / a.bitrate)
    if (gain < minGain) return a
  }
  return hull[hull.length - 1]
}

/**
 * Rungs along the hull: the top rung is the cheapest hull point reaching the
 * target quality (or the best the hull reaches within maxBitrate and before
 * its knee), then one step of quality down each time, at least minStepRatio
 * apart in bitrate, never taller than the rung above, until the minimum
 * bitrate or quality. Returned in increasing bitrate.
 */
export function selectRungs(hull: readonly RdPoint[], sel: RungSelection): RdPoint[] {
  if (!hull.length) return []
  const capped = qualityAtBitrate(hull, sel.maxBitrate)!
  const knee = hullKnee(hull, sel.minGainPerDoubling)!
  const reachable = Math.min(sel.targetQuality, capped.quality, knee.quality)
  const rungs: RdPoint[] = []
  let q = reachable
  while (rungs.length < sel.maxRungs) {
    // below the hull's cheapest point the rung would repeat it: the ladder ends
    if (rungs.length && q < hull[0]!.quality) break
    const p = bitrateForQuality(hull, q)
    if (!p) break
    const last = rungs[rungs.length - 1]
    const spaced = last ? Math.max(last.bitrate / sel.maxStepRatio, Math.min(p.bitrate, last.bitrate / sel.minStepRatio)) : p.bitrate
    const bitrate = Math.min(sel.maxBitrate, Math.max(sel.minBitrate, Math.round(spaced)))
    if (last && bitrate * sel.minStepRatio > last.bitrate + 1) break // the floor clamped two rungs together
    // after clamping, the hull at the clamped rate decides resolution and quality
    const at = qualityAtBitrate(hull, bitrate)!
    // a ladder never steps up in resolution as the bitrate falls (players and
    // lint expect monotone ladders), even where a noisy title's hull dips
    const rung = last && at.height > last.height ? { ...at, width: last.width, height: last.height } : at
    rungs.push(rung)
    if (bitrate <= sel.minBitrate) break
    q = Math.min(q, rung.quality) - sel.step
    if (q < sel.minQuality) break
  }
  return rungs.reverse()
}
