import { languageTagProblem } from '../../lib/language-tag.js'
import { isAudioCodec, isVideoCodec } from '../../lib/media/codec-strings.js'
import type { Findings } from './findings.js'
import type { Multivariant } from './hls-multivariant.js'
import { attr, type Playlist, type Tag } from './hls-playlist.js'

/**
 * Rendition checks of a multivariant playlist beyond one tag's syntax
 * (RFC 8216 §4.3.4.1, §4.3.4.1.1, §4.3.4.2): languages, FORCED, AUTOSELECT
 * with DEFAULT, groups named alike by every variant and used by one, and
 * CODECS covering what a variant's renditions carry. Names unique within a
 * group, one DEFAULT per group and unresolved groups are checked in
 * hls-multivariant.ts.
 */
const GROUP_ATTRS = [
  ['AUDIO', 'AUDIO'],
  ['VIDEO', 'VIDEO'],
  ['SUBTITLES', 'SUBTITLES'],
  ['CLOSED-CAPTIONS', 'CLOSED-CAPTIONS'],
] as const

export function checkRenditions(p: Playlist, mv: Multivariant, f: Findings): void {
  const file = p.file
  const tagAt = (line: number): Tag => p.items.find((x) => x.line === line)!
  for (const r of mv.renditions) {
    const t = tagAt(r.line)
    const where = { file, line: r.line }
    for (const name of ['LANGUAGE', 'ASSOC-LANGUAGE']) {
      const lang = attr(t, name)
      const problem = lang === undefined ? undefined : languageTagProblem(lang)
      if (problem) f.error('HLS_LANGUAGE_INVALID', where, `${name} ${problem}; it must be an RFC 5646 language tag (RFC 8216 §4.3.4.1)`)
    }
    if (t.attrs?.has('FORCED') && r.type !== 'SUBTITLES')
      f.error('HLS_FORCED_NOT_SUBTITLES', where, `FORCED on a TYPE=${r.type} rendition: it must not be present unless TYPE is SUBTITLES (RFC 8216 §4.3.4.1)`)
    if (attr(t, 'DEFAULT') === 'YES' && !t.attrs?.has('AUTOSELECT'))
      f.warning(
        'HLS_AUTOSELECT_MISSING',
        where,
        'DEFAULT=YES without AUTOSELECT (absent means NO): say AUTOSELECT=YES so a client may choose the default by its language settings (RFC 8216 §4.3.4.1)',
      )
  }

  const variants = mv.variants.filter((v) => !v.iframe)
  for (const [a, type] of GROUP_ATTRS) {
    // every variant names the same kind of group or none does: a switch must not drop the viewer's subtitles or language (RFC 8216 §4.3.4.2.1; Apple HLS authoring spec §7)
    const naming = variants.filter((v) => {
      const value = tagAt(v.line).attrs?.get(a)
      return value !== undefined && !(a === 'CLOSED-CAPTIONS' && !value.quoted && value.raw === 'NONE')
    })
    if (naming.length && naming.length < variants.length) {
      const missing = variants.find((v) => !naming.includes(v))!
      f.warning(
        'HLS_GROUP_INCONSISTENT',
        { file, line: missing.line },
        `${naming.length} of ${variants.length} variants name a ${a} group but this one does not: switching to it loses that rendition (RFC 8216 §4.3.4.2.1)`,
      )
    }
    const named = new Set(variants.map((v) => attr(tagAt(v.line), a)))
    // with no variant at all, HLS_NO_VARIANTS says it
    for (const group of new Set(mv.renditions.filter((r) => r.type === type).map((r) => r.group))) {
      if (variants.length && !named.has(group)) {
        const first = mv.renditions.find((r) => r.type === type && r.group === group)!
        f.warning(
          'HLS_GROUP_UNUSED',
          { file, line: first.line },
          `${type} group "${group}" is named by no variant: players never offer it (RFC 8216 §4.3.4.1.1)`,
        )
      }
    }
  }

  for (const v of variants) {
    if (!v.codecs?.length) continue
    const where = { file, line: v.line }
    if (v.width !== undefined && !v.codecs.some(isVideoCodec))
      f.error('HLS_CODECS_INCOMPLETE', where, `the variant has a RESOLUTION but CODECS="${v.codecs.join(',')}" names no video codec (RFC 8216 §4.3.4.2)`)
    if (v.audio !== undefined && mv.renditions.some((r) => r.type === 'AUDIO' && r.group === v.audio) && !v.codecs.some(isAudioCodec))
      f.error(
        'HLS_CODECS_INCOMPLETE',
        where,
        `the variant plays AUDIO group "${v.audio}" but CODECS="${v.codecs.join(',')}" names no audio codec: CODECS lists every format of the variant and its renditions (RFC 8216 §4.3.4.2)`,
      )
  }
}
