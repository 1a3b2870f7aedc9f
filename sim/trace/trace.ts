import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { formatBitRate, MAX_BITS_PER_SECOND, MAX_LATENCY_SECONDS, MAX_TRACE_SECONDS } from '../manifest/limits.js'

/**
 * A network trace as piecewise-constant throughput that repeats forever (as
 * mm-link and the Pensieve/Sabre simulators loop a trace shorter than the
 * session). Downloads are integrated exactly: a download spanning several
 * periods finishes when its last byte is through, not at an average rate.
 */
export class Trace {
  readonly name: string
  /** Start of each period, seconds; starts[0] is 0. */
  readonly starts: Float64Array
  /** Bytes per second in each period. */
  readonly rates: Float64Array
  /** Per-period request latency (RTT), seconds, when the format carries one. */
  readonly latencies: Float64Array | null
  /** Loop length, seconds. */
  readonly duration: number
  readonly bytesPerLoop: number
  /** Bytes delivered before each period starts; cum[n] = bytesPerLoop. */
  private readonly cum: Float64Array
  private hint = 0

  constructor(name: string, starts: Float64Array, rates: Float64Array, duration: number, latencies: Float64Array | null = null) {
    const n = starts.length
    if (n === 0 || rates.length !== n || (latencies && latencies.length !== n)) {
      throw new OclabError(ErrorCodes.BAD_TRACE, `${name}: the trace is empty`)
    }
    if (starts[0] !== 0 || !(duration > starts[n - 1]!)) {
      throw new OclabError(ErrorCodes.BAD_TRACE, `${name}: periods must start at 0 and end before the loop length`)
    }
    checkTraceValues(name, starts, rates, duration, latencies)
    this.name = name
    this.starts = starts
    this.rates = rates
    this.latencies = latencies
    this.duration = duration
    const cum = new Float64Array(n + 1)
    for (let i = 0; i < n; i++) {
      const end = i + 1 < n ? starts[i + 1]! : duration
      cum[i + 1] = cum[i]! + rates[i]! * (end - starts[i]!)
    }
    this.cum = cum
    this.bytesPerLoop = cum[n]!
    if (!(this.bytesPerLoop > 0)) throw new OclabError(ErrorCodes.BAD_TRACE, `${name}: the trace never delivers a byte (all throughput is zero)`)
  }

  /**
   * Index of the period holding local time t ∈ [0, duration); remembers the last answer since sessions move forward.
   * From the hint it gallops forward (steps 1, 2, 4, …) and then bisects the bracket it found: a download a few
   * periods on costs a few comparisons, not a search of the whole trace (a packet trace has ~10⁵ periods). The
   * answer is the unique largest i with starts[i] ≤ t, however it is searched for.
   */
  private periodAt(t: number): number {
    const s = this.starts
    const n = s.length
    const h = this.hint
    let lo = 0
    let hi = n - 1
    if (s[h]! <= t) {
      if (h + 1 === n || s[h + 1]! > t) return h
      // s[lo] ≤ t holds throughout; widen until s[hi] > t or the end is reached.
      lo = h + 1
      let step = 1
      for (;;) {
        const probe = lo + step
        if (probe >= n) break
        if (s[probe]! > t) {
          hi = probe - 1
          break
        }
        lo = probe
        step *= 2
      }
    }
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (s[mid]! <= t) lo = mid
      else hi = mid - 1
    }
    this.hint = lo
    return lo
  }

  /** Bytes the link can deliver in [0, t) (t may exceed one loop). */
  bytesBefore(t: number): number {
    if (t <= 0) return 0
    const loops = Math.floor(t / this.duration)
    const local = t - loops * this.duration
    const i = this.periodAt(local)
    return loops * this.bytesPerLoop + this.cum[i]! + (local - this.starts[i]!) * this.rates[i]!
  }

  /** The earliest time by which B bytes (counted from time 0) have crossed the link. */
  timeForBytes(b: number): number {
    if (b <= 0) return 0
    let loops = Math.floor(b / this.bytesPerLoop)
    let rem = b - loops * this.bytesPerLoop
    if (rem <= 0) {
      loops -= 1
      rem = this.bytesPerLoop
    }
    // Largest period whose starting cumulative is below rem: its rate is positive. A download ends a few periods
    // after it starts, where periodAt's hint points, so gallop from there as periodAt does (same unique answer).
    const cum = this.cum
    const n = this.starts.length
    const h = this.hint
    let lo = 0
    let hi = n - 1
    if (cum[h]! < rem) {
      lo = h
      let step = 1
      for (;;) {
        const probe = lo + step
        if (probe >= n) break
        if (cum[probe]! >= rem) {
          hi = probe - 1
          break
        }
        lo = probe
        step *= 2
      }
    }
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (cum[mid]! < rem) lo = mid
      else hi = mid - 1
    }
    return loops * this.duration + this.starts[lo]! + (rem - cum[lo]!) / this.rates[lo]!
  }

  /** When a transfer of `bytes` whose first byte can leave at `start` is complete. */
  downloadFinishTime(start: number, bytes: number): number {
    return this.timeForBytes(this.bytesBefore(start) + bytes)
  }

  /** Throughput at time t, bits/s. */
  throughputAt(t: number): number {
    const local = t - Math.floor(t / this.duration) * this.duration
    return this.rates[this.periodAt(local)]! * 8
  }

  /**
   * The lowest rate (bytes/s) over [from, to), looking at most `maxPeriods` periods ahead; -1 when [from, to)
   * spans more (a fine-grained trace), so a caller never pays more than that scan.
   */
  minRateBetween(from: number, to: number, maxPeriods: number): number {
    const s = this.starts
    const n = s.length
    let base = Math.floor(from / this.duration) * this.duration
    let i = this.periodAt(from - base)
    // The scan would give up after maxPeriods periods: when their end is already before `to` (a packet trace's
    // millisecond periods), say so without walking them.
    if (i + maxPeriods < n && base + s[i + maxPeriods]! < to) return -1
    let min = this.rates[i]!
    for (let seen = 1; ; seen++) {
      const end = base + (i + 1 < n ? s[i + 1]! : this.duration)
      if (end >= to) return min
      if (seen >= maxPeriods) return -1
      if (++i === n) {
        i = 0
        base += this.duration
      }
      if (this.rates[i]! < min) min = this.rates[i]!
    }
  }

  /** The trace's own request latency at time t, seconds, or undefined when it has none. */
  latencyAt(t: number): number | undefined {
    if (!this.latencies) return undefined
    const local = t - Math.floor(t / this.duration) * this.duration
    return this.latencies[this.periodAt(local)]
  }

  /** Mean throughput over one loop, bits/s. */
  get meanThroughput(): number {
    return (this.bytesPerLoop * 8) / this.duration
  }

  /** Fraction of one loop's time during which throughput is below `bps`. */
  fractionBelow(bps: number): number {
    let below = 0
    const n = this.starts.length
    for (let i = 0; i < n; i++) {
      if (this.rates[i]! * 8 < bps) below += (i + 1 < n ? this.starts[i + 1]! : this.duration) - this.starts[i]!
    }
    return below / this.duration
  }
}

/**
 * Every format and generator ends here, so this is where values no network
 * has (non-finite, negative, above MAX_*) are refused, naming the period, before
 * they become Infinity or NaN in a report.
 */
function checkTraceValues(name: string, starts: Float64Array, rates: Float64Array, duration: number, latencies: Float64Array | null): void {
  const bad = (msg: string) => new OclabError(ErrorCodes.BAD_TRACE, `${name}: ${msg}`)
  if (!Number.isFinite(duration) || duration > MAX_TRACE_SECONDS) {
    throw bad(`the trace lasts ${duration} s, more than the ${MAX_TRACE_SECONDS} s (7 days) a trace may last`)
  }
  for (let i = 0; i < starts.length; i++) {
    const at = `the period starting at ${starts[i]} s`
    const bps = rates[i]! * 8
    if (!(bps >= 0 && bps <= MAX_BITS_PER_SECOND))
      throw bad(`${at} has throughput ${Number.isFinite(bps) ? formatBitRate(bps) : `${bps} bit/s`} (must be 0 to ${formatBitRate(MAX_BITS_PER_SECOND)})`)
    if (i > 0 && !(starts[i]! > starts[i - 1]!)) throw bad(`${at} does not start after the previous period (${starts[i - 1]} s)`)
    const lat = latencies?.[i]
    if (lat !== undefined && (!Number.isFinite(lat) || lat < 0 || lat > MAX_LATENCY_SECONDS)) {
      throw bad(`${at} has latency ${lat} s (must be 0 to ${MAX_LATENCY_SECONDS} s)`)
    }
  }
}

/** A named group of traces swept together (one folder, one generator). */
export interface TraceSet {
  name: string
  traces: Trace[]
}

/** Build a trace from consecutive (duration s, bits/s[, latency s]) periods, merging equal neighbours. */
export function traceFromPeriods(name: string, durations: ArrayLike<number>, bps: ArrayLike<number>, latencies?: ArrayLike<number>): Trace {
  const starts: number[] = []
  const rates: number[] = []
  const lats: number[] = []
  let t = 0
  for (let i = 0; i < durations.length; i++) {
    const rate = bps[i]! / 8
    const lat = latencies ? latencies[i]! : 0
    if (durations[i]! <= 0) continue
    if (rates.length > 0 && rates[rates.length - 1] === rate && lats[lats.length - 1] === lat) {
      t += durations[i]!
      continue
    }
    starts.push(t)
    rates.push(rate)
    lats.push(lat)
    t += durations[i]!
  }
  if (starts.length === 0) throw new OclabError(ErrorCodes.BAD_TRACE, `${name}: the trace is empty`)
  return new Trace(name, Float64Array.from(starts), Float64Array.from(rates), t, latencies ? Float64Array.from(lats) : null)
}
