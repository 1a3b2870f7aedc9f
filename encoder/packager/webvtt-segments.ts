import { type Cue, MPEGTS_HZ, writeWebVtt } from '../../lib/media/webvtt.js'

/**
 * Segmented WebVTT for HLS (RFC 8216 §3.5): one WebVTT file per video
 * segment, on the same grid, so a player fetches the subtitles of the time
 * it is about to play. Pure: cues and the grid in, texts out.
 */

export interface TextSegmentText {
  /** the segment's WebVTT file */
  text: string
  /** cues that show during the segment (a cue spanning a boundary counts in each) */
  cues: number
}

/**
 * The X-TIMESTAMP-MAP header line: cue time LOCAL 0 is media time
 * `mediaZero` (seconds), which the player's video timeline shows at its own
 * zero. hls.js offsets every cue by (MPEGTS − its initPTS)/90 kHz, its
 * initPTS being the first video sample's time; so MPEGTS must be the video's
 * start in 90 kHz ticks for a cue to show at the time the .vtt says.
 */
export const timestampMap = (mediaZero: number): string => `X-TIMESTAMP-MAP=MPEGTS:${Math.round(mediaZero * MPEGTS_HZ)},LOCAL:00:00:00.000`

/**
 * One WebVTT file per segment of `grid` (the video's segments: start and
 * duration, seconds). A cue goes into every segment it overlaps, with its
 * own times unchanged: players drop the repeats (hls.js keys cues by time
 * and text), and a player that starts mid-cue still shows it.
 */
export function segmentCues(cues: readonly Cue[], grid: readonly { start: number; duration: number }[], mediaZero: number): TextSegmentText[] {
  const header = [timestampMap(mediaZero)]
  return grid.map((g) => {
    const end = g.start + g.duration
    const inside = cues.filter((c) => c.start < end && c.end > g.start)
    return { text: writeWebVtt(inside, header), cues: inside.length }
  })
}
