import { resolve } from 'node:path'
import type { Command } from './command.js'
import { choiceOption, numberOption, requiredString, sizeOption } from './command.js'
import { generateSource } from '../encoder/source.js'

export const command: Command = {
  name: 'source',
  summary: 'Generate a synthetic source with audio: simple (flat, animation-like) or complex (noise, motion).',
  usage: '--out <file.mp4> [--kind simple|complex] [--duration S] [--size WxH] [--fps N]',
  options: {
    out: { type: 'string', short: 'o', arg: '<file.mp4>', help: 'where to write the source' },
    kind: { type: 'string', arg: '<simple|complex>', default: 'simple', help: 'content kind' },
    duration: { type: 'string', arg: '<seconds>', default: '10', help: 'duration in seconds' },
    size: { type: 'string', arg: '<WxH>', default: '1280x720', help: 'frame size' },
    fps: { type: 'string', arg: '<n>', default: '25', help: 'frame rate' },
    'no-audio': { type: 'boolean', help: 'leave out the audio track' },
  },
  async run(values) {
    const out = resolve(requiredString(values, 'out'))
    const kind = choiceOption(values, 'kind', ['simple', 'complex'] as const) ?? 'simple'
    const duration = numberOption(values, 'duration', { min: 0.5, max: 3600 }) ?? 10
    const { width, height } = sizeOption(values, 'size') ?? { width: 1280, height: 720 }
    const frameRate = numberOption(values, 'fps', { min: 1, max: 120, integer: true }) ?? 25
    await generateSource({ kind, out, duration, width, height, frameRate, audio: values['no-audio'] !== true })
    console.log(`wrote ${kind} source ${width}x${height}@${frameRate} ${duration}s to ${out}`)
  },
}
