import { ErrorCodes, OclabError } from '../../lib/errors.js'

/** One non-blank line of a text trace with its 1-based line number, for error messages users can act on. */
export interface TraceLine {
  line: number
  fields: string[]
}

export const traceError = (name: string, line: number, msg: string): OclabError => new OclabError(ErrorCodes.BAD_TRACE, `${name}: line ${line}: ${msg}`)

export function splitLines(name: string, text: string, separator: RegExp): TraceLine[] {
  const out: TraceLine[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i]!.trim()
    if (s === '') continue
    out.push({ line: i + 1, fields: s.split(separator) })
  }
  if (out.length === 0) throw new OclabError(ErrorCodes.BAD_TRACE, `${name}: the trace is empty`)
  return out
}

/** A finite, non-negative number or a BAD_TRACE error naming the line. */
export function numberField(name: string, l: TraceLine, index: number, what: string): number {
  const raw = l.fields[index]
  if (raw === undefined) throw traceError(name, l.line, `missing ${what}`)
  const v = Number(raw)
  if (raw === '' || !Number.isFinite(v)) throw traceError(name, l.line, `${what} "${raw}" is not a number`)
  if (v < 0) throw traceError(name, l.line, `${what} ${raw} is negative`)
  return v
}
