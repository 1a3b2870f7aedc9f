import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { lintManifest } from '../../sim/lint/index.js'
import { oclab } from '../helpers/cli.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')

t.test('oclab lint: exit 0 when clean, 1 on errors, 2 on bad usage; --json for CI', async (t) => {
  const clean = await oclab(['lint', join(FIXTURES, 'hls', 'good-multivariant.m3u8')])
  t.equal(clean.code, 0, clean.err)
  t.match(clean.out, /\(HLS\): 0 error\(s\), 0 warning\(s\), 0 info/)

  const warned = await oclab(['lint', join(FIXTURES, 'hls', 'codecs-missing.m3u8')])
  t.equal(warned.code, 0, 'warnings alone do not fail')
  t.match(warned.out, /codecs-missing\.m3u8:6 {2}warning HLS_CODECS_MISSING/)

  const bad = await oclab(['lint', join(FIXTURES, 'hls', 'targetduration-exceeded.m3u8')])
  t.equal(bad.code, 1)
  t.match(
    bad.out,
    /targetduration-exceeded\.m3u8:8 {2}error {3}HLS_TARGETDURATION_EXCEEDED {2}EXTINF 2\.6 rounds to 3 s, above EXT-X-TARGETDURATION 2 \(line 3\) \(RFC 8216 §4\.3\.3\.1\)/,
  )

  const json = await oclab(['lint', join(FIXTURES, 'dash', 'timeline-gap.mpd'), '--json'])
  t.equal(json.code, 1)
  const report = JSON.parse(json.out)
  t.equal(report.kind, 'dash')
  t.equal(report.deep, false)
  t.same(report.counts, { error: 2, warning: 1, info: 0 })
  t.same(
    report.findings.find((f: { code: string }) => f.code === 'DASH_TIMELINE_GAP'),
    {
      severity: 'error',
      code: 'DASH_TIMELINE_GAP',
      file: join(FIXTURES, 'dash', 'timeline-gap.mpd'),
      xpath: '/MPD/Period[1]/AdaptationSet[1]/Representation[3]/SegmentTemplate[1]/SegmentTimeline[1]/S[2]',
      line: 17,
      message: '@t=190000 starts 10000 ticks after the previous segment ends (180000): a gap in the timeline (ISO/IEC 23009-1 §5.3.9.6)',
    },
  )

  t.equal((await oclab(['lint'])).code, 2)
  t.equal((await oclab(['lint', 'a.m3u8', 'b.m3u8'])).code, 2)
  t.equal((await oclab(['lint', '--bogus', 'a.m3u8'])).code, 2)
  const missing = await oclab(['lint', join(FIXTURES, 'nope.m3u8')])
  t.equal(missing.code, 1)
  t.match(missing.err, /cannot read .*nope\.m3u8/)
})

t.test('lint over HTTP: the same findings as from disk, media playlists fetched relative to the URL', async (t) => {
  const server = createServer(async (req, res) => {
    const path = normalize(join(FIXTURES, decodeURIComponent(new URL(req.url!, 'http://x').pathname)))
    const info = path.startsWith(FIXTURES) ? await stat(path).catch(() => null) : null
    if (!info?.isFile()) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-length': info.size })
    createReadStream(path).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  for (const name of ['hls/segments-misaligned.m3u8', 'hls/playlist-unreadable.m3u8', 'dash/steering-malformed.mpd']) {
    const overHttp = await lintManifest(`${base}/${name}`)
    const onDisk = await lintManifest(join(FIXTURES, name))
    const key = (f: { code: string; line?: number; xpath?: string }) => `${f.code} ${f.line} ${f.xpath ?? ''}`
    t.same(overHttp.findings.map(key), onDisk.findings.map(key), name)
    t.ok(
      overHttp.findings.every((f) => f.file.startsWith(base)),
      `${name}: findings name the URLs`,
    )
  }
})

t.test('oclab lint --max-input refuses a manifest over the limit with its code (issue 15)', async (t) => {
  const file = join(FIXTURES, 'dash', 'steering-malformed.mpd')
  const size = (await stat(file)).size
  t.ok(size > 1048, 'the fixture is over 0.001 MiB')
  const over = await oclab(['lint', file, '--max-input', '0.001'])
  t.equal(over.code, 1)
  t.match(
    over.err,
    new RegExp(`^oclab lint: OCLAB_ERR_INPUT_TOO_LARGE: .*steering-malformed\\.mpd \\(${size} bytes\\) is larger than the input limit of 1048 bytes`),
  )
  const json = await oclab(['lint', file, '--max-input', '0.001', '--json'])
  t.match(JSON.parse(json.out), { type: 'error', command: 'lint', code: 'OCLAB_ERR_INPUT_TOO_LARGE' })
  t.match((await oclab(['lint', file, '--max-input', '1'])).out, /steering-malformed\.mpd \(DASH\)/, 'linted under a 1 MiB limit')
})
