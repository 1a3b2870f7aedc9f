import { readdir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import type { Trace, TraceSet } from './trace.js'
import { parseCookedTrace } from './cooked.js'
import { parseCsvTrace } from './csv.js'
import { parseJsonTrace } from './json.js'
import { parseMahimahiTrace } from './mahimahi.js'
import { generateTraceSet, isGeneratorSpec } from './generators.js'
import { DEFAULT_MAX_INPUT_BYTES } from '../limits.js'
import { readFileLimited } from '../source.js'

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
  const first = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? ''
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

/**
 * One trace set from a file, a folder of traces (every file but README/LICENSE)
 * or a generator spec (see generateTraceSet).
 */
export async function loadTraceSet(spec: string, opts: { seed?: number; format?: TraceFormat; maxInputBytes?: number } = {}): Promise<TraceSet> {
  if (isGeneratorSpec(spec)) return generateTraceSet(spec, opts.seed)
  let info
  try {
    info = await stat(spec)
  } catch {
    throw new OclabError(ErrorCodes.BAD_TRACE, `trace "${spec}" is neither a file, a folder nor a generator (constant:, step:, walk:, markov:)`)
  }
  if (!info.isDirectory()) return { name: basename(spec), traces: [await readTraceFile(spec, opts.format, opts.maxInputBytes)] }
  const names = (await readdir(spec)).filter((n) => !isDocFile(n)).sort()
  if (names.length === 0) throw new OclabError(ErrorCodes.BAD_TRACE, `trace folder ${spec} holds no trace files`)
  const traces = await Promise.all(names.map((n) => readTraceFile(join(spec, n), opts.format, opts.maxInputBytes)))
  return { name: basename(spec.replace(/\/+$/, '')), traces }
}
