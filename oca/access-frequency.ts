/**
 * How often each object was asked for lately: exact counts per key, all
 * halved once `sampleSize()` accesses have been counted since the last
 * halving (TinyLFU's reset, Einziger, Friedman and Manes, "TinyLFU: A Highly
 * Efficient Cache Admission Policy", ACM Transactions on Storage 13(4), 2017),
 * so the counts follow what is popular now, not what once was. A key whose
 * count halves to 0 is dropped: the map holds about the keys of the last two
 * samples, not every key ever seen. Exact counts in a Map, not a count-min
 * sketch: an OCA's working set is thousands of keys, where a sketch's memory
 * saving does not pay for its errors.
 */
export class AccessFrequency {
  private readonly counts = new Map<string, number>()
  private samples = 0

  /** `sampleSize` is read at each access, so it can follow the cache's size (TinyLFU: 10 × the entries it holds). */
  constructor(private readonly sampleSize: () => number) {}

  touch(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1)
    if (++this.samples >= this.sampleSize()) this.halve()
  }

  of(key: string): number {
    return this.counts.get(key) ?? 0
  }

  private halve(): void {
    this.samples = 0
    for (const [key, n] of this.counts) {
      if (n > 1) this.counts.set(key, n >> 1)
      else this.counts.delete(key)
    }
  }
}
