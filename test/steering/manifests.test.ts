import { Parser } from 'm3u8-parser'
import { parse as parseMpd } from 'mpd-parser'
import t from 'tap'
import { rewriteMpd } from '../../steering/dash-mpd.js'
import { parseMaster, rewriteMaster, stableUris } from '../../steering/hls-master.js'
import { dashSteeringManifest, hlsSteeringManifest, type Target } from '../../steering/steering-manifest.js'

// The fields these tests read; the shared declarations cover only what every stage needs.
interface SteeredPlaylist {
  uri: string
  attributes: Record<string, unknown>
}
interface SteeredHls {
  playlists: SteeredPlaylist[]
  mediaGroups: { AUDIO: Record<string, Record<string, { uri: string }>> }
  contentSteering?: { serverUri: string; pathwayId: string }
}
interface SteeredDash {
  playlists: Array<{ attributes: { serviceLocation?: string; NAME?: string }; segments: Array<{ resolvedUri: string }> }>
  contentSteering?: { serverURL: string; defaultServiceLocation: string; queryBeforeStart: boolean }
}

// The shape the encoder writes (encoder/packager/hls.ts), with an I-frame variant and a comment besides.
const MASTER = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
# a comment
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="en",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio-en/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=400000,AVERAGE-BANDWIDTH=300000,CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=320x180,FRAME-RATE=25.000,AUDIO="audio",CLOSED-CAPTIONS=NONE
v180p-300k/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=700000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="audio"
v360p-700k/index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,CODECS="avc1.64001e",URI="v360p-700k/iframes.m3u8"
`

const MPD = `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="PT4S" minBufferTime="PT1S">
  <BaseURL>http://old.example/</BaseURL>
  <Period id="0" start="PT0S">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4">
      <Representation id="v180p-300k" bandwidth="300000" width="320" height="180" codecs="avc1.64000d">
        <SegmentTemplate timescale="1000" initialization="v180p-300k/init.mp4" media="v180p-300k/seg-$Number%05d$.m4s" startNumber="1"><SegmentTimeline><S t="0" d="1000" r="3"/></SegmentTimeline></SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
`

const sig = '/t/1700000000/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/titles/t1/'
const pathways = [
  { id: 'ams1', base: `http://127.0.0.1:8001${sig}` },
  { id: 'fra1', base: `http://127.0.0.1:8002${sig}` },
]

t.test('HLS: one Pathway per OCA, absolute URIs to it, groups per Pathway; m3u8-parser reads it', async (t) => {
  const text = rewriteMaster(parseMaster(MASTER), pathways, { serverUri: 'http://steer.example/v1/steering/hls?title=t1', pathwayId: 'ams1' })
  t.match(
    text,
    /^#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-CONTENT-STEERING:SERVER-URI="http:\/\/steer.example\/v1\/steering\/hls\?title=t1",PATHWAY-ID="ams1"\n/,
  )
  const p = new Parser()
  p.push(text)
  p.end()
  const m = p.manifest as unknown as SteeredHls
  t.same(m.contentSteering, { serverUri: 'http://steer.example/v1/steering/hls?title=t1', pathwayId: 'ams1' })
  t.equal(m.playlists.length, 4, 'two variants × two pathways')
  for (const pl of m.playlists) {
    const pw = pathways.find((x) => x.id === pl.attributes['PATHWAY-ID'])
    t.ok(pw && pl.uri.startsWith(pw.base), `${pl.uri} is on its pathway's OCA`)
    t.equal(pl.attributes.AUDIO, `audio-${pw!.id}`, 'its audio group is its own')
  }
  t.same(
    m.playlists.map((x) => x.attributes['STABLE-VARIANT-ID']),
    ['v180p-300k/index.m3u8', 'v360p-700k/index.m3u8', 'v180p-300k/index.m3u8', 'v360p-700k/index.m3u8'],
  )
  t.equal(m.mediaGroups.AUDIO['audio-fra1']!.en!.uri, `${pathways[1]!.base}audio-en/index.m3u8`)
  t.match(
    text,
    /#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,CODECS="avc1.64001e",URI="http:\/\/127.0.0.1:8002\/t\/.*\/v360p-700k\/iframes.m3u8",PATHWAY-ID="fra1",STABLE-VARIANT-ID="v360p-700k\/iframes.m3u8"/,
  )
  t.match(text, /CLOSED-CAPTIONS=NONE/, 'NONE is not a group')
  t.notMatch(text, /a comment/)
  const again = rewriteMaster(parseMaster(text), [pathways[0]!], { serverUri: 'http://x/', pathwayId: 'ams1' })
  t.equal(again.match(/EXT-X-CONTENT-STEERING/g)?.length, 1, 'rewriting a rewritten playlist keeps one steering tag')
  t.same(stableUris(parseMaster(MASTER)), {
    variants: {
      'v180p-300k/index.m3u8': 'v180p-300k/index.m3u8',
      'v360p-700k/index.m3u8': 'v360p-700k/index.m3u8',
      'v360p-700k/iframes.m3u8': 'v360p-700k/iframes.m3u8',
    },
    renditions: { 'audio-en/index.m3u8': 'audio-en/index.m3u8' },
  })
})

t.test('HLS: malformed multivariant playlists are refused with a reason', async (t) => {
  t.throws(() => parseMaster('hello'), { code: 'OCLAB_ERR_BAD_MANIFEST', message: /#EXTM3U/ })
  t.throws(() => parseMaster('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n'), { message: /has no URI/ })
  t.throws(() => parseMaster('#EXTM3U\n#EXT-X-VERSION:7\n'), { message: /no variants/ })
  t.throws(() => parseMaster('#EXTM3U\nseg.ts\n'), { message: /unexpected URI on line 2/ })
  t.throws(() => parseMaster('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1\nv.m3u8\n'), {
    code: 'OCLAB_ERR_BAD_MANIFEST',
    message: /line 2: attribute CODECS has an unterminated quoted-string/,
  })
  t.throws(() => parseMaster('#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",GROUP-ID="b"\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n'), {
    message: /line 2: attribute GROUP-ID appears twice/,
  })
  t.throws(() => rewriteMaster(parseMaster(MASTER), [], { serverUri: 'x', pathwayId: 'x' }), { message: /no pathway/ })
})

t.test('DASH: a BaseURL per serviceLocation and a ContentSteering element; mpd-parser reads it', async (t) => {
  const xml = rewriteMpd(MPD, pathways, {
    serverUrl: 'http://steer.example/v1/steering/dash?title=t1&exp=1',
    defaultServiceLocation: 'ams1',
    queryBeforeStart: true,
    proxyServerUrl: 'http://proxy.example/',
  })
  t.notMatch(xml, /old\.example/, 'the package BaseURL is replaced')
  t.match(
    xml,
    /<ContentSteering defaultServiceLocation="ams1" queryBeforeStart="true" proxyServerURL="http:\/\/proxy.example\/">http:\/\/steer.example\/v1\/steering\/dash\?title=t1&amp;exp=1<\/ContentSteering>/,
  )
  const m = parseMpd(xml, { manifestUri: 'http://steer.example/v1/play/t1/manifest.mpd' }) as unknown as SteeredDash
  t.same(m.contentSteering, {
    serverURL: 'http://steer.example/v1/steering/dash?title=t1&exp=1',
    defaultServiceLocation: 'ams1',
    queryBeforeStart: true,
    proxyServerURL: 'http://proxy.example/',
  })
  t.equal(m.playlists.length, 2, 'one representation × two service locations')
  for (const pl of m.playlists) {
    const pw = pathways.find((x) => x.id === pl.attributes.serviceLocation)
    t.ok(pw, `serviceLocation ${pl.attributes.serviceLocation}`)
    t.equal(pl.segments.length, 4)
    t.ok(
      pl.segments.every((s) => s.resolvedUri.startsWith(`${pw!.base}v180p-300k/seg-0000`)),
      'every segment resolves under its OCA (signed prefix kept)',
    )
  }
  t.throws(() => rewriteMpd('<html/>', pathways, { serverUrl: 'x', defaultServiceLocation: 'x', queryBeforeStart: false }), { code: 'OCLAB_ERR_BAD_MANIFEST' })
  t.throws(() => rewriteMpd(MPD, [], { serverUrl: 'x', defaultServiceLocation: 'x', queryBeforeStart: false }), { message: /no pathway/ })
  const st = { serverUrl: 'http://s/?a=1&b=2', defaultServiceLocation: 'ams1', queryBeforeStart: false }
  t.equal(
    rewriteMpd(xml, pathways, {
      ...st,
      proxyServerUrl: 'http://proxy.example/',
      serverUrl: 'http://steer.example/v1/steering/dash?title=t1&exp=1',
      queryBeforeStart: true,
    }),
    xml,
    'rewriting a rewritten MPD changes nothing',
  )
  // what regular expressions get wrong: a comment that looks like an element, '>' inside an attribute, an old ContentSteering
  const tricky = MPD.replace(
    '<BaseURL>http://old.example/</BaseURL>',
    '<!-- <BaseURL>keep me</BaseURL> --><ContentSteering defaultServiceLocation="x">http://old-steer/</ContentSteering>',
  ).replace('minBufferTime="PT1S"', 'minBufferTime="PT1S" data-x="a>b"')
  const out = rewriteMpd(tricky, pathways, st)
  t.match(out, /<!-- <BaseURL>keep me<\/BaseURL> -->/, 'a comment stays a comment')
  t.notMatch(out, /old-steer/, 'the old ContentSteering is replaced')
  t.match(out, /data-x="a&gt;b">\n {2}<BaseURL serviceLocation="ams1">/, 'the new elements go after the real end of the start tag')
  t.match(
    out,
    /<ContentSteering defaultServiceLocation="ams1" queryBeforeStart="false">http:\/\/s\/\?a=1&amp;b=2<\/ContentSteering>/,
    'the XML library escapes the URL',
  )
  t.equal(rewriteMpd(out, pathways, st), out)
  t.throws(() => rewriteMpd('<MPD><Period></MPD>', pathways, st), { code: 'OCLAB_ERR_BAD_MANIFEST', message: /not a well-formed DASH MPD/ })
  t.throws(() => rewriteMpd('not xml at all', pathways, st), { code: 'OCLAB_ERR_BAD_MANIFEST' })
})

const target = (id: string, site: string, hostPort: string): Target => ({ id, site, base: `http://${hostPort}${sig}` })

t.test('steering manifests: priority from the ranking, down pathways left out, clones for new OCAs of a known site', async (t) => {
  const known = [target('ams1', 'ams', '127.0.0.1:8001'), target('fra1', 'fra', '127.0.0.1:8002'), target('nyc1', 'nyc', '127.0.0.1:8003')]
  // nyc1 is down (not ranked); ams2 is new in site ams on another port; ams3 is new on the same port, another host; lon1 is new in an unknown site.
  const ranked = [
    target('ams2', 'ams', '127.0.0.1:8004'),
    target('ams3', 'ams', '127.0.0.2:8001'),
    known[0]!,
    known[1]!,
    target('lon1', 'lon', '127.0.0.1:8005'),
  ]
  const stable = stableUris(parseMaster(MASTER))
  const hls = hlsSteeringManifest({ ranked, known, ttlSeconds: 7, reloadUri: 'http://steer.example/r' }, stable)
  t.same(hls['PATHWAY-PRIORITY'], ['ams2', 'ams3', 'ams1', 'fra1'], 'down nyc1 dropped; lon1 is in no known site')
  t.match(hls, { VERSION: 1, TTL: 7, 'RELOAD-URI': 'http://steer.example/r' })
  t.same(hls['PATHWAY-CLONES']![1], { 'BASE-ID': 'ams1', ID: 'ams3', 'URI-REPLACEMENT': { HOST: '127.0.0.2' } }, 'same port: HOST')
  const byPort = hls['PATHWAY-CLONES']![0]!
  t.match(byPort, { 'BASE-ID': 'ams1', ID: 'ams2' })
  t.equal(byPort['URI-REPLACEMENT'].HOST, undefined, 'HLS HOST cannot change a port')
  t.equal(byPort['URI-REPLACEMENT']['PER-VARIANT-URIS']!['v360p-700k/index.m3u8'], `http://127.0.0.1:8004${sig}v360p-700k/index.m3u8`)
  t.equal(byPort['URI-REPLACEMENT']['PER-RENDITION-URIS']!['audio-en/index.m3u8'], `http://127.0.0.1:8004${sig}audio-en/index.m3u8`)

  const noStable = hlsSteeringManifest({ ranked, known, ttlSeconds: 7 })
  t.same(noStable['PATHWAY-PRIORITY'], ['ams3', 'ams1', 'fra1'], 'without per-variant URIs the other-port clone is not offered')
  t.equal(noStable['RELOAD-URI'], undefined)

  const dash = dashSteeringManifest({ ranked, known, ttlSeconds: 7 })
  t.same(dash['PATHWAY-PRIORITY'], ['ams2', 'ams3', 'ams1', 'fra1'])
  t.same(
    dash['PATHWAY-CLONES'],
    [
      { 'BASE-ID': 'ams1', ID: 'ams2', 'URI-REPLACEMENT': { HOST: '127.0.0.1:8004' } },
      { 'BASE-ID': 'ams1', ID: 'ams3', 'URI-REPLACEMENT': { HOST: '127.0.0.2:8001' } },
    ],
    'dash.js takes host:port',
  )

  const allDown = hlsSteeringManifest({ ranked: [], known, ttlSeconds: 7 })
  t.same(allDown['PATHWAY-PRIORITY'], ['ams1', 'fra1', 'nyc1'], 'nothing live: the known pathways, never an empty list')
  t.equal(allDown['PATHWAY-CLONES'], undefined)
  t.same(dashSteeringManifest({ ranked: [], known, ttlSeconds: 1 })['PATHWAY-PRIORITY'], ['ams1', 'fra1', 'nyc1'])
})
