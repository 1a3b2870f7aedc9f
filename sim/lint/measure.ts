/** Bitrates measured from segment sizes: pure maths over {bytes, duration}. */
export interface SizedSegment {
  bytes: number
  duration: number
}

/**
 * RFC 8216 §4.3.4.2: "the largest bit rate of any contiguous set of segments
 * whose total duration is between 0.5 and 1.5 times the target duration".
 * Falls back to the largest single segment when no set qualifies.
 */
export function peakSegmentBitrate(segs: SizedSegment[], targetDuration: number): number {
  let peak = 0
  for (let i = 0; i < segs.length; i++) {
    let bytes = 0
    let dur = 0
    for (let j = i; j < segs.length; j++) {
      bytes += segs[j]!.bytes
      dur += segs[j]!.duration
      if (dur > 1.5 * targetDuration) break
      if (dur >= 0.5 * targetDuration) peak = Math.max(peak, (bytes * 8) / dur)
    }
  }
  if (peak > 0) return peak
  return Math.max(0, ...segs.filter((s) => s.duration > 0).map((s) => (s.bytes * 8) / s.duration))
}

export function averageBitrate(segs: SizedSegment[]): number {
  const dur = segs.reduce((a, s) => a + s.duration, 0)
  return dur > 0 ? (segs.reduce((a, s) => a + s.bytes, 0) * 8) / dur : 0
}

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
export function bandwidthBucketViolation(segs: SizedSegment[], bandwidth: number, minBufferTime: number): { from: number; to: number; excessBits: number } | null {
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
