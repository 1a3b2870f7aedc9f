/**
 * Exponentially weighted moving average with a half-life in units of sample
 * weight (seconds of download), corrected for its zero start: the
 * hls.js/shaka-player estimator (hls.js src/utils/ewma.ts).
 */
export class Ewma {
  private readonly alpha: number
  /** ln(alpha): alpha^w is computed as exp(w·ln alpha), which V8 runs 3–4× faster than alpha ** w (≤ 5e-16 apart). */
  private readonly lnAlpha: number
  private estimate = 0
  private totalWeight = 0
  /** alpha^totalWeight, kept as a running product so an estimate needs no Math.pow. */
  private decay = 1

  constructor(readonly halfLife: number) {
    this.alpha = halfLife ? Math.exp(Math.log(0.5) / halfLife) : 0
    this.lnAlpha = Math.log(0.5) / halfLife
  }

  sample(weight: number, value: number): void {
    // Per-download weights (latency EWMAs) are 1, and alpha^1 is alpha exactly. A half-life of 0 keeps only the last sample.
    const adjAlpha = weight === 1 || this.alpha === 0 ? this.alpha : Math.exp(weight * this.lnAlpha)
    this.estimate = value * (1 - adjAlpha) + adjAlpha * this.estimate
    this.totalWeight += weight
    this.decay *= adjAlpha
  }

  getTotalWeight(): number {
    return this.totalWeight
  }

  getEstimate(): number {
    if (this.alpha) {
      const zeroFactor = 1 - this.decay
      if (zeroFactor) return this.estimate / zeroFactor
    }
    return this.estimate
  }
}

/**
 * hls.js's bandwidth estimator (src/utils/ewma-bandwidth-estimator.ts): a fast
 * and a slow EWMA of per-download throughput weighted by download seconds,
 * answering the minimum of the two, "adapt down quickly, up slowly". Until a
 * sample arrives it answers the default estimate.
 */
export class EwmaBandwidthEstimator {
  private readonly fast: Ewma
  private readonly slow: Ewma
  /** hls.js: minWeight_ = 0.001 s of samples before the estimate is trusted. */
  private static readonly MIN_WEIGHT = 0.001
  /** hls.js: minDelayMs_ = 50, so tiny cached responses do not read as infinite bandwidth. */
  private static readonly MIN_DELAY_MS = 50

  constructor(
    slowHalfLife: number,
    fastHalfLife: number,
    private readonly defaultEstimate: number,
  ) {
    this.slow = new Ewma(slowHalfLife)
    this.fast = new Ewma(fastHalfLife)
  }

  /** A download of numBytes that took durationMs. */
  sample(durationMs: number, numBytes: number): void {
    if (numBytes <= 0) return
    const minDelay = Math.min(EwmaBandwidthEstimator.MIN_DELAY_MS, numBytes / 100000)
    const durationS = Math.max(durationMs, minDelay) / 1000
    const bps = (8 * numBytes) / durationS
    this.fast.sample(durationS, bps)
    this.slow.sample(durationS, bps)
  }

  canEstimate(): boolean {
    return this.fast.getTotalWeight() >= EwmaBandwidthEstimator.MIN_WEIGHT
  }

  getEstimate(): number {
    return this.canEstimate() ? Math.min(this.fast.getEstimate(), this.slow.getEstimate()) : this.defaultEstimate
  }
}
