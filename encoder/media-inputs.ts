import { basename } from 'node:path'
import { ErrorCodes, OclabError } from '../lib/errors.js'
import { normalizeLanguage, UNDETERMINED } from '../lib/language-tag.js'

/** An audio file added as a rendition (`--audio file.wav:lang[:name]`). */
export interface AudioInput {
  file: string
  /** BCP 47 tag (an ISO 639-2 code is shortened: `fra` → `fr`) */
  language: string
  /** Default: the language's English name (`French`), `Audio` for `und`. */
  name?: string
}

/** A WebVTT or SRT file added as a subtitle rendition (`--subtitles file.vtt:lang[:name][:forced]`). */
export interface SubtitleInput {
  file: string
  language: string
  /** Default: the language's English name, with " (forced)" for forced subtitles. */
  name?: string
  /** Forced narrative subtitles (HLS FORCED=YES, DASH Role forced-subtitle). Default false. */
  forced?: boolean
}

/** A language tag as the package writes it, or a USAGE error naming where it came from. */
export function languageOf(tag: string, where: string): string {
  const lang = normalizeLanguage(tag)
  if (!lang) throw new OclabError(ErrorCodes.USAGE, `${where}: "${tag}" is not a BCP 47 language tag (e.g. en, fr, pt-BR, und)`)
  return lang
}

const displayNames = new Intl.DisplayNames(['en'], { type: 'language' })

/** The English name of a language (`fr` → `French`), or `fallback` for `und` and tags Intl does not know. */
export function languageName(lang: string, fallback: string): string {
  if (lang === UNDETERMINED) return fallback
  const name = displayNames.of(lang)
  return name && name !== lang ? name : fallback
}

/** `file:lang[:name]` of `--audio`. */
export function parseAudioSpec(spec: string): AudioInput {
  const [file, lang, ...rest] = spec.split(':')
  if (!file || !lang) throw new OclabError(ErrorCodes.USAGE, `--audio: expected file:lang[:name], got "${spec}"`)
  const name = rest.join(':')
  return { file, language: languageOf(lang, '--audio'), ...(name ? { name } : {}) }
}

/** `file:lang[:name][:forced]` of `--subtitles`. */
export function parseSubtitleSpec(spec: string): SubtitleInput {
  const [file, lang, ...rest] = spec.split(':')
  if (!file || !lang) throw new OclabError(ErrorCodes.USAGE, `--subtitles: expected file:lang[:name][:forced], got "${spec}"`)
  const forced = rest.at(-1) === 'forced'
  const name = (forced ? rest.slice(0, -1) : rest).join(':')
  return { file, language: languageOf(lang, '--subtitles'), ...(name ? { name } : {}), ...(forced ? { forced } : {}) }
}

/** `--audio-lang en,fr`: one tag per source audio stream, in order. */
export function parseLanguageList(list: string): string[] {
  return list.split(',').map((t) => languageOf(t.trim(), '--audio-lang'))
}

/**
 * Rendition ids of the layout contract (docs/ARCHITECTURE.md): `<prefix>-<lang>`,
 * then `<prefix>-<lang>-2`, `-3`… when a language repeats.
 */
function uniqueId(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base
  let n = 2
  while (taken.has(`${base}-${n}`)) n++
  return `${base}-${n}`
}

/** Names are unique within an HLS group (RFC 8216 §4.3.4.1.1): a repeat gets " (2)", " (3)"… */
function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name
  let n = 2
  while (taken.has(`${name} (${n})`)) n++
  return `${name} (${n})`
}

/** Ids and names handed out for one kind of rendition (audio, or text): each unique, as uniqueId and uniqueName make them. */
export function renditionNamer(): (idBase: string, name: string) => { id: string; name: string } {
  const ids = new Set<string>()
  const names = new Set<string>()
  return (idBase, wanted) => {
    const id = uniqueId(idBase, ids)
    const name = uniqueName(wanted, names)
    ids.add(id)
    names.add(name)
    return { id, name }
  }
}

/** `file:<basename>`: where a rendition came from, without the encoding machine's paths. */
export const fileOrigin = (file: string): string => `file:${basename(file)}`
