import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { languageTagProblem } from '../../lib/language-tag.js'
import { readWebVttTimings } from '../../lib/media/webvtt.js'
import { type LintReport, lintManifest } from '../../sim/lint/index.js'
import { tempDir, testPackage } from '../helpers/package.js'

const bin = fileURLToPath(new URL('../../bin/oclab.js', import.meta.url))
const codes = (r: LintReport) => r.findings.map((f) => `${f.severity} ${f.code} ${f.xpath ?? `${f.file.split('/').slice(-2).join('/')}:${f.line}`}`)

t.test('RFC 5646 tags: well-formed ones pass, the rest say why', async (t) => {
  for (const ok of ['en', 'fr', 'pt-BR', 'und', 'zh-Hant-TW', 'sr-Latn-RS', 'es-419', 'de-CH-1996', 'en-US-x-twain', 'x-private', 'i-klingon', 'zh-yue-HK'])
    t.equal(languageTagProblem(ok), undefined, ok)
  t.match(languageTagProblem('Français'), /not a well-formed/, 'a name, not a tag')
  t.match(languageTagProblem('englishes'), /not a well-formed/, 'nine letters')
  t.match(languageTagProblem('en_US'), /not a well-formed/)
  t.match(languageTagProblem('e'), /not a well-formed/)
  t.match(languageTagProblem('en-'), /not a well-formed/)
  t.match(languageTagProblem('de-1996-1996'), /repeats the variant "1996"/)
  t.match(languageTagProblem('en-a-bbb-a-ccc'), /repeats the extension "a"/)
})

t.test('WebVTT timings: header, X-TIMESTAMP-MAP, cue times', async (t) => {
  const good = readWebVttTimings(
    '\uFEFFWEBVTT - title\nX-TIMESTAMP-MAP=LOCAL:00:00:00.000,MPEGTS:900000\n\n1\n00:01.000 --> 00:02.500 align:start\nhi --> there\n\n01:00:00.000 --> 01:00:01.000\nx\n',
  )
  t.same(good, {
    timestampMap: { mpegts: 900000, local: 0 },
    cues: [
      { start: 1, end: 2.5, line: 5 },
      { start: 3600, end: 3601, line: 8 },
    ],
    problems: [],
  })
  t.match(readWebVttTimings('WEBVTTX\n').headerProblem, /not "WEBVTT"/)
  t.match(readWebVttTimings('1\n00:00:01,000 --> 00:00:02,000\n').headerProblem, /not "WEBVTT"/, 'SRT is not WebVTT')
  t.match(readWebVttTimings('WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:abc,LOCAL:00:00:00.000\n').timestampMap, /no MPEGTS/)
  t.same(
    readWebVttTimings('WEBVTT\n\n00:02.000 --> 00:01.000\na\n\n00:00:61.000 --> 00:01:02.000\nb\n\n00:00.500 --> 00:00.900\nc\n').problems.map((p) => p.line),
    [3, 6, 9],
    'end before start, seconds over 59, a cue before the one before it',
  )
})

t.test('a real package with two audio languages and subtitles lints clean, --deep too, and by the CLI', async (t) => {
  const dir = await tempDir(t, 'oclab-lint-langs-')
  const { titleDir } = await testPackage(dir, { kind: 'complex', width: 480, height: 270 })
  for (const name of ['master.m3u8', 'manifest.mpd']) {
    for (const deep of [false, true]) t.same(codes(await lintManifest(join(titleDir, name), { deep })), [], `${name}${deep ? ' --deep' : ''}: no findings`)
  }
  t.same(codes(await lintManifest(join(titleDir, 'text-en', 'index.m3u8'), { deep: true })), [], 'the subtitle playlist on its own')

  const cli = spawn(process.execPath, [bin, 'lint', '--deep', join(titleDir, 'master.m3u8')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  cli.stdout.on('data', (c) => (out += c))
  cli.stderr.on('data', (c) => (out += c))
  t.equal(await new Promise((r) => cli.on('exit', r)), 0, `oclab lint --deep exits 0: ${out}`)

  // Cues placed 10 s late (MPEGTS:900000 against a timeline that starts at 0): every segment's cues miss its window.
  const seg = join(titleDir, 'text-en', 'seg-00002.vtt')
  await writeFile(seg, (await readFile(seg, 'utf8')).replace('MPEGTS:0,', 'MPEGTS:900000,'))
  t.same(codes(await lintManifest(join(titleDir, 'master.m3u8'), { deep: true })), ['warning HLS_WEBVTT_CUE_OUTSIDE_SEGMENT text-en/index.m3u8:8'])
  await writeFile(seg, 'WEBVTT\n\n00:01.000 --> 00:01.500\nno map\n')
  t.same(codes(await lintManifest(join(titleDir, 'master.m3u8'), { deep: true })), ['warning HLS_WEBVTT_TIMESTAMP_MAP text-en/index.m3u8:8'])
  await writeFile(join(titleDir, 'text-en', 'full.vtt'), 'not webvtt\n')
  t.same(codes(await lintManifest(join(titleDir, 'manifest.mpd'), { deep: true })), [
    'error DASH_WEBVTT_INVALID /MPD/Period[1]/AdaptationSet[4]/Representation[1]',
  ])
})
