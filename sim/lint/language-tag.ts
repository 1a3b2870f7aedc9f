/**
 * Is a language tag well formed by RFC 5646 (BCP 47)? HLS LANGUAGE
 * (RFC 8216 §4.3.4.1) and DASH @lang (ISO/IEC 23009-1 §5.3.7.2, xs:language)
 * both defer to it. Pure: the §2.1 ABNF as one expression, then the two
 * rules the ABNF cannot say (§2.2.5 no repeated variant, §2.2.6 no repeated
 * extension singleton). It checks form, not the IANA registry: "zz" is well
 * formed though no language has that code.
 *
 * The npm package `bcp-47` parses the same grammar; it is not used so the
 * linter adds no dependency for one expression (see the branch's report).
 */
const ALNUM = '[A-Za-z0-9]'
const LANGUAGE = '(?<language>[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4}|[A-Za-z]{5,8})'
const SCRIPT = '(?:-[A-Za-z]{4})?'
const REGION = '(?:-(?:[A-Za-z]{2}|\\d{3}))?'
const VARIANTS = `(?<variants>(?:-(?:${ALNUM}{5,8}|\\d${ALNUM}{3}))*)`
const EXTENSIONS = `(?<extensions>(?:-[0-9A-WYZa-wyz](?:-${ALNUM}{2,8})+)*)`
const PRIVATE = `(?:-[xX](?:-${ALNUM}{1,8})+)?`
const LANGTAG = new RegExp(`^${LANGUAGE}${SCRIPT}${REGION}${VARIANTS}${EXTENSIONS}${PRIVATE}$`)
const PRIVATE_ONLY = new RegExp(`^[xX](?:-${ALNUM}{1,8})+$`)
/** §2.1 grandfathered tags (irregular and regular), compared case-insensitively. */
const GRANDFATHERED = new Set(
  [
    'en-GB-oed',
    'i-ami',
    'i-bnn',
    'i-default',
    'i-enochian',
    'i-hak',
    'i-klingon',
    'i-lux',
    'i-mingo',
    'i-navajo',
    'i-pwn',
    'i-tao',
    'i-tay',
    'i-tsu',
    'sgn-BE-FR',
    'sgn-BE-NL',
    'sgn-CH-DE',
    'art-lojban',
    'cel-gaulish',
    'no-bok',
    'no-nyn',
    'zh-guoyu',
    'zh-hakka',
    'zh-min',
    'zh-min-nan',
    'zh-xiang',
  ].map((t) => t.toLowerCase()),
)

/** Why `tag` is not a well-formed RFC 5646 language tag, or undefined when it is. */
export function languageTagProblem(tag: string): string | undefined {
  if (GRANDFATHERED.has(tag.toLowerCase()) || PRIVATE_ONLY.test(tag)) return undefined
  const m = LANGTAG.exec(tag)
  if (!m) return `"${tag}" is not a well-formed language tag (RFC 5646 §2.1)`
  const variants = (m.groups!.variants ?? '').toLowerCase().split('-').filter(Boolean)
  const repeated = variants.find((v, i) => variants.indexOf(v) !== i)
  if (repeated) return `"${tag}" repeats the variant "${repeated}" (RFC 5646 §2.2.5)`
  const singletons = (m.groups!.extensions ?? '')
    .toLowerCase()
    .split('-')
    .filter((s) => s.length === 1)
  const again = singletons.find((s, i) => singletons.indexOf(s) !== i)
  if (again) return `"${tag}" repeats the extension "${again}" (RFC 5646 §2.2.6)`
  return undefined
}
