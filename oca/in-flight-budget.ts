/**
 * The bytes that answers in flight may hold in memory, bounded. With the hot
 * tier's bound it is what makes the node's memory a function of its
 * configuration: a hot-tier answer pins its whole Buffer until the socket has
 * taken it (even after the tier evicted the entry), a streamed disk answer
 * pins its read-ahead chunks, and a promotion to the hot tier holds a whole
 * object while it is read. A request that would exceed the budget is refused
 * (503 + Retry-After) instead of growing the heap.
 */
export class InFlightBudget {
  private used = 0
  /** requests refused because the budget was full, for metrics */
  refused = 0

  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.used
  }

  /**
   * Take `bytes` if they fit; returns the release (call once, extra calls are
   * no-ops) or undefined when refused. An answer larger than the whole budget
   * is admitted only when nothing else is in flight, so a small budget never
   * makes an object unservable.
   */
  take(bytes: number): (() => void) | undefined {
    if (bytes > 0 && this.used + bytes > this.limitBytes && this.used > 0) {
      this.refused++
      return undefined
    }
    this.used += bytes
    let released = false
    return () => {
      if (released) return
      released = true
      this.used -= bytes
    }
  }
}
