import { splitLines } from './lines.js'
import { traceFromTimedRates } from './timed-rates.js'
import type { Trace } from './trace.js'

/** The "cooked" format of Pensieve and its FCC / Norway HSDPA sets: `time_s <tab> Mbit/s` per line. */
export function parseCookedTrace(name: string, text: string): Trace {
  return traceFromTimedRates(name, splitLines(name, text, /\s+/), 1e6, ['time (s)', 'throughput (Mbit/s)'])
}
