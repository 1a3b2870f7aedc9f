import { inspectSource } from '../encoder/index.js'
import type { Inspection } from '../lib/title-package.js'
import type { Command } from './command.js'
import { numberOption } from './command.js'

/** The human-readable report: one line per stream, warnings last. */
export function formatInspection(r: Inspection): string {
  const v = r.video
  const colour = `${v.dynamicRange} (transfer ${v.colorTransfer}, primaries ${v.colorPrimaries}, matrix ${v.colorSpace})`
  const lines = [
    `source    ${r.file} (${r.format}, ${r.bytes} bytes)`,
    `duration  ${r.duration.toFixed(3)} s`,
    `video     ${v.codec} ${v.width}x${v.height} @ ${Number(v.frameRate.toFixed(3))} fps, ${v.frameCount} frames, ${v.pixelFormat}, ${colour}`,
    ...r.audio.map(
      (a) =>
        `audio     #${a.index} ${a.codec} ${a.channels} ch ${a.sampleRate} Hz, language ${a.language}${a.title ? ` (${JSON.stringify(a.title)})` : ''}, offset from video ${a.offsetFromVideo >= 0 ? '+' : ''}${a.offsetFromVideo.toFixed(3)} s`,
    ),
  ]
  if (!r.audio.length) lines.push('audio     none')
  if (r.shots) {
    lines.push(`shots     ${r.shots.length}`)
    for (const [i, s] of r.shots.entries()) {
      const how = s.cut === 'scene' ? `cut, score ${s.score?.toFixed(2)}` : s.cut === 'split' ? 'split of a long shot' : 'start'
      lines.push(
        `  #${String(i + 1).padEnd(3)} frame ${String(s.startFrame).padStart(6)}  ${s.start.toFixed(3).padStart(8)} s  ${s.duration.toFixed(3).padStart(7)} s  (${how})`,
      )
    }
  }
  lines.push(...r.warnings.map((w) => `warning   ${w}`))
  return lines.join('\n')
}

export const command: Command = {
  name: 'inspect',
  summary: 'Probe a source and report its streams; exits 1 with the reason when the encoder would reject it.',
  usage: '<source> [--json] [--quick] [--shots] [--max-fps N] [--min-fps N]',
  positionals: { min: 1, max: 1 },
  options: {
    json: { type: 'boolean', help: 'print the inspection report as JSON (as stored in title.json)' },
    quick: { type: 'boolean', help: 'metadata only: skip the decode pass that finds corrupt frames and counts them' },
    shots: { type: 'boolean', help: 'also detect shots (scene cuts; min 1 s, long shots split at 12 s), as the encoder does at ingest' },
    'max-fps': { type: 'string', arg: '<n>', default: '120', help: 'reject sources faster than this' },
    'min-fps': { type: 'string', arg: '<n>', default: '10', help: 'reject sources slower than this' },
  },
  async run(values, [source]) {
    const report = await inspectSource(source!, {
      quick: values.quick === true,
      maxFrameRate: numberOption(values, 'max-fps', { min: 1 }),
      minFrameRate: numberOption(values, 'min-fps', { min: 0 }),
      shots: values.shots === true,
    })
    console.log(values.json === true ? JSON.stringify(report, null, 2) : formatInspection(report))
  },
}
