import type { Ladder } from '../manifest/ladder.js'
import { DashAbandonRule, hlsAbandonQuietUntil, hlsAbandonRule, sabreAbandonQuietUntil, sabreAbandonRule } from './abandon.js'
import { type EstimatorParams, makeEstimator, rungForThroughput, type ThroughputEstimator } from './estimators.js'
import { type AbrPolicy, type AbrState, type DownloadProgress, type DownloadSample, highestRungAtMost } from './types.js'

export type IbrVariant = 'sabre' | 'dashjs' | 'off'
export type AbandonVariant = 'sabre' | 'dashjs' | 'hlsjs'

/** Parameters shared by the rules that read a throughput estimate (safe throughput, BOLA's caps, BOLA-E, DYNAMIC). */
export interface SafeThroughputParams extends EstimatorParams {
  /** Share of the estimate a rung may use (dash.js bandwidthSafetyFactor 0.9; Sabre ThroughputRule.safety_factor 0.9). */
  safetyFactor: number
  /**
   * Insufficient-buffer rule: `sabre` (inside Sabre's ThroughputRule and BolaEnh: the next rung's segment must fit in
   * safety × (buffer − latency) × throughput, safety 0.9 decaying ×0.9 per decision to 0.5), `dashjs`
   * (InsufficientBufferRule: the rung the throughput × buffer/segment × 0.5 sustains; lowest while stalled;
   * ignored for the first 2 segments), or `off`.
   */
  ibr: IbrVariant
  /** Sabre low_buffer_safety_factor_init 0.9 and low_buffer_safety_factor 0.5. */
  ibrSafetyInit: number
  ibrSafetyMin: number
  /** dash.js INSUFFICIENT_BUFFER_SAFETY_FACTOR 0.5. */
  ibrDashSafety: number
  /** First segment's rung: the highest at most this many bit/s (0: the lowest, as Sabre; dash.js: DEFAULT_VIDEO_BITRATE 1000 kbit/s). */
  startBitrate: number
  /** Which reference's abandonment the `--abandon` flag turns on. */
  abandon: AbandonVariant
  abandonMultiplier: number
  abandonGrace: number
  /** dashjs abandonment: progress events before deciding (dash.js 5.2.1 minThroughputSamplesThreshold 6). */
  abandonMinSamples: number
  /** No dashjs abandonment above this buffer (dash.js 5.2.1 bufferTimeDefault 18 s; v4.7 stableBufferTime 12 s). */
  stableBufferTime: number
  /** dashjs DYNAMIC's switch point (dash.js 5.2.1 hybridSwitchBufferTime 12 s). */
  hybridSwitchBufferTime: number
}

/** The insufficient-buffer rules of Sabre and dash.js, with their per-session state. */
export class InsufficientBufferRule {
  private safety: number
  private appended = 0

  constructor(
    private readonly ladder: Ladder,
    private readonly p: SafeThroughputParams,
  ) {
    this.safety = p.ibrSafetyInit
  }

  /** The highest rung the rule allows (the ladder's top when it allows all). */
  cap(s: AbrState, tput: number, latency: number): number {
    const top = this.ladder.bitrates.length - 1
    if (this.p.ibr === 'off' || !(tput > 0)) return top
    const segDur = this.ladder.segmentDurations[s.segmentIndex]!
    if (this.p.ibr === 'sabre') {
      const safeBits = this.safety * (s.bufferLevel - latency) * tput
      this.safety = Math.max(this.p.ibrSafetyMin, this.safety * this.p.ibrSafetyInit)
      for (let q = 0; q < top; q++) if (this.ladder.bitrates[q + 1]! * segDur > safeBits) return q
      return top
    }
    if (this.appended < 2) return top
    if (!s.playing) return 0
    return rungForThroughput(this.ladder.bitrates, tput * (s.bufferLevel / segDur) * this.p.ibrDashSafety, latency, segDur)
  }

  onDownload(): void {
    this.appended++
  }
}

/** The abandonment rule a throughput-reading policy uses, by variant. */
export class ThroughputAbandonment {
  // Only the dashjs variant keeps per-download state; built only then, as copying the params per session cost ~5% of a run.
  private readonly dash: DashAbandonRule | null

  constructor(
    private readonly bitrates: Float64Array,
    private readonly p: SafeThroughputParams,
    private readonly est: ThroughputEstimator,
  ) {
    this.dash = p.abandon === 'dashjs' ? new DashAbandonRule(bitrates, { ...p, minLengthToAverage: p.abandonMinSamples }) : null
  }

  /** Seconds after the request before this rule can abandon; dash.js records a rate at every check, so none is skipped. */
  after(segmentDuration: number): number {
    if (this.p.abandon === 'sabre') return this.p.abandonGrace
    if (this.p.abandon === 'hlsjs') return Math.max(this.est.latency(), segmentDuration / 2)
    return 0
  }

  /**
   * A lower bound on when check() can next abandon (AbrPolicy.abandonQuietUntil): Sabre's and hls.js's rules have one
   * (abandon.ts); dash.js's keeps a rate sample per check, so every check runs.
   */
  quietUntil(p: DownloadProgress, rate?: number, window?: number): number {
    if (this.p.abandon === 'sabre') return sabreAbandonQuietUntil(p, this.p, rate, window)
    if (this.p.abandon === 'hlsjs') return hlsAbandonQuietUntil(p, rate, window)
    return p.elapsed
  }

  check(progress: DownloadProgress): number {
    if (this.p.abandon === 'sabre') return sabreAbandonRule(progress, this.bitrates, this.est.latency(), this.p)
    if (this.dash) return this.dash.check(progress)
    const bw = this.est.throughput()
    return bw > 0 ? hlsAbandonRule(progress, this.bitrates, this.est.latency(), bw) : -1
  }
}

/**
 * The throughput rule of dash.js (ThroughputRule + InsufficientBufferRule,
 * the lower of the two) and of Sabre (ThroughputRule with its built-in
 * insufficient-buffer rule): the highest rung whose bitrate fits the safe
 * throughput once the latency's dead time is taken out of the segment.
 * Variant `sabre` / `dashjs` of `--abr throughput` (`hlsjs` is throughput.ts).
 */
export class SafeThroughputRule implements AbrPolicy {
  readonly name = 'throughput'
  readonly estimator: ThroughputEstimator
  private readonly ibr: InsufficientBufferRule
  private readonly abandonment: ThroughputAbandonment

  /** `shared`: an estimator another policy feeds (DYNAMIC's two halves read one estimate, as in dash.js and Sabre). */
  constructor(
    private readonly ladder: Ladder,
    readonly params: SafeThroughputParams,
    shared?: ThroughputEstimator,
  ) {
    this.estimator = shared ?? makeEstimator(params)
    this.owns = !shared
    this.ibr = new InsufficientBufferRule(ladder, params)
    this.abandonment = new ThroughputAbandonment(ladder.bitrates, params, this.estimator)
  }

  private readonly owns: boolean

  chooseRung(s: AbrState): number {
    const tput = this.estimator.throughput()
    if (!(tput > 0)) return highestRungAtMost(this.ladder.bitrates, this.params.startBitrate)
    const lat = this.estimator.latency()
    const q = rungForThroughput(this.ladder.bitrates, tput * this.params.safetyFactor, lat, this.ladder.segmentDurations[s.segmentIndex]!)
    return Math.min(q, this.ibr.cap(s, tput, lat))
  }

  onDownload(d: DownloadSample): void {
    if (this.owns) this.estimator.sample(d.bytes, d.duration - d.ttfb, d.ttfb)
    this.ibr.onDownload()
  }

  abandon(p: DownloadProgress): number {
    return this.abandonment.check(p)
  }

  abandonAfter(segmentDuration: number): number {
    return this.abandonment.after(segmentDuration)
  }

  abandonQuietUntil(p: DownloadProgress, rate?: number, window?: number): number {
    return this.abandonment.quietUntil(p, rate, window)
  }
}
