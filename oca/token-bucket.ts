/**
 * A token bucket for the fill bandwidth cap: `rate` bytes per second with a
 * burst of `burst` bytes. Pure given the clock: `take(n, nowMs)` debits n
 * bytes and says how many ms the caller must wait before sending them, so
 * concurrent downloads sharing one bucket share the cap fairly in arrival
 * order. Debt is allowed (the balance goes negative) so a chunk larger than
 * the burst still passes, after a proportionally longer wait.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    readonly rate: number,
    readonly burst: number = rate,
    nowMs = 0,
  ) {
    if (!(rate > 0)) throw new RangeError('token bucket rate must be positive')
    this.tokens = burst
    this.last = nowMs
  }

  /** Debit n bytes at nowMs; returns the wait in ms (0 when within budget). */
  take(n: number, nowMs: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.rate)
    this.last = nowMs
    this.tokens -= n
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000
  }
}
