import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { commitFile, tempNameFor } from '../lib/atomic-file.js'
import { ffmpeg } from '../lib/ffmpeg.js'
import { writeWebVtt } from '../lib/media/webvtt.js'

import { seededRandom, shuffle } from '../lib/random.js'

export type SourceKind = 'simple' | 'complex' | 'multishot'

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
  /** Include a stereo AAC track (440 Hz beeps, tagged eng/"English"). Default true. */
  audio?: boolean
  /** With `audio`: a second track (660 Hz beeps, tagged fra/"Français"), so packages carry two audio languages. Default true. */
  secondAudio?: boolean
  /** Write English subtitles beside the source (`subtitleSidecarOf(out)`, WebVTT), so packages carry a subtitle rendition. Default true. */
  subtitles?: boolean
  /** multishot: the seed that picks shot order and lengths. Default 1. */
  seed?: number
  signal?: AbortSignal
}

const even = (x: number) => Math.max(2, Math.round(x / 2) * 2)

/**
 * Flat colour shapes gliding over a flat background with a small moving
 * picture inset (some real detail, so rate control has something to spend
 * bits on). Labels carry prefix `p` so several copies can share one graph;
 * the last chain's output is left open.
 */
function flatAnimation(width: number, height: number, frameRate: number, p = ''): string {
  const shape = (color: string, w: number, h: number, label: string) => `color=c=${color}:size=${even(w)}x${even(h)}:rate=${frameRate}[${p}${label}]`
  return [
    `color=c=0x3a7bd5:size=${width}x${height}:rate=${frameRate}[${p}bg0]`,
    `testsrc2=size=${even(width / 4)}x${even(height / 4)}:rate=${frameRate}[${p}pip]`,
    `[${p}bg0][${p}pip]overlay=x='W*0.6':y='H*0.55'[${p}bg]`,
    shape('0xf5c542', width / 5, height / 3, 'a'),
    shape('0xe94e77', width / 6, height / 5, 'b'),
    shape('0x2ecc71', width / 3, height / 10, 'c'),
    `[${p}bg][${p}a]overlay=x='(W-w)*(0.5+0.4*sin(t))':y='H/4'[${p}ab]`,
    `[${p}ab][${p}b]overlay=x='W/8':y='(H-h)*(0.5+0.4*cos(0.7*t))'[${p}abc]`,
    `[${p}abc][${p}c]overlay=x='(W-w)*(0.5+0.45*cos(0.3*t))':y='H*0.8'`,
  ].join(';')
}

/**
 * The lavfi graph of each single-scene kind. `simple` is animation-like
 * (flatAnimation), what a per-title ladder serves with few bits. `complex`
 * is a detailed moving test pattern under strong temporal noise and
 * rotation, the worst case for bitrate.
 */
export function sourceFilter(kind: 'simple' | 'complex', width: number, height: number, frameRate: number): string {
  if (kind === 'complex') return `testsrc2=size=${width}x${height}:rate=${frameRate},noise=alls=40:allf=t+u,rotate=angle=0.5*t:fillcolor=gray`
  return flatAnimation(width, height, frameRate)
}

/**
 * The shots a title is cut from, easiest to hardest for an encoder: flat
 * animation, a slow pan over a detailed still, graphics (bars, a counter), a
 * dark scene with a little sensor noise, film grain over a calm scene, fast
 * motion over a detailed pattern.
 */
export const SHOT_KINDS = ['animation', 'pan', 'graphics', 'dark', 'grain', 'motion'] as const
export type ShotKind = (typeof SHOT_KINDS)[number]

export interface PlannedShot {
  kind: ShotKind
  startFrame: number
  frames: number
}

/** Shots shorter than this are not planned: a shot detector would merge them as flashes. */
export const MIN_PLANNED_SHOT_SECONDS = 1

/**
 * The shot list of a multishot source (pure, deterministic for a seed):
 * every kind once per round in a seeded order, rounds repeated for long
 * durations (about one shot per 3 s), lengths drawn between 0.6× and 1.4× of
 * the mean, in whole frames, summing to the duration.
 */
export function planShots(duration: number, frameRate: number, seed = 1): PlannedShot[] {
  const total = Math.max(1, Math.round(duration * frameRate))
  const minFrames = Math.ceil(MIN_PLANNED_SHOT_SECONDS * frameRate)
  const count = Math.max(1, Math.min(Math.floor(total / minFrames), Math.max(SHOT_KINDS.length, Math.round(duration / 3))))
  const rng = seededRandom(seed)
  const kinds: ShotKind[] = []
  while (kinds.length < count) kinds.push(...shuffle([...SHOT_KINDS], rng))
  const weights = Array.from({ length: count }, () => 0.6 + 0.8 * rng())
  const sum = weights.reduce((a, b) => a + b, 0)
  // whole frames, each at least minFrames, the remainder to the last shot
  const spare = total - count * minFrames
  const shots: PlannedShot[] = []
  let start = 0
  for (let i = 0; i < count; i++) {
    const frames = i === count - 1 ? total - start : minFrames + Math.floor((spare * weights[i]!) / sum)
    shots.push({ kind: kinds[i]!, startFrame: start, frames })
    start += frames
  }
  return shots
}

/** One shot's lavfi graph, its output labelled `[out]`. */
function shotGraph(kind: ShotKind, w: number, h: number, fps: number, seed: number, p: string, out: string): string {
  switch (kind) {
    case 'animation':
      return `${flatAnimation(w, h, fps, p)}[${out}]`
    case 'pan':
      // one frame of a random cellular pattern, enlarged and held, panned slowly: detail that motion search can follow
      return `life=s=${even(w / 4)}x${even(h / 4)}:r=${fps}:random_seed=${seed}:ratio=0.45:mold=0:life_color=0xd8c090:death_color=0x304858,trim=end_frame=1,loop=loop=-1:size=1:start=0,setpts=N/(${fps}*TB),scale=${w * 2}x${h * 2}:flags=bicubic,crop=${w}:${h}:x='t*${Math.max(4, Math.round(w / 25))}':y='t*${Math.max(2, Math.round(h / 36))}'[${out}]`
    case 'graphics':
      return `testsrc=s=${w}x${h}:r=${fps}[${out}]`
    case 'dark':
      return `testsrc2=s=${w}x${h}:r=${fps},lutyuv=y='16+(val-16)*0.22':u='128+(val-128)*0.4':v='128+(val-128)*0.4',noise=alls=5:allf=t:all_seed=${seed}[${out}]`
    case 'grain':
      return `color=c=0x8a7a60:s=${w}x${h}:r=${fps}[${p}g0];testsrc2=s=${even(w / 3)}x${even(h / 3)}:r=${fps}[${p}g1];[${p}g0][${p}g1]overlay=x=W/3:y=H/3,noise=alls=24:allf=t+u:all_seed=${seed}[${out}]`
    case 'motion':
      return `testsrc2=s=${w * 2}x${h * 2}:r=${fps},crop=${w}:${h}:x='${w}*(0.5+0.5*sin(2.5*t))':y='${h}*(0.5+0.5*cos(1.9*t))'[${out}]`
  }
}

/** The whole multishot graph: each shot cut to its frames, concatenated with hard cuts. */
export function multishotFilter(shots: readonly PlannedShot[], width: number, height: number, frameRate: number, seed = 1): string {
  const parts = shots.map(
    (s, i) =>
      `${shotGraph(s.kind, width, height, frameRate, seed + i, `s${i}`, `r${i}`)};[r${i}]trim=end_frame=${s.frames},setpts=N/(${frameRate}*TB),setsar=1,format=yuv420p[v${i}]`,
  )
  return `${parts.join(';')};${shots.map((_, i) => `[v${i}]`).join('')}concat=n=${shots.length}:v=1:a=0`
}

/** The audio tracks of a synthetic source: tone, ISO 639-2 language tag and title tag (what a mezzanine's streams carry). */
export const SYNTHETIC_AUDIO = [
  { frequency: 440, language: 'eng', title: 'English' },
  { frequency: 660, language: 'fra', title: 'Français' },
] as const

/** Where generateSource writes a source's English subtitles: `<out without extension>.en.vtt`. */
export const subtitleSidecarOf = (out: string): string => `${out.replace(/\.[^./]+$/, '')}.en.vtt`

/**
 * English cues for a synthetic source: 1.2 s every 1.5 s from 0.5 s, each
 * text naming its own times, so a player test can tell which cue shows and a
 * wrong offset shows the wrong one (or none: there are 0.3 s gaps). With
 * short segments most cues span a segment boundary.
 */
export function syntheticCues(duration: number): Array<{ start: number; end: number; text: string; settings: string }> {
  const cues = []
  for (let k = 0, start = 0.5; start + 1.2 <= duration; k++, start = 0.5 + 1.5 * k) {
    const end = Number((start + 1.2).toFixed(3))
    cues.push({ start, end, text: `English cue ${k + 1}\n${start.toFixed(1)}–${end.toFixed(1)} s`, settings: '' })
  }
  return cues
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
  const tracks = audio ? SYNTHETIC_AUDIO.slice(0, (opts.secondAudio ?? true) ? 2 : 1) : []
  await mkdir(dirname(opts.out), { recursive: true })
  const tmp = `${tempNameFor(opts.out)}.mp4`
  const graph =
    opts.kind === 'multishot'
      ? multishotFilter(planShots(duration, fps, opts.seed ?? 1), width, height, fps, opts.seed ?? 1)
      : sourceFilter(opts.kind, width, height, fps)
  const args = ['-f', 'lavfi', '-i', graph]
  for (const a of tracks) args.push('-f', 'lavfi', '-i', `sine=frequency=${a.frequency}:beep_factor=4:sample_rate=48000`)
  args.push('-t', String(duration), '-map', '0:v')
  tracks.forEach((a, i) => {
    args.push('-map', `${i + 1}:a`, `-metadata:s:a:${i}`, `language=${a.language}`, `-metadata:s:a:${i}`, `title=${a.title}`)
    // MP4 keeps no per-track title tag; the track's name lives in its hdlr box, which ffprobe reads back as handler_name
    args.push(`-metadata:s:a:${i}`, `handler_name=${a.title}`)
  })
  if (tracks.length) args.push('-c:a', 'aac', '-b:a', '160k', '-ac', '2')
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '10', '-pix_fmt', 'yuv420p', '-g', String(fps * 2))
  args.push('-movflags', '+faststart', tmp)
  await ffmpeg(args, { signal: opts.signal })
  await commitFile(tmp, opts.out)
  if (opts.subtitles ?? true) await writeFile(subtitleSidecarOf(opts.out), writeWebVtt(syntheticCues(duration)))
  return opts.out
}
