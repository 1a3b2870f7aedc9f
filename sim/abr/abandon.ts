import { highestRungAtMost, type DownloadProgress } from './types.js'
import { rungForThroughput } from './estimators.js'

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
 * dash.js AbandonRequestsRule (v4.7): per progress event after the first
 * byte, record bytesLoaded / time since the first byte; with at least
 * minLengthToAverage records, more than graceTimeThreshold since the first
 * byte, and a buffer not above stableBufferTime, estimate the whole download
 * from their mean; when that exceeds abandonMultiplier × the segment
 * duration, refetch at the rung the mean × bandwidthSafetyFactor fits (no
 * latency correction, as dash.js calls getQualityForBitrate without it) if
 * what remains of this segment is larger than that rung's whole segment.
 * One abandonment per segment, never from the lowest rung.
 */
export class DashAbandonRule {
  private readonly rates: number[] = []
  private segment = -1
  private rung = -1
  private done = false

  constructor(private readonly bitrates: Float64Array, private readonly o: ProjectionAbandonParams & { minLengthToAverage: number; stableBufferTime: number }) {}

  check(p: DownloadProgress): number {
    if (p.segmentIndex !== this.segment || p.rung !== this.rung) {
      this.segment = p.segmentIndex
      this.rung = p.rung
      this.rates.length = 0
      this.done = false
    }
    if (this.done || p.bufferLevel > this.o.stableBufferTime || p.ttfb < 0) return -1
    const sinceFirstByte = p.elapsed - p.ttfb
    if (p.loadedBytes > 0 && sinceFirstByte > 0) this.rates.push((p.loadedBytes * 8) / sinceFirstByte)
    if (this.rates.length < this.o.minLengthToAverage || !(sinceFirstByte > this.o.abandonGrace) || p.loadedBytes >= p.totalBytes) return -1
    let sum = 0
    for (const r of this.rates) sum += r
    const measured = sum / this.rates.length
    if ((p.totalBytes * 8) / measured < p.segmentDuration * this.o.abandonMultiplier || p.rung === 0) return -1
    const q = highestRungAtMost(this.bitrates, measured * this.o.safetyFactor)
    if (q >= p.rung) return -1
    if (p.totalBytes - p.loadedBytes > (p.totalBytes * this.bitrates[q]!) / this.bitrates[p.rung]!) {
      this.done = true
      return q
    }
    return -1
  }
}
