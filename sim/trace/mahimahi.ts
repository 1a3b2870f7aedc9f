import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { numberField, splitLines, traceError } from './lines.js'
import { Trace } from './trace.js'

/** mm-link's packet size: every line is one delivery opportunity for an MTU-sized packet. */
export const MAHIMAHI_PACKET_BYTES = 1500

/**
 * A Mahimahi packet-delivery trace: one line per 1500-byte opportunity, the
 * timestamp in ms; a repeated timestamp means several packets in that ms.
 * Each millisecond becomes a period at (packets × 1500) bytes/ms. mm-link
 * loops with a period equal to the last timestamp, so packets stamped with it
 * belong to millisecond 0 of the next loop (a file holding just "1" is one
 * packet per ms, 12 Mbit/s, as its README says).
 */
export function parseMahimahiTrace(name: string, text: string): Trace {
  const lines = splitLines(name, text, /\s+/)
  const ms: number[] = []
  const counts: number[] = []
  let prev = -1
  for (const l of lines) {
    if (l.fields.length !== 1) throw traceError(name, l.line, `expected one timestamp (ms), got ${l.fields.length} fields`)
    const t = numberField(name, l, 0, 'timestamp (ms)')
    if (!Number.isInteger(t)) throw traceError(name, l.line, `timestamp ${t} is not a whole number of ms`)
    if (t < prev) throw traceError(name, l.line, `timestamp ${t} is before the previous line's ${prev} (timestamps must not decrease)`)
    if (t === prev) counts[counts.length - 1]!++
    else {
      ms.push(t)
      counts.push(1)
    }
    prev = t
  }
  const loopMs = prev
  if (loopMs <= 0) throw new OclabError(ErrorCodes.BAD_TRACE, `${name}: the last timestamp must be positive (it is the loop length)`)
  if (ms[ms.length - 1] === loopMs) {
    const wrapped = counts.pop()!
    ms.pop()
    if (ms[0] === 0) counts[0]! += wrapped
    else {
      ms.unshift(0)
      counts.unshift(wrapped)
    }
  }
  const starts: number[] = []
  const rates: number[] = []
  const push = (startMs: number, bytesPerS: number) => {
    if (rates.length > 0 && rates[rates.length - 1] === bytesPerS) return
    starts.push(startMs / 1000)
    rates.push(bytesPerS)
  }
  let end = 0
  for (let i = 0; i < ms.length; i++) {
    if (ms[i]! > end) push(end, 0)
    push(ms[i]!, counts[i]! * MAHIMAHI_PACKET_BYTES * 1000)
    end = ms[i]! + 1
  }
  if (end < loopMs) push(end, 0)
  return new Trace(name, Float64Array.from(starts), Float64Array.from(rates), loopMs / 1000)
}
