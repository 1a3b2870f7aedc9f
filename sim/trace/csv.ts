import { splitLines } from './lines.js'
import { traceFromTimedRates } from './timed-rates.js'
import type { Trace } from './trace.js'

/** CSV `time,kbps` (seconds, kbit/s), with an optional header line naming the columns. */
export function parseCsvTrace(name: string, text: string): Trace {
  let lines = splitLines(name, text, /\s*,\s*/)
  if (lines[0]!.fields.some((f) => /[a-z]/i.test(f) && !Number.isFinite(Number(f)))) lines = lines.slice(1)
  return traceFromTimedRates(name, lines, 1e3, ['time (s)', 'throughput (kbit/s)'])
}
