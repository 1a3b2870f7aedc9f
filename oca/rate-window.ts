/**
 * Bytes per second over a recent window, for /health: one bucket per second
 * in a ring, so recording is O(1) on the hot path and reading sums at most
 * `windowSeconds` numbers. Pure given the clock.
 */
export class RateWindow {
  private readonly buckets: Float64Array
  private readonly stamps: Float64Array

  constructor(readonly windowSeconds = 10) {
    // One slot more than the window: the current, partial second has its own.
    this.buckets = new Float64Array(windowSeconds + 1)
    this.stamps = new Float64Array(windowSeconds + 1).fill(-1)
  }

  add(amount: number, nowMs: number): void {
    const sec = Math.floor(nowMs / 1000)
    const i = sec % this.buckets.length
    if (this.stamps[i] !== sec) {
      this.stamps[i] = sec
      this.buckets[i] = 0
    }
    this.buckets[i]! += amount
  }

  /** Mean rate over the last full `windowSeconds` seconds (the current, partial second excluded). */
  perSecond(nowMs: number): number {
    const now = Math.floor(nowMs / 1000)
    let sum = 0
    for (let i = 0; i < this.buckets.length; i++) {
      const s = this.stamps[i]!
      if (s < now && s >= now - this.windowSeconds) sum += this.buckets[i]!
    }
    return sum / this.windowSeconds
  }
}
