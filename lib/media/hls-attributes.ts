import { ErrorCodes, OclabError } from '../errors.js'

/**
 * The one HLS attribute-list reader and writer (RFC 8216 §4.2): steering
 * rewrites multivariant playlists with it and the linter checks them with it.
 * Parsing is strict and reports the first syntax problem instead of guessing
 * past it (what a linter must report, and what steering must not pass on);
 * serialising refuses what could not be read back the same.
 */

export interface AttributeValue {
  /** the value without its quotes */
  raw: string
  /** written as a quoted-string */
  quoted: boolean
}

/** Attributes in the order they were written (Map keeps insertion order; set() on a known name keeps its place). */
export type AttributeList = Map<string, AttributeValue>

/** §4.2: AttributeName is [A-Z0-9-]. */
const NAME = /^[A-Z0-9-]+$/

/** RFC 8216 §4.2 attribute-list; returns the first syntax problem instead of guessing past it. */
export function parseAttributeList(text: string): { attrs: AttributeList; error?: string } {
  const attrs: AttributeList = new Map()
  let p = 0
  while (p < text.length) {
    const eq = text.indexOf('=', p)
    if (eq < 0) return { attrs, error: `"${text.slice(p)}" has no "=" (attribute-list is NAME=value pairs)` }
    const name = text.slice(p, eq)
    if (!NAME.test(name)) return { attrs, error: `attribute name "${name}" has characters outside [A-Z0-9-]` }
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
    // a line break cannot be written back into a playlist line (§4.2: quoted-strings MUST NOT hold CR or LF)
    if (/[\r\n]/.test(value.raw)) return { attrs, error: `attribute ${name} holds a line break` }
    if (attrs.has(name)) return { attrs, error: `attribute ${name} appears twice (§4.2: MUST NOT)` }
    attrs.set(name, value)
    p = q + 1
    if (q === text.length - 1 && text[q] === ',') return { attrs, error: 'trailing comma' }
  }
  return { attrs }
}

const bad = (message: string): OclabError => new OclabError(ErrorCodes.BAD_MANIFEST, message)

/** One value as written in a playlist; throws on one that would not read back the same. */
export function formatAttributeValue(name: string, v: AttributeValue): string {
  if (v.quoted) {
    // §4.2: a quoted-string cannot contain a double quote, CR or LF (there is no escape)
    if (/["\r\n]/.test(v.raw)) throw bad(`attribute ${name}: a quoted-string cannot hold ", CR or LF`)
    return `"${v.raw}"`
  }
  if (v.raw === '' || v.raw.startsWith('"') || /[,\r\n]/.test(v.raw)) throw bad(`attribute ${name}: "${v.raw}" cannot be written unquoted`)
  return v.raw
}

/** NAME=value,NAME="value",… in the list's order. */
export function formatAttributeList(attrs: AttributeList): string {
  const out: string[] = []
  for (const [name, v] of attrs) {
    if (!NAME.test(name)) throw bad(`attribute name "${name}" has characters outside [A-Z0-9-]`)
    out.push(`${name}=${formatAttributeValue(name, v)}`)
  }
  return out.join(',')
}

/** The value types of RFC 8216 §4.2. */
export type AttributeType =
  | 'decimal-integer'
  | 'hexadecimal-sequence'
  | 'decimal-floating-point'
  | 'signed-decimal-floating-point'
  | 'quoted-string'
  | 'enumerated-string'
  | 'decimal-resolution'

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

/** Values of each §4.2 type, to build lists with. */
export const attributeValue = {
  quoted: (s: string): AttributeValue => ({ raw: s, quoted: true }),
  enumerated: (s: string): AttributeValue => ({ raw: s, quoted: false }),
  /** 0 to 2^64−1; a bigint for values past 2^53 */
  decimalInteger: (n: number | bigint): AttributeValue => {
    if (typeof n === 'number' && !(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`${n} is not a decimal-integer`)
    if (typeof n === 'bigint' && (n < 0n || n >= 2n ** 64n)) throw new RangeError(`${n} is not a decimal-integer`)
    return { raw: String(n), quoted: false }
  },
  hexadecimal: (bytes: Uint8Array): AttributeValue => {
    if (!bytes.length) throw new RangeError('a hexadecimal-sequence needs at least one byte')
    return { raw: `0x${Buffer.from(bytes).toString('hex').toUpperCase()}`, quoted: false }
  },
  resolution: (width: number, height: number): AttributeValue => ({ raw: `${width}x${height}`, quoted: false }),
  /** a finite number written without an exponent; fixed digits when given (FRAME-RATE is written with 3) */
  float: (x: number, digits?: number): AttributeValue => {
    if (!Number.isFinite(x)) throw new RangeError(`${x} is not a decimal-floating-point`)
    const raw = digits === undefined ? plainDecimal(x) : x.toFixed(digits)
    return { raw, quoted: false }
  },
}

/** A number's shortest round-tripping digits, without the exponent String() uses below 1e-6 and from 1e21. */
function plainDecimal(x: number): string {
  const s = String(x)
  if (!/e/i.test(s)) return s
  const [mantissa, exp] = s.split(/e/i) as [string, string]
  const negative = mantissa.startsWith('-')
  const [int, frac = ''] = mantissa.replace('-', '').split('.') as [string, string?]
  const shift = Number(exp)
  const digits = int + frac
  const point = int.length + shift
  const body =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`
  return (negative ? '-' : '') + body
}

/** Read a typed value back; undefined when the value is not of that type. */
export const readAttribute = {
  decimalInteger: (v: AttributeValue | undefined): bigint | undefined => (v && !typeProblem(v, 'decimal-integer') ? BigInt(v.raw) : undefined),
  hexadecimal: (v: AttributeValue | undefined): Buffer | undefined => {
    if (!v || typeProblem(v, 'hexadecimal-sequence')) return undefined
    const hex = v.raw.slice(2)
    return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex')
  },
  resolution: (v: AttributeValue | undefined): { width: number; height: number } | undefined => {
    if (!v || typeProblem(v, 'decimal-resolution')) return undefined
    const [width, height] = v.raw.split('x').map(Number) as [number, number]
    return { width, height }
  },
  float: (v: AttributeValue | undefined): number | undefined => (v && !typeProblem(v, 'signed-decimal-floating-point') ? Number(v.raw) : undefined),
}
