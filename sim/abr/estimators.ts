import { Ewma, EwmaBandwidthEstimator } from './ewma.js'

/**
 * A throughput and latency estimator fed one completed download at a time.
 * Three references, each a named choice (`estimator` parameter):
 * - `ewma`: dash.js ThroughputHistory's EWMA (and Sabre's `Ewma`): a fast and a
 *   slow EWMA of per-download throughput weighted by transfer seconds, latency
 *   excluded; the estimate is the minimum of the two, latency the maximum of
 *   two EWMAs weighted per download.
 * - `sliding`: dash.js's default moving average (movingAverageMethod
 *   slidingWindow) and Sabre's `SlidingWindow`: the mean of the last N downloads.
 * - `hlsjs`: hls.js's EwmaBandwidthEstimator (sim/abr/ewma.ts) and its TTFB EWMA.
 */
export interface ThroughputEstimator {
  /** One download: its bytes, its transfer time after the first byte (s) and its latency to the first byte (s). */
  sample(bytes: number, transferS: number, latencyS: number): void
  /** Throughput estimate, bit/s; NaN before the first download (hlsjs answers its default estimate). */
  throughput(): number
  /** Latency estimate, seconds (0 before the first download). */
  latency(): number
}

export type EstimatorName = 'ewma' | 'sliding' | 'hlsjs'
export const ESTIMATOR_NAMES: readonly EstimatorName[] = ['ewma', 'sliding', 'hlsjs']

export interface EstimatorParams {
  estimator: EstimatorName
  /** ewma: half-lives in seconds of transfer (dash.js EWMA_THROUGHPUT_FAST/SLOW_HALF_LIFE_SECONDS 3 / 8; Sabre -hl 3 8). */
  ewmaFast: number
  ewmaSlow: number
  /** ewma: sample weight per second of transfer (dash.js 5.2.1 weightDownloadTimeMultiplicationFactor 0.0015/ms = 1.5; Sabre 1). */
  ewmaWeight: number
  /** ewma: latency half-lives in downloads (dash.js EWMA_LATENCY_FAST/SLOW_HALF_LIFE_COUNT 1 / 2; Sabre: the throughput half-lives ÷ segment duration). */
  latencyFast: number
  latencySlow: number
  /** sliding: downloads averaged (dash.js AVERAGE_THROUGHPUT_SAMPLE_AMOUNT_VOD 4; Sabre -ws 3). */
  window: number
  /** sliding: widen the window by one for every jump of ×1.3 between neighbours (dash.js getSampleSize; 1 on, 0 off as in Sabre). */
  windowExpand: number
  /** hlsjs: abrEwmaFastVoD / abrEwmaSlowVoD half-lives and abrEwmaDefaultEstimate (hls.js src/config.ts: 3, 9, 500000). */
  hlsFast: number
  hlsSlow: number
  hlsDefaultEstimate: number
}

/** dash.js / Sabre dual EWMA with zero-start correction; latency weighted per download. */
export class DualEwmaEstimator implements ThroughputEstimator {
  private readonly fast: Ewma
  private readonly slow: Ewma
  private readonly latFast: Ewma
  private readonly latSlow: Ewma
  private tput = NaN
  private lat = 0

  constructor(
    fastHalfLife: number,
    slowHalfLife: number,
    latencyFast: number,
    latencySlow: number,
    private readonly weightPerSecond = 1,
  ) {
    this.fast = new Ewma(fastHalfLife)
    this.slow = new Ewma(slowHalfLife)
    this.latFast = new Ewma(latencyFast)
    this.latSlow = new Ewma(latencySlow)
  }

  sample(bytes: number, transferS: number, latencyS: number): void {
    if (!(transferS > 0) || !(bytes > 0)) return
    const bps = (bytes * 8) / transferS
    // Weight 1 per second (Sabre) leaves transferS exactly as it was; dash.js 5 weighs 1.5 per second.
    const w = this.weightPerSecond === 1 ? transferS : transferS * this.weightPerSecond
    this.fast.sample(w, bps)
    this.slow.sample(w, bps)
    this.latFast.sample(1, latencyS)
    this.latSlow.sample(1, latencyS)
    this.tput = Math.min(this.fast.getEstimate(), this.slow.getEstimate())
    this.lat = Math.max(this.latFast.getEstimate(), this.latSlow.getEstimate())
  }

  throughput(): number {
    return this.tput
  }

  latency(): number {
    return this.lat
  }
}

/** dash.js (getAverageSlidingWindow) / Sabre (SlidingWindow) mean of the last downloads. */
export class SlidingWindowEstimator implements ThroughputEstimator {
  /** dash.js MAX_MEASUREMENTS_TO_KEEP and Sabre max_store: 20. */
  private static readonly KEEP = 20
  /** dash.js THROUGHPUT_INCREASE_SCALE / THROUGHPUT_DECREASE_SCALE. */
  private static readonly JUMP = 1.3
  private readonly tputs: number[] = []
  private readonly lats: number[] = []
  private tput = NaN
  private lat = 0

  constructor(
    private readonly window: number,
    private readonly expand: boolean,
  ) {}

  sample(bytes: number, transferS: number, latencyS: number): void {
    if (!(transferS > 0) || !(bytes > 0)) return
    this.tputs.push((bytes * 8) / transferS)
    this.lats.push(latencyS)
    if (this.tputs.length > SlidingWindowEstimator.KEEP) {
      this.tputs.shift()
      this.lats.shift()
    }
    const a = this.tputs
    let size = Math.min(this.window, a.length)
    if (this.expand && size < a.length) {
      // dash.js: each large jump among the newest samples widens the window, so one outlier weighs less.
      for (let i = 1; i < Math.min(this.window, a.length); i++) {
        const ratio = a[a.length - i]! / a[a.length - i - 1]!
        if (ratio >= SlidingWindowEstimator.JUMP || ratio <= 1 / SlidingWindowEstimator.JUMP) {
          size++
          if (size === a.length) break
        }
      }
    }
    this.tput = mean(a, size)
    this.lat = mean(this.lats, Math.min(this.window, this.lats.length))
  }

  throughput(): number {
    return this.tput
  }

  latency(): number {
    return this.lat
  }
}

function mean(a: number[], last: number): number {
  let s = 0
  for (let i = a.length - last; i < a.length; i++) s += a[i]!
  return s / last
}

/** hls.js's estimator behind the common interface: bandwidth net of the TTFB estimate, TTFB EWMA as latency. */
export class HlsEstimator implements ThroughputEstimator {
  private readonly bw: EwmaBandwidthEstimator
  private readonly ttfb: Ewma

  constructor(fast: number, slow: number, defaultEstimate: number) {
    this.bw = new EwmaBandwidthEstimator(slow, fast, defaultEstimate)
    this.ttfb = new Ewma(slow)
  }

  sample(bytes: number, transferS: number, latencyS: number): void {
    const est = this.latency()
    this.bw.sample((transferS + latencyS - Math.min(latencyS, est)) * 1000, bytes)
    this.ttfb.sample(Math.SQRT2 * Math.exp(-(latencyS * latencyS) / 2), Math.max(latencyS * 1000, 5))
  }

  throughput(): number {
    return this.bw.getEstimate()
  }

  latency(): number {
    // hls.js getEstimateTTFB: 100 ms until a first byte has been timed.
    return this.ttfb.getTotalWeight() >= 0.001 ? this.ttfb.getEstimate() / 1000 : 0.1
  }
}

export function makeEstimator(p: EstimatorParams): ThroughputEstimator {
  if (p.estimator === 'sliding') return new SlidingWindowEstimator(p.window, p.windowExpand !== 0)
  if (p.estimator === 'hlsjs') return new HlsEstimator(p.hlsFast, p.hlsSlow, p.hlsDefaultEstimate)
  return new DualEwmaEstimator(p.ewmaFast, p.ewmaSlow, p.latencyFast, p.latencySlow, p.ewmaWeight ?? 1)
}

/**
 * Highest rung whose bitrate fits the throughput once the request latency's
 * dead time is taken out of a segment's duration: rung i when
 * latency + segDur · bitrate_i / bps ≤ segDur. dash.js AbrController
 * getQualityForBitrate (bitrate × (1 − latency / fragmentDuration)) and Sabre
 * quality_from_throughput compute this same bound. 0 when none fits or bps is NaN.
 */
export function rungForThroughput(bitrates: Float64Array, bps: number, latencyS: number, segDur: number): number {
  if (!(bps > 0) || latencyS >= segDur) return 0
  const usable = bps * (1 - latencyS / segDur)
  let q = 0
  while (q + 1 < bitrates.length && bitrates[q + 1]! <= usable) q++
  return q
}
