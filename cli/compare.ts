import { resolve } from 'node:path'
import { type Comparison, codecComparisons, compareCurves, compareHtml, readLadderCurve, titleJsonOf } from '../encoder/index.js'
import { writeFileAtomic } from '../lib/atomic-file.js'
import { readTitle } from '../lib/title-package.js'
import { textTable } from '../sim/index.js'
import type { Command } from './command.js'
import { stringOption, usageError } from './command.js'

/** The terminal table: one row per metric. */
export function formatComparison(c: Comparison): string {
  const f = (v: number | null, unit: string, digits: number) => (v === null ? 'no overlap' : `${v >= 0 ? '+' : ''}${v.toFixed(digits)}${unit}`)
  return [
    `anchor ${c.anchor.titleId} ${c.anchor.codec} (${c.anchor.kind}, ${c.anchor.points.length} renditions), test ${c.test.titleId} ${c.test.codec} (${c.test.kind}, ${c.test.points.length} renditions)`,
    textTable(
      ['metric', 'BD-rate', 'BD-quality', 'quality range', 'kbit/s range'],
      c.metrics.map((m) => [
        m.metric,
        f(m.bdRate, ' %', 2),
        f(m.bdQuality, '', 3),
        m.qualityRange ? `${m.qualityRange[0].toFixed(2)}-${m.qualityRange[1].toFixed(2)}` : '-',
        m.rateRange ? `${Math.round(m.rateRange[0] / 1000)}-${Math.round(m.rateRange[1] / 1000)}` : '-',
      ]),
    ),
    'BD-rate < 0: the test needs fewer bits for the same quality (PCHIP over the common range).',
  ].join('\n')
}

export const command: Command = {
  name: 'compare',
  summary: "Bjøntegaard delta rate and quality (VMAF, PSNR) of ladder B against ladder A, from their title packages' measured renditions.",
  usage: '<A: title dir|title.json|manifest> [<B: …>] [--html report.html] [--json]   (one multi-codec title: each codec against its H.264)',
  positionals: { min: 1, max: 2 },
  options: {
    html: { type: 'string', arg: '<file.html>', help: 'write an HTML report with the RD curves' },
    json: { type: 'boolean', help: 'print the comparison as JSON' },
  },
  async run(values, [a, b]) {
    const html = stringOption(values, 'html')
    if (b === undefined) {
      const cs = codecComparisons(await readTitle(await titleJsonOf(resolve(a!))), a!)
      if (!cs.length) throw usageError(`${a} has one codec: name a second package to compare against`)
      if (html) throw usageError('--html compares two packages; with one multi-codec title, use --json or the table')
      console.log(values.json === true ? JSON.stringify(cs, null, 2) : cs.map(formatComparison).join('\n\n'))
      return
    }
    const c = compareCurves(await readLadderCurve(resolve(a!)), await readLadderCurve(resolve(b)))
    if (html) await writeFileAtomic(resolve(html), compareHtml(c))
    console.log(values.json === true ? JSON.stringify(c, null, 2) : formatComparison(c))
  },
}
