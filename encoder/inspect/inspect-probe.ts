import { ErrorCodes, OclabError } from '../../lib/errors.js'
import type { Inspection } from '../../lib/title-package.js'

/** The parts of `ffprobe -show_format -show_streams -of json` that inspection reads. */
export interface ProbeStream {
  index: number
  codec_type?: string
  codec_name?: string
  width?: number
  height?: number
  pix_fmt?: string
  field_order?: string
  sample_aspect_ratio?: string
  r_frame_rate?: string
  avg_frame_rate?: string
  start_time?: string
  duration?: string
  nb_frames?: string
  color_transfer?: string
  color_primaries?: string
  color_space?: string
  channels?: number
  sample_rate?: string
  tags?: Record<string, string>
  disposition?: Record<string, number>
}

export interface ProbeFormat {
  format_name?: string
  duration?: string
}

export interface ProbeResult {
  streams?: ProbeStream[]
  format?: ProbeFormat
}

/**
 * A stream's name: its `title` tag (Matroska, MPEG-TS), else, in MP4, which
 * has no per-track title, the handler name of its hdlr box, unless that is a
 * muxer's default (ffmpeg's `SoundHandler`, Apple's `Core Media Audio`,
 * GPAC's and L-SMASH's `… Handler`).
 */
export function streamTitle(s: ProbeStream): string | undefined {
  const title = s.tags?.title?.trim()
  if (title) return title
  const handler = s.tags?.handler_name?.trim()
  if (!handler || /handler$/i.test(handler) || /^core media /i.test(handler)) return undefined
  return handler
}

export interface FrameRateLimits {
  /** Frames per second; above this the source is rejected. */
  max: number
  /** Frames per second; below this the source is rejected. */
  min: number
}

/**
 * How far r_frame_rate (ffprobe's guess at the base rate) may stray from
 * avg_frame_rate (frames / duration) before we call the stream variable: wide
 * enough for a short clip whose last frame is one frame off (1 in 50 = 2 %),
 * narrow enough to catch any real mix of rates.
 */
export const FRAME_RATE_TOLERANCE = 0.05

/** Audio leading or lagging video by more than this is visible (EBU R37 puts the limits at +40/-60 ms). */
export const LIPSYNC_TOLERANCE_S = 0.045

/** ffprobe prints "N/A" for unknown values; numbers come as strings. */
export function probeNumber(s: string | number | undefined): number | undefined {
  if (s === undefined || s === 'N/A' || s === '') return undefined
  const n = Number(s)
  return Number.isFinite(n) ? n : undefined
}

/** "30000/1001" → 29.97…, "25" → 25; "0/0", "N/A" and non-positive rates → undefined. */
export function parseRational(s: string | undefined): number | undefined {
  if (!s) return undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+(?:\.\d+)?))?\s*$/.exec(s)
  if (!m) return undefined
  const den = m[2] === undefined ? 1 : Number(m[2])
  const value = Number(m[1]) / den
  return Number.isFinite(value) && value > 0 ? value : undefined
}

export function dynamicRange(colorTransfer: string | undefined): Inspection['video']['dynamicRange'] {
  if (colorTransfer === 'smpte2084') return 'HDR10'
  if (colorTransfer === 'arib-std-b67') return 'HLG'
  return 'SDR'
}

/** Cover art in an MP3/M4A shows up as a one-frame video stream; it is not the programme. */
const isProgrammeVideo = (s: ProbeStream): boolean => s.codec_type === 'video' && s.disposition?.attached_pic !== 1

/** The video stream inspection reports on: the first one that is not cover art. */
export const videoStreamOf = (probe: ProbeResult): ProbeStream | undefined => probe.streams?.find(isProgrammeVideo)

const isInterlaced = (fieldOrder: string | undefined): boolean => fieldOrder !== undefined && !['progressive', 'unknown'].includes(fieldOrder)

/**
 * Demuxers that read exactly one picture: `image2` on a plain file name and
 * the `*_pipe` family (png_pipe, bmp_pipe, …).
 */
const isStillImageFormat = (formatName: string): boolean => formatName === 'image2' || formatName.split(',').some((f) => f.endsWith('_pipe'))

/**
 * The stream's nominal frame rate, or a BAD_FRAME_RATE error when the stream
 * declares none, declares a variable rate, or one outside the limits.
 */
export function nominalFrameRate(file: string, v: ProbeStream, limits: FrameRateLimits): number {
  let r = parseRational(v.r_frame_rate)
  const avg = parseRational(v.avg_frame_rate)
  const near = (a: number, b: number) => Math.abs(a - b) / b <= FRAME_RATE_TOLERANCE
  // Field-coded interlaced video often reports the field rate as r_frame_rate (50 for 25i).
  if (r !== undefined && avg !== undefined && isInterlaced(v.field_order) && near(r, 2 * avg)) r = avg
  if (r !== undefined && avg !== undefined && !near(r, avg)) {
    throw new OclabError(
      ErrorCodes.BAD_FRAME_RATE,
      `${file}: variable frame rate: the stream's base rate is ${fmtRate(r)} fps but it averages ${fmtRate(avg)} fps; convert it to a constant rate first (ffmpeg -vf fps=<rate>)`,
    )
  }
  const fps = r ?? avg
  if (fps === undefined) throw new OclabError(ErrorCodes.BAD_FRAME_RATE, `${file}: the video stream declares no frame rate`)
  if (fps > limits.max) {
    throw new OclabError(ErrorCodes.BAD_FRAME_RATE, `${file}: frame rate ${fmtRate(fps)} fps is above the maximum of ${limits.max} fps`)
  }
  if (fps < limits.min) {
    throw new OclabError(ErrorCodes.BAD_FRAME_RATE, `${file}: frame rate ${fmtRate(fps)} fps is below the minimum of ${limits.min} fps`)
  }
  return fps
}

const fmtRate = (fps: number): string => String(Number(fps.toFixed(3)))

/**
 * Turn ffprobe's format/streams JSON into an inspection report, rejecting
 * what metadata alone shows to be unusable. Checks run cheapest-first and in
 * the order a user would fix them: not video at all, then empty, then rate.
 * frameCount comes from the container (nb_frames) or duration × rate; the
 * decode pass replaces it with a count of decoded frames.
 */
export function inspectionFromProbe(file: string, bytes: number, probe: ProbeResult, limits: FrameRateLimits): Inspection {
  const formatName = probe.format?.format_name ?? ''
  // ffprobe's `tty` demuxer accepts any text file as "ANSI art" video.
  if (formatName === 'tty') throw new OclabError(ErrorCodes.BAD_SOURCE, `${file} is a text file, not a media file`)
  const streams = probe.streams ?? []
  const videos = streams.filter(isProgrammeVideo)
  const audios = streams.filter((s) => s.codec_type === 'audio')
  const v = videos[0]
  if (!v) {
    const has = audios.length ? `audio only: ${audios.length} audio stream${audios.length > 1 ? 's' : ''}` : 'no audio either'
    throw new OclabError(ErrorCodes.NO_VIDEO, `${file} has no video stream (${has})`)
  }
  if (isStillImageFormat(formatName)) {
    throw new OclabError(ErrorCodes.NO_VIDEO, `${file} is a still image (${v.codec_name ?? formatName}), not video`)
  }
  if (probeNumber(v.nb_frames) === 1) {
    throw new OclabError(ErrorCodes.NO_VIDEO, `${file} holds a single frame, not video`)
  }
  const duration = probeNumber(v.duration) ?? probeNumber(probe.format?.duration)
  if (duration === undefined || duration <= 0) {
    throw new OclabError(ErrorCodes.ZERO_DURATION, `${file} has a video stream of ${duration === undefined ? 'unknown' : 'zero'} duration`)
  }
  const frameRate = nominalFrameRate(file, v, limits)
  const width = v.width ?? 0
  const height = v.height ?? 0
  if (width <= 0 || height <= 0) throw new OclabError(ErrorCodes.BAD_SOURCE, `${file}: the video stream has no frame size`)
  const videoStart = probeNumber(v.start_time) ?? 0
  const warnings: string[] = []
  if (videos.length > 1) warnings.push(`${videos.length} video streams; only the first (stream ${v.index}) is used`)
  if (isInterlaced(v.field_order)) warnings.push(`interlaced video (field order ${v.field_order}); it will be deinterlaced or encoded as progressive frames`)
  if (width % 2 || height % 2) warnings.push(`odd frame size ${width}x${height}; 4:2:0 encodes need even sizes, so renditions are scaled to even sizes`)
  if (v.sample_aspect_ratio && !['1:1', '0:1', 'N/A'].includes(v.sample_aspect_ratio)) {
    warnings.push(`non-square pixels (sample aspect ratio ${v.sample_aspect_ratio})`)
  }
  const audio = audios.map((a) => {
    const startTime = probeNumber(a.start_time) ?? videoStart
    const offsetFromVideo = round6(startTime - videoStart)
    if (Math.abs(offsetFromVideo) > LIPSYNC_TOLERANCE_S) {
      const how = offsetFromVideo > 0 ? 'after' : 'before'
      warnings.push(`audio stream ${a.index} starts ${Math.abs(offsetFromVideo).toFixed(3)} s ${how} the video (lip-sync tolerance ±${LIPSYNC_TOLERANCE_S} s)`)
    }
    return {
      index: a.index,
      codec: a.codec_name ?? 'unknown',
      channels: a.channels ?? 0,
      sampleRate: probeNumber(a.sample_rate) ?? 0,
      language: a.tags?.language || 'und',
      ...(streamTitle(a) ? { title: streamTitle(a) } : {}),
      startTime,
      offsetFromVideo,
    }
  })
  return {
    file,
    format: formatName,
    bytes,
    duration,
    video: {
      codec: v.codec_name ?? 'unknown',
      width,
      height,
      frameRate,
      frameCount: probeNumber(v.nb_frames) ?? Math.round(duration * frameRate),
      pixelFormat: v.pix_fmt ?? 'unknown',
      colorTransfer: v.color_transfer ?? 'unknown',
      colorPrimaries: v.color_primaries ?? 'unknown',
      colorSpace: v.color_space ?? 'unknown',
      dynamicRange: dynamicRange(v.color_transfer),
      startTime: videoStart,
    },
    audio,
    warnings,
  }
}

/** Float subtraction of ffprobe's 6-decimal times leaves noise like 0.47799999. */
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6
