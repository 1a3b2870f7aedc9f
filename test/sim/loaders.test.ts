import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildSidx } from '../../lib/media/sidx.js'
import { loadLadder } from '../../sim/manifest/read-ladder.js'
import { ladderFromTitle } from '../../sim/manifest/read-title.js'
import { twoRungTitle } from '../helpers/title-fixtures.js'

t.test('title.json gives exact sizes and per-segment VMAF', async (t) => {
  const l = ladderFromTitle(twoRungTitle())
  t.same(
    l.rungs.map((r) => r.id),
    ['360p', '720p'],
  )
  t.same([...l.rungs[1]!.bytes], [1_500_000, 1_400_000, 700_000])
  t.same([...l.rungs[0]!.quality!], [70, 74, 72])
  t.same([...l.segmentDurations], [4, 4, 2])
  t.equal(l.segmentDuration, 4)
  t.equal(l.qualityMetric, 'vmaf')
  t.ok(l.sizesExact)
  t.equal(l.bitrates[1], 3_750_000)
})

t.test('missing per-segment quality: the note names the renditions and how many segments', async (t) => {
  const title = twoRungTitle()
  const v720 = title.video.find((v) => v.id === '720p')!
  delete (v720.segments[1]!.quality as { vmaf?: number }).vmaf
  const l = ladderFromTitle(title)
  t.equal(l.qualityMetric, null)
  t.same(l.notes, ['per-segment vmaf is missing in 720p (1 of 3 segments); quality metrics are left out'])
})

const MASTER = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-STREAM-INF:BANDWIDTH=1000000,AVERAGE-BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"
360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=3750000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"
720p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=128000,CODECS="mp4a.40.2"
audio.m3u8
`
const media = (sizes: number[] | null) =>
  `#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="init.mp4"\n` +
  [4, 4, 2]
    .map(
      (d, i) =>
        `#EXTINF:${d}.0,\n${sizes ? `#EXT-X-BYTERANGE:${sizes[i]}@${sizes.slice(0, i).reduce((a, b) => a + b, 0)}\nmedia.mp4` : `seg-0000${i + 1}.m4s`}`,
    )
    .join('\n') +
  '\n#EXT-X-ENDLIST\n'

async function writePackage(dir: string, byterange: boolean): Promise<void> {
  await mkdir(join(dir, '360p'), { recursive: true })
  await mkdir(join(dir, '720p'), { recursive: true })
  await writeFile(join(dir, 'master.m3u8'), MASTER)
  await writeFile(join(dir, '360p/index.m3u8'), media(byterange ? [400_000, 380_000, 190_000] : null))
  await writeFile(join(dir, '720p/index.m3u8'), media(byterange ? [1_500_000, 1_400_000, 700_000] : null))
}

const MPD_HEAD =
  '<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT10S" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011"><Period>'

t.test('HLS: EXT-X-BYTERANGE gives exact sizes; without it sizes are estimated and the ladder says so', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-hls-'))
  await writePackage(dir, true)
  const exact = await loadLadder(join(dir, 'master.m3u8'))
  t.equal(exact.source, 'hls')
  t.same(
    exact.rungs.map((r) => r.id),
    ['360p', '720p'],
    'the audio-only variant is not a rung',
  )
  t.same([...exact.rungs[1]!.bytes], [1_500_000, 1_400_000, 700_000])
  t.ok(exact.sizesExact)
  t.same(exact.notes, [])
  await writePackage(dir, false)
  const est = await loadLadder(join(dir, 'master.m3u8'))
  t.notOk(est.sizesExact)
  // AVERAGE-BANDWIDTH 800 kbit/s × 4 s / 8 = 400 kB; the 720p variant has only BANDWIDTH.
  t.same([...est.rungs[0]!.bytes], [400_000, 400_000, 200_000])
  t.same([...est.rungs[1]!.bytes], [1_875_000, 1_875_000, 937_500])
  t.match(est.notes[0], /estimated as \(AVERAGE-\)BANDWIDTH × duration/)
  t.equal(est.rungs[0]?.width, 640)
})

t.test('malformed HLS is rejected naming the problem', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-badhls-'))
  const E = 'OCLAB_ERR_BAD_MANIFEST'
  const put = async (name: string, text: string) => {
    await writeFile(join(dir, name), text)
    return join(dir, name)
  }
  await t.rejects(loadLadder(await put('a.m3u8', 'hello\n')), { code: E, message: /does not start with #EXTM3U/ })
  await t.rejects(loadLadder(await put('b.m3u8', media(null))), { code: E, message: /media playlist, not a multivariant/ })
  await t.rejects(loadLadder(await put('c.m3u8', '#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=640x360\nv.m3u8\n')), { code: E, message: /no valid BANDWIDTH/ })
  await t.rejects(loadLadder(await put('d.m3u8', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nmissing.m3u8\n')), {
    code: E,
    message: /cannot read .*missing\.m3u8/,
  })
  await put('short.m3u8', '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\ns1.m4s\n#EXT-X-ENDLIST\n')
  await put('long.m3u8', media(null))
  await t.rejects(loadLadder(await put('e.m3u8', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nlong.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=200000\nshort.m3u8\n')), {
    code: E,
    message: /segment-aligned/,
  })
  await put('empty.m3u8', '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-ENDLIST\n')
  await t.rejects(loadLadder(await put('f.m3u8', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nempty.m3u8\n')), { code: E, message: /lists no segments/ })
})

t.test('DASH: SegmentList mediaRange and SegmentBase sidx are exact, SegmentTemplate is estimated', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-dash-'))
  // A media file whose sidx (at 800) indexes three subsegments of 4, 4 and 2 s.
  const sidx = buildSidx(1000, [
    { bytes: 1_500_000, ticks: 4000 },
    { bytes: 1_400_000, ticks: 4000 },
    { bytes: 700_000, ticks: 2000 },
  ])
  await writeFile(join(dir, 'hi.mp4'), Buffer.concat([Buffer.alloc(800), sidx]))
  const mpd = `${MPD_HEAD}<AdaptationSet mimeType="video/mp4" contentType="video">
<Representation id="hi" bandwidth="3750000" width="1280" height="720" codecs="avc1.64001f"><BaseURL>hi.mp4</BaseURL><SegmentBase indexRange="800-${799 + sidx.length}"><Initialization range="0-799"/></SegmentBase></Representation>
<Representation id="lo" bandwidth="1000000" width="640" height="360" codecs="avc1.64001e"><BaseURL>lo.mp4</BaseURL><SegmentList timescale="1000" duration="4000"><Initialization sourceURL="lo.mp4" range="0-99"/><SegmentURL media="lo.mp4" mediaRange="100-400099"/><SegmentURL media="lo.mp4" mediaRange="400100-780099"/><SegmentURL media="lo.mp4" mediaRange="780100-970099"/></SegmentList></Representation>
</AdaptationSet></Period></MPD>`
  await writeFile(join(dir, 'exact.mpd'), mpd)
  const l = await loadLadder(join(dir, 'exact.mpd'))
  t.equal(l.source, 'dash')
  t.same(
    l.rungs.map((r) => r.id),
    ['lo', 'hi'],
  )
  t.same([...l.rungs[1]!.bytes], [1_500_000, 1_400_000, 700_000], 'from the sidx box')
  t.same([...l.rungs[0]!.bytes], [400_000, 380_000, 190_000], 'from mediaRange')
  t.ok(l.sizesExact)
  t.same([...l.segmentDurations], [4, 4, 2], 'the last segment ends with the presentation')

  await writeFile(
    join(dir, 'template.mpd'),
    `${MPD_HEAD}<AdaptationSet mimeType="video/mp4"><SegmentTemplate timescale="1000" duration="4000" startNumber="1" media="$RepresentationID$/seg-$Number%05d$.m4s" initialization="$RepresentationID$/init.mp4"/>
<Representation id="360p" bandwidth="1000000" width="640" height="360"/><Representation id="720p" bandwidth="3000000" width="1280" height="720"/></AdaptationSet></Period></MPD>`,
  )
  const est = await loadLadder(join(dir, 'template.mpd'))
  t.notOk(est.sizesExact)
  t.same([...est.rungs[1]!.bytes], [1_500_000, 1_500_000, 750_000], '@bandwidth × duration (the last segment is 2 s)')
  t.match(est.notes[0], /estimated as @bandwidth × duration/)
})

t.test('malformed DASH is rejected naming the problem', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-baddash-'))
  const E = 'OCLAB_ERR_BAD_MANIFEST'
  const put = async (name: string, text: string | Buffer) => {
    await writeFile(join(dir, name), text)
    return join(dir, name)
  }
  await t.rejects(loadLadder(await put('a.mpd', '<html></html>')), { code: E, message: /no <MPD> element/ })
  await t.rejects(loadLadder(await put('b.mpd', '<MPD><Period')), { code: E, message: /not a valid MPD/ })
  await t.rejects(
    loadLadder(
      await put(
        'c.mpd',
        `${MPD_HEAD}<AdaptationSet mimeType="video/mp4"><SegmentTemplate timescale="1000" duration="4000" media="s$Number$.m4s"/><Representation id="x" width="640" height="360"/></AdaptationSet></Period></MPD>`,
      ),
    ),
    { code: E, message: /"x" has no valid @bandwidth/ },
  )
  await put('bad.mp4', Buffer.concat([Buffer.alloc(100), Buffer.from([0, 0, 0, 0x1c]), Buffer.from('moof', 'latin1'), Buffer.alloc(24)]))
  await t.rejects(
    loadLadder(
      await put(
        'd.mpd',
        `${MPD_HEAD}<AdaptationSet mimeType="video/mp4"><Representation id="y" bandwidth="1000"><BaseURL>bad.mp4</BaseURL><SegmentBase indexRange="100-131"/></Representation></AdaptationSet></Period></MPD>`,
      ),
    ),
    { code: E, message: /"y": the index range holds a "moof" box, not "sidx"/ },
  )
  await t.rejects(loadLadder(join(dir, 'nope.mpd')), { code: E, message: /cannot read/ })
})

t.test('manifests and title.json load over HTTP (undici), including sidx byte ranges', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-http-'))
  await writePackage(dir, true)
  await writeFile(join(dir, 'title.json'), JSON.stringify(twoRungTitle()))
  const sidx = buildSidx(1000, [
    { bytes: 1000, ticks: 4000 },
    { bytes: 1200, ticks: 4000 },
  ])
  await writeFile(join(dir, 'v.mp4'), Buffer.concat([Buffer.alloc(50), sidx]))
  await writeFile(
    join(dir, 'm.mpd'),
    `${MPD_HEAD}<AdaptationSet mimeType="video/mp4"><Representation id="v" bandwidth="2000"><BaseURL>v.mp4</BaseURL><SegmentBase indexRange="50-${49 + sidx.length}"/></Representation></AdaptationSet></Period></MPD>`,
  )
  const ranges: string[] = []
  const server = createServer(async (req, res) => {
    try {
      const body = await readFile(join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname)))
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '')
      if (m) {
        ranges.push(req.headers.range!)
        res.writeHead(206, { 'content-range': `bytes ${m[1]}-${m[2]}/${body.length}` })
        res.end(body.subarray(Number(m[1]), Number(m[2]) + 1))
      } else res.end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const hls = await loadLadder(`${base}/master.m3u8`)
  t.same([...hls.rungs[0]!.bytes], [400_000, 380_000, 190_000])
  const title = await loadLadder(`${base}/title.json`)
  t.same([...title.rungs[0]!.quality!], [70, 74, 72])
  const dash = await loadLadder(`${base}/m.mpd`)
  t.same([...dash.rungs[0]!.bytes], [1000, 1200])
  t.same(ranges, [`bytes=50-${49 + sidx.length}`], 'only the index range was fetched')
  await t.rejects(loadLadder(`${base}/missing.m3u8`), { code: 'OCLAB_ERR_BAD_MANIFEST', message: /HTTP 404/ })
})

t.test('title.json errors come from the shared validator', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-title-'))
  const bad = { ...twoRungTitle(), video: [] }
  await writeFile(join(dir, 'title.json'), JSON.stringify(bad))
  await t.rejects(loadLadder(join(dir, 'title.json')), { code: 'OCLAB_ERR_BAD_TITLE', message: /\/video/ })
  await t.rejects(loadLadder(dir), { code: 'OCLAB_ERR_BAD_TITLE' }, 'a package folder reads its title.json')
})

t.test('absurd ladder values are refused naming the rung or segment (issue 15)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-absurd-'))
  const E = 'OCLAB_ERR_BAD_MANIFEST'
  const put = async (name: string, text: string) => {
    await writeFile(join(dir, name), text)
    return join(dir, name)
  }
  const mediaWith = (extinf: string) => `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\ns1.m4s\n#EXTINF:${extinf},\ns2.m4s\n#EXT-X-ENDLIST\n`
  await put('ok.m3u8', mediaWith('4'))
  await t.rejects(loadLadder(await put('b.m3u8', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=200000000000\nok.m3u8\n')), {
    code: E,
    message: /has bitrate 200 Gbit\/s, above the 100 Gbit\/s a rung may have/,
  })
  await put('long.m3u8', mediaWith('5000'))
  await t.rejects(loadLadder(await put('c.m3u8', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nlong.m3u8\n')), {
    code: E,
    message: /segment 2 lasts 5000 s, more than the 3600 s a segment may last/,
  })
  const infinite = twoRungTitle()
  infinite.video[1]!.bandwidth = Infinity
  t.throws(() => ladderFromTitle(infinite), { code: E, message: /rung "360p" has bitrate Infinity/ })
  const avg = twoRungTitle()
  avg.video[1]!.averageBandwidth = 1e300
  t.throws(() => ladderFromTitle(avg), { code: E, message: /rung "360p" has average bitrate 1e\+300/ })
  const bytes = twoRungTitle()
  bytes.video[0]!.segments[0]!.bytes = 1e300
  t.throws(() => ladderFromTitle(bytes), { code: E, message: /rung "720p" segment 1 has 1e\+300 bytes/ })
  const week = twoRungTitle()
  const hour = { ...week.video[0]!.segments[0]!, duration: 3600 }
  t.throws(() => ladderFromTitle({ ...week, video: week.video.map((v) => ({ ...v, segments: Array.from({ length: 200 }, () => hour) })) }), {
    code: E,
    message: /add up to 720000 s, more than the 604800 s/,
  })
})

t.test('manifests over the input limit are refused, from disk and over HTTP, declared or not (issue 15)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-sim-limit-'))
  await writePackage(dir, true)
  const size = (await readFile(join(dir, 'master.m3u8'))).length
  const E = 'OCLAB_ERR_INPUT_TOO_LARGE'
  await t.rejects(loadLadder(join(dir, 'master.m3u8'), { maxInputBytes: size - 1 }), {
    code: E,
    message: new RegExp(`master\\.m3u8 \\(${size} bytes\\) is larger than the input limit of ${size - 1} bytes`),
  })
  t.equal((await loadLadder(join(dir, 'master.m3u8'), { maxInputBytes: 100_000 })).rungs.length, 2, 'the limit is per file and inclusive')
  let chunked = false
  const server = createServer(async (req, res) => {
    const body = await readFile(join(dir, new URL(req.url!, 'http://x').pathname))
    // ?chunked sends no Content-Length: the limit must then hold while reading.
    if (req.url!.includes('chunked')) {
      chunked = true
      res.write(body.subarray(0, 10))
      res.end(body.subarray(10))
    } else res.end(body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  await t.rejects(loadLadder(`${base}/master.m3u8`, { maxInputBytes: size - 1 }), {
    code: E,
    message: new RegExp(`\\(Content-Length ${size}\\) is larger than the input limit`),
  })
  await t.rejects(loadLadder(`${base}/master.m3u8?chunked`, { maxInputBytes: size - 1 }), {
    code: E,
    message: /master\.m3u8\?chunked is larger than the input limit/,
  })
  t.ok(chunked, 'the server sent the body without a length')
})
