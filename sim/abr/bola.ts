import type { Ladder } from '../manifest/ladder.js'
import { firstPositiveConcave, firstPositiveLinear, quietAt } from './abandon.js'
import { type EstimatorParams, makeEstimator, rungForThroughput, type ThroughputEstimator } from './estimators.js'
import { type AbrContext, type AbrPolicy, type AbrState, type DownloadProgress, type DownloadSample, highestRungAtMost } from './types.js'

export type BolaVariant = 'u' | 'o' | 'basic'

export interface BolaParams extends EstimatorParams {
  /**
   * `u` (BOLA-U, Sabre's default): an up-switch above the rung the throughput sustains goes one rung above it;
   * `o` (BOLA-O, Sabre -ao): it stops at that rung and waits instead of overfilling the buffer;
   * `basic` (BOLA-BASIC of the INFOCOM 2016 paper): the buffer alone decides, no throughput cap, no
   * start/end-of-stream adjustment, no abandonment.
   */
  variant: BolaVariant
  /** γp added to the utilities (Sabre -gp, default 5). */
  gammaP: number
  /** Buffer level, seconds, at which BOLA reaches the top rung plus one segment; -1: the player's buffer cap (Sabre sizes BOLA from -b). */
  bufferTarget: number
  /** First segment's rung: the highest at most this many bit/s (Sabre get_first_quality: the lowest, 0). */
  startBitrate: number
}

/**
 * V and γp for a buffer target, as Sabre's Bola does (BOLA-U/O, Spiteri,
 * Sitaraman, Sparacio, "From Theory to Practice: Improving Bitrate Adaptation
 * in the DASH Reference Player", MMSys 2018): utilities v_m = ln(S_m / S_1),
 * V = (Q_target − segment) / (v_M + γp), so that the top rung wins once the
 * buffer holds Q_target minus one segment and the lowest below V·γp.
 */
export function bolaParameters(bitrates: Float64Array, gammaP: number, bufferTarget: number, segmentDuration: number): { V: number; utilities: Float64Array } {
  const utilities = bitrates.map((b) => Math.log(b / bitrates[0]!))
  const vM = utilities[utilities.length - 1]!
  return { V: Math.max(0, bufferTarget - segmentDuration) / (vM + gammaP), utilities }
}

/**
 * BOLA (Spiteri, Urgaonkar, Sitaraman, "BOLA: Near-Optimal Bitrate Adaptation
 * for Online Videos", INFOCOM 2016) in the BOLA-U / BOLA-O form of Sabre and
 * the MMSys 2018 paper: pick m maximising (V·(v_m + γp) − Q) / S_m, Q the
 * buffer, S_m the rung's bitrate. Besides BOLA-BASIC it
 * - shrinks the buffer target near the start and the end of the stream to
 *   max(3, min(i, N − i) / 2) segments, so BOLA neither waits for a full
 *   buffer to leave the lowest rung nor fills one it will never play;
 * - caps an up-switch at the rung the throughput sustains (+1 for BOLA-U; at
 *   it, with a pause, for BOLA-O), keeping the previous rung when that is above;
 * - abandons a download when a lower rung's whole segment scores better than
 *   what is left of this one.
 * Sized from the player's buffer, so any buffer cap reaches the top rung.
 */
export class Bola implements AbrPolicy {
  readonly name = 'bola'
  readonly params: BolaParams
  V: number
  private readonly utilities: Float64Array
  private readonly target: number
  private readonly estimator: ThroughputEstimator
  private readonly owns: boolean
  private lastQuality = 0
  private delay = 0
  /**
   * a[m] = V·(v_m + γp), the numerator term every score, abandonment check and bound uses. V changes only near the
   * start and the end of the stream, so these are recomputed when it does, not per rung per decision; the
   * product is the same expression, so results are unchanged.
   */
  private readonly a: Float64Array
  private aV = NaN
  /** Read once from the ladder and params: the abandonment bound and check run several times a segment. */
  private readonly bitrates: Float64Array
  private readonly basic: boolean
  /** v_M + γp, V's denominator (bolaParameters): constant, where V's numerator shrinks near the stream's ends. */
  private readonly vDenominator: number

  constructor(
    private readonly ladder: Ladder,
    params: BolaParams,
    context: AbrContext,
    shared?: ThroughputEstimator,
  ) {
    this.params = params
    this.target = params.bufferTarget > 0 ? params.bufferTarget : context.bufferCap
    const p = bolaParameters(ladder.bitrates, params.gammaP, this.target, ladder.segmentDuration)
    this.V = p.V
    this.utilities = p.utilities
    this.a = new Float64Array(p.utilities.length)
    this.bitrates = ladder.bitrates
    this.basic = params.variant === 'basic'
    this.vDenominator = p.utilities[p.utilities.length - 1]! + params.gammaP
    this.estimator = shared ?? makeEstimator(params)
    this.owns = !shared
  }

  /** Refresh a[] after V changed. */
  private terms(): Float64Array {
    if (this.aV !== this.V) {
      const gp = this.params.gammaP
      for (let m = 0; m < this.a.length; m++) this.a[m] = this.V * (this.utilities[m]! + gp)
      this.aV = this.V
    }
    return this.a
  }

  score(rung: number, buffer: number): number {
    return (this.terms()[rung]! - buffer) / this.ladder.bitrates[rung]!
  }

  /** The rung BOLA's objective picks at this buffer level (ties to the lower rung, as Sabre). */
  fromBuffer(buffer: number): number {
    const a = this.terms()
    const bitrates = this.ladder.bitrates
    let best = 0
    let bestScore = -Infinity
    for (let m = 0; m < a.length; m++) {
      const sc = (a[m]! - buffer) / bitrates[m]!
      if (sc > bestScore) {
        bestScore = sc
        best = m
      }
    }
    return best
  }

  chooseRung(s: AbrState): number {
    this.delay = 0
    if (s.lastRung < 0) return highestRungAtMost(this.ladder.bitrates, this.params.startBitrate)
    const segDur = this.ladder.segmentDurations[s.segmentIndex]!
    const basic = this.basic
    if (!basic) {
      const n = this.ladder.segmentDurations.length
      const t = Math.max(Math.min(s.segmentIndex, n - s.segmentIndex) / 2, 3) * this.ladder.segmentDuration
      this.V = Math.max(0, Math.min(this.target, t) - this.ladder.segmentDuration) / this.vDenominator
    }
    let q = this.fromBuffer(s.bufferLevel)
    if (!basic && q > this.lastQuality) {
      const qt = rungForThroughput(this.ladder.bitrates, this.estimator.throughput(), this.estimator.latency(), segDur)
      if (q > qt) {
        if (this.lastQuality > qt) q = this.lastQuality
        else if (this.params.variant === 'u') q = qt + 1
        else {
          q = qt
          if (q < this.utilities.length - 1) this.delay = Math.max(0, s.bufferLevel - this.V * (this.params.gammaP + this.utilities[q]!))
        }
      }
    }
    this.lastQuality = q
    return q
  }

  requestDelay(): number {
    return this.delay
  }

  onDownload(d: DownloadSample): void {
    if (this.owns) this.estimator.sample(d.bytes, d.duration - d.ttfb, d.ttfb)
  }

  /**
   * A lower bound on when abandon() can next answer. With x = a_c − B (a = V(γp + v), B the buffer), d_q = a_c − a_q,
   * R what remains and s_q rung q's whole segment, a switch to q needs score_q > score_c ≥ 0, i.e.
   * h_q = (x − d_q)·R − x·s_q > 0 (which implies R > s_q and x > 0). h_q grows with x, and over the next Δ seconds
   * x ≤ x₀ + Δ; h_q > 0 needs x > d_q, where h_q grows with R, and while bytes arrive at least at `rate` (the
   * next `window` seconds) R ≤ R₀ − rate·Δ, a concave quadratic bound in Δ; after that R ≤ R at the window's end. The first Δ where any h_q may turn
   * positive bounds the next answer (abandon.ts firstPositive*).
   */
  abandonQuietUntil(p: DownloadProgress, rate = 0, window = 0): number {
    if (this.basic || p.rung === 0) return Infinity
    const R0 = p.totalBytes - p.loadedBytes
    const a = this.terms()
    const bitrates = this.bitrates
    const ac = a[p.rung]!
    const x0 = ac - p.bufferLevel
    const c = window > 0 ? rate : 0
    const Rw = R0 - c * window
    const scale = (Math.abs(x0) + ac + 1) * p.totalBytes
    let quiet = Infinity
    for (let q = 0; q < p.rung; q++) {
      const sq = (p.totalBytes * bitrates[q]!) / bitrates[p.rung]!
      if (sq >= R0) break // sizes grow with q, and R only shrinks
      const dq = ac - a[q]!
      // h(Δ) = −c·Δ² + (R₀ − s_q − c·(x₀ − d_q))·Δ + (x₀ − d_q)·R₀ − x₀·s_q
      let d = firstPositiveConcave(c, R0 - sq - c * (x0 - dq), (x0 - dq) * R0 - x0 * sq, scale)
      if (d > window && window > 0) {
        const xw = x0 + window
        d = Rw > sq ? window + firstPositiveLinear((xw - dq) * Rw - xw * sq, Rw - sq, scale) : Infinity
      }
      if (d < quiet) quiet = d
      if (quiet === 0) return p.elapsed
    }
    return quiet === Infinity ? Infinity : quietAt(p.elapsed, quiet)
  }

  /** Sabre Bola.check_abandon: switch to a lower rung whose whole segment scores above what remains of this one. */
  abandon(p: DownloadProgress): number {
    if (this.basic) return -1
    const remain = p.totalBytes - p.loadedBytes
    if (p.loadedBytes <= 0 || remain <= 0) return -1
    const a = this.terms()
    let score = (a[p.rung]! - p.bufferLevel) / remain
    if (score < 0) return -1
    let to = -1
    for (let q = 0; q < p.rung; q++) {
      const size = (p.totalBytes * this.bitrates[q]!) / this.bitrates[p.rung]!
      const sc = (a[q]! - p.bufferLevel) / size
      if (size < remain && sc > score) {
        score = sc
        to = q
      }
    }
    if (to >= 0) this.lastQuality = to
    return to
  }
}
