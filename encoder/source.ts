import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ffmpeg } from '../lib/ffmpeg.js'
import { tempNameFor, commitFile } from '../lib/atomic-file.js'

export type SourceKind = 'simple' | 'complex'

export interface SourceOptions {
  kind: SourceKind
  /** Output file (.mp4). */
  out: string
  /** Seconds. Default 10. */
  duration?: number
  /** Default 1280x720. */
  width?: number
  height?: number
  /** Default 25. */
  frameRate?: number
  /** Include a stereo AAC track. Default true. */
  audio?: boolean
  signal?: AbortSignal
}

/**
 * The video filter graph of each kind. `simple` is flat colour fields with a
 * little motion (animation-like: easy for any encoder); `complex` adds strong
 * temporal noise over fast motion, the worst case for bitrate.
 */
export function sourceFilter(kind: SourceKind, width: number, height: number, frameRate: number): string {
  const base = `testsrc2=size=${width}x${height}:rate=${frameRate}`
  if (kind === 'simple') return base
  return `${base},noise=alls=40:allf=t+u,rotate=angle=0.5*t:fillcolor=gray`
}

/**
 * Generate a synthetic mezzanine source with ffmpeg's lavfi sources. Encoded
 * near-losslessly (x264 CRF 10) so the encoder's quality measurements reflect
 * its own losses, not the source's.
 */
export async function generateSource(opts: SourceOptions): Promise<string> {
  const duration = opts.duration ?? 10
  const width = opts.width ?? 1280
  const height = opts.height ?? 720
  const fps = opts.frameRate ?? 25
  const audio = opts.audio ?? true
  await mkdir(dirname(opts.out), { recursive: true })
  const tmp = `${tempNameFor(opts.out)}.mp4`
  const args = ['-f', 'lavfi', '-i', sourceFilter(opts.kind, width, height, fps)]
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=48000`)
  args.push('-t', String(duration), '-map', '0:v')
  if (audio) args.push('-map', '1:a', '-c:a', 'aac', '-b:a', '160k', '-ac', '2')
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '10', '-pix_fmt', 'yuv420p', '-g', String(fps * 2))
  args.push('-movflags', '+faststart', tmp)
  await ffmpeg(args, { signal: opts.signal })
  await commitFile(tmp, opts.out)
  return opts.out
}
