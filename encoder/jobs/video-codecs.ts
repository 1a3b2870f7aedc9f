import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { type EncoderBuild, type EncoderChoice, findEncoder } from '../../lib/ffmpeg-builds.js'
import { splitCodecList, type VideoCodecName } from '../../lib/video-codec-names.js'
import { type H264Settings, h264CodecArgs, h264Filter, type RateControl, TIMESTAMPS_FROM_FRAMES } from './h264.js'

/**
 * The video codecs a title can be encoded in, each with the one ffmpeg
 * encoder used for it and its encoder arguments. Every codec gets the same
 * promises from its arguments as H.264 does (h264.ts): closed GOPs of exactly
 * one segment with an IDR/key frame at each segment start, no scene-cut key
 * frames, one thread per job so that a chunk's bytes do not depend on the
 * machine or the run (resume and the fleet rely on it), and headers that are
 * the same in every chunk of a rung so chunks concatenate.
 */
export type VideoCodec = VideoCodecName

export interface CodecInfo {
  /** ffmpeg encoder */
  encoder: string
  /** what to do when no build has the encoder */
  install: string
  /** the encoder's preset when none is given: chosen for a 2-core machine */
  defaultPreset: string
  presets: readonly string[]
  /** per-title probe grid: from near-transparent to starved on the encoder's own CRF scale */
  probeCrfs: readonly number[]
  /** can IDRs be forced at given frames (shot-aligned segments of varying length)? */
  forcedKeyframes: boolean
}

const X26X_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'] as const

export const VIDEO_CODECS: Readonly<Record<VideoCodec, CodecInfo>> = {
  h264: {
    encoder: 'libx264',
    install: "reinstall the bundled ffmpeg (npm ci) or install Debian's ffmpeg (apt-get install ffmpeg)",
    defaultPreset: 'veryfast',
    presets: X26X_PRESETS,
    probeCrfs: [20, 25, 30, 36],
    forcedKeyframes: true,
  },
  // x265's CRF gives about x264's quality 2–4 points higher (fewer bits at the same number)
  hevc: {
    encoder: 'libx265',
    install: "install Debian's ffmpeg (apt-get install ffmpeg)",
    defaultPreset: 'veryfast',
    presets: X26X_PRESETS,
    probeCrfs: [22, 27, 32, 38],
    forcedKeyframes: true,
  },
  // SVT-AV1's CRF runs 0–63; presets 0 (slowest) to 13. ffmpeg 5.1's libsvtav1 ignores forced key frames.
  av1: {
    encoder: 'libsvtav1',
    install: "install Debian's ffmpeg 5.1 or newer (apt-get install ffmpeg), which has libsvtav1",
    defaultPreset: '10',
    presets: Array.from({ length: 14 }, (_, i) => String(i)),
    probeCrfs: [30, 38, 46, 55],
    forcedKeyframes: false,
  },
}

/** `--codecs h264,hevc,av1` → codecs in the given order, no repeats; null on an unknown name. */
export function parseCodecList(spec: string): VideoCodec[] | null {
  const { codecs, unknown } = splitCodecList(spec)
  return codecs.length && !unknown.length ? codecs : null
}

/** The build that encodes `codec` (lib/ffmpeg-builds.ts's lookup order), or OCLAB_ERR_MISSING_ENCODER. */
export const encoderFor = (codec: VideoCodec, choice: EncoderChoice = {}): Promise<EncoderBuild> =>
  findEncoder(VIDEO_CODECS[codec].encoder, VIDEO_CODECS[codec].install, choice)

/** Refuse a preset the codec's encoder does not have (x26x names vs SVT-AV1 numbers). */
export function checkPreset(codec: VideoCodec, preset: string): void {
  if (!VIDEO_CODECS[codec].presets.includes(preset)) {
    throw new OclabError(
      ErrorCodes.USAGE,
      `${codec}: preset "${preset}" is not one of ${VIDEO_CODECS[codec].encoder}'s (${VIDEO_CODECS[codec].presets.join(', ')})`,
    )
  }
}

/** Where IDRs go: every `gop` frames, or at the chunk's own segment starts. */
const keyframeExpr = (s: H264Settings): string => (s.keyframes ? `expr:${s.keyframes.map((k) => `eq(n,${k})`).join('+')}` : `expr:eq(mod(n,${s.gop}),0)`)

function vbv(rate: RateControl, s: H264Settings): string[] {
  if (!('bitrate' in rate)) return ['-crf', String(rate.crf)]
  return [
    '-b:v',
    String(rate.bitrate),
    '-maxrate',
    String(Math.round(rate.bitrate * s.maxrateFactor)),
    '-bufsize',
    String(Math.round(rate.bitrate * s.bufsizeFactor)),
  ]
}

/**
 * x265 (HEVC Main): `hvc1` sample entry (parameter sets in the hvcC, as Apple
 * requires for HLS), no info SEI (it carries the option string, which would
 * differ between the CRFs of one rung's shots), pools/frame-threads 1 for
 * repeatable bytes.
 */
function hevcArgs(rate: RateControl, s: H264Settings): string[] {
  const params = [`keyint=${s.gop}`, `min-keyint=${s.gop}`, 'scenecut=0', 'open-gop=0', 'info=0', 'pools=1', 'frame-threads=1', 'log-level=error']
  return [
    '-c:v',
    'libx265',
    '-preset',
    s.preset,
    '-tag:v',
    'hvc1',
    '-profile:v',
    'main',
    ...vbv(rate, s),
    '-g',
    String(s.gop),
    '-keyint_min',
    String(s.gop),
    '-x265-params',
    params.join(':'),
    '-force_key_frames',
    keyframeExpr(s),
    '-forced-idr',
    '1',
  ]
}

/**
 * SVT-AV1 (Main profile): a key frame every `gop` frames (its intra period,
 * closed: key frames, not forward key frames), one logical processor per job
 * for repeatable bytes.
 */
function av1Args(rate: RateControl, s: H264Settings): string[] {
  if (s.keyframes)
    throw new OclabError(
      ErrorCodes.USAGE,
      'av1: shot-aligned segments need key frames at given frames, which libsvtav1 in ffmpeg 5.1 ignores; use --ladder per-title or fixed for av1',
    )
  return ['-c:v', 'libsvtav1', '-preset', s.preset, ...vbv(rate, s), '-g', String(s.gop), '-svtav1-params', 'lp=1:irefresh-type=2:scd=0']
}

/** The encoder arguments of one rung in `codec`, for an output fed by a filter graph. */
export function videoCodecArgs(codec: VideoCodec, width: number, height: number, rate: RateControl, s: H264Settings): string[] {
  if (codec === 'hevc') return hevcArgs(rate, s)
  if (codec === 'av1') return av1Args(rate, s)
  return h264CodecArgs(width, height, rate, s)
}

/** ffmpeg output arguments encoding video at one rung in `codec` (filter included). */
export function videoArgs(codec: VideoCodec, width: number, height: number, rate: RateControl, s: H264Settings): string[] {
  return ['-vf', `${TIMESTAMPS_FROM_FRAMES},${h264Filter(width, height)}`, ...videoCodecArgs(codec, width, height, rate, s)]
}
