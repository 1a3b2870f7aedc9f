import type { Ladder } from '../manifest/ladder.js'
import { makeEstimator, rungForThroughput, type EstimatorParams, type ThroughputEstimator } from './estimators.js'
import { highestRungAtMost, type AbrContext, type AbrPolicy, type AbrState, type DownloadProgress, type DownloadSample } from './types.js'

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

  constructor(private readonly ladder: Ladder, params: BolaParams, context: AbrContext, shared?: ThroughputEstimator) {
    this.params = params
    this.target = params.bufferTarget > 0 ? params.bufferTarget : context.bufferCap
    const p = bolaParameters(ladder.bitrates, params.gammaP, this.target, ladder.segmentDuration)
    this.V = p.V
    this.utilities = p.utilities
    this.estimator = shared ?? makeEstimator(params)
    this.owns = !shared
  }

  score(rung: number, buffer: number): number {
    return (this.V * (this.utilities[rung]! + this.params.gammaP) - buffer) / this.ladder.bitrates[rung]!
  }

  /** The rung BOLA's objective picks at this buffer level (ties to the lower rung, as Sabre). */
  fromBuffer(buffer: number): number {
    let best = 0
    let bestScore = -Infinity
    for (let m = 0; m < this.utilities.length; m++) {
      const sc = this.score(m, buffer)
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
    const basic = this.params.variant === 'basic'
    if (!basic) {
      const n = this.ladder.segmentDurations.length
      const t = Math.max(Math.min(s.segmentIndex, n - s.segmentIndex) / 2, 3) * this.ladder.segmentDuration
      this.V = Math.max(0, Math.min(this.target, t) - this.ladder.segmentDuration) / (this.utilities[this.utilities.length - 1]! + this.params.gammaP)
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
   * A lower bound on when abandon() can next answer: for lower rung q to win,
   * f_q = (a_q − B)·R − (a_c − B)·s_q must turn positive (a = V(γp + v), B the
   * buffer, R what remains, s_q rung q's whole segment, s_q < R). Over the next
   * Δ seconds B ≥ B₀ − Δ and R ≤ R₀, so f_q ≤ (a_q − B₀ + Δ)·R₀ − (a_c − B₀)·s_q,
   * which stays ≤ 0 while Δ ≤ (a_c − B₀)·s_q / R₀ − a_q + B₀. Sabre also answers
   * nothing while B > a_c. Rungs whose segment is not below R₀ never qualify.
   */
  abandonQuietUntil(p: DownloadProgress): number {
    if (this.params.variant === 'basic' || p.rung === 0) return Infinity
    const R = p.totalBytes - p.loadedBytes
    const B = p.bufferLevel
    const gp = this.params.gammaP
    const ac = this.V * (gp + this.utilities[p.rung]!)
    if (B > ac) return p.elapsed + (B - ac)
    let quiet = Infinity
    for (let q = 0; q < p.rung; q++) {
      const sq = (p.totalBytes * this.ladder.bitrates[q]!) / this.ladder.bitrates[p.rung]!
      if (sq >= R) break // sizes grow with q
      quiet = Math.min(quiet, Math.max(0, ((ac - B) * sq) / R - this.V * (gp + this.utilities[q]!) + B))
    }
    return p.elapsed + quiet
  }

  /** Sabre Bola.check_abandon: switch to a lower rung whose whole segment scores above what remains of this one. */
  abandon(p: DownloadProgress): number {
    if (this.params.variant === 'basic') return -1
    const remain = p.totalBytes - p.loadedBytes
    if (p.loadedBytes <= 0 || remain <= 0) return -1
    const gp = this.params.gammaP
    let score = (this.V * (gp + this.utilities[p.rung]!) - p.bufferLevel) / remain
    if (score < 0) return -1
    let to = -1
    for (let q = 0; q < p.rung; q++) {
      const size = (p.totalBytes * this.ladder.bitrates[q]!) / this.ladder.bitrates[p.rung]!
      const sc = (this.V * (gp + this.utilities[q]!) - p.bufferLevel) / size
      if (size < remain && sc > score) {
        score = sc
        to = q
      }
    }
    if (to >= 0) this.lastQuality = to
    return to
  }
}
