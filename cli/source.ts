import { resolve } from 'node:path'
import { generateSource, planShots, subtitleSidecarOf } from '../encoder/index.js'
import type { Command } from './command.js'
import { choiceOption, numberOption, requiredString, sizeOption } from './command.js'

export const command: Command = {
  name: 'source',
  summary:
    'Generate a synthetic source with audio: simple (flat, animation-like), complex (noise, motion) or multishot (hard cuts between shots of different difficulty, seeded).',
  usage: '--out <file.mp4> [--kind simple|complex|multishot] [--seed N] [--duration S] [--size WxH] [--fps N]',
  options: {
    out: { type: 'string', short: 'o', arg: '<file.mp4>', help: 'where to write the source' },
    kind: { type: 'string', arg: '<simple|complex|multishot>', default: 'simple', help: 'content kind' },
    seed: { type: 'string', arg: '<n>', default: '1', help: 'multishot: seed of the shot order and lengths' },
    duration: { type: 'string', arg: '<seconds>', default: '10', help: 'duration in seconds' },
    size: { type: 'string', arg: '<WxH>', default: '1280x720', help: 'frame size' },
    fps: { type: 'string', arg: '<n>', default: '25', help: 'frame rate' },
    'no-audio': { type: 'boolean', help: 'leave out the audio tracks' },
    'one-audio': { type: 'boolean', help: 'only the English audio track (default: English and French)' },
    'no-subtitles': { type: 'boolean', help: 'do not write the English subtitles beside the source (<out>.en.vtt)' },
  },
  async run(values) {
    const out = resolve(requiredString(values, 'out'))
    const kind = choiceOption(values, 'kind', ['simple', 'complex', 'multishot'] as const) ?? 'simple'
    const seed = numberOption(values, 'seed', { min: 0, max: 2 ** 32 - 1, integer: true }) ?? 1
    const duration = numberOption(values, 'duration', { min: 0.5, max: 3600 }) ?? 10
    const { width, height } = sizeOption(values, 'size') ?? { width: 1280, height: 720 }
    const frameRate = numberOption(values, 'fps', { min: 1, max: 120, integer: true }) ?? 25
    const subtitles = values['no-subtitles'] !== true
    await generateSource({
      kind,
      out,
      duration,
      width,
      height,
      frameRate,
      seed,
      audio: values['no-audio'] !== true,
      secondAudio: values['one-audio'] !== true,
      subtitles,
    })
    console.log(`wrote ${kind} source ${width}x${height}@${frameRate} ${duration}s to ${out}${subtitles ? ` (subtitles: ${subtitleSidecarOf(out)})` : ''}`)
    if (kind === 'multishot') {
      for (const s of planShots(duration, frameRate, seed))
        console.log(`  shot at frame ${String(s.startFrame).padStart(6)} (${(s.startFrame / frameRate).toFixed(2)} s), ${s.frames} frames: ${s.kind}`)
    }
  },
}
