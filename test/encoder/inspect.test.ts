import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import t from 'tap'
import { main } from '../../cli/main.js'
import { inspectSource } from '../../encoder/inspect/inspect.js'
import { generateSource } from '../../encoder/synthetic-source.js'
import { ffmpeg, ffprobeJson } from '../../lib/ffmpeg.js'
import { looksLikeIsoBmff } from '../../lib/media/boxes.js'
import { InspectionSchema } from '../../lib/title-package.js'
import { mediaToolsMissing } from '../helpers/media-tools.js'

t.test('looksLikeIsoBmff: an MP4 cut short still starts with a box; text does not', async (t) => {
  const box = (size: number, type: string) =>
    Buffer.concat([Buffer.from([size >>> 24, (size >>> 16) & 255, (size >>> 8) & 255, size & 255]), Buffer.from(type, 'latin1')])
  t.ok(looksLikeIsoBmff(box(24, 'ftyp')))
  t.ok(looksLikeIsoBmff(box(0, 'mdat')), 'size 0: the box runs to the end of the file')
  t.ok(looksLikeIsoBmff(box(1, 'mdat')), 'size 1: a 64-bit largesize follows')
  t.ok(looksLikeIsoBmff(box(8, 'wide')), 'QuickTime writes wide before mdat')
  t.notOk(looksLikeIsoBmff(Buffer.from('hello world\n')))
  t.notOk(looksLikeIsoBmff(box(4, 'ftyp')), 'a size smaller than the header is not a box')
  t.notOk(looksLikeIsoBmff(box(24, 'ftyp').subarray(0, 7)), 'too short to hold a box header')
})

// Without the binaries every test below is reported as skipped, with the reason, never as passed.
const skip = mediaToolsMissing()
if (skip) t.test('inspection of real media (ffmpeg/ffprobe)', { skip }, async () => {})
else run()

/** Tiny lavfi clip; `vf` is appended to the test pattern's filter chain. */
const lavfi = (out: string, o: { rate?: number; seconds?: number; frames?: number; vf?: string; args?: string[] } = {}) =>
  ffmpeg([
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=64x64:rate=${o.rate ?? 25}${o.vf ? `,${o.vf}` : ''}`,
    ...(o.frames !== undefined ? ['-frames:v', String(o.frames)] : ['-t', String(o.seconds ?? 1)]),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    ...(o.args ?? []),
    out,
  ])

function run(): void {
  let dir = ''
  let good = ''
  t.before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oclab-inspect-'))
    good = join(dir, 'good.mp4')
    await generateSource({ kind: 'simple', out: good, duration: 2, width: 320, height: 180 })
  })
  t.teardown(() => rm(dir, { recursive: true, force: true }))

  t.test('a good source: resolution, rate, duration, frame count, audio', async (t) => {
    const r = await inspectSource(good)
    t.ok(Value.Check(InspectionSchema, r), 'matches InspectionSchema')
    t.match(r, { file: good, format: /mp4/, duration: 2, warnings: [] })
    t.ok(r.bytes > 1000)
    t.match(r.video, { codec: 'h264', width: 320, height: 180, frameRate: 25, frameCount: 50, pixelFormat: 'yuv420p', dynamicRange: 'SDR', startTime: 0 })
    t.same(
      r.audio,
      [
        { index: 1, codec: 'aac', channels: 2, sampleRate: 48000, language: 'eng', title: 'English', startTime: 0, offsetFromVideo: 0 },
        { index: 2, codec: 'aac', channels: 2, sampleRate: 48000, language: 'fra', title: 'Français', startTime: 0, offsetFromVideo: 0 },
      ],
      'both audio streams with their language and their name (MP4 keeps it as the hdlr name)',
    )
    t.same(await inspectSource(good, { quick: true }), r, 'the quick (metadata) report agrees on a clean file')
  })

  t.test('text and missing files are BAD_SOURCE', async (t) => {
    const short = join(dir, 'notes.txt')
    await writeFile(short, 'hello, this is not a video\n')
    await t.rejects(inspectSource(short), { code: 'OCLAB_ERR_BAD_SOURCE', message: /not a media file ffprobe can read \(Invalid data/ })
    // ffprobe's tty demuxer claims long enough text as "ANSI art" video
    const long = join(dir, 'long.txt')
    await writeFile(long, Array.from({ length: 2000 }, (_, i) => `line ${i} of some text\n`).join(''))
    await t.rejects(inspectSource(long), { code: 'OCLAB_ERR_BAD_SOURCE', message: /is a text file/ })
    // ffprobe picks its MP4 demuxer from the name and says "moov atom not found": that used to read "an incomplete MP4"
    const renamed = join(dir, 'notes.mp4')
    await writeFile(renamed, 'hello, this is not a video\n')
    await t.rejects(inspectSource(renamed), {
      code: 'OCLAB_ERR_BAD_SOURCE',
      message: /notes\.mp4 is not a media file \(ffprobe read it as MP4 from its name, but it does not start with an MP4 box\)/,
    })
    const noise = join(dir, 'noise.mov')
    await writeFile(noise, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff)))
    await t.rejects(inspectSource(noise), { code: 'OCLAB_ERR_BAD_SOURCE', message: /not a media file/ })
    await t.rejects(inspectSource(join(dir, 'nope.mp4')), { code: 'OCLAB_ERR_BAD_SOURCE', message: /cannot read .*ENOENT/ })
    await writeFile(join(dir, 'empty.mp4'), '')
    await t.rejects(inspectSource(join(dir, 'empty.mp4')), { code: 'OCLAB_ERR_BAD_SOURCE', message: /empty/ })
  })

  t.test('audio only and a PNG still are NO_VIDEO', async (t) => {
    const m4a = join(dir, 'audio.m4a')
    await ffmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', m4a])
    await t.rejects(inspectSource(m4a), { code: 'OCLAB_ERR_NO_VIDEO', message: /no video stream \(audio only/ })
    const png = join(dir, 'still.png')
    await ffmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x64', '-frames:v', '1', png])
    await t.rejects(inspectSource(png), { code: 'OCLAB_ERR_NO_VIDEO', message: /still image \(png\)/ })
  })

  t.test('bytes overwritten mid-mdat: CORRUPT_SOURCE at the damaged frame', async (t) => {
    const { packets } = await ffprobeJson<{ packets: { pts_time: string; pos: string; size: string }[] }>([
      '-select_streams',
      'v:0',
      '-show_entries',
      'packet=pts_time,pos,size',
      good,
    ])
    const victim = packets[Math.floor(packets.length / 2)]!
    const pos = Number(victim.pos)
    const size = Number(victim.size)
    const bytes = await readFile(good)
    for (let i = pos + Math.floor(size / 3); i < pos + Math.floor((2 * size) / 3); i++) bytes[i] = (i * 37 + 11) & 0xff
    const bad = join(dir, 'corrupt.mp4')
    await writeFile(bad, bytes)
    const at = Number(victim.pts_time).toFixed(2)
    await t.rejects(inspectSource(bad), { code: 'OCLAB_ERR_CORRUPT_SOURCE', message: new RegExp(`decode error at ${at.replace('.', '\\.')} s: h264: `) })
    t.equal((await inspectSource(bad, { quick: true })).video.frameCount, 50, 'the container is intact: only decoding finds it')
  })

  t.test('a file cut to half its size: CORRUPT_SOURCE naming a time', async (t) => {
    const bytes = await readFile(good)
    const half = join(dir, 'half.mp4')
    await writeFile(half, bytes.subarray(0, bytes.length / 2))
    const err = await inspectSource(half).catch((e: unknown) => e as Error & { code: string })
    t.match(err, { code: 'OCLAB_ERR_CORRUPT_SOURCE', message: /decode error at \d+\.\d\d s: the file is truncated/ })
    const at = Number(/at (\d+\.\d\d) s/.exec(err instanceof Error ? err.message : '')?.[1])
    t.ok(at > 0.2 && at < 1.8, `the time (${at} s) is inside the clip`)
    // without faststart the index sits at the end, so half a file has none
    const tailIndexed = join(dir, 'moov-at-end.mp4')
    await ffmpeg(['-v', 'error', '-i', good, '-c', 'copy', tailIndexed])
    const whole = await readFile(tailIndexed)
    await writeFile(tailIndexed, whole.subarray(0, whole.length / 2))
    await t.rejects(inspectSource(tailIndexed), { code: 'OCLAB_ERR_CORRUPT_SOURCE', message: /incomplete MP4 \(no moov index/ })
  })

  t.test('variable frame rate is BAD_FRAME_RATE', async (t) => {
    // 25 fps for 2 s, then 50 fps, then 12.5 fps: the container's rates disagree
    const mixed = join(dir, 'mixed.mp4')
    await lavfi(mixed, {
      frames: 125,
      vf: "settb=1/1000,setpts='if(lt(N,50),N/25,if(lt(N,100),2+(N-50)/50,3+(N-100)/12.5))/TB'",
      args: ['-vsync', 'vfr', '-enc_time_base', '1/1000'],
    })
    await t.rejects(inspectSource(mixed, { quick: true }), {
      code: 'OCLAB_ERR_BAD_FRAME_RATE',
      message: /variable frame rate: the stream's base rate is 50 fps but it averages 25\.\d+ fps/,
    })
    // 25 fps for 2 s, then alternating 20/60 ms: averages 25 and Matroska declares 25, only the decoded timestamps show it
    const sneaky = join(dir, 'sneaky.mkv')
    await lavfi(sneaky, {
      frames: 100,
      vf: "settb=1/1000,setpts='if(lt(N,50),N*0.04,2+floor((N-50)/2)*0.08+mod(N-50,2)*0.02)/TB'",
      args: ['-vsync', 'vfr', '-enc_time_base', '1/1000'],
    })
    t.equal((await inspectSource(sneaky, { quick: true })).video.frameRate, 25, 'metadata alone looks constant')
    await t.rejects(inspectSource(sneaky), {
      code: 'OCLAB_ERR_BAD_FRAME_RATE',
      message: /variable frame rate: 49 of 99 frame intervals differ from the median 40\.0 ms/,
    })
  })

  t.test('1000 fps is BAD_FRAME_RATE unless the limit allows it', async (t) => {
    const fast = join(dir, 'fast.mp4')
    await lavfi(fast, { rate: 1000, seconds: 0.2 })
    await t.rejects(inspectSource(fast), { code: 'OCLAB_ERR_BAD_FRAME_RATE', message: /1000 fps is above the maximum of 120 fps/ })
    const r = await inspectSource(fast, { maxFrameRate: 1000 })
    t.equal(r.video.frameRate, 1000)
    t.equal(r.video.frameCount, 200)
  })

  t.test('audio delayed by 0.5 s: reported offset and a lip-sync warning', async (t) => {
    const delayed = join(dir, 'delayed.mp4')
    await ffmpeg(['-v', 'error', '-i', good, '-itsoffset', '0.5', '-i', good, '-map', '0:v', '-map', '1:a', '-c', 'copy', delayed])
    const r = await inspectSource(delayed)
    const offset = r.audio[0]!.offsetFromVideo
    // the copied AAC keeps its 1024-sample priming delay (21 ms) before the edit, so 0.478 rather than 0.5
    t.ok(Math.abs(offset - 0.5) < 0.05, `offset ${offset} ≈ 0.5`)
    t.match(r.warnings, [/audio stream 1 starts 0\.\d+ s after the video \(lip-sync tolerance ±0\.045 s\)/])
  })

  t.test('PQ-tagged x264 is HDR10', async (t) => {
    const hdr = join(dir, 'hdr.mp4')
    await lavfi(hdr, { seconds: 0.5, args: ['-color_trc', 'smpte2084', '-color_primaries', 'bt2020', '-colorspace', 'bt2020nc'] })
    const { video } = await inspectSource(hdr)
    t.match(video, { dynamicRange: 'HDR10', colorTransfer: 'smpte2084', colorPrimaries: 'bt2020', colorSpace: 'bt2020nc' })
  })

  t.test('a video track with no frames is ZERO_DURATION', async (t) => {
    // a fragmented MP4 writes its moov (with the track) before any frame arrives
    const empty = join(dir, 'no-frames.mp4')
    await lavfi(empty, { frames: 0, args: ['-movflags', 'frag_keyframe+empty_moov'] })
    await t.rejects(inspectSource(empty), { code: 'OCLAB_ERR_ZERO_DURATION', message: /zero duration/ })
  })

  t.test('oclab inspect: report, --json, exit 1 with the reason', async (t) => {
    const out: string[] = []
    const err: string[] = []
    const { log, error } = console
    console.log = (s: unknown) => void out.push(String(s))
    console.error = (s: unknown) => void err.push(String(s))
    let codes: number[]
    try {
      codes = [
        await main(['inspect', good]),
        await main(['inspect', good, '--json', '--quick']),
        await main(['inspect', join(dir, 'audio.m4a')]),
        await main(['inspect', join(dir, 'notes.mp4')]),
        await main(['encode', join(dir, 'notes.mp4'), '--out', join(dir, 'never'), '--json']),
      ]
    } finally {
      console.log = log
      console.error = error
    }
    t.same(codes, [0, 0, 1, 1, 1])
    t.match(out[0], /video\s+h264 320x180 @ 25 fps, 50 frames, yuv420p, SDR/)
    t.match(out[0], /audio\s+#1 aac 2 ch 48000 Hz, language eng \("English"\), offset from video \+0\.000 s/)
    t.match(out[0], /audio\s+#2 aac 2 ch 48000 Hz, language fra \("Français"\), offset from video \+0\.000 s/)
    t.match(JSON.parse(out[1]!), { video: { width: 320, frameCount: 50 } })
    t.match(err[0], /^oclab inspect: OCLAB_ERR_NO_VIDEO: .*audio\.m4a has no video stream/)
    t.match(err[1], /^oclab inspect: OCLAB_ERR_BAD_SOURCE: .*notes\.mp4 is not a media file/)
    t.match(err[2], /^oclab encode: OCLAB_ERR_BAD_SOURCE: .*notes\.mp4 is not a media file/)
    t.match(
      JSON.parse(out.at(-1)!),
      { type: 'error', command: 'encode', code: 'OCLAB_ERR_BAD_SOURCE', message: /notes\.mp4 is not a media file/ },
      'encode --json ends its NDJSON with the error event',
    )
  })
}
