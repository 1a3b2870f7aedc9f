import { resolve, join, dirname } from 'node:path'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Command } from './command.js'
import { numberOption, sizeOption, stringOption } from './command.js'
import { generateSource, type SourceKind } from '../encoder/source.js'
import { encodeTitle } from '../encoder/encode-title.js'
import { progressRenderer } from '../encoder/progress.js'
import { ladderSummary } from '../encoder/summary.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** $OCLAB_VMAF_MODEL, else the model shipped beside the repo in ../shared/vmaf (the lab's layout), else none. */
export function demoVmafModel(): string | null {
  if (process.env.OCLAB_VMAF_MODEL) return process.env.OCLAB_VMAF_MODEL
  const shared = resolve(repoRoot, '..', 'shared', 'vmaf', 'vmaf_v0.6.1.pkl')
  return existsSync(shared) ? shared : null
}

export const command: Command = {
  name: 'demo',
  summary: 'Run the main job on this machine: generate a simple and a complex source and encode both with per-title ladders.',
  usage: '[--out <dir>] [--duration S]',
  options: {
    out: { type: 'string', arg: '<dir>', default: 'out/demo', help: 'where sources and the store go' },
    duration: { type: 'string', arg: '<s>', default: '10', help: 'length of each generated source' },
    size: { type: 'string', arg: '<WxH>', default: '640x360', help: 'source frame size' },
  },
  async run(values) {
    const out = resolve(stringOption(values, 'out') ?? 'out/demo')
    const duration = numberOption(values, 'duration', { min: 2, max: 600 }) ?? 10
    const { width, height } = sizeOption(values, 'size') ?? { width: 640, height: 360 }
    const store = join(out, 'store')
    const vmafModel = demoVmafModel()
    const render = progressRenderer(process.stderr.isTTY ? 'tty' : 'plain')
    for (const kind of ['simple', 'complex'] as SourceKind[]) {
      const source = join(out, 'sources', `${kind}.mp4`)
      console.log(`\n== ${kind} source: generating ${duration} s ${width}x${height}`)
      await generateSource({ kind, out: source, duration, width, height })
      const { title, titleDir } = await encodeTitle({ source, store, titleId: `demo-${kind}`, ladder: 'per-title', vmafModel, onEvent: render })
      console.log(ladderSummary(title, titleDir))
    }
    console.log(`\nstore: ${store}/titles (serve it with any static server and open master.m3u8 or manifest.mpd)`)
  },
}
