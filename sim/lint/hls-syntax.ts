/**
 * The HLS playlist grammar, line by line (RFC 8216 §4.1), keeping line
 * numbers: m3u8-parser drops them and silently skips what it cannot read,
 * which is exactly what a linter must report. Attribute lists (§4.2) are
 * read by lib/media/hls-attributes.ts, which steering shares.
 */

export interface PlaylistLine {
  /** 1-based */
  line: number
  kind: 'tag' | 'uri' | 'comment' | 'blank'
  /** tag name without the '#', e.g. EXT-X-STREAM-INF */
  name: string
  /** text after the tag's ':' (tags), or the URI / comment text */
  value: string
  hasValue: boolean
}

export function playlistLines(text: string): PlaylistLine[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  if (lines.length && lines[lines.length - 1] === '') lines.pop()
  return lines.map((raw, i) => {
    const line = i + 1
    const s = raw.trim()
    if (s === '') return { line, kind: 'blank', name: '', value: '', hasValue: false }
    if (s.startsWith('#EXT')) {
      const colon = s.indexOf(':')
      return colon < 0
        ? { line, kind: 'tag', name: s.slice(1), value: '', hasValue: false }
        : { line, kind: 'tag', name: s.slice(1, colon), value: s.slice(colon + 1), hasValue: true }
    }
    if (s.startsWith('#')) return { line, kind: 'comment', name: '', value: s.slice(1), hasValue: false }
    return { line, kind: 'uri', name: '', value: s, hasValue: true }
  })
}
