import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DOMParser } from '@xmldom/xmldom'
import t from 'tap'
import { encodeTitle } from '../../encoder/encode-title.js'
import { codecComparisons } from '../../encoder/ladder/compare.js'
import { parseLadderSpec } from '../../encoder/ladder/ladder.js'
import { ladderSummary } from '../../encoder/packager/summary.js'
import { ffmpegPath, ffprobeJson } from '../../lib/ffmpeg.js'
import { DEBIAN_FFMPEG } from '../../lib/ffmpeg-builds.js'
import { readTitle, type Title } from '../../lib/title-package.js'
import { lintManifest } from '../../sim/lint/index.js'
import { initTracks, segmentStart } from '../../sim/lint/mp4-probe.js'
import { ladderFromTitle } from '../../sim/manifest/read-title.js'
import { oclab } from '../helpers/cli.js'
import { hasVmafModel, tempDir, testSource, VMAF_MODEL } from '../helpers/package.js'

/**
 * HEVC and AV1 ladders beside H.264. AV1 needs Debian's ffmpeg (libsvtav1);
 * .ci/run installs it, so without it these tests fail and say so rather
 * than skip.
 */
const debian = existsSync(DEBIAN_FFMPEG)
const vmafModel = hasVmafModel ? VMAF_MODEL : null
const sets = (title: Title) => [...new Set(title.video.map((v) => v.codec))]

t.test('a codec whose encoder no build has fails at once, before any work, and says what to install', async (t) => {
  const dir = await tempDir(t)
  const store = join(dir, 'store')
  await t.rejects(
    encodeTitle({ source: join(dir, 'never-read.mp4'), store, codecs: ['h264', 'av1'], encoderFfmpeg: ffmpegPath(), vmafModel: null }),
    { code: 'OCLAB_ERR_MISSING_ENCODER', message: /libsvtav1/ },
    'the bundled build alone has no libsvtav1: refused before the (missing) source is even opened',
  )
  t.notOk(existsSync(store), 'nothing was written')
  await t.rejects(encodeTitle({ source: join(dir, 'never-read.mp4'), store, ladder: 'shot-based', codecs: ['av1'], vmafModel: null }), {
    code: 'OCLAB_ERR_USAGE',
    message: /shot-based ladders need key frames/,
  })
  const cli = await oclab(['encode', join(dir, 'never-read.mp4'), '--out', store, '--codecs', 'h264,vp9'])
  t.equal(cli.code, 2, 'an unknown codec is bad usage')
  t.match(cli.err, /--codecs: expected a comma-separated list of h264, hevc, av1; got "h264,vp9"/)
  const missing = await oclab(['encode', join(dir, 'never-read.mp4'), '--out', store, '--codecs', 'av1', '--encoder-ffmpeg', ffmpegPath()])
  t.equal(missing.code, 1)
  t.match(missing.err, /OCLAB_ERR_MISSING_ENCODER|no ffmpeg with the libsvtav1 encoder/)
})

t.test('H.264 + HEVC + AV1 ladders in one CMAF package', async (t) => {
  if (!debian) {
    t.fail(`Debian's ffmpeg is not at ${DEBIAN_FFMPEG} (apt-get install ffmpeg; .ci/run installs it): AV1 cannot be encoded`)
    return
  }
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 3 })
  const store = join(dir, 'store')
  const opts = {
    source,
    store,
    titleId: 'three',
    segmentDuration: 1,
    segmentsPerChunk: 2,
    concurrency: 2,
    keepWork: true,
    vmafModel,
    ladder: parseLadderSpec('192x108@120k,320x180@300k')!,
    codecs: ['h264', 'hevc', 'av1'] as const,
    h264: { preset: 'ultrafast' },
    presets: { hevc: 'ultrafast', av1: '12' },
  }
  const { title, titleDir } = await encodeTitle({ ...opts, codecs: [...opts.codecs] })

  t.test('title.json: version 3, one ladder per codec, which build did what', async (t) => {
    t.equal(title.version, 3)
    t.same(sets(title), ['h264', 'hevc', 'av1'])
    t.same(
      title.ladders?.map((l) => l.codec),
      ['h264', 'hevc', 'av1'],
    )
    t.equal(title.encode.codec, 'h264', 'the main codec')
    const builds = title.encode.ffmpeg!
    t.equal(builds.quality.path, ffmpegPath(), 'quality on the quality build')
    t.equal(builds.quality.libvmaf, true)
    t.same(
      builds.video.map((b) => [b.codec, b.encoder, b.preset]),
      [
        ['h264', 'libx264', 'ultrafast'],
        ['hevc', 'libx265', 'ultrafast'],
        ['av1', 'libsvtav1', '12'],
      ],
    )
    t.equal(builds.video[0]?.path, ffmpegPath(), 'H.264 on the bundled build, as before')
    t.equal(builds.video[2]?.path, DEBIAN_FFMPEG, 'AV1 where libsvtav1 is')
    t.same(
      title.video.map((v) => v.id),
      ['v108p-120k', 'v180p-300k', 'hevc-v108p-120k', 'hevc-v180p-300k', 'av1-v108p-120k', 'av1-v180p-300k'],
    )
    t.equal(title.encode.jobs, 2 * 6, 'two chunks × six rungs')
    t.same(
      ladderFromTitle(title).rungs.map((r) => r.id),
      ['v108p-120k', 'v180p-300k'],
      "a simulated player plays the main codec's ladder",
    )
    t.same(
      ladderFromTitle(title, 'x', 'av1').rungs.map((r) => r.id),
      ['av1-v108p-120k', 'av1-v180p-300k'],
    )
    t.throws(() => ladderFromTitle(title, 'x', 'vp9'), { code: 'OCLAB_ERR_BAD_TITLE', message: /no vp9 renditions \(it has h264, hevc, av1\)/ })
  })

  t.test('sample entries and codecs strings come from the bitstream', async (t) => {
    for (const v of title.video) {
      const init = await readFile(join(titleDir, v.init.path))
      const [track] = initTracks(init)
      t.equal(track!.entry, { h264: 'avc1', hevc: 'hvc1', av1: 'av01' }[v.codec], `${v.id}: sample entry`)
      t.equal(track!.codecs, v.codecs, `${v.id}: title.json's codecs is the init segment's`)
      const probe = await ffprobeJson<{ streams: Array<{ profile: string; level: number }> }>([
        '-show_entries',
        'stream=profile,level',
        join(titleDir, v.init.path),
      ])
      const s = probe.streams[0]!
      if (v.codec === 'h264') t.match(v.codecs, /^avc1\.42c0[0-9a-f]{2}$|^avc1\.6400[0-9a-f]{2}$/)
      if (v.codec === 'hevc') {
        t.equal(s.profile, 'Main')
        t.equal(v.codecs, `hvc1.1.6.L${s.level}.90`, `${v.id}: Main profile, Main tier, ffprobe's level, progressive + frame-only constraint flags`)
      }
      if (v.codec === 'av1') t.match(v.codecs, /^av01\.0\.\d\dM\.08(\.0\.11[0-2]\.\d\d\.\d\d\.\d\d\.[01])?$/, `${v.id}: Main profile, 8-bit 4:2:0`)
      for (const seg of v.segments) {
        const start = segmentStart(await readFile(join(titleDir, seg.uri)), track!)
        t.match(start, { kind: 'fmp4', sync: true }, `${seg.uri} starts with a sync sample`)
      }
    }
  })

  t.test('HLS: one variant set per codec; DASH: one AdaptationSet per codec; the linter accepts both', async (t) => {
    const master = await readFile(join(titleDir, 'master.m3u8'), 'utf8')
    const codecsInOrder = [...master.matchAll(/CODECS="([^".]+)\./g)].map((m) => m[1])
    t.same(codecsInOrder, ['avc1', 'avc1', 'hvc1', 'hvc1', 'av01', 'av01'], 'variants grouped by codec')
    for (const v of title.video) t.match(master, `CODECS="${v.codecs},mp4a.40.2"`)
    const doc = new DOMParser().parseFromString(await readFile(join(titleDir, 'manifest.mpd'), 'utf8'), 'text/xml')
    const videoSets = Array.from(doc.getElementsByTagName('AdaptationSet')).filter((a) => a.getAttribute('contentType') === 'video')
    t.same(
      videoSets.map((a) => Array.from(a.getElementsByTagName('Representation')).map((r) => r.getAttribute('codecs')!.split('.')[0])),
      [
        ['avc1', 'avc1'],
        ['hvc1', 'hvc1'],
        ['av01', 'av01'],
      ],
    )
    // three video sets and one per audio language of the source (English and French)
    const ids = Array.from(doc.getElementsByTagName('AdaptationSet')).map((a) => a.getAttribute('id'))
    t.equal(ids.length, 3 + title.audio.length, 'one AdaptationSet per codec and per audio language')
    t.equal(new Set(ids).size, ids.length, 'AdaptationSet ids are unique')
    for (const m of ['master.m3u8', 'manifest.mpd']) {
      const report = await lintManifest(join(titleDir, m), { deep: true })
      t.equal(
        report.counts.error,
        0,
        `${m}: no errors (${report.findings
          .filter((f) => f.severity === 'error')
          .map((f) => f.message)
          .join('; ')})`,
      )
    }
  })

  t.test('BD-rate of each codec against H.264 on the same source', async (t) => {
    const cs = codecComparisons(title)
    t.same(
      cs.map((c) => [c.anchor.codec, c.test.codec]),
      [
        ['h264', 'hevc'],
        ['h264', 'av1'],
      ],
    )
    for (const c of cs)
      t.ok(
        c.metrics.some((m) => m.metric === 'psnr'),
        `${c.test.codec}: PSNR curve compared`,
      )
    const summary = ladderSummary(title, titleDir)
    t.match(summary, /hevc against h264: BD-rate/)
    t.match(summary, /av1 against h264: BD-rate/)
    const cli = await oclab(['compare', titleDir])
    t.equal(cli.code, 0)
    t.match(cli.out, /anchor three h264 .*test three av1/s)
  })

  t.test('a rerun resumes every chunk of every codec and makes the same bytes', async (t) => {
    const again = await encodeTitle({ ...opts, codecs: [...opts.codecs] })
    t.equal(again.title.encode.resumedJobs, again.title.encode.jobs, 'every job resumed')
    const files = (x: Title) => x.files.filter((f) => !f.path.endsWith('.m3u8') && !f.path.endsWith('.mpd')).map((f) => `${f.path} ${f.sha256}`)
    t.same(files(again.title), files(title), 'segments and inits byte for byte')
    t.same(await readdir(join(store, 'titles')), ['three'])
  })
})

t.test('per-title: each codec gets its own probes, hull and rungs', async (t) => {
  if (!debian) {
    t.fail(`Debian's ffmpeg is not at ${DEBIAN_FFMPEG} (apt-get install ffmpeg; .ci/run installs it)`)
    return
  }
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 2, kind: 'complex' })
  const { title } = await encodeTitle({
    source,
    store: join(dir, 'store'),
    titleId: 'pt',
    segmentDuration: 1,
    concurrency: 2,
    vmafModel,
    ladder: 'per-title',
    codecs: ['h264', 'av1'],
    h264: { preset: 'ultrafast' },
    presets: { av1: '12' },
    probe: { heights: [180, 108], crfs: [22, 34], codecCrfs: { av1: [35, 55] }, excerpts: 1, excerptSeconds: 2 },
  })
  const [h264, av1] = title.ladders!
  t.equal(av1!.codec, 'av1')
  t.equal(h264!.probes.length, 4, 'H.264: 2 heights × 2 CRFs')
  t.equal(av1!.probes.length, 4, 'AV1: its own 2 × 2 probes')
  t.notSame(
    av1!.probes.map((p) => p.bitrate),
    h264!.probes.map((p) => p.bitrate),
    'different encoders, different points',
  )
  t.match(av1!.notes[0], /^per-title \(av1\): 4 probe encodes/)
  t.ok(
    title.video.filter((v) => v.codec === 'av1').every((v) => v.id.startsWith('av1-v')),
    'AV1 rungs carry the codec in their ids',
  )
  t.ok(title.video.some((v) => v.codec === 'h264'))
  t.same(title.ladder, (({ codec: _c, ...l }) => l)(h264!), "title.ladder is the main codec's")
  t.same((await readTitle(join(dir, 'store', 'titles', 'pt'))).ladders, title.ladders, 'written as returned')
})
