/**
 * Range request parsing per RFC 9110 §14.1-14.2 (byte ranges only). Pure: the
 * caller owns the bytes and only asks which ones to send.
 *
 * Outcomes follow the RFC's split between "ignore" and "refuse":
 * - a missing, non-bytes or syntactically invalid Range is ignored (`full`):
 *   §14.2 says a server MAY ignore Range and MUST ignore one it cannot parse;
 * - a valid set with no satisfiable range is `unsatisfiable` (416 with
 *   `Content-Range: bytes *\/size`, §15.5.17);
 * - otherwise the satisfiable ranges in request order, clamped to the size.
 */
export interface ByteRange {
  /** first byte, inclusive */
  start: number
  /** last byte, inclusive */
  end: number
}

export type RangeResult = { kind: 'full' } | { kind: 'unsatisfiable' } | { kind: 'ranges'; ranges: ByteRange[] }

/** Refuse to work through absurd range lists (a cheap amplification vector). */
export const MAX_RANGES = 32

const DIGITS = /^\d+$/

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' }
  const eq = header.indexOf('=')
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full' }
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
  if (specs.length === 0 || specs.length > MAX_RANGES) return { kind: 'full' }
  const ranges: ByteRange[] = []
  for (const spec of specs) {
    if (spec === '') continue // the grammar allows empty list elements (§5.6.1)
    const dash = spec.indexOf('-')
    if (dash < 0) return { kind: 'full' }
    // No whitespace inside a range-spec: OWS is only allowed around the commas.
    const first = spec.slice(0, dash)
    const last = spec.slice(dash + 1)
    if (first === '') {
      // suffix-range: the last N bytes; N = 0 is unsatisfiable (§14.1.3)
      if (!DIGITS.test(last)) return { kind: 'full' }
      const n = Number(last)
      if (n > 0 && size > 0) ranges.push({ start: Math.max(0, size - n), end: size - 1 })
      continue
    }
    if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return { kind: 'full' }
    const start = Number(first)
    if (last !== '' && Number(last) < start) return { kind: 'full' } // invalid int-range (§14.1.2)
    const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
    if (start < size) ranges.push({ start, end })
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable' }
  return { kind: 'ranges', ranges }
}

export const contentRange = (r: ByteRange, size: number): string => `bytes ${r.start}-${r.end}/${size}`
export const unsatisfiedRange = (size: number): string => `bytes */${size}`
