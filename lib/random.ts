/**
 * Seeded randomness: the same seed gives the same traces, catalogs, forecasts
 * and request logs on every machine (Math.random cannot be seeded).
 * mulberry32 (Tommy Ettinger's 32-bit generator): tiny, fast, good enough for
 * simulation (not for secrets).
 */
export type Rng = () => number

export function seededRandom(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A standard normal draw (Box-Muller) from a uniform source. */
export function normalSample(rand: Rng): number {
  const u = 1 - rand()
  const v = rand()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/** Fisher-Yates, in place. */
export function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

/** A string's seed (FNV-1a), to derive per-region streams from one seed. */
export function hashSeed(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0
  return h
}
/**
 * Sampling from a fixed discrete distribution in O(1) per draw (Walker's
 * alias method), for request logs of millions of lines.
 */
export class AliasTable {
  private readonly prob: Float64Array
  private readonly alias: Uint32Array

  constructor(weights: ArrayLike<number>) {
    const n = weights.length
    let total = 0
    for (let i = 0; i < n; i++) total += weights[i]!
    this.prob = new Float64Array(n)
    this.alias = new Uint32Array(n)
    const scaled = new Float64Array(n)
    const small: number[] = []
    const large: number[] = []
    for (let i = 0; i < n; i++) {
      scaled[i] = total > 0 ? (weights[i]! * n) / total : 1
      ;(scaled[i]! < 1 ? small : large).push(i)
    }
    while (small.length && large.length) {
      const s = small.pop()!
      const l = large.pop()!
      this.prob[s] = scaled[s]!
      this.alias[s] = l
      scaled[l] = scaled[l]! + scaled[s]! - 1
      ;(scaled[l]! < 1 ? small : large).push(l)
    }
    for (const i of [...small, ...large]) this.prob[i] = 1
  }

  sample(rng: Rng): number {
    const i = Math.floor(rng() * this.prob.length)
    return rng() < this.prob[i]! ? i : this.alias[i]!
  }
}
