import { type RdPoint, upperConvexHull } from './hull.js'

/**
 * Shot-based allocation (Netflix's Dynamic Optimizer: I. Katsavounidis,
 * "Dynamic optimizer — a perceptual video encoding optimization framework",
 * Netflix Tech Blog, 2018). Each shot is encoded at several operating points
 * (here: x264 CRFs at the rung's resolution); on each shot's rate-quality
 * convex hull, every shot takes the point where the hull's slope crosses one
 * common λ (quality per bit/s). That is the Lagrangian solution of "most
 * total quality for these total bits" (Shoham & Gersho, 1988): moving bits
 * from one shot to another cannot help when every shot sits at the same
 * marginal return. λ is found by bisection so the title meets its budget.
 * Pure functions only.
 */

/** One probe of one shot: an RD point plus the encoder setting that made it. */
export interface ShotPoint extends RdPoint {
  crf: number
}

export interface ShotCurve {
  /** seconds: a shot's bits are its rate × its duration */
  duration: number
  points: ShotPoint[]
}

export interface Allocation {
  /** quality per bit/s at which every shot was cut */
  lambda: number
  /** one hull point per shot */
  picks: ShotPoint[]
  /** duration-weighted mean bitrate, bit/s */
  bitrate: number
  /** duration-weighted mean quality (VMAF is pooled over frames the same way) */
  quality: number
  /** false when even every shot's cheapest point misses the budget (the picks are then those cheapest points) */
  feasible: boolean
}

/** The point of a hull that maximises quality − λ·rate (ties go to the cheaper point). */
export function pickAtSlope<P extends RdPoint>(hull: readonly P[], lambda: number): P {
  let best = hull[0]!
  for (const p of hull) if (p.quality - lambda * p.bitrate > best.quality - lambda * best.bitrate + 1e-12) best = p
  return best
}

function totals(curves: readonly ShotCurve[], picks: readonly ShotPoint[]): { bitrate: number; quality: number } {
  const dur = curves.reduce((s, c) => s + c.duration, 0)
  return {
    bitrate: picks.reduce((s, p, i) => s + p.bitrate * curves[i]!.duration, 0) / dur,
    quality: picks.reduce((s, p, i) => s + p.quality * curves[i]!.duration, 0) / dur,
  }
}

/** Picks at one λ, with their totals. */
export function allocateAtSlope(curves: readonly ShotCurve[], lambda: number, hulls = curves.map((c) => upperConvexHull(c.points))): Allocation {
  const picks = hulls.map((h) => pickAtSlope(h, lambda))
  return { lambda, picks, ...totals(curves, picks), feasible: true }
}

/** The steepest hull segment of any shot: past it every shot sits at its cheapest point. */
function maxSlope(hulls: readonly ShotPoint[][]): number {
  let m = 0
  for (const h of hulls) for (let i = 1; i < h.length; i++) m = Math.max(m, (h[i]!.quality - h[i - 1]!.quality) / (h[i]!.bitrate - h[i - 1]!.bitrate))
  return m
}

/**
 * The most quality whose mean bitrate stays within `budget` (bit/s):
 * bisection on λ between 0 (every shot at its best point) and the steepest
 * slope (every shot at its cheapest). The mean rate never rises with λ, so
 * the smallest λ that fits is found to within a relative 1e-9.
 */
export function allocateForBitrate(curves: readonly ShotCurve[], budget: number): Allocation {
  if (!curves.length || curves.some((c) => !c.points.length)) throw new RangeError('every shot needs at least one point')
  const hulls = curves.map((c) => upperConvexHull(c.points))
  const at = (l: number) => allocateAtSlope(curves, l, hulls)
  const best = at(0)
  if (best.bitrate <= budget) return best
  let lo = 0
  let hi = maxSlope(hulls) * (1 + 1e-9) + 1e-12
  const cheapest = at(hi)
  if (cheapest.bitrate > budget) return { ...cheapest, feasible: false }
  // invariant: at(lo) is over the budget, at(hi) within it
  for (let i = 0; i < 200 && hi - lo > hi * 1e-9; i++) {
    const mid = (lo + hi) / 2
    if (at(mid).bitrate <= budget) hi = mid
    else lo = mid
  }
  return at(hi)
}

/**
 * The fewest bits whose mean quality reaches `target`: the largest λ that
 * still reaches it (feasible false, with every shot at its best, when the
 * target is out of reach).
 */
export function allocateForQuality(curves: readonly ShotCurve[], target: number): Allocation {
  if (!curves.length || curves.some((c) => !c.points.length)) throw new RangeError('every shot needs at least one point')
  const hulls = curves.map((c) => upperConvexHull(c.points))
  const at = (l: number) => allocateAtSlope(curves, l, hulls)
  const best = at(0)
  if (best.quality < target) return { ...best, feasible: false }
  // invariant: at(lo) reaches the target, at(hi) does not (or hi is past every slope)
  let lo = 0
  let hi = maxSlope(hulls) * (1 + 1e-9) + 1e-12
  const cheapest = at(hi)
  if (cheapest.quality >= target) return cheapest
  for (let i = 0; i < 200 && hi - lo > hi * 1e-9; i++) {
    const mid = (lo + hi) / 2
    if (at(mid).quality >= target) lo = mid
    else hi = mid
  }
  return at(lo)
}

/**
 * allocateForBitrate under a peak limit: no shot's rate above `peakRatio` ×
 * the title's mean rate (Apple's HLS authoring spec asks VOD peaks to stay
 * within 2× the average, and a shot is a segment's worth of bits). A shot
 * over the limit loses its points above it (never its cheapest) and the
 * allocation is redone, until every pick is within the limit of the new
 * mean: the mean only falls, so the loop ends.
 */
export function allocateWithPeak(curves: readonly ShotCurve[], budget: number, peakRatio: number): Allocation {
  let current = curves.map((c) => ({ duration: c.duration, points: [...c.points] }))
  for (;;) {
    const a = allocateForBitrate(current, budget)
    const cap = peakRatio * a.bitrate
    let changed = false
    current = current.map((c, i) => {
      if (a.picks[i]!.bitrate <= cap) return c
      const cheapest = Math.min(...c.points.map((p) => p.bitrate))
      const kept = c.points.filter((p) => p.bitrate <= Math.max(cap, cheapest))
      if (kept.length < c.points.length) changed = true
      return { ...c, points: kept }
    })
    if (!changed) return a
  }
}
