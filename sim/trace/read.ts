import { readdir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { type ErrorCode, ErrorCodes, OclabError } from '../../lib/errors.js'
import { DEFAULT_MAX_INPUT_BYTES } from '../manifest/limits.js'
import { readFileLimited } from '../manifest/read-input.js'
import { parseCookedTrace } from './cooked.js'
import { parseCsvTrace } from './csv.js'
import { generateTraceSet, isGeneratorSpec } from './generators.js'
import { parseJsonTrace } from './json.js'
import { parseMahimahiTrace } from './mahimahi.js'
import { Trace, type TraceSet } from './trace.js'

export type TraceFormat = 'mahimahi' | 'cooked' | 'json' | 'csv'

const parsers: Record<TraceFormat, (name: string, text: string) => Trace> = {
  mahimahi: parseMahimahiTrace,
  cooked: parseCookedTrace,
  json: parseJsonTrace,
  csv: parseCsvTrace,
}

/** Tell the format from the extension, else from the first non-blank line. */
export function detectTraceFormat(file: string, text: string): TraceFormat {
  if (/\.json$/i.test(file)) return 'json'
  if (/\.csv$/i.test(file)) return 'csv'
  if (/\.(down|up)$/i.test(file)) return 'mahimahi'
  const first =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? ''
  if (first.startsWith('[')) return 'json'
  if (first.includes(',')) return 'csv'
  return first.split(/\s+/).length === 1 ? 'mahimahi' : 'cooked'
}

export function parseTrace(name: string, text: string, format: TraceFormat = detectTraceFormat(name, text)): Trace {
  return parsers[format](name, text)
}

/** A trace file, refused with INPUT_TOO_LARGE past `maxBytes`. */
export async function readTraceFile(file: string, format?: TraceFormat, maxBytes = DEFAULT_MAX_INPUT_BYTES): Promise<Trace> {
  let text: string
  try {
    text = (await readFileLimited(file, maxBytes)).toString('utf8')
  } catch (err) {
    if (err instanceof OclabError) throw err
    throw new OclabError(ErrorCodes.BAD_TRACE, `cannot read trace ${file}: ${(err as Error).message}`, undefined, { cause: err })
  }
  return parseTrace(file, text, format)
}

/** Files in a trace folder that are documentation, not traces. */
const isDocFile = (name: string): boolean => name.startsWith('.') || /^(readme|license)/i.test(name) || /\.(md|txt\.md)$/i.test(name)

export interface TraceSetOptions {
  seed?: number
  format?: TraceFormat
  /** Multiply every trace's throughput by this (Sabre -nm): moves a trace set into a ladder's range. */
  scale?: number
  /** Leave unreadable files of a folder out, reporting each to onWarning, instead of failing. */
  skipBad?: boolean
  onWarning?: (message: string) => void
  /** Refuse a trace file larger than this many bytes (sim --max-input). */
  maxInputBytes?: number
}

/** The same trace with its throughput multiplied by k (latencies unchanged). */
export function scaleTrace(trace: Trace, k: number): Trace {
  if (k === 1) return trace
  return new Trace(
    trace.name,
    trace.starts,
    trace.rates.map((r) => r * k),
    trace.duration,
    trace.latencies,
  )
}

/**
 * One trace set from a file, a folder of traces (every file but README/LICENSE)
 * or a generator spec (see generateTraceSet). A folder with bad files names
 * every one of them in one error (or, with skipBad, leaves them out with a warning).
 */
export async function loadTraceSet(spec: string, opts: TraceSetOptions = {}): Promise<TraceSet> {
  const scale = opts.scale ?? 1
  if (!(scale > 0) || !Number.isFinite(scale)) throw new OclabError(ErrorCodes.BAD_CONFIG, `the trace scale must be a positive number, got ${scale}`)
  const scaled = (set: TraceSet): TraceSet => (scale === 1 ? set : { name: `${set.name} ×${scale}`, traces: set.traces.map((t) => scaleTrace(t, scale)) })
  if (isGeneratorSpec(spec)) return scaled(generateTraceSet(spec, opts.seed))
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(spec)
  } catch {
    throw new OclabError(ErrorCodes.BAD_TRACE, `trace "${spec}" is neither a file, a folder nor a generator (constant:, step:, walk:, markov:)`)
  }
  if (!info.isDirectory()) return scaled({ name: basename(spec), traces: [await readTraceFile(spec, opts.format, opts.maxInputBytes)] })
  const names = (await readdir(spec)).filter((n) => !isDocFile(n)).sort()
  if (names.length === 0) throw new OclabError(ErrorCodes.BAD_TRACE, `trace folder ${spec} holds no trace files`)
  const settled = await Promise.allSettled(names.map((n) => readTraceFile(join(spec, n), opts.format, opts.maxInputBytes)))
  const traces: Trace[] = []
  const bad: string[] = []
  const codes = new Set<ErrorCode>()
  settled.forEach((r, i) => {
    if (r.status === 'fulfilled') traces.push(r.value)
    else {
      bad.push(`${names[i]}: ${errorText(r.reason, join(spec, names[i]!))}`)
      codes.add(r.reason instanceof OclabError ? r.reason.code : ErrorCodes.BAD_TRACE)
    }
  })
  if (bad.length > 0) {
    if (!opts.skipBad) {
      // One shared cause keeps its own code (a folder of files over --max-input is INPUT_TOO_LARGE, not a bad trace).
      const code = codes.size === 1 ? [...codes][0]! : ErrorCodes.BAD_TRACE
      throw new OclabError(
        code,
        `trace folder ${spec}: ${bad.length} of ${names.length} files are not valid traces (skip them with --skip-bad-traces):\n  ${bad.join('\n  ')}`,
      )
    }
    if (traces.length === 0)
      throw new OclabError(ErrorCodes.BAD_TRACE, `trace folder ${spec}: none of its ${names.length} files is a valid trace:\n  ${bad.join('\n  ')}`)
    for (const b of bad) opts.onWarning?.(`skipped ${join(spec, b)}`)
  }
  return scaled({ name: basename(spec.replace(/\/+$/, '')), traces })
}

/** A failure's message without the file path the parsers already put in front. */
function errorText(reason: unknown, file: string): string {
  const msg = reason instanceof Error ? reason.message : String(reason)
  return msg.startsWith(`${file}: `) ? msg.slice(file.length + 2) : msg
}
