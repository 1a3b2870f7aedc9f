/**
 * The HLS playlist grammar, line by line (RFC 8216 §4.1, §4.2), keeping line
 * numbers: m3u8-parser drops them and silently skips what it cannot read,
 * which is exactly what a linter must report.
 */

export interface PlaylistLine {
  /** 1-based */
  line: number
  kind: 'tag' | 'uri' | 'comment' | 'blank'
  /** tag name without the '#', e.g. EXT-X-STREAM-INF */
  name: string
  /** text after the tag's ':' (tags), or the URI / comment text */
  value: string
  hasValue: boolean
}

export function playlistLines(text: string): PlaylistLine[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  if (lines.length && lines[lines.length - 1] === '') lines.pop()
  return lines.map((raw, i) => {
    const line = i + 1
    const s = raw.trim()
    if (s === '') return { line, kind: 'blank', name: '', value: '', hasValue: false }
    if (s.startsWith('#EXT')) {
      const colon = s.indexOf(':')
      return colon < 0
        ? { line, kind: 'tag', name: s.slice(1), value: '', hasValue: false }
        : { line, kind: 'tag', name: s.slice(1, colon), value: s.slice(colon + 1), hasValue: true }
    }
    if (s.startsWith('#')) return { line, kind: 'comment', name: '', value: s.slice(1), hasValue: false }
    return { line, kind: 'uri', name: '', value: s, hasValue: true }
  })
}

export interface AttributeValue {
  raw: string
  quoted: boolean
}

export type AttributeList = Map<string, AttributeValue>

/** RFC 8216 §4.2 attribute-list; returns the first syntax problem instead of guessing past it. */
export function parseAttributeList(text: string): { attrs: AttributeList; error?: string } {
  const attrs: AttributeList = new Map()
  let p = 0
  while (p < text.length) {
    const eq = text.indexOf('=', p)
    if (eq < 0) return { attrs, error: `"${text.slice(p)}" has no "=" (attribute-list is NAME=value pairs)` }
    const name = text.slice(p, eq)
    if (!/^[A-Z0-9-]+$/.test(name)) return { attrs, error: `attribute name "${name}" has characters outside [A-Z0-9-]` }
    let value: AttributeValue
    let q = eq + 1
    if (text[q] === '"') {
      const close = text.indexOf('"', q + 1)
      if (close < 0) return { attrs, error: `attribute ${name} has an unterminated quoted-string` }
      value = { raw: text.slice(q + 1, close), quoted: true }
      q = close + 1
      if (q < text.length && text[q] !== ',') return { attrs, error: `attribute ${name}: text after the closing quote` }
    } else {
      const comma = text.indexOf(',', q)
      const end = comma < 0 ? text.length : comma
      value = { raw: text.slice(q, end), quoted: false }
      if (value.raw === '') return { attrs, error: `attribute ${name} has an empty value` }
      q = end
    }
    if (attrs.has(name)) return { attrs, error: `attribute ${name} appears twice (§4.2: MUST NOT)` }
    attrs.set(name, value)
    p = q + 1
    if (q === text.length - 1 && text[q] === ',') return { attrs, error: 'trailing comma' }
  }
  return { attrs }
}

/** The value types of RFC 8216 §4.2. */
export type AttributeType = 'decimal-integer' | 'hexadecimal-sequence' | 'decimal-floating-point' | 'signed-decimal-floating-point' | 'quoted-string' | 'enumerated-string' | 'decimal-resolution'

const TYPE_PATTERNS: Record<Exclude<AttributeType, 'quoted-string' | 'enumerated-string'>, RegExp> = {
  'decimal-integer': /^\d{1,20}$/,
  'hexadecimal-sequence': /^0[xX][0-9A-Fa-f]+$/,
  'decimal-floating-point': /^\d+(\.\d*)?$/,
  'signed-decimal-floating-point': /^-?\d+(\.\d*)?$/,
  'decimal-resolution': /^\d+x\d+$/,
}

/** Why a value is not of its type (undefined when it is). */
export function typeProblem(v: AttributeValue, type: AttributeType): string | undefined {
  if (type === 'quoted-string') return v.quoted ? undefined : 'must be a quoted-string'
  if (v.quoted) return `must not be quoted (${type})`
  if (type === 'enumerated-string') return /^[^\s",]+$/.test(v.raw) ? undefined : 'is not an enumerated-string'
  return TYPE_PATTERNS[type].test(v.raw) ? undefined : `"${v.raw}" is not a ${type}`
}
