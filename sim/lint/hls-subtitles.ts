import { MPEGTS_HZ, readWebVttTimings } from '../../lib/media/webvtt.js'
import type { Findings } from './findings.js'
import type { MediaPlaylist } from './hls-media.js'
import { readTexts } from './read-media.js'

/**
 * Subtitle media playlists (RFC 8216 §3.5, §4.3.4.1 TYPE=SUBTITLES): their
 * segments are WebVTT files. Shallow: the segment names say so. Deep: each
 * segment starts with a WebVTT header, carries a well-formed
 * X-TIMESTAMP-MAP, and its cues parse and show within the segment's time
 * window (a cue spanning a boundary is repeated in each segment it
 * overlaps, so a cue must overlap the window, not lie inside it).
 */
export interface SubtitleOptions {
  /** seconds a cue may lie outside its segment's window and still count as near it (default CUE_WINDOW_TOLERANCE_S) */
  cueTolerance?: number
  maxInputBytes: number
}

/** Half a second: well under a segment, well over rounding in EXTINF and cue timestamps. */
export const CUE_WINDOW_TOLERANCE_S = 0.5

const WEBVTT_EXT = /\.(vtt|webvtt)$/i
const OTHER_MEDIA_EXT = /\.(ts|m4s|mp4|m4v|m4a|aac|cmfv|cmfa)$/i

export const isWebVttUri = (uri: string): boolean => WEBVTT_EXT.test(uri.split('?')[0]!)

/** A playlist of WebVTT segments (by name), so a subtitle playlist linted on its own is read as one. */
export const looksLikeSubtitles = (m: MediaPlaylist): boolean => m.segments.length > 0 && m.segments.every((s) => isWebVttUri(s.uri))

export function checkSubtitlePlaylist(m: MediaPlaylist, f: Findings): void {
  const other = m.segments.find((s) => OTHER_MEDIA_EXT.test(s.uri.split('?')[0]!))
  if (other)
    f.error(
      'HLS_SUBTITLES_NOT_WEBVTT',
      { file: m.file, line: other.line },
      `segment ${other.uri} of a SUBTITLES rendition is not a WebVTT file: subtitle segments are WebVTT (RFC 8216 §3.5, §4.3.4.1)`,
    )
}

/**
 * --deep: read every segment as WebVTT. The media timeline is taken to start
 * at 0 in the MPEG-2 clock (our CMAF packages' first tfdt is 0, and hls.js
 * maps MPEGTS against the first video PTS), so a cue at local time c shows at
 * c − LOCAL + MPEGTS / 90000 seconds.
 */
export async function deepSubtitles(url: URL, m: MediaPlaylist, f: Findings, o: SubtitleOptions): Promise<void> {
  const tolerance = o.cueTolerance ?? CUE_WINDOW_TOLERANCE_S
  let start = 0
  const windows = m.segments.map((s) => {
    const w = { from: start, to: start + s.duration }
    start += s.duration
    return w
  })
  const texts = await readTexts(
    m.segments.map((s) => new URL(s.uri, url)),
    o.maxInputBytes,
  )
  let outside = 0
  let firstOutside: { i: number; message: string } | undefined
  for (const [i, text] of texts.entries()) {
    const seg = m.segments[i]!
    const where = { file: m.file, line: seg.line }
    if (text instanceof Error) {
      f.error('HLS_SEGMENT_UNREADABLE', where, `${text.message} (RFC 8216 §3)`)
      continue
    }
    const vtt = readWebVttTimings(text)
    if (vtt.headerProblem) {
      f.error('HLS_WEBVTT_INVALID', where, `segment ${seg.uri}: ${vtt.headerProblem}; subtitle segments are WebVTT (RFC 8216 §3.5)`)
      continue
    }
    for (const p of vtt.problems) f.error('HLS_WEBVTT_INVALID', where, `segment ${seg.uri} line ${p.line}: ${p.message}`)
    if (vtt.timestampMap === null)
      f.warning(
        'HLS_WEBVTT_TIMESTAMP_MAP',
        where,
        `segment ${seg.uri} has no X-TIMESTAMP-MAP: players cannot place its cues on the media timeline (RFC 8216 §3.5)`,
      )
    else if (typeof vtt.timestampMap === 'string') f.error('HLS_WEBVTT_TIMESTAMP_MAP', where, `segment ${seg.uri}: ${vtt.timestampMap}`)
    const map = typeof vtt.timestampMap === 'object' && vtt.timestampMap ? vtt.timestampMap : { mpegts: 0, local: 0 }
    const shift = map.mpegts / MPEGTS_HZ - map.local
    const w = windows[i]!
    for (const c of vtt.cues) {
      const from = c.start + shift
      const to = c.end + shift
      if (to >= w.from - tolerance && from <= w.to + tolerance) continue
      outside++
      firstOutside ??= {
        i,
        message: `segment ${seg.uri} (${w.from.toFixed(3)}–${w.to.toFixed(3)} s) has a cue (line ${c.line}) at ${from.toFixed(3)}–${to.toFixed(3)} s on the media timeline, outside its window: players show it at the wrong time or never (RFC 8216 §3.5)`,
      }
    }
  }
  if (firstOutside)
    f.warning(
      'HLS_WEBVTT_CUE_OUTSIDE_SEGMENT',
      { file: m.file, line: m.segments[firstOutside.i]!.line },
      `${firstOutside.message}${outside > 1 ? ` (${outside} cues are)` : ''}`,
    )
}
