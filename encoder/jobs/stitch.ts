import { rm, writeFile } from 'node:fs/promises'
import { tempNameFor } from '../../lib/atomic-file.js'
import { ffmpeg } from '../../lib/ffmpeg.js'

/** MP4 flags that give one moof+mdat per keyframe-started fragment, ready for CMAF splitting. */
export const FRAGMENT_FLAGS = ['-movflags', '+frag_keyframe+empty_moov+default_base_moof']

/** ffconcat quoting: single quotes, with ' written as '\'' */
const quote = (p: string): string => `'${p.replace(/'/g, "'\\''")}'`

/**
 * Join a rung's chunk encodes into one fragmented MP4 without re-encoding.
 * The chunks carry identical SPS/PPS (same settings) and start with IDRs, so
 * the concat demuxer's stream copy is bit-exact; the packager then checks the
 * frame count and timestamp continuity of the result.
 */
export async function stitchChunks(chunkFiles: readonly string[], out: string, signal?: AbortSignal, bin?: string): Promise<void> {
  const list = `${tempNameFor(out)}.txt`
  await writeFile(list, `ffconcat version 1.0\n${chunkFiles.map((f) => `file ${quote(f)}`).join('\n')}\n`)
  try {
    await ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-map', '0:v:0', '-c', 'copy', ...FRAGMENT_FLAGS, '-f', 'mp4', out], {
      signal,
      ...(bin ? { bin } : {}),
    })
  } finally {
    await rm(list, { force: true })
  }
}

export interface AudioOptions {
  source: string
  /** index among the source's audio streams */
  streamIndex: number
  /**
   * Seconds from the file's start (ffmpeg's time zero: the earliest stream)
   * to the first video frame; audio is shifted by it so both start at 0.
   */
  videoStartInFile: number
  duration: number
  segmentDuration: number
  /** bit/s. Default 128000 */
  bitrate?: number
  /** Pad a stream that ends before the video with silence, so it has every segment. Default false (a source's own streams last as long as it). */
  padEnd?: boolean
  out: string
  signal?: AbortSignal
}

/** AAC encoder delay (priming samples) of ffmpeg's native AAC encoder at 48 kHz. */
export const AAC_PRIMING_SECONDS = 1024 / 48000

/**
 * Encode one audio stream to AAC-LC stereo 48 kHz, aligned to the video's
 * timeline (a late start is padded with silence, an early one trimmed) and
 * cut so the track, priming included, lasts exactly as long as the video,
 * fragmented at segment boundaries. The 21 ms of priming stay in the stream
 * rather than behind an edit list, which MSE players honour inconsistently:
 * audio runs 21 ms late, well inside lip-sync tolerance (ITU-R BT.1359).
 */
export async function encodeAudio(o: AudioOptions): Promise<void> {
  // after the shift, aresample's first_pts pads a late start with silence or trims an early one
  const end = Math.max(AAC_PRIMING_SECONDS, o.duration - AAC_PRIMING_SECONDS)
  const filter = `asetpts=PTS-${o.videoStartInFile.toFixed(6)}/TB,aresample=async=1:first_pts=0,${o.padEnd ? 'apad,' : ''}atrim=end=${end.toFixed(6)}`
  await ffmpeg(
    [
      '-i',
      o.source,
      '-map',
      `0:a:${o.streamIndex}`,
      '-vn',
      '-sn',
      '-dn',
      '-af',
      filter,
      '-c:a',
      'aac',
      '-b:a',
      String(o.bitrate ?? 128_000),
      '-ac',
      '2',
      '-ar',
      '48000',
      ...FRAGMENT_FLAGS,
      '-frag_duration',
      String(Math.round(o.segmentDuration * 1e6)),
      '-f',
      'mp4',
      o.out,
    ],
    { signal: o.signal },
  )
}
