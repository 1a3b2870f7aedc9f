import { ErrorCodes, OclabError } from '../../lib/errors.js'
import type { AudioRendition, TextRendition, Title } from '../../lib/title-package.js'

/**
 * Which audio and subtitle renditions a player fetches beside the video.
 * Languages are matched as RFC 4647 §3.3.1 basic filtering does (a range
 * matches a tag equal to it or starting with it and a hyphen, case-insensitive),
 * so `en` picks `en-GB` and `pt-BR` does not pick `pt`. Pure.
 */

/** Does the language range (e.g. `en`) match the BCP 47 tag (e.g. `en-GB`)? RFC 4647 §3.3.1. */
export function languageMatches(range: string, tag: string): boolean {
  const r = range.toLowerCase()
  const t = tag.toLowerCase()
  return r === '*' || t === r || t.startsWith(`${r}-`)
}

/**
 * The audio rendition to fetch: the first whose language matches `language`,
 * or with `true` the first one (the packager writes it as the HLS group's
 * DEFAULT=YES); `false`, or a title without audio, gives none.
 */
export function chooseAudio(title: Title, language: boolean | string = true): AudioRendition | undefined {
  if (language === false || title.audio.length === 0) {
    if (typeof language === 'string') throw noTrack(title, 'audio', language, [])
    return undefined
  }
  if (language === true) return title.audio[0]
  const found = title.audio.find((a) => languageMatches(language, a.language))
  if (!found) throw noTrack(title, 'audio', language, title.audio)
  return found
}

/** The subtitle rendition in `language` (not a forced-only one when a full one exists), or none when not asked. */
export function chooseText(title: Title, language: string | undefined): TextRendition | undefined {
  if (language === undefined) return undefined
  const text = (title.text ?? []).filter((x) => languageMatches(language, x.language))
  const found = text.find((x) => !x.forced) ?? text[0]
  if (!found) throw noTrack(title, 'subtitles', language, title.text ?? [])
  return found
}

function noTrack(title: Title, kind: string, language: string, has: Array<{ language: string; name?: string }>): OclabError {
  const list = has.map((h) => (h.name && h.name !== h.language ? `${h.language} (${h.name})` : h.language))
  return new OclabError(
    ErrorCodes.NO_SUCH_TRACK,
    `${title.id}: no ${kind} in language "${language}" (it has ${list.length ? list.join(', ') : `no ${kind}`})`,
    { kind, language, has: has.map((h) => h.language) },
  )
}
