/**
 * Segment bit rates as RFC 8216 defines them, pure maths over {bytes,
 * duration}: the encoder declares BANDWIDTH with these and `oclab lint
 * --deep` measures with the same functions, so the two cannot disagree.
 */
export interface SizedSegment {
  bytes: number
  duration: number
}

/**
 * RFC 8216 §4.1 (the peak §4.3.4.2's BANDWIDTH must cover): "the largest bit
 * rate of any contiguous set of segments whose total duration is between 0.5
 * and 1.5 times the target duration", a set's rate being its bytes over its
 * duration. Every segment counts, the short last one too (alone when it is at
 * least half the target, else together with its neighbour).
 * Falls back to the largest single segment when no set qualifies.
 */
export function peakSegmentBitrate(segs: readonly SizedSegment[], targetDuration: number): number {
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

export function averageBitrate(segs: readonly SizedSegment[]): number {
  const dur = segs.reduce((a, s) => a + s.duration, 0)
  return dur > 0 ? (segs.reduce((a, s) => a + s.bytes, 0) * 8) / dur : 0
}
