/**
 * The little of WebVTT the linter reads (W3C WebVTT §4.1 file structure,
 * §4.2 timestamps; RFC 8216 §3.5 X-TIMESTAMP-MAP): the header, the
 * timestamp map in the header block, and each cue's start and end. Cue text
 * and settings are not parsed. Pure: text in, timings and problems out.
 *
 * lib/media/webvtt.ts (another branch) parses WebVTT and SRT into cues; this
 * reader should be folded onto it once both are on main.
 */
export interface WebVttTimings {
  /** why the file does not start with a WebVTT header, or undefined */
  headerProblem?: string
  /** X-TIMESTAMP-MAP from the header block: null when absent, a string when malformed */
  timestampMap: { mpegts: number; local: number } | string | null
  cues: Array<{ start: number; end: number; line: number }>
  problems: Array<{ line: number; message: string }>
}

/** `[hh:]mm:ss.ttt` (WebVTT §4.2: hours two or more digits, minutes and seconds 00–59, milliseconds three digits), seconds; null if malformed. */
export function parseVttTimestamp(s: string): number | null {
  const m = /^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/.exec(s)
  if (!m) return null
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000
}

/** RFC 8216 §3.5: `MPEGTS:<90 kHz ticks>,LOCAL:<WebVTT timestamp>`, in either order. */
function parseTimestampMap(value: string): { mpegts: number; local: number } | string {
  const parts = new Map(
    value.split(',').map((p) => {
      const at = p.indexOf(':')
      return [p.slice(0, at).trim(), p.slice(at + 1).trim()] as const
    }),
  )
  const mpegts = parts.get('MPEGTS')
  const local = parseVttTimestamp(parts.get('LOCAL') ?? '')
  if (mpegts === undefined || !/^\d+$/.test(mpegts)) return `X-TIMESTAMP-MAP=${value} has no MPEGTS:<integer> (RFC 8216 §3.5)`
  if (local === null) return `X-TIMESTAMP-MAP=${value} has no LOCAL:<WebVTT timestamp> (RFC 8216 §3.5)`
  return { mpegts: Number(mpegts), local }
}

export function readWebVttTimings(text: string): WebVttTimings {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
  const out: WebVttTimings = { timestampMap: null, cues: [], problems: [] }
  if (!/^WEBVTT(?:[ \t].*)?$/.test(lines[0] ?? '')) {
    out.headerProblem = `the first line is "${(lines[0] ?? '').slice(0, 40)}", not "WEBVTT" (W3C WebVTT §4.1)`
    return out
  }
  let i = 1
  for (; i < lines.length && lines[i] !== ''; i++) {
    const l = lines[i]!
    if (l.includes('-->')) break // a cue right after the header (no blank line): not a header line
    if (l.startsWith('X-TIMESTAMP-MAP=')) out.timestampMap = parseTimestampMap(l.slice('X-TIMESTAMP-MAP='.length))
  }
  let lastStart = 0
  for (; i < lines.length; i++) {
    const l = lines[i]!
    if (!l.includes('-->')) continue
    const m = /^(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t].*)?$/.exec(l)
    const start = m ? parseVttTimestamp(m[1]!) : null
    const end = m ? parseVttTimestamp(m[2]!) : null
    if (start === null || end === null) {
      out.problems.push({
        line: i + 1,
        message: `"${l.slice(0, 60)}" is not a cue timing line "start --> end" with [hh:]mm:ss.ttt timestamps (W3C WebVTT §4.2)`,
      })
      continue
    }
    if (end <= start) out.problems.push({ line: i + 1, message: `the cue ends (${m![2]}) at or before it starts (${m![1]}) (W3C WebVTT §4.1)` })
    else if (start < lastStart)
      out.problems.push({ line: i + 1, message: `the cue starts (${m![1]}) before the one before it (W3C WebVTT §4.1: cues in start order)` })
    lastStart = Math.max(lastStart, start)
    out.cues.push({ start, end, line: i + 1 })
    // a cue's text runs to the next blank line; a "-->" inside it is text, not a new cue (WebVTT §4.1)
    while (i + 1 < lines.length && lines[i + 1] !== '') i++
  }
  return out
}
