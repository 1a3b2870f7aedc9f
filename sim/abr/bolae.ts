import type { Ladder } from '../manifest/ladder.js'
import { DashAbandonRule } from './abandon.js'
import { makeEstimator, rungForThroughput, type ThroughputEstimator } from './estimators.js'
import { InsufficientBufferRule, type SafeThroughputParams } from './throughput-safe.js'
import { type AbrContext, type AbrPolicy, type AbrState, type DownloadProgress, type DownloadSample, highestRungAtMost } from './types.js'

export interface BolaEParams extends SafeThroughputParams {
  /** `sabre` (Sabre's BolaEnh) or `dashjs` (dash.js v4 BolaRule): where the two differ, see the class comment. */
  variant: 'sabre' | 'dashjs'
  /** Buffer below which BOLA never pauses (dash.js MINIMUM_BUFFER_S and Sabre minimum_buffer: 10 s). */
  minimumBuffer: number
  /** Added to the target per rung (dash.js MINIMUM_BUFFER_PER_BITRATE_LEVEL_S and Sabre minimum_buffer_per_level: 2 s). */
  minimumBufferPerLevel: number
  /**
   * Buffer level, seconds, at which the top rung wins; -1 for the reference's formula:
   * Sabre max(10 + 2 × rungs, buffer cap), dash.js max(stableBufferTime, 10 + 2 × rungs).
   */
  bufferTarget: number
  /** `u`: an up-switch capped by throughput goes one rung above the sustainable one (Sabre's default); `o`: it stops there (dash.js). */
  upSwitch: 'u' | 'o'
  /** Share of the throughput the up-switch cap and the startup choice use (Sabre 1; dash.js getSafeAverageThroughput 0.9). */
  capSafety: number
  /** Placeholder kept per downloaded segment (dash.js PLACEHOLDER_BUFFER_DECAY 0.99; Sabre 1). */
  placeholderDecay: number
}

/**
 * BOLA-E (Spiteri, Sitaraman, Sparacio, MMSys 2018; dash.js BolaRule, Sabre
 * BolaEnh): BOLA on utilities v_m = ln(S_m/S_1) + 1 with
 * γp = (v_M − 1) / (target / Q_min − 1), V = Q_min / γp, plus
 * - a startup choice from throughput, with a placeholder buffer set to the
 *   level at which BOLA would have chosen that rung;
 * - the placeholder: virtual buffer added to the real one, grown by time spent
 *   waiting for room (so a small real buffer still reaches the top rung), spent
 *   before any pause, trimmed after each download and on abandonment;
 * - the up-switch cap by throughput and pauses instead of overfilling;
 * - an insufficient-buffer rule and an abandonment rule.
 * The variants differ where the references do: Sabre enters the steady state
 * at the first decision with a throughput, uses the raw throughput, goes one
 * rung above the cap (BOLA-U), applies its insufficient-buffer rule inside, and
 * abandons on BOLA's own score (BolaEnh.check_abandon); dash.js waits one
 * buffered segment, uses 0.9 × throughput, stops at the cap, empties the
 * placeholder when the buffer runs dry, decays it by 0.99 a segment, takes the
 * lower of BOLA and InsufficientBufferRule, and abandons with AbandonRequestsRule.
 */
export class BolaE implements AbrPolicy {
  readonly name = 'bolae'
  readonly params: BolaEParams
  readonly Vp: number
  readonly gp: number
  readonly target: number
  private readonly utilities: Float64Array
  readonly estimator: ThroughputEstimator
  private readonly owns: boolean
  private readonly ibr: InsufficientBufferRule
  private readonly dashAbandon: DashAbandonRule
  private steady = false
  /** Seconds of virtual buffer. */
  placeholder = 0
  private lastQuality = 0
  private delay = 0
  /** When the last download landed (player clock), NaN once accounted. */
  private lastFinish = NaN
  private lastSegmentDuration = NaN

  constructor(
    private readonly ladder: Ladder,
    params: BolaEParams,
    context: AbrContext,
    shared?: ThroughputEstimator,
  ) {
    this.params = params
    const b = ladder.bitrates
    this.utilities = b.map((x) => Math.log(x / b[0]!) + 1)
    const formula = params.minimumBuffer + params.minimumBufferPerLevel * b.length
    this.target =
      params.bufferTarget > 0
        ? params.bufferTarget
        : params.variant === 'sabre'
          ? Math.max(formula, context.bufferCap)
          : Math.max(params.stableBufferTime, formula)
    this.gp = (this.utilities[b.length - 1]! - 1) / (this.target / params.minimumBuffer - 1)
    this.Vp = params.minimumBuffer / this.gp
    this.estimator = shared ?? makeEstimator(params)
    this.owns = !shared
    this.ibr = new InsufficientBufferRule(ladder, params)
    this.dashAbandon = new DashAbandonRule(b, { ...params, minLengthToAverage: params.abandonMinSamples })
  }

  fromBuffer(level: number): number {
    let best = 0
    let bestScore = -Infinity
    const dash = this.params.variant === 'dashjs'
    for (let q = 0; q < this.utilities.length; q++) {
      const s = (this.Vp * (this.utilities[q]! + this.gp) - level) / this.ladder.bitrates[q]!
      // dash.js keeps the higher rung on a tie (s >= score), Sabre the lower.
      if (dash ? s >= bestScore : s > bestScore) {
        bestScore = s
        best = q
      }
    }
    return best
  }

  /** The buffer level at which BOLA prefers `q` to every lower rung. */
  minBufferFor(q: number): number {
    const b = this.ladder.bitrates
    const u = this.utilities
    let level = 0
    for (let i = 0; i < q; i++) {
      if (u[i]! < u[q]!) level = Math.max(level, this.Vp * (this.gp + (b[q]! * u[i]! - b[i]! * u[q]!) / (b[q]! - b[i]!)))
    }
    return level
  }

  /** The buffer level above which BOLA would rather wait than download `q`. */
  maxBufferFor(q: number): number {
    return this.Vp * (this.utilities[q]! + this.gp)
  }

  chooseRung(s: AbrState): number {
    this.delay = 0
    const tput = this.estimator.throughput()
    // Time since the last download landed is time spent waiting for room: it grows the placeholder (Sabre report_delay, dash.js updatePlaceholderBuffer).
    if (!Number.isNaN(this.lastFinish)) {
      this.placeholder += Math.max(0, s.now - this.lastFinish)
      this.lastFinish = NaN
    }
    const dash = this.params.variant === 'dashjs'
    if (dash && !s.playing && s.segmentIndex > 0 && s.lastRung >= 0) this.placeholder = 0 // dash.js onBufferEmpty
    if (s.lastRung < 0 || !(tput > 0)) {
      if (s.lastRung < 0) this.lastQuality = highestRungAtMost(this.ladder.bitrates, this.params.startBitrate)
      return this.lastQuality
    }
    const segDur = this.ladder.segmentDurations[s.segmentIndex]!
    const lat = this.estimator.latency()
    const qt = rungForThroughput(this.ladder.bitrates, tput * this.params.capSafety, lat, segDur)
    const buffer = s.bufferLevel
    let q: number
    if (!this.steady) {
      q = qt
      this.placeholder = Math.max(0, this.minBufferFor(q) - buffer)
      if (!dash || buffer >= this.lastSegmentDuration) this.steady = true
      if (dash) q = Math.min(q, this.ibr.cap(s, tput, lat))
      this.lastQuality = q
      return q
    }
    q = this.fromBuffer(buffer + this.placeholder)
    if (q > this.lastQuality && q > qt) {
      q = Math.max(this.lastQuality, qt)
      if (this.params.upSwitch === 'u') q++
    }
    let delay = buffer + this.placeholder - this.maxBufferFor(q)
    if (delay > 0) {
      if (delay <= this.placeholder) {
        this.placeholder -= delay
        delay = 0
      } else {
        delay -= this.placeholder
        this.placeholder = 0
      }
    } else delay = 0
    if (q === this.utilities.length - 1) delay = 0
    const cap = this.ibr.cap(s, tput, lat)
    if (cap < q) {
      q = cap
      delay = 0
      // Sabre: the placeholder may not claim more than the level at which BOLA itself would pick the capped rung.
      if (!dash) this.placeholder = Math.min(this.placeholder, Math.max(0, this.minBufferFor(q) - buffer))
    }
    this.delay = delay
    this.lastQuality = q
    return q
  }

  requestDelay(): number {
    return this.delay
  }

  onDownload(d: DownloadSample): void {
    if (this.owns) this.estimator.sample(d.bytes, d.duration - d.ttfb, d.ttfb)
    this.ibr.onDownload()
    this.lastFinish = d.requestTime + d.duration
    this.lastSegmentDuration = this.ladder.segmentDurations[d.segmentIndex]!
    // Sabre reports no download for the first segment, fetched before the ABR runs.
    if (this.params.variant === 'sabre' && d.segmentIndex === 0) return
    this.lastQuality = d.rung
    const levelWas = d.bufferLevel + d.duration
    this.placeholder *= this.params.placeholderDecay
    this.placeholder = Math.min(this.placeholder, Math.max(0, this.maxBufferFor(d.rung) - levelWas))
    if (this.params.variant === 'sabre' && d.bufferLevel > 0) this.placeholder = Math.max(this.placeholder, this.minBufferFor(d.rung) - levelWas)
  }

  abandon(p: DownloadProgress): number {
    const to = this.params.variant === 'dashjs' ? this.dashAbandon.check(p) : this.sabreAbandon(p)
    if (to >= 0) this.noteAbandon(p, to)
    return to
  }

  /**
   * An abandonment means the placeholder was optimistic: bring it down to the level of the rung abandoned to
   * (Sabre report_download with abandon_to_quality, dash.js onFragmentLoadingAbandoned).
   */
  noteAbandon(p: DownloadProgress, to: number): void {
    const want = to > 0 ? this.minBufferFor(to) : this.params.minimumBuffer
    this.placeholder = Math.min(this.placeholder, Math.max(0, want - p.bufferLevel))
    if (this.params.variant === 'sabre') this.lastQuality = p.rung
  }

  /**
   * As Bola.abandonQuietUntil, on the placeholder-augmented buffer x = B + placeholder − TTFB (the placeholder is
   * fixed during a download, what remains after one more latency is at most R₀). Sabre variant only: dash.js's
   * abandonment keeps a rate sample per check.
   */
  abandonQuietUntil(p: DownloadProgress): number {
    // Before the first byte the latency is not yet known to come off the buffer: no bound.
    if (this.params.variant !== 'sabre' || p.ttfb < 0) return p.elapsed
    if (p.rung === 0) return Infinity
    const R = p.totalBytes - p.loadedBytes
    const x = p.bufferLevel + this.placeholder - Math.max(0, p.ttfb)
    const blMax = Math.max(0, x)
    const ac = this.Vp * (this.gp + this.utilities[p.rung]!)
    let quiet = Infinity
    for (let q = 0; q < p.rung; q++) {
      const sq = (p.totalBytes * this.ladder.bitrates[q]!) / this.ladder.bitrates[p.rung]!
      if (sq >= R) break
      quiet = Math.min(quiet, Math.max(0, ((ac - blMax) * sq) / R - this.Vp * (this.gp + this.utilities[q]!) + x))
    }
    return p.elapsed + quiet
  }

  /** Sabre BolaEnh.check_abandon: scores after one more latency, on the placeholder-augmented buffer. */
  private sabreAbandon(p: DownloadProgress): number {
    const remain = p.totalBytes - p.loadedBytes
    if (p.loadedBytes <= 0 || remain <= 0 || p.ttfb < 0) return -1
    const bl = Math.max(0, p.bufferLevel + this.placeholder - p.ttfb)
    const rate = p.loadedBytes / (p.elapsed - p.ttfb)
    const sz = remain - p.ttfb * rate
    if (sz <= 0) return -1
    let score = (this.Vp * (this.gp + this.utilities[p.rung]!) - bl) / sz
    let to = -1
    for (let q = 0; q < p.rung; q++) {
      const size = (p.totalBytes * this.ladder.bitrates[q]!) / this.ladder.bitrates[p.rung]!
      const sc = (this.Vp * (this.gp + this.utilities[q]!) - bl) / size
      if (size < sz && sc > score) {
        score = sc
        to = q
      }
    }
    return to
  }
}
