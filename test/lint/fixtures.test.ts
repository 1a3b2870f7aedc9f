import { readdirSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { type LintReport, lintManifest } from '../../sim/lint/index.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')

/** Each finding as `severity CODE file:line` (HLS) or `severity CODE xpath` (DASH). */
function describe(r: LintReport, dir: string, name: string): string[] {
  return r.findings.map((f) => {
    const file = relative(dir, f.file)
    return f.xpath ? `${f.severity} ${f.code} ${f.xpath}` : `${f.severity} ${f.code} ${file === name ? '' : file}:${f.line}`
  })
}

const AS1 = '/MPD/Period[1]/AdaptationSet[1]'
const REP = (n: number) => `${AS1}/Representation[${n}]`
const TL = (as: number, rep: number) => `/MPD/Period[1]/AdaptationSet[${as}]/Representation[${rep}]/SegmentTemplate[1]/SegmentTimeline[1]`

/** Every fixture and exactly what it must report: nothing more, nothing less. */
const HLS: Record<string, string[]> = {
  'good-multivariant.m3u8': [],
  'good-media.m3u8': [],
  'no-extm3u.m3u8': ['error HLS_NO_EXTM3U :1'],
  'mixed.m3u8': ['error HLS_MIXED_PLAYLIST :4'],
  'bad-attribute-list.m3u8': ['error HLS_BAD_ATTRIBUTE_LIST :4'],
  'bad-attribute-value.m3u8': ['error HLS_BAD_ATTRIBUTE_VALUE :6'],
  'bandwidth-missing.m3u8': ['error HLS_BANDWIDTH_MISSING :6', 'warning LADDER_STEP_TOO_LARGE :8'],
  'missing-attribute.m3u8': ['error HLS_MISSING_ATTRIBUTE :4'],
  'duplicate-tag.m3u8': ['error HLS_DUPLICATE_TAG :3'],
  'version-too-low.m3u8': ['error HLS_VERSION_TOO_LOW :2'],
  'targetduration-exceeded.m3u8': ['error HLS_TARGETDURATION_EXCEEDED :8'],
  'targetduration-missing.m3u8': ['error HLS_TARGETDURATION_MISSING :1'],
  'extinf-missing.m3u8': ['error HLS_EXTINF_MISSING :8'],
  'segment-uri-missing.m3u8': ['error HLS_SEGMENT_URI_MISSING :12'],
  'endlist-missing.m3u8': ['error HLS_ENDLIST_MISSING :11'],
  'map-missing.m3u8': ['error HLS_MAP_MISSING :5'],
  'tag-after-segment.m3u8': ['error HLS_TAG_AFTER_SEGMENT :7'],
  'removed-tag.m3u8': ['warning HLS_REMOVED_TAG :3'],
  'live.m3u8': ['info HLS_LIVE_PLAYLIST :1'],
  'unknown-tag.m3u8': ['info HLS_UNKNOWN_TAG :3'],
  'average-above-peak.m3u8': ['error HLS_AVERAGE_ABOVE_PEAK :6'],
  'average-bandwidth-missing.m3u8': ['warning HLS_AVERAGE_BANDWIDTH_MISSING :6'],
  'codecs-missing.m3u8': ['warning HLS_CODECS_MISSING :6'],
  'codecs-malformed.m3u8': ['error HLS_CODECS_MALFORMED :6'],
  'resolution-missing.m3u8': ['warning HLS_RESOLUTION_MISSING :6'],
  'frame-rate-missing.m3u8': ['warning HLS_FRAME_RATE_MISSING :6'],
  // the group the variants should have named is unused, and only one of three variants names a group
  'group-unresolved.m3u8': ['error HLS_GROUP_UNRESOLVED :7', 'warning HLS_GROUP_UNUSED :4', 'warning HLS_GROUP_INCONSISTENT :5'],
  'media-invalid.m3u8': ['error HLS_MEDIA_INVALID :4', 'warning HLS_GROUP_UNUSED :4'],
  'stream-inf-uri-missing.m3u8': ['error HLS_STREAM_INF_URI_MISSING :4'],
  'steering-malformed.m3u8': ['error HLS_STEERING_MALFORMED :4'],
  'steering-pathway-unknown.m3u8': ['warning HLS_STEERING_PATHWAY_UNKNOWN :4'],
  'iframe-playlist-invalid.m3u8': ['error HLS_IFRAME_PLAYLIST_INVALID :10'],
  'playlist-unreadable.m3u8': ['error HLS_PLAYLIST_UNREADABLE :10'],
  'no-variants.m3u8': ['error HLS_NO_VARIANTS :1'],
  'not-media-playlist.m3u8': ['error HLS_NOT_MEDIA_PLAYLIST good-multivariant.m3u8:4'],
  'segment-count-mismatch.m3u8': ['warning HLS_VARIANT_SEGMENT_COUNT_MISMATCH :6'],
  'segments-misaligned.m3u8': ['warning HLS_VARIANT_SEGMENTS_MISALIGNED media/shifted.m3u8:5'],
  'ladder-not-sorted.m3u8': ['warning LADDER_NOT_SORTED :6'],
  'ladder-step-too-small.m3u8': ['warning LADDER_STEP_TOO_SMALL :6', 'warning LADDER_STEP_TOO_LARGE :8'],
  'ladder-step-too-large.m3u8': ['warning LADDER_STEP_TOO_LARGE :8'],
  'ladder-resolution-not-monotonic.m3u8': ['warning LADDER_RESOLUTION_NOT_MONOTONIC :8'],
  'ladder-duplicate-rung.m3u8': ['warning LADDER_DUPLICATE_RUNG :10'],
  'ladder-bpp-outlier.m3u8': ['warning LADDER_BPP_OUTLIER :8'],
  // issue 20 §4: languages and subtitles (RFC 8216 §3.5, §4.3.4.1, §4.3.4.2)
  'good-subtitles.m3u8': [],
  'language-invalid.m3u8': ['error HLS_LANGUAGE_INVALID :5'],
  'forced-not-subtitles.m3u8': ['error HLS_FORCED_NOT_SUBTITLES :5'],
  'autoselect-missing.m3u8': ['warning HLS_AUTOSELECT_MISSING :4'],
  'group-inconsistent.m3u8': ['warning HLS_GROUP_INCONSISTENT :9'],
  'group-unused.m3u8': ['warning HLS_GROUP_UNUSED :6'],
  'codecs-incomplete.m3u8': ['error HLS_CODECS_INCOMPLETE :9'],
  'subtitles-not-webvtt.m3u8': ['error HLS_SUBTITLES_NOT_WEBVTT media/audio.m3u8:6'],
  // subtitle media playlists, whose problems only --deep reads (DEEP below)
  'webvtt-invalid.m3u8': [],
  'webvtt-timestamp-map.m3u8': [],
  'webvtt-cue-outside-segment.m3u8': [],
  'webvtt-cue-timing.m3u8': [],
}

const DASH: Record<string, string[]> = {
  'good.mpd': [],
  'xml-malformed.mpd': ['error DASH_XML_MALFORMED :28'],
  'not-mpd.mpd': ['error DASH_NOT_MPD /Manifest'],
  'missing-attribute.mpd': ['error DASH_MISSING_ATTRIBUTE /MPD'],
  'mime-missing.mpd': [1, 2, 3].map((n) => `error DASH_MISSING_ATTRIBUTE ${REP(n)}`),
  'bad-attribute-value.mpd': [`error DASH_BAD_ATTRIBUTE_VALUE ${REP(2)}/@frameRate`],
  'profile-unknown.mpd': ['warning DASH_PROFILE_UNKNOWN /MPD/@profiles'],
  'profile-mismatch.mpd': [`warning DASH_PROFILE_MISMATCH ${REP(2)}`],
  'no-period.mpd': ['error DASH_NO_PERIOD /MPD'],
  'no-representation.mpd': ['error DASH_NO_REPRESENTATION /MPD/Period[1]/AdaptationSet[2]'],
  'no-segment-info.mpd': [`error DASH_NO_SEGMENT_INFO ${REP(2)}`],
  'timeline-gap.mpd': [`error DASH_TIMELINE_GAP ${TL(1, 3)}/S[2]`, `error DASH_SEGMENTS_MISALIGNED ${REP(3)}`, `warning DASH_DURATION_MISMATCH ${TL(1, 3)}`],
  'timeline-overlap.mpd': [`error DASH_TIMELINE_OVERLAP ${TL(1, 3)}/S[2]`, `error DASH_SEGMENTS_MISALIGNED ${REP(3)}`],
  'timeline-bad-entry.mpd': [`error DASH_TIMELINE_BAD_ENTRY ${TL(1, 3)}/S[2]`],
  'duration-mismatch.mpd': [TL(1, 1), TL(1, 2), TL(1, 3), TL(2, 1)].map((x) => `warning DASH_DURATION_MISMATCH ${x}`),
  'max-segment-duration.mpd': [TL(1, 1), TL(1, 2), TL(1, 3), TL(2, 1)].map((x) => `error DASH_MAX_SEGMENT_DURATION_EXCEEDED ${x}/S[1]`),
  'template-invalid.mpd': [`error DASH_TEMPLATE_INVALID ${REP(2)}/SegmentTemplate[1]/@media`],
  'bandwidth-missing.mpd': [`error DASH_BANDWIDTH_MISSING ${REP(2)}`, `warning LADDER_STEP_TOO_LARGE ${REP(3)}`],
  'codecs-missing.mpd': [`error DASH_CODECS_MISSING ${REP(2)}`],
  'codecs-malformed.mpd': [`error DASH_CODECS_MALFORMED ${REP(2)}/@codecs`],
  'duplicate-id.mpd': [`error DASH_DUPLICATE_ID ${REP(2)}/@id`],
  'segments-misaligned.mpd': [`error DASH_SEGMENTS_MISALIGNED ${REP(3)}`],
  'segments-misaligned-undeclared.mpd': [`warning DASH_SEGMENTS_MISALIGNED ${REP(3)}`],
  'alignment-undeclared.mpd': [`info DASH_SEGMENT_ALIGNMENT_UNDECLARED ${AS1}`],
  'baseurl-malformed.mpd': ['error DASH_BASEURL_MALFORMED /MPD/BaseURL[1]', 'warning DASH_SERVICE_LOCATION_DUPLICATE /MPD/BaseURL[2]/@serviceLocation'],
  'steering-malformed.mpd': [
    'error DASH_STEERING_MALFORMED /MPD/ContentSteering[1]',
    'error DASH_STEERING_MALFORMED /MPD/ContentSteering[1]/@queryBeforeStart',
  ],
  'steering-unknown-location.mpd': ['warning DASH_STEERING_UNKNOWN_LOCATION /MPD/ContentSteering[1]/@defaultServiceLocation'],
  'ladder-not-sorted.mpd': [`warning LADDER_NOT_SORTED ${REP(2)}`],
  'ladder-step-too-large.mpd': [`warning LADDER_STEP_TOO_LARGE ${REP(3)}`],
  // issue 20 §4: languages and text (DASH-IF IOP §6.4; ISO/IEC 23009-1 §5.3.7.2, §5.8.5.5)
  'good-text.mpd': [],
  'lang-invalid.mpd': ['error DASH_LANG_INVALID /MPD/Period[1]/AdaptationSet[4]/@lang'],
  'role-invalid.mpd': ['error DASH_ROLE_INVALID /MPD/Period[1]/AdaptationSet[4]/Role[1]/@value'],
  'role-missing.mpd': ['error DASH_ROLE_MISSING /MPD/Period[1]/AdaptationSet[4]'],
  'text-format-invalid.mpd': [
    'error DASH_TEXT_FORMAT_INVALID /MPD/Period[1]/AdaptationSet[4]',
    'error DASH_CODECS_MISSING /MPD/Period[1]/AdaptationSet[4]/Representation[1]',
  ],
  'tracks-indistinct.mpd': ['warning DASH_TRACKS_INDISTINCT /MPD/Period[1]/AdaptationSet[3]'],
  'codecs-incomplete.mpd': [`error DASH_CODECS_INCOMPLETE ${REP(2)}`],
  'webvtt-invalid.mpd': [],
}

/** Fixtures whose problem is in the files they name: what --deep reports on them. */
const DEEP: Record<'hls' | 'dash', Record<string, string[]>> = {
  hls: {
    'webvtt-invalid.m3u8': ['error HLS_WEBVTT_INVALID :8'],
    'webvtt-timestamp-map.m3u8': ['warning HLS_WEBVTT_TIMESTAMP_MAP :8'],
    'webvtt-cue-outside-segment.m3u8': ['warning HLS_WEBVTT_CUE_OUTSIDE_SEGMENT :10'],
    'webvtt-cue-timing.m3u8': ['error HLS_WEBVTT_INVALID :6'],
  },
  dash: { 'webvtt-invalid.mpd': ['error DASH_WEBVTT_INVALID /MPD/Period[1]/AdaptationSet[1]/Representation[1]'] },
}

for (const [kind, table] of [
  ['hls', HLS],
  ['dash', DASH],
] as const) {
  const dir = join(FIXTURES, kind)
  t.test(`${kind}: every fixture is in the table`, async (t) => {
    t.same(
      readdirSync(dir)
        .filter((f) => /\.(m3u8|mpd)$/.test(f))
        .sort(),
      Object.keys(table).sort(),
    )
  })
  for (const [name, expected] of Object.entries(table)) {
    t.test(`${kind}/${name}`, async (t) => {
      const r = await lintManifest(join(dir, name))
      t.equal(r.kind, kind)
      t.same(describe(r, dir, name).sort(), [...expected].sort())
      t.equal(r.counts.error, expected.filter((e) => e.startsWith('error')).length)
    })
  }
}

for (const kind of ['hls', 'dash'] as const) {
  for (const [name, expected] of Object.entries(DEEP[kind])) {
    t.test(`${kind}/${name} --deep`, async (t) => {
      const dir = join(FIXTURES, kind)
      t.same(describe(await lintManifest(join(dir, name), { deep: true }), dir, name).sort(), [...expected].sort())
    })
  }
}

t.test('every finding names its spec and, for DASH, carries a line from the XML parse', async (t) => {
  const r = await lintManifest(join(FIXTURES, 'dash', 'timeline-gap.mpd'))
  for (const f of r.findings) {
    t.match(f.message, /(RFC|ISO\/IEC|DASH-IF|Apple)/)
    t.type(f.line, 'number')
  }
  t.equal(r.findings.find((f) => f.code === 'DASH_TIMELINE_GAP')!.line, 17)
})
