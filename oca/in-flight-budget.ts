/**
 * The bytes that answers in flight may hold in memory, bounded. With the hot
 * tier's bound it is what makes the node's memory a function of its
 * configuration: a hot-tier Buffer the tier evicts while answers still send
 * it is charged here (once, whatever the number of answers) until the last of
 * them is done, a streamed disk answer holds its read-ahead chunks, and a
 * promotion to the hot tier holds a whole object while it is read. A hot-tier
 * answer of an entry still in the tier costs nothing: its bytes are the tier's. A request that would exceed the budget is refused
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
   * Count `bytes` that are already in memory and cannot be refused (a hot-tier Buffer evicted while answers still
   * hold it): the budget may go over its limit, and then refuses what asks next until they are released.
   */
  charge(bytes: number): () => void {
    this.used += bytes
    let released = false
    return () => {
      if (released) return
      released = true
      this.used -= bytes
    }
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
    return this.charge(bytes)
  }
}
