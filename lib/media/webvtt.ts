import { ErrorCodes, OclabError } from '../errors.js'

/**
 * Subtitle files: WebVTT (W3C WebVTT, "WebVTT file structure" and "cue
 * timings") and SRT read into cues, and WebVTT written back. Pure: bytes or
 * text in, cues or text out; the caller reads and writes files.
 *
 * Stricter than a browser on purpose: a browser skips what it cannot parse,
 * while an ingest tool should refuse a file whose cues would silently go
 * missing. Every refusal is an OclabError (OCLAB_ERR_BAD_SUBTITLES) whose
 * message starts `<file>:<line>:` and says what is wrong.
 */

export interface Cue {
  /** WebVTT cue identifier (SRT's cue number is not kept: WebVTT does not need one) */
  id?: string
  /** seconds, millisecond precision */
  start: number
  /** seconds, after `start` */
  end: number
  /** WebVTT cue text (may hold WebVTT tags such as <i>, <b>) */
  text: string
  /** WebVTT cue settings (`line:90% align:center`), '' when none */
  settings: string
  /** 1-based line of the timing line in the file it came from, for messages */
  line: number
}

export interface SubtitleFile {
  format: 'webvtt' | 'srt'
  cues: Cue[]
}

const bad = (file: string, line: number, what: string): OclabError => new OclabError(ErrorCodes.BAD_SUBTITLES, `${file}:${line}: ${what}`)

/**
 * The file's bytes as text: UTF-8 only (WebVTT §"WebVTT file structure": "A
 * WebVTT file must be encoded as UTF-8"; SRT has no declared encoding, so we
 * ask the same). A UTF-8 BOM is dropped; UTF-16/32 BOMs, NUL bytes (UTF-16
 * without a BOM) and invalid UTF-8 are refused with the line they are on.
 */
export function decodeSubtitleBytes(bytes: Uint8Array, file: string): string {
  const b = bytes
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) throw bad(file, 1, 'encoded as UTF-32 LE (byte order mark FF FE 00 00), not UTF-8')
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) throw bad(file, 1, 'encoded as UTF-32 BE (byte order mark 00 00 FE FF), not UTF-8')
  if (b[0] === 0xff && b[1] === 0xfe) throw bad(file, 1, 'encoded as UTF-16 LE (byte order mark FF FE), not UTF-8')
  if (b[0] === 0xfe && b[1] === 0xff) throw bad(file, 1, 'encoded as UTF-16 BE (byte order mark FE FF), not UTF-8')
  const bom = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let line = 1
  let lineStart = bom
  for (let i = bom; i <= b.length; i++) {
    if (i < b.length && b[i] === 0) throw bad(file, line, 'contains NUL bytes: UTF-16 without a byte order mark? WebVTT must be UTF-8')
    if (i === b.length || b[i] === 0x0a) {
      const chunk = b.subarray(lineStart, i)
      try {
        decoder.decode(chunk)
      } catch {
        throw bad(file, line, `not UTF-8 (${describeInvalid(chunk)})`)
      }
      line++
      lineStart = i + 1
    }
  }
  return new TextDecoder('utf-8').decode(b.subarray(bom))
}

/** Where a line's UTF-8 breaks, and the likely 8-bit encoding when every byte ≥ 0x80 stands alone. */
function describeInvalid(chunk: Uint8Array): string {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let col = 0
  for (let n = 1; n <= chunk.length; n++) {
    try {
      decoder.decode(chunk.subarray(0, n))
    } catch {
      // the first prefix that cannot be completed: its last byte is the culprit (or a truncated sequence before it)
      col = n
      break
    }
  }
  const byte = chunk[col - 1] ?? chunk[chunk.length - 1] ?? 0
  const high = [...chunk].filter((x) => x >= 0x80)
  const latin = high.length > 0 && !/[\xc2-\xf4][\x80-\xbf]/.test(String.fromCharCode(...chunk))
  return `invalid byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} at column ${col || chunk.length}${latin ? '; looks like Latin-1 or Windows-1252' : ''}`
}

/** WebVTT timestamp: `(hh+:)?mm:ss.ttt`, minutes and seconds below 60 (W3C WebVTT "collect a WebVTT timestamp"). */
const VTT_TIME = /^(?:(\d{2,}):)?(\d{2}):(\d{2})\.(\d{3})$/
/** SRT timestamp: `hh:mm:ss,mmm` (a '.' is common in the wild and accepted). */
const SRT_TIME = /^(\d{1,}):(\d{2}):(\d{2})[,.](\d{3})$/

/** A matched timestamp's seconds, or null when its minutes or seconds are 60 or more. */
function matchedSeconds(m: RegExpExecArray): number | null {
  const [h, mm, ss, ms] = [Number(m[1] ?? 0), Number(m[2]), Number(m[3]), Number(m[4])]
  if (mm > 59 || ss > 59) return null
  return (((h * 60 + mm) * 60 + ss) * 1000 + ms) / 1000
}

function toSeconds(m: RegExpExecArray, file: string, line: number, raw: string): number {
  const seconds = matchedSeconds(m)
  if (seconds === null) throw bad(file, line, `malformed timestamp "${raw}": minutes and seconds must be below 60`)
  return seconds
}

/** A WebVTT timestamp `[hh:]mm:ss.ttt` in seconds, or null when malformed. */
export function parseVttTimestamp(raw: string): number | null {
  const m = VTT_TIME.exec(raw)
  return m ? matchedSeconds(m) : null
}

/** A cue timing line: `start --> end [settings]`; `srt` takes SRT's timestamps and its X1:… Y2:… coordinates (dropped). */
function parseTiming(text: string, file: string, line: number, srt: boolean): { start: number; end: number; settings: string } {
  const m = /^(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(text.trim())
  if (!m) throw bad(file, line, `malformed cue timing line "${text.trim()}": expected "start --> end"`)
  const re = srt ? SRT_TIME : VTT_TIME
  const want = srt ? 'hh:mm:ss,mmm' : 'hh:mm:ss.mmm or mm:ss.mmm'
  const times = [m[1]!, m[2]!].map((raw) => {
    const t = re.exec(raw)
    if (!t) throw bad(file, line, `malformed timestamp "${raw}": expected ${want}`)
    return toSeconds(t, file, line, raw)
  })
  const [start, end] = times as [number, number]
  if (end <= start) throw bad(file, line, `cue ends (${m[2]}) at or before it starts (${m[1]})`)
  return { start, end, settings: srt ? '' : (m[3] ?? '').trim().replace(/[ \t]+/g, ' ') }
}

/** The first line of a WebVTT file: "WEBVTT" then a space, a tab or the end of the line. */
const WEBVTT_HEADER = /^WEBVTT(?:[ \t].*)?$/

/** Lines with their 1-based numbers, CRLF/CR/LF all ending a line (WebVTT allows each). */
const linesOf = (text: string): string[] => text.split(/\r\n|\r|\n/)

/** Blocks separated by blank lines, each with the line number of its first line. */
function blocks(lines: readonly string[], from: number): Array<{ line: number; lines: string[] }> {
  const out: Array<{ line: number; lines: string[] }> = []
  let cur: { line: number; lines: string[] } | null = null
  for (let i = from; i < lines.length; i++) {
    const l = lines[i]!
    if (l.trim() === '') {
      if (cur) out.push(cur)
      cur = null
    } else {
      cur ??= { line: i + 1, lines: [] }
      cur.lines.push(l)
    }
  }
  if (cur) out.push(cur)
  return out
}

/**
 * Cues in file order must not go back in time nor overlap: a player shows
 * overlapping cues stacked, which for a single-speaker subtitle track is
 * always a timing error in the file.
 */
function checkOrder(cues: readonly Cue[], file: string): void {
  for (let i = 1; i < cues.length; i++) {
    const prev = cues[i - 1]!
    const c = cues[i]!
    if (c.start < prev.end) {
      throw bad(
        file,
        c.line,
        `cue ${formatTimestamp(c.start)} --> ${formatTimestamp(c.end)} overlaps the cue at line ${prev.line} (${formatTimestamp(prev.start)} --> ${formatTimestamp(prev.end)})`,
      )
    }
  }
}

/** A WebVTT file's cues (NOTE, STYLE and REGION blocks are skipped). */
export function parseWebVtt(text: string, file: string): Cue[] {
  const lines = linesOf(text)
  if (lines.every((l) => l.trim() === '')) throw bad(file, 1, 'empty file')
  // "WEBVTT" then a space, a tab or the end of the line
  if (!WEBVTT_HEADER.test(lines[0]!)) throw bad(file, 1, `missing WEBVTT header (the first line is "${lines[0]!.slice(0, 40)}")`)
  // the header runs to the first blank line
  let i = 1
  while (i < lines.length && lines[i]!.trim() !== '') {
    if (lines[i]!.includes('-->')) throw bad(file, i + 1, 'a cue timing line inside the header: a blank line must follow the WEBVTT line')
    i++
  }
  const cues: Cue[] = []
  for (const b of blocks(lines, i)) {
    const first = b.lines[0]!
    if (/^(NOTE|STYLE|REGION)(?:[ \t]|$)/.test(first) && !first.includes('-->')) {
      if (/^(STYLE|REGION)/.test(first) && cues.length) throw bad(file, b.line, `${first.split(/[ \t]/)[0]} block after the first cue`)
      continue
    }
    // a first line that starts like a timestamp is a broken timing line, not a cue identifier
    if (!first.includes('-->') && /^\d{2,}:\d{2}/.test(first.trim()))
      throw bad(file, b.line, `expected a cue timing line "start --> end", got "${first.trim()}"`)
    const timingAt = first.includes('-->') ? 0 : 1
    const timing = b.lines[timingAt]
    if (timing === undefined || !timing.includes('-->'))
      throw bad(file, b.line + timingAt, `expected a cue timing line "start --> end", got "${(timing ?? first).trim()}"`)
    const { start, end, settings } = parseTiming(timing, file, b.line + timingAt, false)
    const body = b.lines.slice(timingAt + 1)
    const arrow = body.findIndex((l) => l.includes('-->'))
    if (arrow >= 0) throw bad(file, b.line + timingAt + 1 + arrow, 'a cue timing line inside cue text: cues must be separated by a blank line')
    cues.push({ ...(timingAt ? { id: first } : {}), start, end, text: body.join('\n'), settings, line: b.line + timingAt })
  }
  if (!cues.length) throw bad(file, lines.length, 'no cues')
  checkOrder(cues, file)
  return cues
}

/** SubRip's HTML-ish markup as WebVTT text: <b>/<i>/<u> kept, <font> and {\an8}-style override tags dropped, & and stray < escaped. */
export function srtTextToWebVtt(text: string): string {
  return text
    .replace(/\{\\[^}]*\}/g, '')
    .replace(/<\/?font[^>]*>/gi, '')
    .replace(/&(?!(?:amp|lt|gt|lrm|rlm|nbsp);)/g, '&amp;')
    .replace(/<(?!\/?[biu]>)/gi, '&lt;')
    .replace(/<(\/?)([BIU])>/g, (_, s: string, t: string) => `<${s}${t.toLowerCase()}>`)
}

/** A SubRip (.srt) file's cues: number, `hh:mm:ss,mmm --> hh:mm:ss,mmm`, text, blank line. */
export function parseSrt(text: string, file: string): Cue[] {
  const lines = linesOf(text)
  if (lines.every((l) => l.trim() === '')) throw bad(file, 1, 'empty file')
  const cues: Cue[] = []
  for (const b of blocks(lines, 0)) {
    // the cue number is optional in practice; when there, it must be a number
    const timingAt = b.lines[0]!.includes('-->') ? 0 : 1
    if (timingAt === 1 && !/^\d+$/.test(b.lines[0]!.trim())) throw bad(file, b.line, `expected a cue number or a timing line, got "${b.lines[0]!.trim()}"`)
    const timing = b.lines[timingAt]
    if (timing === undefined || !timing.includes('-->'))
      throw bad(file, b.line + timingAt, `expected a cue timing line "start --> end", got "${(timing ?? '').trim()}"`)
    const { start, end } = parseTiming(timing, file, b.line + timingAt, true)
    const body = b.lines.slice(timingAt + 1)
    const arrow = body.findIndex((l) => l.includes('-->'))
    if (arrow >= 0) throw bad(file, b.line + timingAt + 1 + arrow, 'a cue timing line inside cue text: cues must be separated by a blank line')
    cues.push({ start, end, text: srtTextToWebVtt(body.join('\n')), settings: '', line: b.line + timingAt })
  }
  checkOrder(cues, file)
  return cues
}

/**
 * A subtitle file's bytes as cues. WebVTT when it starts with the WEBVTT
 * line; SRT when the name ends .srt; anything else is refused as a WebVTT
 * file without its header.
 */
export function parseSubtitles(bytes: Uint8Array, file: string): SubtitleFile {
  const text = decodeSubtitleBytes(bytes, file)
  if (/\.srt$/i.test(file) && !text.startsWith('WEBVTT')) return { format: 'srt', cues: parseSrt(text, file) }
  return { format: 'webvtt', cues: parseWebVtt(text, file) }
}

/** `hh:mm:ss.mmm` (hours always written: unambiguous, and what RFC 8216's LOCAL takes). */
export function formatTimestamp(seconds: number): string {
  const ms = Math.round(seconds * 1000)
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor(ms / 60_000) % 60
  const s = Math.floor(ms / 1000) % 60
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`
}

/** One cue as a WebVTT block (identifier, timing line with settings, text). */
export function cueBlock(c: Pick<Cue, 'id' | 'start' | 'end' | 'settings' | 'text'>): string {
  const timing = `${formatTimestamp(c.start)} --> ${formatTimestamp(c.end)}${c.settings ? ` ${c.settings}` : ''}`
  return `${c.id ? `${c.id}\n` : ''}${timing}\n${c.text}\n`
}

/** A WebVTT file: the WEBVTT line, optional header lines (e.g. X-TIMESTAMP-MAP), a blank line, then the cues. */
export function writeWebVtt(cues: readonly Pick<Cue, 'id' | 'start' | 'end' | 'settings' | 'text'>[], header: readonly string[] = []): string {
  return ['WEBVTT', ...header, '', ...cues.map(cueBlock)].join('\n')
}

/**
 * Someone else's WebVTT segment as the linter reads it (W3C WebVTT file
 * structure and cue timings; RFC 8216 §3.5 X-TIMESTAMP-MAP): the header, the
 * timestamp map in the header block, and each cue's start and end, with
 * every problem collected rather than the first thrown. Lenient where
 * parseWebVtt is strict on purpose: overlapping cues are allowed (several
 * speakers), cue text and settings are not read.
 */
export interface WebVttTimings {
  /** why the file does not start with a WebVTT header, or undefined */
  headerProblem?: string
  /** X-TIMESTAMP-MAP from the header block: null when absent, a string when malformed */
  timestampMap: { mpegts: number; local: number } | string | null
  cues: Array<{ start: number; end: number; line: number }>
  problems: Array<{ line: number; message: string }>
}

/** RFC 8216 §3.5: X-TIMESTAMP-MAP's MPEGTS counts the MPEG-2 90 kHz clock. */
export const MPEGTS_HZ = 90_000

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
  const lines = linesOf(text.replace(/^\uFEFF/, ''))
  const out: WebVttTimings = { timestampMap: null, cues: [], problems: [] }
  if (!WEBVTT_HEADER.test(lines[0] ?? '')) {
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
