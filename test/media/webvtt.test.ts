import fc from 'fast-check'
import t, { type Test } from 'tap'
import { segmentCues } from '../../encoder/packager/webvtt-segments.js'
import { ErrorCodes } from '../../lib/errors.js'
import { normalizeLanguage } from '../../lib/language-tag.js'
import { type Cue, decodeSubtitleBytes, formatTimestamp, parseSrt, parseSubtitles, parseWebVtt, writeWebVtt } from '../../lib/media/webvtt.js'

const utf8 = (s: string) => new TextEncoder().encode(s)
const refuses = (t: Test, bytes: Uint8Array, file: string, message: RegExp, what: string) =>
  t.throws(() => parseSubtitles(bytes, file), { code: ErrorCodes.BAD_SUBTITLES, message }, what)

t.test('a WebVTT file reads into cues with ids, settings and text', async (t) => {
  const vtt =
    'WEBVTT - a title\nKind: captions\n\nNOTE a note\nspanning lines\n\nintro\n00:01.000 --> 00:02.500 line:90% align:center\nHello <i>there</i>\nsecond line\n\n01:00:00.000 --> 01:00:01.000\nAn hour in\n'
  const cues = parseWebVtt(vtt, 'a.vtt')
  t.same(
    cues.map(({ id, start, end, text, settings, line }) => ({ id, start, end, text, settings, line })),
    [
      { id: 'intro', start: 1, end: 2.5, text: 'Hello <i>there</i>\nsecond line', settings: 'line:90% align:center', line: 8 },
      { id: undefined, start: 3600, end: 3601, text: 'An hour in', settings: '', line: 12 },
    ],
  )
  // written back and read again: the same cues
  const again = parseWebVtt(writeWebVtt(cues), 'b.vtt')
  t.same(
    again.map(({ id, start, end, text, settings }) => ({ id, start, end, text, settings })),
    cues.map(({ id, start, end, text, settings }) => ({ id, start, end, text, settings })),
  )
  t.same(
    parseSubtitles(utf8('\uFEFFWEBVTT\r\n\r\n00:00.000 --> 00:00.500\r\nBOM and CRLF\r\n'), 'bom.vtt').cues[0]?.text,
    'BOM and CRLF',
    'a UTF-8 BOM and CRLF are fine',
  )
})

t.test('bad WebVTT files are refused with file:line and what is wrong', async (t) => {
  refuses(t, utf8(''), 'e.vtt', /^e\.vtt:1: empty file$/, 'empty file')
  refuses(t, utf8('\n  \n'), 'e.vtt', /^e\.vtt:1: empty file$/, 'blank file')
  refuses(t, utf8('00:00.000 --> 00:01.000\nhi\n'), 'h.vtt', /^h\.vtt:1: missing WEBVTT header/, 'no header')
  refuses(t, utf8('WEBVTTX\n\n'), 'h.vtt', /^h\.vtt:1: missing WEBVTT header/, 'WEBVTT must be followed by a space or the line end')
  refuses(t, utf8('WEBVTT\n\n00:00.000 --> 00:01.00\nhi\n'), 'm.vtt', /^m\.vtt:3: malformed timestamp "00:01\.00"/, 'two decimals')
  refuses(t, utf8('WEBVTT\n\n00:00.000 -> 00:01.000\nhi\n'), 'm.vtt', /^m\.vtt:3: expected a cue timing line/, 'a broken arrow')
  refuses(
    t,
    utf8('WEBVTT\n\n00:61.000 --> 01:02.000\nhi\n'),
    'm.vtt',
    /^m\.vtt:3: malformed timestamp "00:61\.000": minutes and seconds must be below 60/,
    'seconds ≥ 60',
  )
  refuses(
    t,
    utf8('WEBVTT\n\n00:02.000 --> 00:01.000\nhi\n'),
    'o.vtt',
    /^o\.vtt:3: cue ends \(00:01\.000\) at or before it starts \(00:02\.000\)/,
    'end before start',
  )
  refuses(t, utf8('WEBVTT\n\n00:01.000 --> 00:01.000\nhi\n'), 'o.vtt', /^o\.vtt:3: cue ends/, 'end equal to start')
  refuses(
    t,
    utf8('WEBVTT\n\n00:00.000 --> 00:02.000\none\n\n00:01.500 --> 00:03.000\ntwo\n'),
    'x.vtt',
    /^x\.vtt:6: cue 00:00:01\.500 --> 00:00:03\.000 overlaps the cue at line 3 \(00:00:00\.000 --> 00:00:02\.000\)$/,
    'overlapping cues, both named',
  )
  refuses(
    t,
    utf8('WEBVTT\n\n00:00.000 --> 00:01.000\none\n00:01.000 --> 00:02.000\ntwo\n'),
    'j.vtt',
    /^j\.vtt:5: a cue timing line inside cue text/,
    'no blank line between cues',
  )
  refuses(t, utf8('WEBVTT\n\nNOTE only a note\n'), 'n.vtt', /^n\.vtt:\d+: no cues$/, 'no cues')
})

t.test('files that are not UTF-8 are refused, naming the encoding when it shows', async (t) => {
  const le = Buffer.from('\uFEFFWEBVTT\n', 'utf16le')
  refuses(t, le, 'u.vtt', /^u\.vtt:1: encoded as UTF-16 LE \(byte order mark FF FE\), not UTF-8$/, 'UTF-16 LE BOM')
  const be = Buffer.from(le).swap16()
  refuses(t, be, 'u.vtt', /^u\.vtt:1: encoded as UTF-16 BE/, 'UTF-16 BE BOM')
  refuses(t, Buffer.from('WEBVTT\n', 'utf16le'), 'n.vtt', /^n\.vtt:1: contains NUL bytes: UTF-16 without a byte order mark\?/, 'UTF-16 without a BOM')
  const latin1 = Buffer.from('WEBVTT\n\n00:00.000 --> 00:01.000\nGar\xe7on caf\xe9\n', 'latin1')
  refuses(t, latin1, 'l.vtt', /^l\.vtt:4: not UTF-8 \(invalid byte 0xE7 at column 4; looks like Latin-1 or Windows-1252\)$/, 'Latin-1 text')
  t.equal(decodeSubtitleBytes(utf8('WEBVTT\n\nGarçon'), 'ok.vtt'), 'WEBVTT\n\nGarçon', 'UTF-8 accents are fine')
})

t.test('SRT reads into WebVTT cues', async (t) => {
  const srt =
    '1\r\n00:00:01,000 --> 00:00:02,500\r\n<font color="red">Hello</font> & <b>bye</b>\r\n{\\an8}top\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000 X1:10 X2:20 Y1:1 Y2:2\r\n1 < 2\r\n'
  const { format, cues } = parseSubtitles(utf8(srt), 'a.srt')
  t.equal(format, 'srt')
  t.same(
    cues.map(({ start, end, text }) => ({ start, end, text })),
    [
      { start: 1, end: 2.5, text: 'Hello &amp; <b>bye</b>\ntop' },
      { start: 3, end: 4, text: '1 &lt; 2' },
    ],
  )
  t.equal(
    writeWebVtt(cues),
    'WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello &amp; <b>bye</b>\ntop\n\n00:00:03.000 --> 00:00:04.000\n1 &lt; 2\n',
    'written as WebVTT',
  )
  t.throws(() => parseSrt('1\n00:00:01.0 --> 00:00:02,000\nx\n', 'b.srt'), {
    code: ErrorCodes.BAD_SUBTITLES,
    message: /^b\.srt:2: malformed timestamp "00:00:01\.0": expected hh:mm:ss,mmm$/,
  })
  t.throws(() => parseSrt('one\n00:00:01,000 --> 00:00:02,000\nx\n', 'c.srt'), { message: /^c\.srt:1: expected a cue number or a timing line, got "one"$/ })
  t.throws(() => parseSrt('1\n00:00:01,000 --> 00:00:03,000\nx\n\n2\n00:00:02,000 --> 00:00:04,000\ny\n', 'd.srt'), {
    message: /^d\.srt:6: cue .* overlaps the cue at line 2/,
  })
})

/** Cues in order, without overlaps, on a millisecond grid. */
const cueList = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 5000 }), fc.string({ minLength: 1, maxLength: 20 })), { maxLength: 20 })
  .map((xs) => {
    let t = 0
    return xs.map(([gap, len, s]): Cue => {
      const start = t + gap
      t = start + len
      return { start: start / 1000, end: t / 1000, text: s.replace(/-->|[\r\n<&]/g, 'x').trim() || 'x', settings: '', line: 0 }
    })
  })

t.test('property: written WebVTT reads back to the same cues', async () => {
  fc.assert(
    fc.property(cueList, (cues) => {
      if (!cues.length) return
      const back = parseWebVtt(writeWebVtt(cues), 'p.vtt')
      return JSON.stringify(back.map((c) => [c.start, c.end, c.text])) === JSON.stringify(cues.map((c) => [c.start, c.end, c.text]))
    }),
  )
})

t.test('property: every segment holds exactly the cues that overlap it, times unchanged', async () => {
  fc.assert(
    fc.property(cueList, fc.integer({ min: 1, max: 8 }), (cues, n) => {
      const grid = Array.from({ length: n }, (_, i) => ({ start: i * 2, duration: 2 }))
      const segs = segmentCues(cues, grid, 0)
      return segs.every((s, i) => {
        const inside = cues.filter((c) => c.start < grid[i]!.start + 2 && c.end > grid[i]!.start)
        const read = s.cues ? parseWebVtt(s.text, 's.vtt') : []
        return s.cues === inside.length && JSON.stringify(read.map((c) => [c.start, c.end])) === JSON.stringify(inside.map((c) => [c.start, c.end]))
      })
    }),
  )
})

t.test('timestamps and language tags', async (t) => {
  t.equal(formatTimestamp(3723.004), '01:02:03.004')
  t.same(
    ['eng', 'fra', 'fre', 'ger', 'pt-br', 'zh-hant-tw', 'und', '', 'x!'].map(normalizeLanguage),
    ['en', 'fr', 'fr', 'de', 'pt-BR', 'zh-Hant-TW', 'und', 'und', null],
    'ISO 639-2 codes shortened to ISO 639-1, region and script kept and cased (RFC 5646 §2.1.1)',
  )
})
