import type { DownloadProgress } from './types.js'

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
