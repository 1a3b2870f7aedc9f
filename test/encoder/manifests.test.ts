import t from 'tap'
import { mpd, segmentTimeline } from '../../encoder/packager/dash.js'
import { mediaPlaylist, multivariantPlaylist } from '../../encoder/packager/hls.js'
import type { AudioRendition, VideoRendition } from '../../lib/title-package.js'

/*
 * Every encoded test package has whole-second segments, so an EXTINF or a
 * SegmentTimeline @d rounded to the second is invisible there. These feed the
 * writers a title model with fractional durations (1.96 s, 2.5 s, AAC's
 * 1024-sample frames) and pin the exact text they must print.
 */

const sha = '0'.repeat(64)

/** Segments laid end to end from `start`, with sizes that do not matter here. */
function segments(dir: string, durations: number[], start = 0) {
  let at = start
  return durations.map((duration, i) => {
    const s = { uri: `${dir}/seg-${String(i + 1).padStart(5, '0')}.m4s`, bytes: 1000 + i, duration, start: Number(at.toFixed(6)), sha256: sha }
    at += duration
    return s
  })
}

const video: VideoRendition = {
  type: 'video',
  id: 'v360',
  codec: 'h264',
  codecs: 'avc1.64001e',
  bandwidth: 900_000,
  averageBandwidth: 800_000,
  timescale: 90000,
  init: { path: 'v360/init.mp4', bytes: 800, sha256: sha },
  playlist: 'v360/index.m3u8',
  width: 640,
  height: 360,
  frameRate: 25,
  targetBitrate: 800_000,
  quality: { ssim: 0.98, psnr: 40 },
  segments: segments('v360', [1.96, 1.96, 1.96, 2.5, 0.62]),
}

// AAC at 48 kHz: 94 frames of 1024 samples = 2.005333 s, 93 frames = 1.984 s; one frame of priming delays the first.
const audio: AudioRendition = {
  type: 'audio',
  id: 'audio-en',
  codec: 'aac',
  codecs: 'mp4a.40.2',
  bandwidth: 130_000,
  averageBandwidth: 128_000,
  timescale: 48000,
  init: { path: 'audio-en/init.mp4', bytes: 700, sha256: sha },
  playlist: 'audio-en/index.m3u8',
  language: 'en',
  channels: 2,
  sampleRate: 48000,
  segments: segments('audio-en', [2.005333, 1.984, 2.005333, 1.984], 0.021333),
}

t.test('HLS media playlists print each EXTINF exactly, not rounded', async (t) => {
  const text = mediaPlaylist(video, 'v360')
  t.same(
    text.split('\n').filter((l) => l.startsWith('#EXTINF:')),
    ['#EXTINF:1.960000,', '#EXTINF:1.960000,', '#EXTINF:1.960000,', '#EXTINF:2.500000,', '#EXTINF:0.620000,'],
  )
  t.match(text, /\n#EXT-X-TARGETDURATION:3\n/, '2.5 s rounds to 3 (RFC 8216 §4.3.3.1)')
  t.match(text, /#EXTINF:2\.500000,\nseg-00004\.m4s\n/, 'URIs relative to the playlist')
  const a = mediaPlaylist(audio, 'audio-en')
  t.same(
    a.split('\n').filter((l) => l.startsWith('#EXTINF:')),
    ['#EXTINF:2.005333,', '#EXTINF:1.984000,', '#EXTINF:2.005333,', '#EXTINF:1.984000,'],
  )
  t.match(a, /\n#EXT-X-TARGETDURATION:2\n/)
})

t.test('DASH SegmentTimeline @t/@d/@r are the exact durations in the track timescale', async (t) => {
  // 1.96 s × 90000 = 176400 ticks, three times; 2.5 s = 225000; 0.62 s = 55800.
  t.equal(segmentTimeline(video, 90000), '<S t="0" d="176400" r="2"/><S d="225000"/><S d="55800"/>')
  // The audio starts 1024 ticks in (priming), so its first S says @t; the runs alternate and never merge.
  t.equal(segmentTimeline(audio, 48000), '<S t="1024" d="96256"/><S d="95232"/><S d="96256"/><S d="95232"/>')
  const gap = { ...video, segments: [...video.segments.slice(0, 2), { ...video.segments[2]!, start: 4.0 }] }
  t.equal(segmentTimeline(gap, 90000), '<S t="0" d="176400" r="1"/><S t="360000" d="176400"/>', 'a segment that does not follow on says its @t')

  const manifest = mpd({ duration: 9, segmentDuration: 2, video: [video], audio: [audio] })
  t.match(
    manifest,
    /<SegmentTemplate timescale="90000" initialization="v360\/init\.mp4" media="v360\/seg-\$Number%05d\$\.m4s" startNumber="1"><SegmentTimeline><S t="0" d="176400" r="2"\/><S d="225000"\/><S d="55800"\/><\/SegmentTimeline>/,
  )
  t.match(manifest, /<SegmentTimeline><S t="1024" d="96256"\/><S d="95232"\/><S d="96256"\/><S d="95232"\/><\/SegmentTimeline>/)
  t.match(manifest, /mediaPresentationDuration="PT9\.000S"/)
})

t.test('the multivariant playlist adds the audio peak and average to each variant', async (t) => {
  t.match(
    multivariantPlaylist({ video: [video], audio: [audio] }),
    /#EXT-X-STREAM-INF:BANDWIDTH=1030000,AVERAGE-BANDWIDTH=928000,CODECS="avc1\.64001e,mp4a\.40\.2",RESOLUTION=640x360,FRAME-RATE=25\.000,AUDIO="aud"\nv360\/index\.m3u8\n/,
  )
})
