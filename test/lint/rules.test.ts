import t from 'tap'
import { codecCovers, codecProblem } from '../../lib/media/codec-strings.js'
import { parseAttributeList, typeProblem } from '../../lib/media/hls-attributes.js'
import { hvcCodecs } from '../../lib/media/sample-entry.js'
import { expandTimeline, fillTemplate, templateProblem } from '../../sim/lint/dash-timeline.js'
import { parseIsoDuration } from '../../sim/lint/iso-duration.js'
import { averageBitrate, bandwidthBucketViolation, peakSegmentBitrate } from '../../sim/lint/measure.js'
import { tagBalanceProblem } from '../../sim/lint/xml.js'

t.test('attribute lists (RFC 8216 §4.2)', async (t) => {
  const ok = parseAttributeList('BANDWIDTH=800000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=640x360')
  t.equal(ok.error, undefined)
  t.same(
    [...ok.attrs.entries()],
    [
      ['BANDWIDTH', { raw: '800000', quoted: false }],
      ['CODECS', { raw: 'avc1.64001f,mp4a.40.2', quoted: true }],
      ['RESOLUTION', { raw: '640x360', quoted: false }],
    ],
  )
  t.match(parseAttributeList('A=1,A=2').error, /appears twice/)
  t.match(parseAttributeList('URI="x').error, /unterminated/)
  t.match(parseAttributeList('lower=1').error, /outside \[A-Z0-9-\]/)
  t.match(parseAttributeList('A=1,').error, /trailing comma/)
  t.equal(typeProblem({ raw: '1.5', quoted: false }, 'decimal-floating-point'), undefined)
  t.match(typeProblem({ raw: '-1.5', quoted: false }, 'decimal-floating-point'), /not a decimal-floating-point/)
  t.equal(typeProblem({ raw: '-1.5', quoted: false }, 'signed-decimal-floating-point'), undefined)
  t.match(typeProblem({ raw: '800', quoted: true }, 'decimal-integer'), /must not be quoted/)
  t.match(typeProblem({ raw: 'aud', quoted: false }, 'quoted-string'), /must be a quoted-string/)
  t.match(typeProblem({ raw: '640X360', quoted: false }, 'decimal-resolution'), /not a decimal-resolution/)
})

t.test('peak segment bit rate: RFC 8216 §4.3.4.2 windows of 0.5–1.5 × target duration', async (t) => {
  // target 4 s: a 1 s segment of 1 MB alone is too short a window; with its 4 s neighbour it is 5 s, allowed.
  const segs = [
    { bytes: 500_000, duration: 4 },
    { bytes: 1_000_000, duration: 1 },
    { bytes: 400_000, duration: 4 },
  ]
  t.equal(peakSegmentBitrate(segs, 4), ((500_000 + 1_000_000) * 8) / 5)
  t.equal(averageBitrate(segs), (1_900_000 * 8) / 9)
  t.equal(peakSegmentBitrate([{ bytes: 1000, duration: 0.1 }], 10), 80_000, 'no window qualifies: the largest single segment')
})

t.test('the @bandwidth/@minBufferTime bucket (ISO/IEC 23009-1 §5.3.5.2)', async (t) => {
  // 1 Mbit/s, 2 s buffer: two 1 s segments of 2 Mbit each need 4 Mbit by t=2+2: exactly 4 Mbit delivered → fine.
  const two = [
    { bytes: 250_000, duration: 1 },
    { bytes: 250_000, duration: 1 },
  ]
  t.equal(bandwidthBucketViolation(two, 1_000_000, 2), null)
  // a third such segment needs 6 Mbit by t=5: 1 Mbit short.
  t.same(bandwidthBucketViolation([...two, { bytes: 250_000, duration: 1 }], 1_000_000, 2), { from: 0, to: 2, excessBits: 1_000_000 })
  t.same(
    bandwidthBucketViolation(
      [
        { bytes: 10, duration: 1 },
        { bytes: 500_000, duration: 1 },
        { bytes: 10, duration: 1 },
      ],
      1_000_000,
      2,
    ),
    { from: 1, to: 1, excessBits: 1_000_000 },
  )
})

t.test('codecs strings (RFC 6381, ISO/IEC 14496-15 Annex E)', async (t) => {
  t.equal(codecProblem('avc1.64001f'), undefined)
  t.equal(codecProblem('hvc1.2.4.L153.B0'), undefined)
  t.equal(codecProblem('mp4a.40.2'), undefined)
  t.equal(codecProblem('ec-3'), undefined)
  t.match(codecProblem('avc1.66.30'), /avc1\.PPCCLL/)
  t.match(codecProblem('mp4a.40.two'), /mp4a\.OO/)
  t.match(codecProblem('avc 1'), /sample entry code/)
  t.ok(codecCovers('avc1.64001f', 'avc1.64001e'), 'higher level covers')
  t.notOk(codecCovers('avc1.64001d', 'avc1.64001e'), 'lower level does not')
  t.notOk(codecCovers('avc1.4d001e', 'avc1.64001e'), 'other profile does not')
  t.notOk(codecCovers('avc3.64001e', 'avc1.64001e'), 'other sample entry does not')
  t.ok(codecCovers('mp4a.40.02', 'mp4a.40.2'))
  t.notOk(codecCovers('mp4a.40.5', 'mp4a.40.2'))
  t.ok(codecCovers('hvc1.1.6.L120.B0', 'hvc1.1.6.L93.B0'))
  t.notOk(codecCovers('hvc1.1.6.H120.B0', 'hvc1.1.6.L93.B0'), 'other tier')
})

t.test('hvcC to a codecs string (ISO/IEC 14496-15 Annex E.3)', async (t) => {
  // Main profile (1), Main tier, compatibility flags 0x60000000 (bits 1,2 → reversed 0x6), progressive+frame-only constraints 0xB0, level 93 (3.1)
  const body = Buffer.from([1, 0x01, 0x60, 0, 0, 0, 0xb0, 0, 0, 0, 0, 0, 93])
  const box = Buffer.concat([Buffer.from([0, 0, 0, 8 + body.length]), Buffer.from('hvcC', 'latin1'), body])
  t.equal(hvcCodecs(box, { type: 'hvcC', start: 0, size: box.length, body: 8 }, 'hvc1'), 'hvc1.1.6.L93.B0')
})

t.test('SegmentTimeline arithmetic (ISO/IEC 23009-1 §5.3.9.6)', async (t) => {
  const r = expandTimeline([{ t: 0, d: 10, r: 1 }, { d: 5 }, { t: 30, d: 10, r: -1 }], 60)
  t.same(
    r.segments.map((s) => [s.t, s.d]),
    [
      [0, 10],
      [10, 10],
      [20, 5],
      [30, 10],
      [40, 10],
      [50, 10],
    ],
  )
  t.same(
    r.problems.map((p) => [p.entry, p.code]),
    [[2, 'DASH_TIMELINE_GAP']],
  )
  t.same(
    expandTimeline(
      [
        { t: 0, d: 10 },
        { t: 5, d: 10 },
      ],
      null,
    ).problems.map((p) => p.code),
    ['DASH_TIMELINE_OVERLAP'],
  )
  t.same(
    expandTimeline([{ t: 0, d: 10, r: -1 }], null).problems.map((p) => p.code),
    ['DASH_TIMELINE_BAD_ENTRY'],
  )
  t.equal(templateProblem('seg-$Number%05d$-$RepresentationID$-$$.m4s'), undefined)
  t.match(templateProblem('seg-$RepresentationID%02d$.m4s'), /takes no format tag/)
  t.equal(fillTemplate('$RepresentationID$/seg-$Number%05d$-$Time$$$.m4s', { RepresentationID: 'v1', Number: 7, Time: 9000 }), 'v1/seg-00007-9000$.m4s')
})

t.test('xs:duration and XML tag balance', async (t) => {
  t.equal(parseIsoDuration('PT1H2M3.5S'), 3723.5)
  t.equal(parseIsoDuration('P1DT1S'), 86401)
  t.equal(parseIsoDuration('PT'), null)
  t.equal(parseIsoDuration('1.5'), null)
  t.equal(tagBalanceProblem('<a><!-- <b> --><c x="<d>"/><![CDATA[<e>]]></a>'), null)
  t.same(tagBalanceProblem('<a>\n<b>\n</a>'), { line: 3, message: 'end tag </a> does not match <b> opened on line 2' })
  t.same(tagBalanceProblem('<a>\n<b></b>'), { line: 1, message: '<a> is never closed' })
})
