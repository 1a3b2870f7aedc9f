import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Parser } from 'm3u8-parser'
import { parse as parseMpd } from 'mpd-parser'
import t from 'tap'
import { ffprobeJson } from '../../lib/ffmpeg.js'
import { sha256File } from '../../lib/hash.js'
import { readTitle, TITLE_VERSION } from '../../lib/title-package.js'
import { hasVmafModel, tempDir, testPackage, VMAF_MODEL } from '../helpers/package.js'

interface HlsVariant {
  uri: string
  attributes: Record<string, unknown> & { RESOLUTION?: { width: number; height: number } }
}
interface HlsRendition {
  uri: string
  language?: string
  default?: boolean
  autoselect?: boolean
  forced?: boolean
}
interface HlsManifest {
  playlists?: HlsVariant[]
  segments: Array<{ uri: string; duration: number; map?: { uri: string } }>
  mediaGroups?: {
    AUDIO?: Record<string, Record<string, HlsRendition>>
    SUBTITLES?: Record<string, Record<string, HlsRendition>>
  }
  targetDuration?: number
  endList?: boolean
  version?: number
}

const parseM3u8 = (text: string): HlsManifest => {
  const p = new Parser()
  p.push(text)
  p.end()
  return p.manifest as unknown as HlsManifest
}

t.test('a source becomes a complete, consistent CMAF title package', async (t) => {
  const dir = await tempDir(t)
  // 640x360 → 3 fixed rungs; 5 s at 1 s segments and 2 segments per chunk → 3 chunks, the last one short
  const { titleDir, source } = await testPackage(
    dir,
    { width: 640, height: 360, duration: 5 },
    { segmentsPerChunk: 2, vmafModel: hasVmafModel ? VMAF_MODEL : null },
  )
  const title = await readTitle(titleDir)

  t.test('title.json describes the package', async (t) => {
    t.equal(title.version, TITLE_VERSION)
    t.equal(title.duration, 5)
    t.equal(title.segmentDuration, 1)
    t.equal(title.encode.chunks, 3)
    t.equal(title.encode.jobs, 9)
    t.same(
      title.video.map((v) => `${v.width}x${v.height}`),
      ['426x240', '512x288', '640x360'],
    )
    t.equal(title.source.video.frameCount, 125)
    t.same(
      title.audio.map((a) => [a.id, a.language, a.name, a.origin, a.codecs]),
      [
        ['audio-en', 'en', 'English', 'stream:0', 'mp4a.40.2'],
        ['audio-fr', 'fr', 'Français', 'stream:1', 'mp4a.40.2'],
      ],
      "one AAC rendition per source audio stream, language shortened to BCP 47 and named from the stream's tags",
    )
    for (const a of title.audio) t.equal(a.segments.length, 5, `${a.id}: one segment per video segment`)
    const text = title.text?.[0]
    t.equal(title.text?.length, 1, 'one subtitle rendition')
    t.match(text, { id: 'text-en', language: 'en', name: 'English', forced: false, codecs: 'wvtt', playlist: 'text-en/index.m3u8' })
    t.same(
      text?.segments.map((s) => [s.start, s.duration]),
      title.video[0]!.segments.map((s) => [s.start, s.duration]),
      'subtitle segments on the video grid',
    )
    t.equal(text?.sidecar.path, 'text-en/full.vtt')
    for (const v of title.video) {
      t.match(v.codecs, /^avc1\.6400[0-9a-f]{2}$/, `${v.id}: High profile codecs string from avcC`)
      t.equal(v.segments.length, 5)
      t.ok(v.bandwidth >= v.averageBandwidth, `${v.id}: peak ≥ average`)
      t.ok(v.quality.ssim > 0.8 && v.quality.psnr > 25, `${v.id}: plausible SSIM/PSNR`)
      if (hasVmafModel) t.ok(v.quality.vmaf! > 50, `${v.id}: VMAF measured (${v.quality.vmaf})`)
      let expectStart = 0
      for (const s of v.segments) {
        t.equal(s.duration, 1, `${s.uri} lasts one segment`)
        t.equal(s.start, expectStart, `${s.uri} starts where the previous ended`)
        t.ok(s.quality, `${s.uri} has quality`)
        expectStart += s.duration
      }
    }
    // quality rises with the rung
    const ssims = title.video.map((v) => v.quality.ssim)
    t.same(
      [...ssims].sort((a, b) => a - b),
      ssims,
    )
  })

  t.test('every listed file exists with its size and sha256', async (t) => {
    t.ok(title.files.length >= 3 * 7 + 2 * 7 + 7 + 2, 'segments, inits, playlists and manifests are listed')
    const listed = new Set(title.files.map((f) => f.path))
    for (const x of title.text ?? []) {
      for (const p of [x.playlist, x.sidecar.path, ...x.segments.map((s) => s.uri)]) t.ok(listed.has(p), `${p} is listed`)
    }
    for (const f of title.files) {
      const p = join(titleDir, f.path)
      t.equal((await stat(p)).size, f.bytes, `${f.path} bytes`)
      t.equal(await sha256File(p), f.sha256, `${f.path} sha256`)
    }
  })

  t.test('HLS playlists parse and agree with title.json', async (t) => {
    const master = parseM3u8(await readFile(join(titleDir, 'master.m3u8'), 'utf8'))
    t.equal(master.playlists?.length, 3)
    // BANDWIDTH: video plus the most demanding audio and subtitle renditions (RFC 8216 §4.3.4.2)
    const audioPeak = Math.max(...title.audio.map((a) => a.bandwidth)) + Math.max(...(title.text ?? []).map((x) => x.bandwidth))
    for (const v of title.video) {
      const variant = master.playlists!.find((p) => p.uri === v.playlist)!
      t.ok(variant, `${v.id} is a variant`)
      t.equal(variant.attributes.BANDWIDTH, v.bandwidth + audioPeak, `${v.id}: BANDWIDTH = measured video peak + audio peak + subtitle peak`)
      t.equal(variant.attributes.CODECS, `${v.codecs},mp4a.40.2`)
      t.same(variant.attributes.RESOLUTION, { width: v.width, height: v.height })
      t.equal(Number(variant.attributes['FRAME-RATE']), 25)
      t.equal(variant.attributes.AUDIO, 'aud')
      t.equal(variant.attributes.SUBTITLES, 'subs')
      const media = parseM3u8(await readFile(join(titleDir, v.playlist), 'utf8'))
      t.equal(media.endList, true, 'VOD playlist ends')
      t.equal(media.targetDuration, 1)
      t.same(
        media.segments.map((s) => `${v.id}/${s.uri}`),
        v.segments.map((s) => s.uri),
      )
      t.same(
        media.segments.map((s) => s.duration),
        v.segments.map((s) => s.duration),
      )
      t.equal(media.segments[0]?.map?.uri, 'init.mp4')
    }
    const audioGroup = master.mediaGroups?.AUDIO?.aud
    t.ok(audioGroup, 'audio group resolves')
    t.same(
      Object.entries(audioGroup ?? {}).map(([name, a]) => [name, a.language, a.default, a.autoselect, a.uri]),
      [
        ['English', 'en', true, true, 'audio-en/index.m3u8'],
        ['Français', 'fr', false, true, 'audio-fr/index.m3u8'],
      ],
    )
    const subs = master.mediaGroups?.SUBTITLES?.subs
    t.same(
      Object.entries(subs ?? {}).map(([name, x]) => [name, x.language, x.default, x.autoselect, x.forced ?? false, x.uri]),
      [['English', 'en', false, true, false, 'text-en/index.m3u8']],
    )
    const x = title.text![0]!
    const media = parseM3u8(await readFile(join(titleDir, x.playlist), 'utf8'))
    t.same(
      media.segments.map((s) => [`${x.id}/${s.uri}`, s.duration, s.map]),
      x.segments.map((s) => [s.uri, s.duration, undefined]),
      'the subtitle playlist lists its WebVTT segments, without EXT-X-MAP',
    )
    const seg = await readFile(join(titleDir, x.segments[1]!.uri), 'utf8')
    t.match(seg, /^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00\.000\n\n/, 'a segment maps cue time 0 to the video start')
    t.match(seg, /00:00:00\.500 --> 00:00:01\.700\nEnglish cue 1/, 'the cue spanning the 1 s boundary is repeated in the second segment')
  })

  t.test('the DASH MPD references the same segments', async (t) => {
    const mpd = parseMpd(await readFile(join(titleDir, 'manifest.mpd'), 'utf8'), { manifestUri: 'http://x/titles/test-title/manifest.mpd' })
    t.equal(mpd.playlists.length, 3)
    t.equal(mpd.duration, 5)
    for (const v of title.video) {
      const rep = mpd.playlists.find((p) => p.attributes.NAME === v.id)!
      t.ok(rep, `${v.id} is a Representation`)
      t.equal(rep.attributes.BANDWIDTH, v.bandwidth)
      t.equal(rep.attributes.CODECS, v.codecs)
      t.same(
        rep.segments.map((s) => s.uri),
        v.segments.map((s) => s.uri),
      )
      t.same(
        rep.segments.map((s) => s.duration),
        v.segments.map((s) => s.duration),
      )
    }
  })

  t.test('the DASH MPD has an AdaptationSet per audio language and the subtitles as side-loaded WebVTT', async (t) => {
    const xml = await readFile(join(titleDir, 'manifest.mpd'), 'utf8')
    const sets = [...xml.matchAll(/<AdaptationSet [^>]*contentType="(audio|text)"[^>]*lang="([^"]+)"[^>]*>([\s\S]*?)<\/AdaptationSet>/g)].map((m) => ({
      type: m[1],
      lang: m[2],
      role: /<Role [^>]*value="([^"]+)"/.exec(m[3]!)?.[1],
      label: /<Label>([^<]*)<\/Label>/.exec(m[3]!)?.[1],
      baseUrl: /<BaseURL>([^<]*)<\/BaseURL>/.exec(m[3]!)?.[1],
    }))
    t.same(sets, [
      { type: 'audio', lang: 'en', role: 'main', label: 'English', baseUrl: undefined },
      { type: 'audio', lang: 'fr', role: 'alternate', label: 'Français', baseUrl: undefined },
      { type: 'text', lang: 'en', role: 'subtitle', label: 'English', baseUrl: 'text-en/full.vtt' },
    ])
    t.match(xml, /contentType="text" mimeType="text\/vtt"/)
  })

  t.test('segments decode with the right frames and durations', async (t) => {
    for (const v of [title.video[0]!, title.video[2]!]) {
      const init = await readFile(join(titleDir, v.init.path))
      let frames = 0
      for (const s of v.segments) {
        const joined = join(dir, 'probe.mp4')
        await writeFile(joined, Buffer.concat([init, await readFile(join(titleDir, s.uri))]))
        const count = await ffprobeJson<{ streams: Array<{ nb_read_frames: string }> }>([
          '-count_frames',
          '-show_entries',
          'stream=nb_read_frames',
          '-select_streams',
          'v:0',
          joined,
        ])
        t.equal(Number(count.streams[0]?.nb_read_frames), 25, `${s.uri}: 25 frames`)
        const first = await ffprobeJson<{ frames: Array<{ key_frame: number; pict_type: string }> }>([
          '-show_entries',
          'frame=key_frame,pict_type',
          '-read_intervals',
          '%+#1',
          '-select_streams',
          'v:0',
          joined,
        ])
        t.equal(first.frames[0]?.pict_type, 'I', `${s.uri}: starts with an I frame`)
        t.equal(first.frames[0]?.key_frame, 1, `${s.uri}: which is a keyframe`)
        frames += 25
      }
      t.equal(frames, title.source.video.frameCount, `${v.id}: stitched chunks keep every frame`)
    }
    t.ok((await stat(source)).size > 0)
  })
})
