import { formatReport, lintManifest } from '../sim/lint/index.js'
import type { Command } from './command.js'
import { maxInputBytes, maxInputSpec } from './input-limit.js'

export const command: Command = {
  name: 'lint',
  summary:
    "Check an HLS playlist or a DASH MPD and its ladder against RFC 8216, ISO/IEC 23009-1, DASH-IF IOP and Apple's HLS authoring spec; exit 1 on errors.",
  usage: '<file|url> [--json] [--deep] [--max-input <MiB>]',
  positionals: { min: 1, max: 1 },
  options: {
    json: { type: 'boolean', help: 'print the report as JSON (for CI)' },
    deep: {
      type: 'boolean',
      help: 'also read the init and media segments: measured peak/average bitrate, codecs from avcC/hvcC/esds, IDR at every segment start',
    },
    'max-input': maxInputSpec,
  },
  async run(values, positionals) {
    const report = await lintManifest(positionals[0]!, { deep: values.deep === true, maxInputBytes: maxInputBytes(values) })
    console.log(values.json === true ? JSON.stringify(report, null, 2) : formatReport(report))
    return report.counts.error > 0 ? 1 : 0
  },
}
