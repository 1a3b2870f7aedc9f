import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { encodeTitle } from '../../encoder/encode-title.js'
import { ErrorCodes } from '../../lib/errors.js'
import { ffmpeg, ffprobeJson } from '../../lib/ffmpeg.js'
import { parseWebVtt } from '../../lib/media/webvtt.js'
import { oclab } from '../helpers/cli.js'
import { tempDir, testSource } from '../helpers/package.js'

/** A 2 s stereo tone as WAV: shorter than the 3 s video, so the rendition must be padded to every segment. */
async function toneWav(dir: string): Promise<string> {
  const wav = join(dir, 'extra.wav')
  await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=880:sample_rate=48000', '-t', '2', '-ac', '2', wav])
  return wav
}

const SRT = '1\n00:00:00,200 --> 00:00:01,400\n<i>Bonjour</i>\n\n2\n00:00:02,000 --> 00:00:02,800\nÀ bientôt\n'

t.test('--audio-lang, an added audio file and forced SRT subtitles become renditions', async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 3, secondAudio: false })
  const wav = await toneWav(dir)
  const srt = join(dir, 'fr-forced.srt')
  await writeFile(srt, SRT)
  const store = join(dir, 'store')
  const { title, titleDir } = await encodeTitle({
    source,
    store,
    titleId: 'inputs',
    ladder: 'fixed',
    segmentDuration: 1,
    vmafModel: null,
    audioLanguages: ['ger'],
    audioFiles: [{ file: wav, language: 'spa', name: 'Español' }],
    subtitles: [{ file: srt, language: 'fr', forced: true }],
  })
  t.same(
    title.audio.map((a) => [a.id, a.language, a.name, a.origin]),
    [
      ['audio-de', 'de', 'English', 'stream:0'],
      ['audio-es', 'es', 'Español', 'file:extra.wav'],
    ],
    "--audio-lang overrides the stream's language (the name stays its title tag); the file is added after it",
  )
  const grid = title.video[0]!.segments.map((s) => s.start)
  for (const a of title.audio) t.same(a.segments.map((s) => s.start).length, grid.length, `${a.id}: a segment per video segment`)
  // the 2 s file was padded with silence: its rendition lasts as long as the video
  const init = await readFile(join(titleDir, title.audio[1]!.init.path))
  const all = Buffer.concat([init, ...(await Promise.all(title.audio[1]!.segments.map((s) => readFile(join(titleDir, s.uri)))))])
  await writeFile(join(dir, 'es.mp4'), all)
  const probe = await ffprobeJson<{ format: { duration: string } }>(['-show_format', join(dir, 'es.mp4')])
  t.ok(Math.abs(Number(probe.format.duration) - 3) < 0.05, `the added audio lasts the video's 3 s (${probe.format.duration} s)`)

  const text = title.text![0]!
  t.match(text, { id: 'text-fr-forced', language: 'fr', name: 'French (forced)', forced: true, origin: 'file:fr-forced.srt', cues: 2 })
  const full = await readFile(join(titleDir, text.sidecar.path), 'utf8')
  t.same(
    parseWebVtt(full, 'full.vtt').map((c) => [c.start, c.end, c.text]),
    [
      [0.2, 1.4, '<i>Bonjour</i>'],
      [2, 2.8, 'À bientôt'],
    ],
    'the SRT cues, as WebVTT',
  )
  t.same(
    text.segments.map((s) => s.cues),
    [1, 1, 1],
    'the cue over the 1 s boundary is in both segments it overlaps',
  )
  const master = await readFile(join(titleDir, 'master.m3u8'), 'utf8')
  t.match(
    master,
    '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="French (forced)",LANGUAGE="fr",DEFAULT=NO,AUTOSELECT=YES,FORCED=YES,URI="text-fr-forced/index.m3u8"',
  )
  t.match(await readFile(join(titleDir, 'manifest.mpd'), 'utf8'), /<Role schemeIdUri="urn:mpeg:dash:role:2011" value="forced-subtitle"\/>/)
  t.ok(
    title.files.some((f) => f.path === 'text-fr-forced/seg-00003.vtt'),
    'the text files are listed with the others',
  )
})

t.test('bad added inputs are refused before any encode, with a clear code', async (t) => {
  const dir = await tempDir(t)
  const source = await testSource(dir, { duration: 2, secondAudio: false })
  const store = join(dir, 'store')
  const base = { source, store, titleId: 'bad', ladder: 'fixed' as const, segmentDuration: 1, vmafModel: null }
  const overlap = join(dir, 'overlap.vtt')
  await writeFile(overlap, 'WEBVTT\n\n00:00.000 --> 00:01.000\none\n\n00:00.500 --> 00:01.500\ntwo\n')
  await t.rejects(encodeTitle({ ...base, subtitles: [{ file: overlap, language: 'en' }] }), {
    code: ErrorCodes.BAD_SUBTITLES,
    message: `${overlap}:6: cue 00:00:00.500 --> 00:00:01.500 overlaps the cue at line 3 (00:00:00.000 --> 00:00:01.000)`,
  })
  const notMedia = join(dir, 'notes.wav')
  await writeFile(notMedia, 'not audio at all\n')
  await t.rejects(encodeTitle({ ...base, audioFiles: [{ file: notMedia, language: 'en' }] }), { code: ErrorCodes.BAD_SOURCE })
  const silent = await testSource(dir, { duration: 1, audio: false, width: 160, height: 90 })
  await t.rejects(encodeTitle({ ...base, audioFiles: [{ file: silent, language: 'en' }] }), {
    code: ErrorCodes.NO_AUDIO,
    message: /has no audio stream/,
  })
  await t.rejects(encodeTitle({ ...base, audioLanguages: ['en', 'fr'] }), { code: ErrorCodes.USAGE, message: /2 languages but .* has 1 audio streams/ })
  // nothing was encoded: no chunk of any rung exists
  const work = await readdir(join(store, '.work', 'bad')).catch(() => [])
  t.same(work, [], 'no work files')
})

t.test('oclab encode: bad --audio, --subtitles and --audio-lang are usage errors', async (t) => {
  for (const [args, message] of [
    [['--audio-lang', 'en,??'], /--audio-lang: "\?\?" is not a BCP 47 language tag/],
    [['--audio', 'x.wav'], /--audio: expected file:lang\[:name\]/],
    [['--subtitles', 'x.vtt:e n'], /--subtitles: "e n" is not a BCP 47 language tag/],
  ] as const) {
    const r = await oclab(['encode', 'src.mp4', '--out', 'store', ...args])
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`)
    t.match(r.err, message)
  }
})

t.test('oclab source writes two tagged audio streams and the English subtitles, each behind an option', async (t) => {
  const dir = await tempDir(t)
  const streams = async (file: string) =>
    (await ffprobeJson<{ streams: Array<{ codec_type: string; tags?: Record<string, string> }> }>(['-show_streams', file])).streams
      .filter((s) => s.codec_type === 'audio')
      .map((s) => [s.tags?.language, s.tags?.handler_name])
  const both = join(dir, 'both.mp4')
  const r = await oclab(['source', '--kind', 'simple', '--duration', '2', '--size', '160x90', '--out', both])
  t.equal(r.code, 0, r.err)
  t.same(await streams(both), [
    ['eng', 'English'],
    ['fra', 'Français'],
  ])
  const cues = parseWebVtt(await readFile(join(dir, 'both.en.vtt'), 'utf8'), 'both.en.vtt')
  t.same(
    cues.map((c) => [c.start, c.end]),
    [[0.5, 1.7]],
    'one cue fits in 2 s',
  )
  const one = join(dir, 'one.mp4')
  t.equal((await oclab(['source', '--kind', 'simple', '--duration', '1', '--size', '160x90', '--one-audio', '--no-subtitles', '--out', one])).code, 0)
  t.same(await streams(one), [['eng', 'English']])
  t.same(
    (await readdir(dir)).filter((f) => f.endsWith('.vtt')),
    ['both.en.vtt'],
    '--no-subtitles writes none',
  )
})
