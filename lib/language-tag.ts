import { parse, stringify } from 'bcp-47'
import { bcp47Normalize } from 'bcp-47-normalize'

/**
 * Language tags as the package writes them: BCP 47 (RFC 5646) in its
 * shortest form, so a source's ISO 639-2 tag (`eng`, or the bibliographic
 * `fre`, `ger`) becomes the ISO 639-1 code HLS LANGUAGE and DASH @lang
 * expect (`en`, `fr`, `de`; RFC 5646 §2.2.1: use the shortest subtag).
 *
 * The language subtag goes through bcp-47-normalize (CLDR's alias data),
 * the rest (script, region, variants) is kept as given, cased per RFC 5646
 * §2.1.1: bcp-47-normalize would also drop "likely" subtags (`pt-BR` →
 * `pt`), which loses what a Brazilian subtitle track is for.
 */
export const UNDETERMINED = 'und'

/** The normalised tag, `und` for an empty or `und` tag, or null when the tag is not BCP 47. */
export function normalizeLanguage(tag: string): string | null {
  const t = tag.trim()
  if (!t || t.toLowerCase() === UNDETERMINED) return UNDETERMINED
  const schema = parse(t.toLowerCase())
  if (!schema.language) return null
  const language = bcp47Normalize(schema.language) || schema.language
  return stringify({
    ...schema,
    language,
    script: schema.script ? schema.script[0]!.toUpperCase() + schema.script.slice(1) : null,
    region: schema.region ? schema.region.toUpperCase() : null,
  })
}

/**
 * Why `tag` is not a well-formed RFC 5646 language tag, or undefined when it
 * is. HLS LANGUAGE (RFC 8216 §4.3.4.1) and DASH @lang (ISO/IEC 23009-1
 * §5.3.7.2, xs:language) both defer to it. bcp-47 parses the §2.1 grammar
 * (grandfathered and private-use tags included); the two rules the grammar
 * cannot say are checked here: no repeated variant (§2.2.5), no repeated
 * extension singleton (§2.2.6). Form only, not the IANA registry: "zz" is
 * well formed though no language has that code.
 */
export function languageTagProblem(tag: string): string | undefined {
  let superfluous = false
  const schema = parse(tag, {
    warning: () => {
      superfluous = true
    },
  })
  if (superfluous || !(schema.language || schema.privateuse.length || schema.irregular || schema.regular))
    return `"${tag}" is not a well-formed language tag (RFC 5646 §2.1)`
  const variants = schema.variants.map((v) => v.toLowerCase())
  const repeated = variants.find((v, i) => variants.indexOf(v) !== i)
  if (repeated) return `"${tag}" repeats the variant "${repeated}" (RFC 5646 §2.2.5)`
  const singletons = schema.extensions.map((e) => e.singleton.toLowerCase())
  const again = singletons.find((s, i) => singletons.indexOf(s) !== i)
  if (again) return `"${tag}" repeats the extension "${again}" (RFC 5646 §2.2.6)`
  return undefined
}
