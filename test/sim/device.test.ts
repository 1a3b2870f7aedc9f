import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { videoCodecFamily } from '../../lib/media/codec-strings.js'
import type { DownloadSample } from '../../sim/abr/types.js'
import { runSession } from '../../sim/engine/engine.js'
import { companionBytes, companionsByPeriod } from '../../sim/manifest/companions.js'
import { chooseCodec, DEVICE_NAMES, DEVICE_PROFILES, deviceCodecs, parseCodecList } from '../../sim/manifest/device.js'
import { loadLadder } from '../../sim/manifest/read-ladder.js'
import { ladderFromTitle } from '../../sim/manifest/read-title.js'
import { chooseAudio, chooseText, languageMatches } from '../../sim/manifest/tracks.js'
import { constantTrace } from '../../sim/trace/generators.js'
import { oclab } from '../helpers/cli.js'
import { AUDIO_EN_BYTES_PER_PERIOD, multiCodecTitle, TEXT_BYTES_PER_SEGMENT } from '../helpers/title-fixtures.js'
import { fixedPolicy } from './helpers.js'

t.test('device profiles: the first codec the device decodes that is offered', async (t) => {
  t.same(deviceCodecs('chrome'), ['av1', 'h264'])
  t.same(deviceCodecs('safari'), ['hevc', 'h264'])
  t.same(deviceCodecs('tv-2020'), ['av1', 'hevc', 'h264'])
  t.same(deviceCodecs('legacy'), ['h264'])
  for (const name of DEVICE_NAMES) t.ok(DEVICE_PROFILES[name]!.source.length > 20, `${name} says where its codecs come from`)
  t.throws(() => deviceCodecs('nokia'), { code: 'OCLAB_ERR_USAGE', message: /unknown device "nokia" \(one of chrome, safari, tv-2020, legacy\)/ })

  t.equal(chooseCodec(['h264', 'hevc', 'av1'], deviceCodecs('chrome'), 't'), 'av1')
  t.equal(chooseCodec(['h264', 'hevc', 'av1'], deviceCodecs('safari'), 't'), 'hevc')
  t.equal(chooseCodec(['h264', 'av1'], deviceCodecs('safari'), 't'), 'h264', 'safari falls back to H.264 without HEVC')
  t.equal(chooseCodec(['hevc', 'h264'], deviceCodecs('tv-2020'), 't'), 'hevc')
  t.equal(chooseCodec(['av1', 'hevc', 'h264'], deviceCodecs('legacy'), 't'), 'h264')
  t.throws(() => chooseCodec(['av1', 'hevc'], deviceCodecs('legacy'), 'x/title.json', 'device "legacy"'), {
    code: 'OCLAB_ERR_NO_PLAYABLE_CODEC',
    message: 'x/title.json offers av1, hevc, and device "legacy" decodes only h264',
    details: { offered: ['av1', 'hevc'], decodes: ['h264'] },
  })

  t.same(parseCodecList(' AV1, h264,av1'), ['av1', 'h264'], 'trimmed, lower-cased, each once, order kept')
  t.throws(() => parseCodecList('av1,vp9'), { code: 'OCLAB_ERR_USAGE', message: /unknown vp9/ })
  t.throws(() => parseCodecList(','), { code: 'OCLAB_ERR_USAGE' })
})

t.test('codec families from RFC 6381 codecs attributes', async (t) => {
  t.equal(videoCodecFamily('avc1.64001f,mp4a.40.2'), 'h264')
  t.equal(videoCodecFamily('mp4a.40.2, avc3.4d401e'), 'h264', 'the video entry, wherever it is listed')
  t.equal(videoCodecFamily('hvc1.1.6.L93.B0'), 'hevc')
  t.equal(videoCodecFamily('hev1.2.4.L120.B0'), 'hevc')
  t.equal(videoCodecFamily('av01.0.05M.08,mp4a.40.2'), 'av1')
  t.equal(videoCodecFamily('vp09.00.10.08'), 'vp9')
  t.equal(videoCodecFamily('mp4a.40.2'), null, 'audio only')
  t.equal(videoCodecFamily(undefined), null)
  // One table for the linter and the players: the AVC entries with in-band parameter sets are H.264 too.
  t.equal(videoCodecFamily('avc3.64001f'), 'h264')
  t.equal(videoCodecFamily('avc4.64001f'), 'h264')
  t.equal(videoCodecFamily('AVC1.64001F'), 'h264', 'read as leniently as a player does')
  t.equal(videoCodecFamily('dvh1.05.06'), 'dolby-vision')
})

t.test('languages match as RFC 4647 basic filtering; audio and subtitles are chosen by them', async (t) => {
  t.ok(languageMatches('en', 'en'))
  t.ok(languageMatches('en', 'en-GB'))
  t.ok(languageMatches('EN-gb', 'en-GB'))
  t.notOk(languageMatches('en-GB', 'en'))
  t.notOk(languageMatches('e', 'en'))
  const title = multiCodecTitle()
  t.equal(chooseAudio(title)?.id, 'audio-en', 'default: the first (DEFAULT=YES) rendition')
  t.equal(chooseAudio(title, 'fr')?.id, 'audio-fr')
  t.equal(chooseAudio(title, false), undefined)
  t.throws(() => chooseAudio(title, 'de'), {
    code: 'OCLAB_ERR_NO_SUCH_TRACK',
    message: 'multi: no audio in language "de" (it has en (English), fr (Français))',
  })
  t.equal(chooseAudio({ ...title, audio: [] }), undefined, 'a title without audio: video only')
  t.equal(chooseText(title, undefined), undefined, 'subtitles are off unless asked')
  t.equal(chooseText(title, 'en')?.id, 'text-en')
  t.throws(() => chooseText(title, 'fr'), { code: 'OCLAB_ERR_NO_SUCH_TRACK', message: 'multi: no subtitles in language "fr" (it has en (English))' })
})

t.test('companion segments go with the video segment they start in', async (t) => {
  const ends = [2, 4, 6, 8]
  // audio on a 1.5 s grid: 0 and 1.5 start in the first video segment, 6 and 7.5 in the last
  const audio = [0, 1.5, 3, 4.5, 6, 7.5].map((start, k) => ({ start, bytes: 10 + k }))
  t.same(companionsByPeriod(ends, audio), [[0, 1], [2], [3], [4, 5]])
  t.same([...companionBytes(ends, [audio])], [21, 12, 13, 29])
  // a start written as 5.9999999 still belongs to the segment starting at 6; anything after the last end goes with it
  t.same(
    companionsByPeriod(ends, [
      { start: 5.9999999, bytes: 1 },
      { start: 9, bytes: 1 },
    ]),
    [[], [], [], [0, 1]],
  )
  t.same([...companionBytes(ends, [audio, [0, 2, 4, 6].map((start) => ({ start, bytes: 100 }))])], [121, 112, 113, 129], 'tracks add up')
})

t.test('a title with H.264 and AV1 ladders: the device decides which rungs play', async (t) => {
  const title = multiCodecTitle()
  const fast = constantTrace(50_000)
  const played = (choice: Parameters<typeof ladderFromTitle>[2]) => {
    const ladder = ladderFromTitle(title, 'multi', choice)
    const r = runSession(ladder, fast, fixedPolicy(1), { record: true })
    return { ladder, bitrates: [...new Set(r.timeline!.segments.map((s) => ladder.bitrates[s.rung]))], metrics: r.metrics }
  }
  const chrome = played({ decodes: deviceCodecs('chrome') })
  t.equal(chrome.ladder.codec, 'av1')
  t.same(
    chrome.ladder.rungs.map((r) => r.id),
    ['av1-v360p-500k', 'av1-v720p-1800k'],
  )
  t.same(chrome.bitrates, [2_200_000], "chrome plays the AV1 ladder's top rung")
  t.equal(chrome.metrics.averageBitrate, 2_200_000)
  const legacy = played({ decodes: deviceCodecs('legacy') })
  t.equal(legacy.ladder.codec, 'h264')
  t.same(legacy.bitrates, [3_600_000], "legacy plays the H.264 ladder's")
  t.same(played({ decodes: deviceCodecs('safari') }).bitrates, [3_600_000], 'safari: no HEVC here, so H.264')
  t.same(played({}).ladder.codec, 'h264', "no device: the title's main codec, as before")
  t.same(played('av1').ladder.codec, 'av1', 'a codec by name still works')
  t.throws(() => ladderFromTitle(title, 'multi', { decodes: ['hevc'], device: '--codecs hevc' }), {
    code: 'OCLAB_ERR_NO_PLAYABLE_CODEC',
    message: 'multi offers h264, av1, and --codecs hevc decodes only hevc',
  })
})

t.test('audio and subtitle bytes travel on the same link and count', async (t) => {
  const title = multiCodecTitle()
  const trace = constantTrace(4000)
  const samples: number[] = []
  const run = (choice: Parameters<typeof ladderFromTitle>[2]) => {
    const ladder = ladderFromTitle(title, 'multi', choice)
    const policy = { ...fixedPolicy(0), onDownload: (s: DownloadSample) => void samples.push(s.bytes) }
    return { ladder, r: runSession(ladder, trace, policy, { record: true }) }
  }
  const videoOnly = run({ audio: false })
  t.equal(videoOnly.ladder.companions, undefined)
  t.equal(videoOnly.r.metrics.companionBytes, undefined, 'video only: no companion figure')
  const withAudio = run({})
  t.same([...withAudio.ladder.companions!.bytes], AUDIO_EN_BYTES_PER_PERIOD, 'by default the first audio rendition, matched by time')
  t.same(withAudio.ladder.companions!.tracks, ['audio audio-en (en, 128 kbit/s)'])
  const audioBytes = AUDIO_EN_BYTES_PER_PERIOD.reduce((a, b) => a + b)
  t.equal(withAudio.r.metrics.bytesDownloaded - videoOnly.r.metrics.bytesDownloaded, audioBytes, 'the difference is the audio downloaded')
  t.equal(withAudio.r.metrics.companionBytes, audioBytes)
  t.same(
    withAudio.r.timeline!.segments.map((s, i) => s.bytes - videoOnly.r.timeline!.segments[i]!.bytes),
    AUDIO_EN_BYTES_PER_PERIOD,
    'segment by segment',
  )
  t.same(samples.slice(4), samples.slice(0, 4), "the ABR rule's samples are the video's bytes either way, as hls.js and dash.js sample video")
  t.ok(
    withAudio.r.timeline!.segments[0]!.finishTime > videoOnly.r.timeline!.segments[0]!.finishTime,
    'and the shared link makes the segment land later (direction only)',
  )
  const withText = run({ audio: 'fr', subtitles: 'en' })
  const frBytes = title.audio[1]!.segments.reduce((a, s) => a + s.bytes, 0)
  t.equal(withText.r.metrics.companionBytes, frBytes + 4 * TEXT_BYTES_PER_SEGMENT, 'French audio and English subtitles')
  t.equal(withText.r.metrics.bytesDownloaded - videoOnly.r.metrics.bytesDownloaded, frBytes + 4 * TEXT_BYTES_PER_SEGMENT)
})

t.test('HLS and DASH: the device picks variants by CODECS / @codecs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-device-'))
  const media = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\ns1.m4s\n#EXTINF:4.0,\ns2.m4s\n#EXT-X-ENDLIST\n'
  for (const v of ['h1', 'h2', 'a1', 'a2']) await writeFile(join(dir, `${v}.m3u8`), media)
  await writeFile(
    join(dir, 'master.m3u8'),
    [
      '#EXTM3U',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="en",LANGUAGE="en",DEFAULT=YES,URI="h1.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=1000000,CODECS="avc1.64001e,mp4a.40.2",AUDIO="aac"',
      'h1.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=3000000,CODECS="avc1.64001f,mp4a.40.2",AUDIO="aac"',
      'h2.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=600000,CODECS="av01.0.04M.08,mp4a.40.2",AUDIO="aac"',
      'a1.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=1800000,CODECS="av01.0.05M.08,mp4a.40.2",AUDIO="aac"',
      'a2.m3u8',
      '',
    ].join('\n'),
  )
  const chrome = await loadLadder(join(dir, 'master.m3u8'), { decodes: deviceCodecs('chrome') })
  t.equal(chrome.codec, 'av1')
  t.same([...chrome.bitrates], [600_000, 1_800_000])
  t.match(chrome.notes.join('\n'), /audio renditions are not fetched/, 'manifests say the link carries video only')
  t.same([...(await loadLadder(join(dir, 'master.m3u8'), { decodes: ['h264'] })).bitrates], [1_000_000, 3_000_000])
  const all = await loadLadder(join(dir, 'master.m3u8'))
  t.equal(all.rungs.length, 4, 'no device: every variant, as before')
  t.equal(all.codec, undefined, 'and no single codec to name')
  await t.rejects(loadLadder(join(dir, 'master.m3u8'), { decodes: ['hevc'], device: 'device "safari"' }), {
    code: 'OCLAB_ERR_NO_PLAYABLE_CODEC',
    message: /master\.m3u8 offers h264, av1, and device "safari" decodes only hevc/,
  })

  const rep = (id: string, bw: number) =>
    `<Representation id="${id}" bandwidth="${bw}" width="640" height="360"><SegmentTemplate media="${id}-$Number$.m4s" duration="4" startNumber="1"/></Representation>`
  await writeFile(
    join(dir, 'm.mpd'),
    `<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT8S" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011"><Period>
<AdaptationSet mimeType="video/mp4" codecs="avc1.64001e">${rep('h1', 1_000_000)}${rep('h2', 3_000_000)}</AdaptationSet>
<AdaptationSet mimeType="video/mp4" codecs="hvc1.1.6.L93.B0">${rep('e1', 700_000)}${rep('e2', 2_000_000)}</AdaptationSet>
</Period></MPD>`,
  )
  const safari = await loadLadder(join(dir, 'm.mpd'), { decodes: deviceCodecs('safari') })
  t.equal(safari.codec, 'hevc')
  t.same([...safari.bitrates], [700_000, 2_000_000])
  t.same([...(await loadLadder(join(dir, 'm.mpd'), { decodes: deviceCodecs('chrome') })).bitrates], [1_000_000, 3_000_000], 'chrome: H.264')
})

t.test('oclab sim --device / --codecs / --audio-lang / --subtitles through the CLI', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-device-cli-'))
  const file = join(dir, 'title.json')
  await writeFile(file, JSON.stringify(multiCodecTitle()))
  const base = ['sim', '--title', file, '--trace', 'constant:kbps=50000', '--abr', 'throughput']
  const json = async (...extra: string[]) => {
    const r = await oclab([...base, '--json', ...extra])
    t.equal(r.code, 0, r.err)
    return JSON.parse(r.out)
  }
  const chrome = await json('--device', 'chrome')
  t.equal(chrome.ladders[0].codec, 'av1')
  t.same(
    chrome.ladders[0].rungs.map((r: { bitrate: number }) => r.bitrate),
    [620_000, 2_200_000],
  )
  t.equal(chrome.verdicts[0].codec, 'av1', 'the verdict names the codec played')
  t.same(chrome.ladders[0].companions, ['audio audio-en (en, 128 kbit/s)'])
  const m = chrome.cells[0].sessions[0].metrics
  t.ok(m.averageBitrate <= 2_200_000 && m.timeAtRung.length === 2, 'only AV1 rungs were played')
  t.equal(m.companionBytes, 128_000)

  const legacy = await json('--device', 'legacy', '--no-audio')
  t.equal(legacy.ladders[0].codec, 'h264')
  t.equal(legacy.cells[0].sessions[0].metrics.companionBytes, undefined)
  const byHand = await json('--codecs', 'hevc,av1', '--audio-lang', 'fr', '--subtitles', 'en')
  t.equal(byHand.ladders[0].codec, 'av1')
  t.same(byHand.ladders[0].companions, ['audio audio-fr (fr, 128 kbit/s)', 'subtitles text-en (en)'])

  const table = await oclab([...base, '--device', 'chrome'])
  t.equal(table.code, 0, table.err)
  t.match(table.out, /Ladder .*title\.json \(title, av1\)/)
  t.match(table.out, /with audio audio-en \(en, 128 kbit\/s\) on the same link/)
  t.match(table.out, /verdict \(av1 ladder\):/)

  const refused = await oclab([...base, '--codecs', 'hevc'])
  t.equal(refused.code, 1)
  t.match(refused.err, /OCLAB_ERR_NO_PLAYABLE_CODEC: .*offers h264, av1, and --codecs hevc decodes only hevc/)
  const noLang = await oclab([...base, '--audio-lang', 'de'])
  t.equal(noLang.code, 1)
  t.match(noLang.err, /OCLAB_ERR_NO_SUCH_TRACK: multi: no audio in language "de" \(it has en \(English\), fr \(Français\)\)/)
  for (const bad of [
    ['--device', 'nokia'],
    ['--codecs', 'vp9'],
    ['--device', 'chrome', '--codecs', 'av1'],
    ['--audio-lang', 'en', '--no-audio'],
  ]) {
    const r = await oclab([...base, ...bad])
    t.equal(r.code, 2, `${bad.join(' ')} is bad usage`)
    t.match(r.err, /OCLAB_ERR_USAGE/)
  }

  // the help text spells the profiles out (so `oclab load --help` need not load the simulator): it must agree
  const help = await oclab(['sim', '--help'])
  for (const name of DEVICE_NAMES) t.match(help.out.replace(/\s+/g, ' '), `${name}: ${DEVICE_PROFILES[name]!.codecs.join(', ')}`)
})
