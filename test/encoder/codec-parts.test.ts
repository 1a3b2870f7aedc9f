import t from 'tap'
import { DEFAULT_H264 } from '../../encoder/jobs/h264.js'
import { checkPreset, parseCodecList, videoCodecArgs } from '../../encoder/jobs/video-codecs.js'
import { ffmpegPath } from '../../lib/ffmpeg.js'
import {
  DEBIAN_FFMPEG,
  encoderLookupOrder,
  findEncoder,
  parseEncoderList,
  parseFilterList,
  parseVersion,
  probeBuild,
  qualityBuild,
} from '../../lib/ffmpeg-builds.js'
import { av1CodecsString, findSequenceHeader, parseSequenceHeader } from '../../lib/media/av1-codecs.js'

/** MSB-first bits from [value, width] fields, zero-padded to a whole byte. */
function bits(fields: Array<[number, number]>): Buffer {
  const out: number[] = []
  for (const [v, n] of fields) for (let i = n - 1; i >= 0; i--) out.push(Math.floor(v / 2 ** i) % 2)
  while (out.length % 8) out.push(0)
  return Buffer.from(Array.from({ length: out.length / 8 }, (_, k) => out.slice(k * 8, k * 8 + 8).reduce((a, b) => a * 2 + b, 0)))
}

t.test('encoder, filter and version listings parse as ffmpeg prints them', async (t) => {
  const encoders = parseEncoderList(
    [
      'Encoders:',
      ' V..... = Video',
      ' A..... = Audio',
      ' ------',
      ' V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)',
      ' V..X.. libaom-av1           libaom AV1 (codec av1)',
      ' V..... libsvtav1            SVT-AV1(Scalable Video Technology for AV1) encoder (codec av1)',
    ].join('\n'),
  )
  t.same(
    [...encoders.entries()],
    [
      ['libx264', 'V....D'],
      ['libaom-av1', 'V..X..'],
      ['libsvtav1', 'V.....'],
    ],
    'the legend above the dashes is not a list entry',
  )
  t.same(
    [
      ...parseFilterList(
        ' T.C libvmaf           VV->V      Calculate the VMAF between two video streams.\n ... scdet             V->V       Detect video scene change\nFilters:',
      ),
    ],
    ['libvmaf', 'scdet'],
  )
  t.equal(parseVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers'), '5.1.9-0+deb12u1')
  t.equal(parseVersion('nonsense'), 'unknown')
})

t.test('the real builds: the bundled one has libx264 and libvmaf; a missing encoder names what to install', async (t) => {
  const bundled = await probeBuild(ffmpegPath())
  t.ok(bundled?.encoders.has('libx264'), 'the quality build has libx264')
  t.equal((await qualityBuild()).libvmaf, true, 'and libvmaf')
  t.equal(await probeBuild('/nonexistent/ffmpeg'), null, 'a build that does not run is null, not a crash')
  t.same(encoderLookupOrder({ encoderFfmpeg: '/x/ffmpeg' }), { paths: ['/x/ffmpeg'], explicit: true })
  t.same(encoderLookupOrder({}).paths, [...new Set([ffmpegPath(), DEBIAN_FFMPEG])], "the quality build first, then Debian's")
  t.same(await findEncoder('libx264', 'n/a'), { encoder: 'libx264', path: ffmpegPath(), version: bundled!.version }, 'H.264 stays on the quality build')
  await t.rejects(findEncoder('libsvtav1', "install Debian's ffmpeg", { encoderFfmpeg: ffmpegPath() }), {
    code: 'OCLAB_ERR_MISSING_ENCODER',
    message: /no ffmpeg with the libsvtav1 encoder: asked .*ffmpeg .*\(no libsvtav1\)\. point --encoder-ffmpeg/,
  })
  await t.rejects(findEncoder('libx264', 'n/a', { encoderFfmpeg: '/nonexistent/ffmpeg' }), {
    code: 'OCLAB_ERR_MISSING_ENCODER',
    message: /\/nonexistent\/ffmpeg \(does not run\)/,
  })
  await t.rejects(
    findEncoder('libaom-av1', "install Debian's ffmpeg", { encoderFfmpeg: ffmpegPath() }),
    { message: /libaom-av1 is experimental there/ },
    'an experimental encoder (X flag) does not count',
  )
})

t.test('codec lists, presets and encoder arguments', async (t) => {
  t.same(parseCodecList('h264, AV1,hevc,av1'), ['h264', 'av1', 'hevc'])
  t.equal(parseCodecList('h264,vp9'), null)
  t.equal(parseCodecList(''), null)
  t.throws(() => checkPreset('av1', 'veryfast'), { code: 'OCLAB_ERR_USAGE', message: /av1: preset "veryfast" is not one of libsvtav1's \(0, 1,/ })
  t.doesNotThrow(() => checkPreset('hevc', 'ultrafast'))
  const s = { ...DEFAULT_H264, gop: 25, frameRate: 25 }
  const hevc = videoCodecArgs('hevc', 320, 180, { bitrate: 300_000 }, { ...s, preset: 'ultrafast' })
  t.match(
    hevc.join(' '),
    /-c:v libx265 -preset ultrafast -tag:v hvc1 .*-b:v 300000 -maxrate 450000 -bufsize 600000 .*keyint=25:min-keyint=25:scenecut=0:open-gop=0:info=0:pools=1:frame-threads=1/,
  )
  t.match(videoCodecArgs('av1', 320, 180, { crf: 40 }, { ...s, preset: '12' }).join(' '), /-c:v libsvtav1 -preset 12 -crf 40 -g 25 -svtav1-params lp=1/)
  t.throws(() => videoCodecArgs('av1', 320, 180, { crf: 40 }, { ...s, preset: '12', keyframes: [0, 10] }), {
    code: 'OCLAB_ERR_USAGE',
    message: /libsvtav1 in ffmpeg 5\.1 ignores/,
  })
  t.match(videoCodecArgs('h264', 320, 180, { crf: 23 }, s).join(' '), /-c:v libx264 /)
})

t.test("AV1 sequence header to codecs string, by hand (the binding's own HDR example)", async (t) => {
  // reduced still-picture header, Main profile, level 4 (seq_level_idx 4 = 3.0), 10-bit, BT.2020 / PQ / BT.2020nc, limited range, colocated chroma (2)
  const payload = bits([
    [0, 3],
    [1, 1],
    [1, 1],
    [4, 5], // seq_profile, still_picture, reduced_still_picture_header, seq_level_idx[0]
    [10, 4],
    [10, 4],
    [1919, 11],
    [1079, 11], // frame size bits and max size
    [0, 1],
    [1, 1],
    [1, 1], // 128x128 SB, filter intra, intra edge
    [0, 1],
    [1, 1],
    [0, 1], // superres, cdef, restoration
    [1, 1],
    [0, 1],
    [1, 1],
    [9, 8],
    [16, 8],
    [9, 8],
    [0, 1],
    [2, 2],
    [0, 1], // color_config
    [0, 1], // film_grain_params_present
  ])
  // an OBU with obu_has_size_field: header (type 1 << 3 | 0b10), leb128 size, payload; a temporal delimiter first
  const obus = Buffer.concat([Buffer.from([0x12, 0x00]), Buffer.from([(1 << 3) | 2, payload.length]), payload])
  const seq = findSequenceHeader(obus)
  t.same(seq, { start: 4, end: 4 + payload.length }, 'the temporal delimiter is skipped')
  const p = parseSequenceHeader(obus, seq.start, seq.end)
  t.same(p, {
    profile: 0,
    level: 4,
    tier: 0,
    bitDepth: 10,
    monochrome: false,
    subsamplingX: 1,
    subsamplingY: 1,
    chromaSamplePosition: 2,
    colorPrimaries: 9,
    transferCharacteristics: 16,
    matrixCoefficients: 9,
    fullRange: false,
  })
  t.equal(av1CodecsString(p), 'av01.0.04M.10.0.112.09.16.09.0', "the AV1-ISOBMFF binding's example string")
  t.equal(
    av1CodecsString({ ...p, bitDepth: 8, chromaSamplePosition: 0, colorPrimaries: 1, transferCharacteristics: 1, matrixCoefficients: 1, level: 8, tier: 1 }),
    'av01.0.08H.08',
    'defaults give the short form',
  )
  t.throws(() => findSequenceHeader(Buffer.from([0x12, 0x00])), /no sequence header OBU/)
  t.throws(() => parseSequenceHeader(payload, 0, 2), /ends early/)
})
