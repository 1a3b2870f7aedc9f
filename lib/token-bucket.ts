/**
 * A token bucket: `rate` tokens a second, at most `burst` banked. Pure given
 * the clock (ms). It is spent in one of two ways, as a shaper and a policer
 * differ (RFC 2475 §2.3.3.3):
 *
 * - `take(n)` shapes: it debits n at once and says how long the caller must
 *   wait before sending. The balance may go into debt, so a chunk larger than
 *   the burst still passes after a proportionally longer wait, and concurrent
 *   takers share the rate in arrival order (the OCA's fill bandwidth cap).
 * - `admit()` polices: it takes one token only if one is there. A refused
 *   request costs nothing and learns how long until the next would pass
 *   (steering's 429 Retry-After).
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
    if (!(burst > 0)) throw new RangeError('token bucket burst must be positive')
    this.tokens = burst
    this.last = nowMs
  }

  private refill(nowMs: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.rate)
    this.last = nowMs
  }

  /** Shaping: debit n at nowMs; the wait in ms before sending them (0 within budget). */
  take(n: number, nowMs: number): number {
    this.refill(nowMs)
    this.tokens -= n
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000
  }

  /** Policing: 0 when admitted (one token taken); otherwise whole ms until a token is there, nothing taken. */
  admit(nowMs: number): number {
    this.refill(nowMs)
    if (this.tokens >= 1) {
      this.tokens -= 1
      return 0
    }
    // a burst under one token would never admit: say when a whole token could first be there
    return Math.ceil(((1 - this.tokens) / this.rate) * 1000)
  }
}
