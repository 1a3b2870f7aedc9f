import type { Ladder } from '../manifest/ladder.js'
import { hlsAbandonQuietUntil, hlsAbandonRule } from './abandon.js'
import { Ewma, EwmaBandwidthEstimator } from './ewma.js'
import { type AbrPolicy, type AbrState, type DownloadProgress, type DownloadSample, highestRungAtMost } from './types.js'

/** The throughput rule's tunables, named and defaulted as hls.js names them (src/config.ts). */
export interface ThroughputParams {
  /** Fast EWMA half-life, seconds of download. */
  abrEwmaFastVoD: number
  /** Slow EWMA half-life, seconds of download. */
  abrEwmaSlowVoD: number
  /** Estimate used before the first download, bit/s. */
  abrEwmaDefaultEstimate: number
  /** Share of the estimate usable when staying or switching down. */
  abrBandWidthFactor: number
  /** Share of the estimate usable when switching up (more conservative). */
  abrBandWidthUpFactor: number
  /** Seconds of rebuffering tolerated when no rung avoids it. */
  maxStarvationDelay: number
  /** First segment's rung: the highest at most this many bit/s; -1 lets the rule choose from abrEwmaDefaultEstimate as hls.js does. */
  startBitrate: number
}

export const THROUGHPUT_DEFAULTS: ThroughputParams = {
  abrEwmaFastVoD: 3,
  abrEwmaSlowVoD: 9,
  abrEwmaDefaultEstimate: 5e5,
  abrBandWidthFactor: 0.95,
  abrBandWidthUpFactor: 0.7,
  maxStarvationDelay: 4,
  startBitrate: -1,
}

/** hls.js: defaultTTFB = 100 ms until a first byte has been timed. */
const DEFAULT_TTFB_MS = 100

/**
 * hls.js's throughput rule (abr-controller.ts getNextABRAutoLevel and
 * findBestLevel): from the top down, the first rung whose bitrate fits in the
 * safety-factored estimate and whose fetch time (TTFB + size / bandwidth)
 * fits in the buffer; failing that, one that rebuffers at most
 * min(segment duration, maxStarvationDelay); failing that, the lowest.
 * Media-capabilities, codec and frame-rate filters of hls.js do not apply to
 * one-codec ladders and are left out.
 */
export class ThroughputRule implements AbrPolicy {
  readonly name = 'throughput'
  readonly params: ThroughputParams
  private readonly estimator: EwmaBandwidthEstimator
  private readonly ttfb: Ewma
  // Estimates change only when a download lands: computed then, read by every decision.
  private bw: number
  private ttfbS = DEFAULT_TTFB_MS / 1000

  constructor(
    private readonly ladder: Ladder,
    params: Partial<ThroughputParams> = {},
  ) {
    this.params = { ...THROUGHPUT_DEFAULTS, ...params }
    this.estimator = new EwmaBandwidthEstimator(this.params.abrEwmaSlowVoD, this.params.abrEwmaFastVoD, this.params.abrEwmaDefaultEstimate)
    this.ttfb = new Ewma(this.params.abrEwmaSlowVoD)
    this.bw = this.estimator.getEstimate()
  }

  /** Bandwidth estimate, bit/s. */
  bandwidthEstimate(): number {
    return this.bw
  }

  /** TTFB estimate, seconds (hls.js getEstimateTTFB). */
  ttfbEstimate(): number {
    return this.ttfbS
  }

  private refresh(): void {
    this.bw = this.estimator.getEstimate()
    this.ttfbS = (this.ttfb.getTotalWeight() >= 0.001 ? this.ttfb.getEstimate() : DEFAULT_TTFB_MS) / 1000
  }

  chooseRung(s: AbrState): number {
    if (s.lastRung < 0 && this.params.startBitrate >= 0) return highestRungAtMost(this.ladder.bitrates, this.params.startBitrate)
    const bw = this.bw
    const segDur = this.ladder.segmentDurations[s.segmentIndex]!
    const base = Math.max(s.lastRung, 0)
    const p = this.params
    if (s.bufferLevel > 0) {
      const best = this.findBestLevel(bw, base, segDur, s.bufferLevel, 0, p.abrBandWidthFactor, p.abrBandWidthUpFactor)
      if (best >= 0) return best
    }
    const best = this.findBestLevel(bw, base, segDur, s.bufferLevel, Math.min(segDur, p.maxStarvationDelay), p.abrBandWidthFactor, p.abrBandWidthUpFactor)
    return Math.max(best, 0)
  }

  findBestLevel(bw: number, base: number, segDur: number, starvationDelay: number, maxStarvationDelay: number, bwFactor: number, bwUpFactor: number): number {
    const maxFetch = starvationDelay + maxStarvationDelay
    const ttfb = this.ttfbS
    const bitrates = this.ladder.bitrates
    for (let i = bitrates.length - 1; i >= 0; i--) {
      const adjusted = (i > base ? bwUpFactor : bwFactor) * bw
      const bitrate = bitrates[i]!
      const fetch = ttfb + (bitrate * segDur) / adjusted
      if (adjusted >= bitrate && fetch < maxFetch) return i
    }
    return -1
  }

  onDownload(d: DownloadSample): void {
    // hls.js samples load time net of min(TTFB, TTFB estimate), so one slow first byte does not read as low bandwidth.
    const ttfbMs = d.ttfb * 1000
    const netMs = d.duration * 1000 - Math.min(ttfbMs, this.ttfbS * 1000)
    this.estimator.sample(netMs, d.bytes)
    const seconds = d.ttfb
    this.ttfb.sample(Math.SQRT2 * Math.exp(-(seconds * seconds) / 2), Math.max(ttfbMs, 5))
    this.refresh()
  }

  /** hls.js checks nothing before max(TTFB estimate, half the segment). */
  abandonAfter(segmentDuration: number): number {
    return Math.max(this.ttfbS, segmentDuration / 2)
  }

  /** hls.js's rule has no per-check state: its bound (abandon.ts) lets the engine skip checks. */
  abandonQuietUntil(p: DownloadProgress, rate?: number, window?: number): number {
    return hlsAbandonQuietUntil(p, rate, window)
  }

  abandon(p: DownloadProgress): number {
    const next = hlsAbandonRule(p, this.ladder.bitrates, this.ttfbS, this.bw)
    if (next >= 0 && p.ttfb >= 0 && p.loadedBytes > 0) {
      // hls.js feeds the partial download to the estimator before switching down.
      this.estimator.sample((p.elapsed - Math.min(this.ttfbS, p.ttfb)) * 1000, p.loadedBytes)
      this.refresh()
    }
    return next
  }
}
