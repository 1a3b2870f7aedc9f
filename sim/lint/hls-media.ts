import type { Findings } from './findings.js'
import { attr, type Playlist } from './hls-playlist.js'

export interface ByteRange {
  offset: number
  length: number
}

export interface MediaSegment {
  uri: string
  duration: number
  /** line of the EXTINF tag */
  line: number
  byterange?: ByteRange
}

export interface MediaPlaylist {
  file: string
  targetDuration: number | null
  segments: MediaSegment[]
  map?: { uri: string; line: number; byterange?: ByteRange }
  endlist: boolean
  playlistType?: string
  iframesOnly: boolean
  independent: { line: number } | null
  version: number
}

const FMP4_EXT = /\.(m4s|mp4|m4v|m4a|cmfv|cmfa|cmft)$/i

/** `n[@o]` (RFC 8216 §4.3.2.2); the offset defaults to just after the previous sub-range of the same resource. */
function parseByteRange(text: string, prev: { uri: string; end: number } | null, uri: string): ByteRange | string {
  const m = /^(\d+)(?:@(\d+))?$/.exec(text)
  if (!m) return `"${text}" is not n[@o]`
  if (m[2] === undefined && (!prev || prev.uri !== uri)) return `"${text}" has no @offset and the previous segment is not a sub-range of the same resource`
  return { length: Number(m[1]), offset: m[2] !== undefined ? Number(m[2]) : prev!.end }
}

/** Media playlist checks (RFC 8216 §4.3.2, §4.3.3, §6.2.1; Apple HLS authoring spec for fMP4). */
export function checkMediaPlaylist(p: Playlist, f: Findings): MediaPlaylist {
  const file = p.file
  const out: MediaPlaylist = { file, targetDuration: null, segments: [], endlist: false, iframesOnly: false, independent: null, version: p.version }
  let tdLine = 1
  let pending: { duration: number; line: number } | null = null
  let pendingRange: string | null = null
  let pendingRangeLine = 0
  let prevRange: { uri: string; end: number } | null = null
  for (const it of p.items) {
    const where = { file, line: it.line }
    if (it.uri !== undefined) {
      if (!pending) {
        f.error('HLS_EXTINF_MISSING', where, `segment ${it.uri} has no EXTINF before it; every Media Segment needs one (RFC 8216 §4.3.2.1)`)
        continue
      }
      const seg: MediaSegment = { uri: it.uri, duration: pending.duration, line: pending.line }
      if (pendingRange !== null) {
        const r = parseByteRange(pendingRange, prevRange, it.uri)
        if (typeof r === 'string') f.error('HLS_BAD_ATTRIBUTE_VALUE', { file, line: pendingRangeLine }, `EXT-X-BYTERANGE ${r} (RFC 8216 §4.3.2.2)`)
        else {
          seg.byterange = r
          prevRange = { uri: it.uri, end: r.offset + r.length }
        }
      } else prevRange = null
      out.segments.push(seg)
      pending = null
      pendingRange = null
      continue
    }
    switch (it.name) {
      case 'EXTINF': {
        if (pending) f.error('HLS_SEGMENT_URI_MISSING', { file, line: pending.line }, 'EXTINF is not followed by a segment URI (RFC 8216 §4.3.2.1)')
        const m = /^(\d+(?:\.\d*)?)\s*(?:,|$)/.exec(it.value)
        if (!m) {
          f.error('HLS_BAD_ATTRIBUTE_VALUE', where, `EXTINF "${it.value}" does not start with a decimal duration and a comma (RFC 8216 §4.3.2.1)`)
          pending = { duration: 0, line: it.line }
        } else pending = { duration: Number(m[1]), line: it.line }
        break
      }
      case 'EXT-X-BYTERANGE':
        pendingRange = it.value
        pendingRangeLine = it.line
        break
      case 'EXT-X-TARGETDURATION':
        if (!/^\d+$/.test(it.value))
          f.error('HLS_BAD_ATTRIBUTE_VALUE', where, `EXT-X-TARGETDURATION "${it.value}" is not a decimal-integer (RFC 8216 §4.3.3.1)`)
        else {
          out.targetDuration = Number(it.value)
          tdLine = it.line
        }
        break
      case 'EXT-X-MEDIA-SEQUENCE':
      case 'EXT-X-DISCONTINUITY-SEQUENCE':
        if (out.segments.length || pending) f.error('HLS_TAG_AFTER_SEGMENT', where, `#${it.name} must appear before the first Media Segment (RFC 8216 §4.3.3)`)
        if (!/^\d+$/.test(it.value)) f.error('HLS_BAD_ATTRIBUTE_VALUE', where, `#${it.name} "${it.value}" is not a decimal-integer (RFC 8216 §4.3.3)`)
        break
      case 'EXT-X-ENDLIST':
        out.endlist = true
        break
      case 'EXT-X-PLAYLIST-TYPE':
        if (it.value !== 'VOD' && it.value !== 'EVENT')
          f.error('HLS_BAD_ATTRIBUTE_VALUE', where, `EXT-X-PLAYLIST-TYPE "${it.value}" is neither EVENT nor VOD (RFC 8216 §4.3.3.5)`)
        out.playlistType = it.value
        break
      case 'EXT-X-I-FRAMES-ONLY':
        out.iframesOnly = true
        break
      case 'EXT-X-INDEPENDENT-SEGMENTS':
        out.independent = { line: it.line }
        break
      case 'EXT-X-MAP': {
        const uri = attr(it, 'URI')
        if (uri === undefined) break
        let byterange: ByteRange | undefined
        const br = attr(it, 'BYTERANGE')
        if (br !== undefined) {
          const r = parseByteRange(br, null, '')
          if (typeof r === 'string')
            f.error('HLS_BAD_ATTRIBUTE_VALUE', where, `EXT-X-MAP BYTERANGE ${r}: the map's byte range needs an explicit offset (RFC 8216 §4.3.2.5)`)
          else byterange = r
        }
        // Only the first map is kept: later ones (after a discontinuity) apply to later segments.
        out.map ??= { uri, line: it.line, ...(byterange ? { byterange } : {}) }
        break
      }
    }
  }
  if (pending) f.error('HLS_SEGMENT_URI_MISSING', { file, line: pending.line }, 'EXTINF is not followed by a segment URI (RFC 8216 §4.3.2.1)')
  if (out.targetDuration === null) {
    f.error('HLS_TARGETDURATION_MISSING', { file, line: 1 }, 'no EXT-X-TARGETDURATION; it is REQUIRED in every media playlist (RFC 8216 §4.3.3.1)')
  } else {
    for (const s of out.segments) {
      if (Math.round(s.duration) > out.targetDuration) {
        f.error(
          'HLS_TARGETDURATION_EXCEEDED',
          { file, line: s.line },
          `EXTINF ${s.duration} rounds to ${Math.round(s.duration)} s, above EXT-X-TARGETDURATION ${out.targetDuration} (line ${tdLine}) (RFC 8216 §4.3.3.1)`,
        )
      }
    }
  }
  if (out.segments.length === 0) f.error('HLS_NO_SEGMENTS', { file, line: 1 }, 'the media playlist lists no segments (RFC 8216 §4.3.2)')
  if (out.playlistType === 'VOD' && !out.endlist) {
    f.error(
      'HLS_ENDLIST_MISSING',
      { file, line: p.items.at(-1)?.line ?? 1 },
      'EXT-X-PLAYLIST-TYPE is VOD but there is no EXT-X-ENDLIST: players will treat it as live (RFC 8216 §4.3.3.4, §4.3.3.5)',
    )
  } else if (!out.endlist && out.segments.length) {
    f.info(
      'HLS_LIVE_PLAYLIST',
      { file, line: 1 },
      `no EXT-X-ENDLIST: a live${out.playlistType === 'EVENT' ? ' (EVENT)' : ''} playlist that clients reload (RFC 8216 §6.3.4)`,
    )
  }
  const fmp4 = out.segments.find((s) => FMP4_EXT.test(s.uri.split('?')[0]!))
  if (fmp4 && !out.map) {
    f.error(
      'HLS_MAP_MISSING',
      { file, line: fmp4.line },
      `segment ${fmp4.uri} looks like fragmented MP4 but there is no EXT-X-MAP: fMP4 segments need a Media Initialization Section (RFC 8216 §3.3, §4.3.2.5)`,
    )
  }
  return out
}
