/**
 * H.264 encode settings for one rung, as x264 arguments. Everything that
 * shapes the bitstream's headers (profile, level, GOP) is fixed per rung, so
 * independently encoded chunks carry identical SPS/PPS and concatenate into
 * one valid stream.
 */
export interface H264Settings {
  /** x264 preset. Default 'veryfast': the demo and tests run on 2 cores. */
  preset: string
  /** IDR interval in frames: one segment. */
  gop: number
  frameRate: number
  /** VBV: maxrate = bitrate × this. Default 1.5 (capped VBR, as most VOD ladders). */
  maxrateFactor: number
  /** VBV buffer = bitrate × this. Default 2. */
  bufsizeFactor: number
  /**
   * x264 threads per job. Default 1: parallelism comes from running chunk jobs
   * side by side, and single-threaded x264 is bit-exact from run to run (its
   * threaded rate control is not), which resume and the fleet rely on.
   */
  threads: number
  /**
   * Frames (within the chunk) that start a segment, when segments vary in
   * length (shot-aligned plans): IDRs are forced there, and gop is the
   * title's longest segment so x264 inserts none of its own in between.
   */
  keyframes?: number[]
}

export const DEFAULT_H264: Omit<H264Settings, 'gop' | 'frameRate'> = {
  preset: 'veryfast',
  maxrateFactor: 1.5,
  bufsizeFactor: 2,
  threads: 1,
}

/** H.264 Table A-1: max macroblocks/s, max frame size (MBs), max bitrate (kbit/s, Baseline/Main). */
const LEVELS: ReadonlyArray<[level: string, mbps: number, fs: number, br: number]> = [
  ['3.0', 40500, 1620, 10000],
  ['3.1', 108000, 3600, 14000],
  ['3.2', 216000, 5120, 20000],
  ['4.0', 245760, 8192, 20000],
  ['4.1', 245760, 8192, 50000],
  ['4.2', 522240, 8704, 50000],
  ['5.0', 589824, 22080, 135000],
  ['5.1', 983040, 36864, 240000],
  ['5.2', 2073600, 36864, 240000],
]

/** Lowest level that fits the frame size, frame rate and VBV peak (High profile: ×1.25 bitrate). */
export function h264Level(width: number, height: number, frameRate: number, maxrate: number): string {
  const fs = Math.ceil(width / 16) * Math.ceil(height / 16)
  const mbps = fs * frameRate
  for (const [level, maxMbps, maxFs, maxBr] of LEVELS) {
    if (fs <= maxFs && mbps <= maxMbps && maxrate <= maxBr * 1250) return level
  }
  return '5.2'
}

/** Capped VBR at a bitrate (ladder rungs) or constant quality (per-title probes). */
export type RateControl = { bitrate: number } | { crf: number }

/**
 * The video filter a rung's frames pass through. Timestamps come from the
 * frame count: after a mid-file seek the first frame's pts is not 0, and
 * ffmpeg's CFR output would otherwise duplicate it.
 */
export const h264Filter = (width: number, height: number): string => `scale=${width}:${height}:flags=lanczos,setsar=1,format=yuv420p`
export const TIMESTAMPS_FROM_FRAMES = 'setpts=N/FRAME_RATE/TB'

/** ffmpeg output arguments encoding video at one rung (filter included). */
export function h264Args(width: number, height: number, rate: RateControl, s: H264Settings): string[] {
  return ['-vf', `${TIMESTAMPS_FROM_FRAMES},${h264Filter(width, height)}`, ...h264CodecArgs(width, height, rate, s)]
}

/** The x264 arguments alone, for an output fed by a filter graph. */
export function h264CodecArgs(width: number, height: number, rate: RateControl, s: H264Settings): string[] {
  const maxrate = 'bitrate' in rate ? Math.round(rate.bitrate * s.maxrateFactor) : 0
  const rc =
    'bitrate' in rate
      ? ['-b:v', String(rate.bitrate), '-maxrate', String(maxrate), '-bufsize', String(Math.round(rate.bitrate * s.bufsizeFactor))]
      : ['-crf', String(rate.crf)]
  return [
    '-c:v',
    'libx264',
    '-preset',
    s.preset,
    '-profile:v',
    'high',
    '-level:v',
    h264Level(width, height, s.frameRate, maxrate),
    ...rc,
    // fixed, closed GOPs of exactly one segment, no scene-cut keyframes: every
    // segment (and so every chunk) starts with an IDR at a known frame
    '-g',
    String(s.gop),
    '-keyint_min',
    String(s.gop),
    '-sc_threshold',
    '0',
    '-x264-params',
    `open-gop=0:scenecut=0:threads=${s.threads}`,
    '-force_key_frames',
    s.keyframes ? `expr:${s.keyframes.map((k) => `eq(n,${k})`).join('+')}` : `expr:eq(mod(n,${s.gop}),0)`,
    // a forced frame is an IDR (not a recovery-point I frame): every segment must be decodable on its own
    ...(s.keyframes ? ['-forced-idr', '1'] : []),
  ]
}
