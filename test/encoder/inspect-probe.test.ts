import { Value } from '@sinclair/typebox/value'
import t from 'tap'
import { dynamicRange, inspectionFromProbe, type ProbeResult, type ProbeStream, parseRational, streamTitle } from '../../encoder/inspect/inspect-probe.js'
import { InspectionSchema } from '../../lib/title-package.js'

const limits = { max: 120, min: 10 }

const video = (o: Partial<ProbeStream> = {}): ProbeStream => ({
  index: 0,
  codec_type: 'video',
  codec_name: 'h264',
  width: 1920,
  height: 1080,
  pix_fmt: 'yuv420p',
  field_order: 'progressive',
  sample_aspect_ratio: '1:1',
  r_frame_rate: '30000/1001',
  avg_frame_rate: '30000/1001',
  start_time: '0.000000',
  duration: '10.010000',
  nb_frames: '300',
  ...o,
})

const audio = (o: Partial<ProbeStream> = {}): ProbeStream => ({
  index: 1,
  codec_type: 'audio',
  codec_name: 'aac',
  channels: 6,
  sample_rate: '48000',
  start_time: '0.000000',
  tags: { language: 'nor' },
  ...o,
})

const probe = (streams: ProbeStream[], format = 'mov,mp4,m4a,3gp,3g2,mj2'): ProbeResult => ({ streams, format: { format_name: format, duration: '10.010000' } })

t.test('parseRational reads ffprobe rates and refuses the undefined ones', async (t) => {
  t.equal(parseRational('30000/1001'), 30000 / 1001)
  t.equal(parseRational('25/1'), 25)
  t.equal(parseRational('24'), 24)
  t.equal(parseRational('0/0'), undefined)
  t.equal(parseRational('1/0'), undefined)
  t.equal(parseRational('N/A'), undefined)
  t.equal(parseRational(undefined), undefined)
  t.equal(parseRational('-25/1'), undefined)
})

t.test('dynamicRange follows the transfer characteristic', async (t) => {
  t.equal(dynamicRange('smpte2084'), 'HDR10')
  t.equal(dynamicRange('arib-std-b67'), 'HLG')
  t.equal(dynamicRange('bt709'), 'SDR')
  t.equal(dynamicRange(undefined), 'SDR')
})

t.test('a clean probe becomes a complete, schema-valid report', async (t) => {
  const r = inspectionFromProbe('in.mp4', 1234, probe([video({ color_transfer: 'bt709', color_primaries: 'bt709', color_space: 'bt709' }), audio()]), limits)
  t.ok(Value.Check(InspectionSchema, r), 'matches InspectionSchema')
  t.same(r.video, {
    codec: 'h264',
    width: 1920,
    height: 1080,
    frameRate: 30000 / 1001,
    frameCount: 300,
    pixelFormat: 'yuv420p',
    colorTransfer: 'bt709',
    colorPrimaries: 'bt709',
    colorSpace: 'bt709',
    dynamicRange: 'SDR',
    startTime: 0,
  })
  t.same(r.audio, [{ index: 1, codec: 'aac', channels: 6, sampleRate: 48000, language: 'nor', startTime: 0, offsetFromVideo: 0 }])
  t.equal(r.duration, 10.01)
  t.equal(r.bytes, 1234)
  t.same(r.warnings, [])
})

t.test('frame count falls back to duration × rate, language to und, colour to unknown', async (t) => {
  const r = inspectionFromProbe(
    'in.mkv',
    1,
    probe([video({ nb_frames: undefined, duration: undefined, r_frame_rate: '25/1', avg_frame_rate: '25/1' }), audio({ tags: {} })], 'matroska,webm'),
    limits,
  )
  t.equal(r.duration, 10.01, 'format duration when the stream has none (Matroska)')
  t.equal(r.video.frameCount, 250)
  t.equal(r.audio[0]?.language, 'und')
  t.equal(r.video.colorTransfer, 'unknown')
})

t.test('A/V offset: audio start minus video start, warned beyond ±45 ms', async (t) => {
  const within = inspectionFromProbe('x', 1, probe([video({ start_time: '1.400000' }), audio({ start_time: '1.445000' })]), limits)
  t.equal(within.audio[0]?.offsetFromVideo, 0.045)
  t.same(within.warnings, [], '45 ms is inside the tolerance')
  const early = inspectionFromProbe('x', 1, probe([video({ start_time: '1.400000' }), audio({ start_time: '1.300000' })]), limits)
  t.equal(early.audio[0]?.offsetFromVideo, -0.1)
  t.match(early.warnings, [/audio stream 1 starts 0\.100 s before the video/])
})

t.test('oddities become warnings', async (t) => {
  const r = inspectionFromProbe(
    'x',
    1,
    probe([
      video({ width: 721, height: 405, field_order: 'tt', sample_aspect_ratio: '64:45', r_frame_rate: '50/1', avg_frame_rate: '25/1' }),
      video({ index: 2 }),
    ]),
    limits,
  )
  t.equal(r.video.frameRate, 25, 'interlaced field rate (50) is read as the frame rate (25)')
  t.match(r.warnings.join('\n'), /2 video streams/)
  t.match(r.warnings.join('\n'), /interlaced video \(field order tt\)/)
  t.match(r.warnings.join('\n'), /odd frame size 721x405/)
  t.match(r.warnings.join('\n'), /non-square pixels \(sample aspect ratio 64:45\)/)
})

t.test('rejections from metadata alone', async (t) => {
  const reject = (p: ProbeResult, code: string, message: RegExp) => t.throws(() => inspectionFromProbe('src', 1, p, limits), { code, message })
  reject(probe([video({ codec_name: 'ansi' })], 'tty'), 'OCLAB_ERR_BAD_SOURCE', /text file/)
  reject(probe([audio()]), 'OCLAB_ERR_NO_VIDEO', /no video stream \(audio only: 1 audio stream\)/)
  reject(probe([audio(), video({ codec_name: 'mjpeg', disposition: { attached_pic: 1 } })]), 'OCLAB_ERR_NO_VIDEO', /no video stream/)
  reject(probe([video({ codec_name: 'png' })], 'png_pipe'), 'OCLAB_ERR_NO_VIDEO', /still image \(png\)/)
  reject(probe([video({ codec_name: 'mjpeg' })], 'image2'), 'OCLAB_ERR_NO_VIDEO', /still image/)
  reject(probe([video({ nb_frames: '1' })]), 'OCLAB_ERR_NO_VIDEO', /single frame/)
  reject(probe([video({ duration: '0.000000' })]), 'OCLAB_ERR_ZERO_DURATION', /zero duration/)
  reject({ streams: [video({ duration: 'N/A' })], format: { format_name: 'h264' } }, 'OCLAB_ERR_ZERO_DURATION', /unknown duration/)
  reject(
    probe([video({ r_frame_rate: '50/1', avg_frame_rate: '3125/123' })]),
    'OCLAB_ERR_BAD_FRAME_RATE',
    /variable frame rate: the stream's base rate is 50 fps but it averages 25\.407 fps/,
  )
  reject(probe([video({ r_frame_rate: '0/0', avg_frame_rate: '0/0' })]), 'OCLAB_ERR_BAD_FRAME_RATE', /declares no frame rate/)
  reject(probe([video({ r_frame_rate: '1000/1', avg_frame_rate: '1000/1' })]), 'OCLAB_ERR_BAD_FRAME_RATE', /1000 fps is above the maximum of 120/)
  reject(probe([video({ r_frame_rate: '5/1', avg_frame_rate: '5/1' })]), 'OCLAB_ERR_BAD_FRAME_RATE', /5 fps is below the minimum of 10/)
  t.equal(
    inspectionFromProbe('src', 1, probe([video({ r_frame_rate: '25/1', avg_frame_rate: '1225/49' })]), limits).video.frameRate,
    25,
    'one frame off in 50 is not VFR',
  )
})

t.test("a stream's name: its title tag, else a handler name a person chose, never a muxer's default", async (t) => {
  t.equal(streamTitle(audio({ tags: { language: 'fra', title: 'Français', handler_name: 'Other' } })), 'Français')
  t.equal(streamTitle(audio({ tags: { language: 'fra', handler_name: 'Français' } })), 'Français', 'MP4: the hdlr name')
  for (const handler of ['SoundHandler', 'Core Media Audio', 'GPAC ISO Audio Handler', 'L-SMASH Audio Handler', ' '])
    t.equal(streamTitle(audio({ tags: { handler_name: handler } })), undefined, `"${handler}" is a default, not a name`)
  t.equal(streamTitle(audio({ tags: undefined })), undefined)
})
