/**
 * Which companion segments (audio, subtitles) a player fetches with each
 * video segment. Companions are cut on their own grid (audio at the target
 * duration, video at shots in shot-based titles), so they are matched by time,
 * not index: each goes with the video segment during which it starts, so it
 * is in by the time that segment plays; the last video segment of the title
 * takes whatever starts after it. Pure.
 */

export interface TimedSegment {
  start: number
  bytes: number
}

/**
 * For each video segment (given by its end time, ascending), the indexes of
 * the companion segments fetched with it.
 */
export function companionsByPeriod(videoEnds: ArrayLike<number>, companions: readonly TimedSegment[]): number[][] {
  const n = videoEnds.length
  const out: number[][] = Array.from({ length: n }, () => [])
  let period = 0
  for (const [k, seg] of companions.entries()) {
    // 1 µs of slack: starts and ends are sums of rational durations written as decimals
    while (period < n - 1 && seg.start >= videoEnds[period]! - 1e-6) period++
    out[period]!.push(k)
  }
  return out
}

/** The bytes of each video segment's companions, summed over every companion track. */
export function companionBytes(videoEnds: ArrayLike<number>, tracks: ReadonlyArray<readonly TimedSegment[]>): Float64Array {
  const bytes = new Float64Array(videoEnds.length)
  for (const segments of tracks) {
    for (const [period, ks] of companionsByPeriod(videoEnds, segments).entries()) for (const k of ks) bytes[period]! += segments[k]!.bytes
  }
  return bytes
}
