/** Bitrates measured from segment sizes: pure maths over {bytes, duration}. */
import type { SizedSegment } from '../../lib/segment-bitrate.js'

// The encoder declares what lint measures: both use one definition (lib/segment-bitrate.ts).
export { averageBitrate, peakSegmentBitrate, type SizedSegment } from '../../lib/segment-bitrate.js'

/**
 * ISO/IEC 23009-1 §5.3.5.2: delivered at @bandwidth from any segment start, a
 * client that waited @minBufferTime has every segment by the end of its
 * playout. Data through segment i from start j must satisfy
 * bits(j..i) ≤ bandwidth × (minBufferTime + duration(j..i)), i.e. the largest
 * sum of (bits − bandwidth × duration) over any run of segments must not pass
 * bandwidth × minBufferTime (Kadane's maximum subarray). Returns the run that
 * breaks it by the most, or null. Lenient by a segment's duration (data
 * needed by a segment's end, not its start), so it never flags a good stream.
 */
export function bandwidthBucketViolation(
  segs: SizedSegment[],
  bandwidth: number,
  minBufferTime: number,
): { from: number; to: number; excessBits: number } | null {
  let best = { sum: -Infinity, from: 0, to: 0 }
  let run = { sum: 0, from: 0 }
  segs.forEach((s, i) => {
    const v = s.bytes * 8 - bandwidth * s.duration
    if (run.sum <= 0) run = { sum: v, from: i }
    else run.sum += v
    if (run.sum > best.sum) best = { sum: run.sum, from: run.from, to: i }
  })
  const excess = best.sum - bandwidth * minBufferTime
  return excess > 0 ? { from: best.from, to: best.to, excessBits: excess } : null
}
