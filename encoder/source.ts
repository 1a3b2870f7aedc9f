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
 * The lavfi graph of each kind. `simple` is animation-like: flat colour
 * shapes gliding over a flat background with a small moving picture inset
 * (some real detail, so rate control has something to spend bits on), what a
 * per-title ladder serves with few bits. `complex` is a detailed moving test
 * pattern under strong temporal noise and rotation, the worst case for bitrate.
 */
export function sourceFilter(kind: SourceKind, width: number, height: number, frameRate: number): string {
  if (kind === 'complex') return `testsrc2=size=${width}x${height}:rate=${frameRate},noise=alls=40:allf=t+u,rotate=angle=0.5*t:fillcolor=gray`
  const even = (x: number) => Math.max(2, Math.round(x / 2) * 2)
  const shape = (color: string, w: number, h: number, label: string) => `color=c=${color}:size=${even(w)}x${even(h)}:rate=${frameRate}[${label}]`
  return [
    `color=c=0x3a7bd5:size=${width}x${height}:rate=${frameRate}[bg0]`,
    `testsrc2=size=${even(width / 4)}x${even(height / 4)}:rate=${frameRate}[pip]`,
    `[bg0][pip]overlay=x='W*0.6':y='H*0.55'[bg]`,
    shape('0xf5c542', width / 5, height / 3, 'a'),
    shape('0xe94e77', width / 6, height / 5, 'b'),
    shape('0x2ecc71', width / 3, height / 10, 'c'),
    `[bg][a]overlay=x='(W-w)*(0.5+0.4*sin(t))':y='H/4'[ab]`,
    `[ab][b]overlay=x='W/8':y='(H-h)*(0.5+0.4*cos(0.7*t))'[abc]`,
    `[abc][c]overlay=x='(W-w)*(0.5+0.45*cos(0.3*t))':y='H*0.8'`,
  ].join(';')
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
