import { rungForThroughput } from './estimators.js'
import { type DownloadProgress, highestRungAtMost } from './types.js'

/**
 * hls.js's emergency down-switch (abr-controller.ts `_abandonRulesCheck`) as a
 * pure function: once half the segment's duration has passed, if finishing
 * the download at its current rate would outlast the buffer, pick the highest
 * lower rung whose whole download fits in min(buffer, duration + TTFB), and
 * abandon only when that refetch would land sooner than finishing. Returns the
 * rung to refetch at, or -1 to carry on.
 *
 * One deliberate difference: hls.js's loop stops above the lowest level, so it
 * never abandons from level 1 to level 0; here level 0 is a candidate too.
 */
export function hlsAbandonRule(p: DownloadProgress, bitrates: Float64Array, ttfbEstimateS: number, bwEstimateBps: number): number {
  if (p.rung <= 0) return -1
  if (p.elapsed <= Math.max(ttfbEstimateS, p.segmentDuration / 2)) return -1
  const starvation = p.bufferLevel
  const loadedFirstByte = p.ttfb >= 0 && p.loadedBytes > 0
  const timeStreaming = loadedFirstByte ? p.elapsed - p.ttfb : p.elapsed
  const loadRate = loadedFirstByte && timeStreaming > 0 ? p.loadedBytes / timeStreaming : 0
  const fragLoadedDelay = loadRate ? (p.totalBytes - p.loadedBytes) / loadRate : (p.totalBytes * 8) / bwEstimateBps + ttfbEstimateS
  if (fragLoadedDelay <= starvation) return -1
  const bwe = loadRate ? loadRate * 8 : bwEstimateBps
  let next = p.rung - 1
  let nextDelay = Infinity
  for (; next >= 0; next--) {
    nextDelay = ttfbEstimateS + (p.segmentDuration * bitrates[next]!) / bwe
    if (nextDelay < Math.min(starvation, p.segmentDuration + ttfbEstimateS) || next === 0) break
  }
  if (nextDelay >= fragLoadedDelay) return -1
  // hls.js: an estimated refetch time that is "completely unreasonable" is ignored.
  if (nextDelay > p.segmentDuration * 10) return -1
  return next
}

/** Parameters of the throughput-projection abandonment of dash.js (AbandonRequestsRule) and Sabre (ThroughputRule.check_abandon). */
export interface ProjectionAbandonParams {
  /** Abandon when the download is projected to take longer than this × the segment duration (dash.js abandonMultiplier 1.8; Sabre abandon_multiplier 1.8). */
  abandonMultiplier: number
  /** Seconds before any abandonment (dash.js graceTimeThreshold 500 ms after the first byte; Sabre abandon_grace_time 500 ms after the request). */
  abandonGrace: number
  /** Share of the measured rate a refetch may use (dash.js bandwidthSafetyFactor 0.9; Sabre safety_factor 0.9). */
  safetyFactor: number
}

/**
 * Sabre's throughput abandonment (ThroughputRule.check_abandon), as a pure
 * function: from 500 ms after the request, measure the rate since the first
 * byte; if finishing at that rate ends later than 1.8 segment durations after
 * the request, refetch at the rung the rate × 0.9 sustains (latency taken out
 * as in rungForThroughput) when that rung is lower and its whole segment is
 * smaller than what is left of this one.
 */
export function sabreAbandonRule(p: DownloadProgress, bitrates: Float64Array, latencyEstimateS: number, o: ProjectionAbandonParams): number {
  if (p.ttfb < 0 || p.loadedBytes <= 0 || p.elapsed < o.abandonGrace) return -1
  const transfer = p.elapsed - p.ttfb
  if (!(transfer > 0)) return -1
  const rate = p.loadedBytes / transfer
  const left = p.totalBytes - p.loadedBytes
  if (!(p.elapsed + left / rate > o.abandonMultiplier * p.segmentDuration)) return -1
  const q = rungForThroughput(bitrates, rate * 8 * o.safetyFactor, latencyEstimateS, p.segmentDuration)
  if (q >= p.rung || (p.totalBytes * bitrates[q]!) / bitrates[p.rung]! >= left) return -1
  return q
}

/**
 * dash.js 5.2.1 AbandonRequestsRule (src/streaming/rules/abr/AbandonRequestsRule.js). Each
 * progress event of a request adds a trace; the first spans the request's latency, so
 * the rate is the bytes of the later traces over their time, (loaded − loaded at the
 * first event) / (now − first event), floored at 1 ms and rounded to whole kbit/s as
 * dash.js does. With at least minThroughputSamplesThreshold traces, more than
 * minSegmentDownloadTimeThresholdInMs since the first byte, the download unfinished and
 * the buffer not above bufferTimeDefault: when the whole segment at that rate
 * (rounded to 10 ms, dash.js's toFixed(2)) would take at least abandonDurationMultiplier
 * × its duration, refetch at the highest rung whose bitrate is at most the rate (the
 * lowest when none is; no safety factor: getOptimalRepresentationForBitrate) if what
 * remains of this segment is larger than that rung's whole segment. One abandonment
 * per segment, never from the lowest rung.
 *
 * Here a progress event is an engine check that finds bytes in (every 100 ms by default).
 * dash.js 4.7 averaged per-event rates since the first byte instead; 5.2.1's aggregate
 * no longer lets the slow first event (latency and TCP start) drag the estimate down.
 */
export class DashAbandonRule {
  private segment = -1
  private rung = -1
  private done = false
  /** progress events of this request so far */
  private traces = 0
  /** time and bytes at the first progress event */
  private firstAt = 0
  private firstBytes = 0

  constructor(
    private readonly bitrates: Float64Array,
    private readonly o: ProjectionAbandonParams & { minLengthToAverage: number; stableBufferTime: number },
  ) {}

  check(p: DownloadProgress): number {
    if (p.segmentIndex !== this.segment || p.rung !== this.rung) {
      this.segment = p.segmentIndex
      this.rung = p.rung
      this.traces = 0
      this.done = false
    }
    if (p.loadedBytes > 0) {
      if (this.traces++ === 0) {
        this.firstAt = p.elapsed
        this.firstBytes = p.loadedBytes
      }
    }
    if (this.done || p.ttfb < 0 || p.bufferLevel > this.o.stableBufferTime) return -1
    if (this.traces < this.o.minLengthToAverage || !(p.elapsed - p.ttfb > this.o.abandonGrace) || p.loadedBytes >= p.totalBytes) return -1
    const ms = Math.max((p.elapsed - this.firstAt) * 1000, 1)
    const kbit = Math.round((8 * (p.loadedBytes - this.firstBytes)) / ms)
    const estimate = Math.round((p.totalBytes * 8) / kbit / 10) / 100
    if (estimate < p.segmentDuration * this.o.abandonMultiplier || p.rung === 0) return -1
    const q = highestRungAtMost(this.bitrates, kbit * 1000)
    if (q < p.rung && p.totalBytes - p.loadedBytes > (p.totalBytes * this.bitrates[q]!) / this.bitrates[p.rung]!) {
      this.done = true
      return q
    }
    return -1
  }
}

/**
 * Skipping checks must never change a result, so every bound below is a true
 * lower bound in exact arithmetic, pulled earlier by this much (relative, and
 * at least 1 µs) against rounding: the engine then still runs the check just
 * before the bound, as the plain per-check loop would.
 */
const QUIET_MARGIN = 1e-9
/** `elapsed + delta`, pulled earlier by the margin. */
export const quietAt = (elapsed: number, delta: number): number => elapsed + Math.max(0, delta - 1e-6 - QUIET_MARGIN * (elapsed + delta))

/**
 * The first Δ ≥ 0 at which g(Δ) = g0 + g1·Δ may be positive (Infinity: never).
 * Within tolerance of zero at Δ = 0 counts as positive (no skip on a knife edge).
 */
export function firstPositiveLinear(g0: number, g1: number, scale: number): number {
  if (g0 > -QUIET_MARGIN * scale) return 0
  return g1 > 0 ? -g0 / g1 : Infinity
}

/**
 * The first Δ ≥ 0 at which h(Δ) = −c·Δ² + b·Δ + k (c ≥ 0) may be positive
 * (Infinity: never). h is concave, so from h(0) < 0 it turns positive at its
 * smaller root, if it has one; the discriminant is inflated so that a root
 * lost to rounding is found, and the stable root formula is used.
 */
export function firstPositiveConcave(c: number, b: number, k: number, scale: number): number {
  if (k > -QUIET_MARGIN * scale) return 0
  if (b <= 0) return Infinity
  if (c === 0) return -k / b
  const disc = b * b + 4 * c * k + QUIET_MARGIN * (b * b + 4 * c * -k)
  if (disc < 0) return Infinity
  return (-2 * k) / (b + Math.sqrt(disc))
}

/**
 * A lower bound on the elapsed time at which hlsAbandonRule can next return a
 * rung, for the engine to skip the checks before it. The rule needs bytes in
 * and fragLoadedDelay = (T − L)·u / L above the buffer B (u: time since the
 * first byte). Over the next Δ seconds B ≥ B₀ − Δ; for Δ ≤ `window` bytes
 * arrive at least at `rate` (0: nothing is known), later at ≥ 0 per second.
 * The condition (T − L)·u − B·L > 0 only weakens as L grows, and with
 * L = L₀ + rate·Δ it is linear in Δ: g₀ + Δ·(T − rate·(u₀ + B₀)), with
 * g₀ = (T − L₀)·u₀ − B₀·L₀. Before any byte it answers now (the rule then
 * uses the estimate instead).
 */
export function hlsAbandonQuietUntil(p: DownloadProgress, rate = 0, window = 0): number {
  if (p.ttfb < 0 || p.loadedBytes <= 0) return p.elapsed
  const T = p.totalBytes
  const u0 = p.elapsed - p.ttfb
  const B0 = p.bufferLevel
  const scale = T * (u0 + Math.abs(B0) + 1)
  const L0 = p.loadedBytes
  if (window > 0 && rate > 0) {
    const d = firstPositiveLinear((T - L0) * u0 - B0 * L0, T - rate * (u0 + B0), scale)
    if (d <= window) return quietAt(p.elapsed, d)
    const Lw = L0 + rate * window
    const uw = u0 + window
    const Bw = B0 - window
    return quietAt(p.elapsed, window + firstPositiveLinear((T - Lw) * uw - Bw * Lw, T, scale))
  }
  return quietAt(p.elapsed, firstPositiveLinear((T - L0) * u0 - B0 * L0, T, scale))
}

/**
 * The same for sabreAbandonRule: its projected finish exceeds M·D exactly when
 * u·T > L·(M·D − ttfb) (u: time since the first byte), which weakens as L
 * grows and is linear in Δ with L = L₀ + rate·Δ (a lower bound for Δ ≤
 * `window`), and L ≥ L at the window's end after it.
 * It also waits for the grace time.
 */
export function sabreAbandonQuietUntil(p: DownloadProgress, o: ProjectionAbandonParams, rate = 0, window = 0): number {
  if (p.ttfb < 0) return p.elapsed
  const K = o.abandonMultiplier * p.segmentDuration - p.ttfb
  if (!(K > 0)) return p.elapsed
  const T = p.totalBytes
  const u0 = p.elapsed - p.ttfb
  const L0 = p.loadedBytes
  const scale = T * (u0 + 1) + L0 * K
  let d: number
  if (window > 0 && rate > 0) {
    d = firstPositiveLinear(u0 * T - L0 * K, T - rate * K, scale)
    if (d > window) d = window + firstPositiveLinear((u0 + window) * T - (L0 + rate * window) * K, T, scale)
  } else {
    d = firstPositiveLinear(u0 * T - L0 * K, T, scale)
  }
  return Math.max(quietAt(p.elapsed, d), o.abandonGrace)
}
