import fc from 'fast-check'
import t from 'tap'
import {
  type AttributeList,
  type AttributeValue,
  formatAttributeList,
  parseAttributeList,
  readAttribute,
  typeProblem,
  attributeValue as v,
} from '../../lib/media/hls-attributes.js'

// one code point of any plane
const charArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })
const nameArb = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-'.split('')), minLength: 1, maxLength: 12 })
// §4.2: a quoted-string holds anything but ", CR and LF — commas, '=' and spaces included
const quotedArb = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom(',', '=', ' ', "'", '\\', 'é', '\t'),
      charArb.filter((c) => !'"\r\n'.includes(c)),
    ),
    maxLength: 20,
  })
  .map(v.quoted)
// an unquoted value: no comma, CR, LF, and not starting with a quote
const unquotedArb = fc.string({ unit: charArb.filter((c) => !',"\r\n'.includes(c)), minLength: 1, maxLength: 20 }).map(v.enumerated)
const typedArb = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(v.decimalInteger),
  fc.uint8Array({ minLength: 1, maxLength: 16 }).map(v.hexadecimal),
  fc.tuple(fc.nat(), fc.nat()).map(([w, h]) => v.resolution(w, h)),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => v.float(x)),
)
const listArb = fc
  .uniqueArray(fc.tuple(nameArb, fc.oneof(quotedArb, unquotedArb, typedArb)), { selector: ([name]) => name, maxLength: 8 })
  .map((pairs): AttributeList => new Map(pairs))

t.test('parse(serialise(x)) is x for every list the grammar can hold', async (t) => {
  fc.assert(
    fc.property(listArb, (attrs) => {
      const text = formatAttributeList(attrs)
      const back = parseAttributeList(text)
      return back.error === undefined && JSON.stringify([...back.attrs]) === JSON.stringify([...attrs])
    }),
    { numRuns: 2000 },
  )
  t.pass('2000 random lists round-trip, order and quoting kept')
})

t.test('typed values read back as the numbers they were built from', async (t) => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) => readAttribute.decimalInteger(parseOne(v.decimalInteger(n))) === n))
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), (b) => readAttribute.hexadecimal(parseOne(v.hexadecimal(b)))!.equals(Buffer.from(b))))
  fc.assert(
    fc.property(
      fc.nat(),
      fc.nat(),
      (w, h) => JSON.stringify(readAttribute.resolution(parseOne(v.resolution(w, h)))) === JSON.stringify({ width: w, height: h }),
    ),
  )
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => readAttribute.float(parseOne(v.float(x))) === x))
  t.equal(v.float(1e-7).raw, '0.0000001', 'no exponent below 1e-6')
  t.equal(v.float(-1.5e21).raw, '-1500000000000000000000', 'nor from 1e21')
  t.equal(v.float(1.2345e-5).raw, '0.000012345')
  t.equal(v.float(25, 3).raw, '25.000', 'fixed digits, as FRAME-RATE is written')
  t.equal(readAttribute.hexadecimal(v.enumerated('0xABC'))!.toString('hex'), '0abc', 'an odd digit count is left-padded')
  t.equal(readAttribute.decimalInteger(v.quoted('12')), undefined, 'a quoted number is not a decimal-integer')
  t.equal(readAttribute.resolution(v.enumerated('640X360')), undefined)
  t.equal(readAttribute.float(undefined), undefined)
  t.equal(readAttribute.hexadecimal(v.enumerated('12')), undefined)
  t.throws(() => v.decimalInteger(-1), RangeError)
  t.throws(() => v.decimalInteger(1.5), RangeError)
  t.throws(() => v.decimalInteger(2n ** 64n), RangeError)
  t.throws(() => v.hexadecimal(new Uint8Array(0)), RangeError)
  t.throws(() => v.float(Infinity), RangeError)
})

function parseOne(value: AttributeValue): AttributeValue | undefined {
  const { attrs, error } = parseAttributeList(formatAttributeList(new Map([['X', value]])))
  if (error) throw new Error(error)
  return attrs.get('X')
}

t.test('hostile input: the first problem is named, nothing is guessed past it', async (t) => {
  t.match(parseAttributeList('URI="x,BANDWIDTH=1').error, /URI has an unterminated quoted-string/)
  t.match(parseAttributeList('A="x"y,B=1').error, /text after the closing quote/)
  const commas = parseAttributeList('CODECS="avc1.64001f,mp4a.40.2",NAME="a=b, c",B=1')
  t.equal(commas.error, undefined)
  t.same([...commas.attrs.keys()], ['CODECS', 'NAME', 'B'], 'commas and "=" inside quotes do not split')
  t.equal(commas.attrs.get('NAME')!.raw, 'a=b, c')
  t.match(parseAttributeList('A=1,B=2,A=3').error, /A appears twice/)
  t.match(parseAttributeList('A=1,').error, /trailing comma/)
  t.match(parseAttributeList('A=1,,B=2').error, /attribute name ",B" has characters outside/, 'an empty pair')
  t.match(parseAttributeList('A=1\rB=2').error, /A holds a line break/)
  t.match(parseAttributeList('URI="a\nb"').error, /URI holds a line break/)
  t.match(parseAttributeList('A=').error, /A has an empty value/)
  t.match(parseAttributeList('A=1,B').error, /"B" has no "="/)
  t.match(parseAttributeList('a=1').error, /outside \[A-Z0-9-\]/)
  t.match(parseAttributeList(' A=1').error, /outside \[A-Z0-9-\]/, 'no white space around names')
  t.same(parseAttributeList(''), { attrs: new Map() }, 'an empty list is a list')
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('A', 'B', '=', ',', '"', ' ', '0', '\n'), maxLength: 30 }), (text) => {
      const { attrs, error } = parseAttributeList(text)
      // whatever it makes of junk, a list it accepts writes back to text that reads the same
      return error !== undefined || JSON.stringify([...parseAttributeList(formatAttributeList(attrs)).attrs]) === JSON.stringify([...attrs])
    }),
    { numRuns: 3000 },
  )
})

t.test('the serialiser refuses what could not be read back the same', async (t) => {
  const one = (name: string, value: AttributeValue) => () => formatAttributeList(new Map([[name, value]]))
  t.throws(one('URI', v.quoted('say "hi"')), { code: 'OCLAB_ERR_BAD_MANIFEST', message: /URI: a quoted-string cannot hold/ })
  t.throws(one('URI', v.quoted('a\nb')), { code: 'OCLAB_ERR_BAD_MANIFEST' })
  t.throws(one('A', v.enumerated('x,y')), { message: /"x,y" cannot be written unquoted/ })
  t.throws(one('A', v.enumerated('')), { message: /cannot be written unquoted/ })
  t.throws(one('A', v.enumerated('"x')), { message: /cannot be written unquoted/ })
  t.throws(one('lower', v.enumerated('1')), { message: /attribute name "lower"/ })
  t.equal(formatAttributeList(new Map([['A', v.quoted('')]])), 'A=""', 'an empty quoted-string is fine')
})

t.test('value types (RFC 8216 §4.2)', async (t) => {
  t.equal(typeProblem(v.enumerated('1.5'), 'decimal-floating-point'), undefined)
  t.match(typeProblem(v.enumerated('-1.5'), 'decimal-floating-point'), /not a decimal-floating-point/)
  t.equal(typeProblem(v.enumerated('-1.5'), 'signed-decimal-floating-point'), undefined)
  t.match(typeProblem(v.quoted('800'), 'decimal-integer'), /must not be quoted/)
  t.match(typeProblem(v.enumerated('aud'), 'quoted-string'), /must be a quoted-string/)
  t.equal(typeProblem(v.quoted('aud'), 'quoted-string'), undefined)
  t.match(typeProblem(v.enumerated('A B'), 'enumerated-string'), /not an enumerated-string/)
  t.equal(typeProblem(v.enumerated('PQ'), 'enumerated-string'), undefined)
  t.equal(typeProblem(v.enumerated('0x1F'), 'hexadecimal-sequence'), undefined)
  t.equal(typeProblem(v.enumerated('123456789012345678901'), 'decimal-integer'), '"123456789012345678901" is not a decimal-integer', 'more than 20 digits')
})
