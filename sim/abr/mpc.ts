import type { Ladder } from '../manifest/ladder.js'
import type { AbrPolicy, AbrState, DownloadSample } from './types.js'

export interface MpcParams {
  /** Segments looked ahead (the paper's N = 5). */
  horizon: number
  /** Past downloads in the harmonic-mean prediction and in RobustMPC's error window. */
  window: number
  /** QoE weights of the plan's objective (Pensieve's mpc.py: REBUF_PENALTY 4.3, SMOOTH_PENALTY 1, bitrate in Mbit/s). */
  rebufferPenalty: number
  switchPenalty: number
}

export const MPC_DEFAULTS: MpcParams = { horizon: 5, window: 5, rebufferPenalty: 4.3, switchPenalty: 1 }

/**
 * MPC and RobustMPC (Yin, Jindal, Sekar, Sinopoli, "A Control-Theoretic
 * Approach for Dynamic Adaptive Video Streaming over HTTP", SIGCOMM 2015),
 * as in Pensieve's reference implementation (sim/mpc.py): throughput predicted
 * as the harmonic mean of the last 5 downloads; RobustMPC divides it by
 * 1 + the largest relative prediction error of the last 5; then the plan of
 * rungs for the next 5 segments that maximises
 *   Σ bitrate(Mbit/s) − 4.3 · Σ rebuffer(s) − 1 · Σ |Δbitrate|(Mbit/s)
 * under that throughput is found, and its first rung is played.
 *
 * The plan search is exact but not exhaustive: a depth-first search (higher
 * rungs first) prunes a branch when even a rebuffer-free rest of the plan,
 * valued by a per-ladder dynamic-programming bound, cannot beat the best plan
 * found. It returns the same first rung as enumerating all rungs^horizon plans
 * in the same order (test/sim/abr-mpc.test.ts checks this); only exact ties
 * may resolve differently from Pensieve's ascending enumeration.
 * Before any download there is no prediction and the lowest rung is fetched.
 */
export class Mpc implements AbrPolicy {
  readonly name: string
  readonly params: MpcParams
  private readonly q: Float64Array
  /** bound[k * rungs + l]: best rebuffer-free reward of k more segments after rung l. */
  private readonly bound: Float64Array
  private readonly throughputs: number[] = []
  private readonly errors: number[] = []
  private lastPrediction = 0
  // Per-decision scratch, reused so a decision allocates nothing.
  private readonly dt: Float64Array
  private steps = 0
  private best = -Infinity
  private bestFirst = 0
  private first = 0

  constructor(
    private readonly ladder: Ladder,
    readonly robust: boolean,
    params: Partial<MpcParams> = {},
  ) {
    this.name = robust ? 'robustmpc' : 'mpc'
    this.params = { ...MPC_DEFAULTS, ...params }
    const n = ladder.rungs.length
    const H = this.params.horizon
    this.q = ladder.bitrates.map((b) => b / 1e6)
    this.bound = new Float64Array((H + 1) * n)
    for (let k = 1; k <= H; k++) {
      for (let l = 0; l < n; l++) {
        let m = -Infinity
        for (let r = 0; r < n; r++) {
          const v = this.q[r]! - this.params.switchPenalty * Math.abs(this.q[r]! - this.q[l]!) + this.bound[(k - 1) * n + r]!
          if (v > m) m = v
        }
        this.bound[k * n + l] = m
      }
    }
    this.dt = new Float64Array(H * n)
  }

  /** The throughput the plan assumes, bit/s (0 before any download). */
  predictThroughput(): number {
    const w = this.throughputs
    if (w.length === 0) return 0
    let inv = 0
    for (const x of w) inv += 1 / x
    const harmonic = w.length / inv
    if (!this.robust) return harmonic
    let maxError = 0
    for (const e of this.errors) if (e > maxError) maxError = e
    return harmonic / (1 + maxError)
  }

  chooseRung(s: AbrState): number {
    if (this.throughputs.length === 0) return 0
    this.recordPrediction()
    const bps = this.predictThroughput()
    const n = this.q.length
    const i0 = s.segmentIndex
    this.steps = Math.min(this.params.horizon, this.ladder.segmentDurations.length - i0)
    for (let k = 0; k < this.steps; k++) {
      for (let r = 0; r < n; r++) this.dt[k * n + r] = (this.ladder.rungs[r]!.bytes[i0 + k]! * 8) / bps
    }
    this.best = -Infinity
    this.bestFirst = 0
    const last = Math.max(s.lastRung, 0)
    this.search(0, last, s.bufferLevel, 0, i0)
    return this.bestFirst
  }

  private search(k: number, last: number, buffer: number, reward: number, i0: number): void {
    const n = this.q.length
    const remaining = this.steps - k
    const q = this.q
    const segDurs = this.ladder.segmentDurations
    const { rebufferPenalty, switchPenalty } = this.params
    for (let r = n - 1; r >= 0; r--) {
      const dt = this.dt[k * n + r]!
      let b = buffer
      let rebuf = 0
      if (b < dt) {
        rebuf = dt - b
        b = 0
      } else b -= dt
      b += segDurs[i0 + k]!
      const rw = reward + q[r]! - rebufferPenalty * rebuf - switchPenalty * Math.abs(q[r]! - q[last]!)
      if (k === 0) this.first = r
      if (remaining === 1) {
        if (rw > this.best) {
          this.best = rw
          this.bestFirst = this.first
        }
      } else if (rw + this.bound[(remaining - 1) * n + r]! > this.best) {
        this.search(k + 1, r, b, rw, i0)
      }
    }
  }

  /** RobustMPC's error: how far the last prediction was from the throughput that followed (Pensieve mpc.py). */
  private recordPrediction(): void {
    const actual = this.throughputs[this.throughputs.length - 1]!
    const err = this.lastPrediction > 0 ? Math.abs(this.lastPrediction - actual) / actual : 0
    this.errors.push(err)
    if (this.errors.length > this.params.window) this.errors.shift()
    let inv = 0
    for (const x of this.throughputs) inv += 1 / x
    this.lastPrediction = this.throughputs.length / inv
  }

  onDownload(d: DownloadSample): void {
    if (!(d.duration > 0)) return
    this.throughputs.push((d.bytes * 8) / d.duration)
    if (this.throughputs.length > this.params.window) this.throughputs.shift()
  }
}

/** Brute force over every plan, same order and tie rule: the reference the pruned search is tested against. */
export function mpcExhaustive(
  bitratesMbps: Float64Array,
  downloadTimes: Float64Array[],
  segDurs: number[],
  buffer: number,
  last: number,
  p: MpcParams,
): number {
  const n = bitratesMbps.length
  const H = downloadTimes.length
  let best = -Infinity
  let bestFirst = 0
  const plan = new Array<number>(H).fill(n - 1)
  const total = n ** H
  for (let c = 0; c < total; c++) {
    let x = c
    for (let k = H - 1; k >= 0; k--) {
      plan[k] = n - 1 - (x % n)
      x = Math.floor(x / n)
    }
    let b = buffer
    let rw = 0
    let prev = last
    for (let k = 0; k < H; k++) {
      const r = plan[k]!
      const dt = downloadTimes[k]![r]!
      let rebuf = 0
      if (b < dt) {
        rebuf = dt - b
        b = 0
      } else b -= dt
      b += segDurs[k]!
      rw += bitratesMbps[r]! - p.rebufferPenalty * rebuf - p.switchPenalty * Math.abs(bitratesMbps[r]! - bitratesMbps[prev]!)
      prev = r
    }
    if (rw > best) {
      best = rw
      bestFirst = plan[0]!
    }
  }
  return bestFirst
}
