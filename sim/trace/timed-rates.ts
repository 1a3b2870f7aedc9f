import { numberField, type TraceLine, traceError } from './lines.js'
import { type Trace, traceFromPeriods } from './trace.js'

/**
 * Shared reader for "time, rate" sample formats (cooked, CSV): each sample's
 * rate holds until the next sample's time; the last sample holds for the
 * interval before it (the sampling period), or one second in a one-line trace.
 */
export function traceFromTimedRates(name: string, lines: TraceLine[], bpsPerUnit: number, units: [string, string]): Trace {
  const times = new Float64Array(lines.length)
  const bps = new Float64Array(lines.length)
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!
    if (l.fields.length !== 2) throw traceError(name, l.line, `expected 2 columns (${units[0]}, ${units[1]}), got ${l.fields.length}`)
    times[i] = numberField(name, l, 0, units[0])
    bps[i] = numberField(name, l, 1, units[1]) * bpsPerUnit
    if (i > 0 && times[i]! <= times[i - 1]!)
      throw traceError(name, l.line, `time ${times[i]} is not after the previous line's ${times[i - 1]} (times must increase)`)
  }
  const durations = new Float64Array(lines.length)
  for (let i = 0; i + 1 < lines.length; i++) durations[i] = times[i + 1]! - times[i]!
  durations[lines.length - 1] = lines.length > 1 ? durations[lines.length - 2]! : 1
  return traceFromPeriods(name, durations, bps)
}
