/**
 * Admission for steering-manifest requests: `perSecond` sustained with a
 * burst of `burst`. Unlike a shaping bucket it never goes into debt: a
 * refused request costs nothing, and the caller learns how long until the
 * next one would pass (the 429's Retry-After). Pure given the clock.
 */
export class RateGate {
  private tokens: number
  private last: number

  constructor(
    readonly perSecond: number,
    readonly burst: number = perSecond,
    nowMs = 0,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new RangeError('rate gate needs perSecond > 0 and burst >= 1')
    this.tokens = burst
    this.last = nowMs
  }

  /** 0 when admitted (one token taken); otherwise ms until a token is there. */
  admit(nowMs: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.perSecond)
    this.last = nowMs
    if (this.tokens >= 1) {
      this.tokens -= 1
      return 0
    }
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000)
  }
}
