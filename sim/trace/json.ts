import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { traceError } from './lines.js'
import type { Trace } from './trace.js'
import { traceFromPeriods } from './trace.js'

/**
 * The JSON period format of the Sabre simulator (and ../shared/traces/norway-3g):
 * `[{"duration_ms", "bandwidth_kbps", "latency_ms"}, …]`. Each period's latency
 * is the request latency the engine charges to downloads starting in it.
 */
export function parseJsonTrace(name: string, text: string): Trace {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new OclabError(ErrorCodes.BAD_TRACE, `${name}: not JSON: ${(err as Error).message}`, undefined, { cause: err })
  }
  if (!Array.isArray(data)) throw new OclabError(ErrorCodes.BAD_TRACE, `${name}: expected a JSON array of periods`)
  if (data.length === 0) throw new OclabError(ErrorCodes.BAD_TRACE, `${name}: the trace is empty`)
  const lineOf = elementLines(text)
  const durations = new Float64Array(data.length)
  const bps = new Float64Array(data.length)
  const latencies = new Float64Array(data.length)
  data.forEach((p: unknown, i) => {
    const line = lineOf[i] ?? 1
    if (typeof p !== 'object' || p === null) throw traceError(name, line, `period ${i + 1} is not an object`)
    const field = (key: string, positive: boolean): number => {
      const v = (p as Record<string, unknown>)[key]
      if (typeof v !== 'number' || !Number.isFinite(v)) throw traceError(name, line, `period ${i + 1}: ${key} is ${JSON.stringify(v)}, not a number`)
      if (v < 0 || (positive && v === 0)) throw traceError(name, line, `period ${i + 1}: ${key} ${v} must be ${positive ? 'positive' : 'non-negative'}`)
      return v
    }
    durations[i] = field('duration_ms', true) / 1000
    bps[i] = field('bandwidth_kbps', false) * 1000
    latencies[i] = field('latency_ms', false) / 1000
  })
  return traceFromPeriods(name, durations, bps, latencies)
}

/** 1-based line on which each top-level array element starts (JSON.parse does not say). */
function elementLines(text: string): number[] {
  const out: number[] = []
  let line = 1
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\n') line++
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') {
      inString = true
      if (depth === 1) out.push(line)
    } else if (c === '[' || c === '{') {
      if (depth === 1) out.push(line)
      depth++
    } else if (c === ']' || c === '}') depth--
    else if (depth === 1 && /[-0-9tfn]/.test(c!) && !/[-0-9.eE+a-z]/.test(text[i - 1] ?? '')) out.push(line)
  }
  return out
}
