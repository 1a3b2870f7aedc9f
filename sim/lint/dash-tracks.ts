import { languageTagProblem } from '../../lib/language-tag.js'
import { isAudioCodec, isVideoCodec, splitCodecs } from '../../lib/media/codec-strings.js'
import { readWebVttTimings } from '../../lib/media/webvtt.js'
import type { Findings } from './findings.js'
import { readTexts } from './read-media.js'
import { attrOf, childElements } from './xml.js'

/**
 * What an MPD's AdaptationSets say about languages, roles and text
 * (ISO/IEC 23009-1 §5.3.3, §5.8.5.5 Role scheme; DASH-IF IOP subtitles, §6.4):
 * @lang is an RFC 5646 tag, a text set is WebVTT or TTML the way players
 * read them and says its Role, sets of the same kind and language are told
 * apart by Role or Label, and a set's @codecs name its kind. Pure over the
 * parsed XML, except `deepTextRepresentation`, which reads a sidecar.
 */
type At = (el: Element, attr?: string) => { file: string; xpath: string; line?: number }

export const ROLE_SCHEME = 'urn:mpeg:dash:role:2011'
/** ISO/IEC 23009-1 Table 22 (5th ed.): the values of urn:mpeg:dash:role:2011. */
export const ROLE_VALUES = [
  'caption',
  'subtitle',
  'main',
  'alternate',
  'supplementary',
  'commentary',
  'dub',
  'description',
  'sign',
  'metadata',
  'enhanced-audio-intelligibility',
  'emergency',
  'forced-subtitle',
  'easyreader',
  'karaoke',
]

/** The set's kind: @contentType, else the media type of its @mimeType, else its codecs. */
export function kindOf(as: Element): string | undefined {
  const ct = attrOf(as, 'contentType')
  if (ct) return ct
  const reps = childElements(as, 'Representation')
  const mime = attrOf(as, 'mimeType') ?? (reps[0] ? attrOf(reps[0], 'mimeType') : undefined)
  if (mime === 'application/ttml+xml' || mime === 'text/vtt') return 'text'
  const codecs = splitCodecs(attrOf(as, 'codecs') ?? reps.map((r) => attrOf(r, 'codecs') ?? '').join(','))
  if (codecs.some((c) => /^(wvtt|stpp)/.test(c))) return 'text'
  if (mime?.startsWith('video/') || codecs.some(isVideoCodec)) return 'video'
  if (mime?.startsWith('audio/') || codecs.some(isAudioCodec)) return 'audio'
  return undefined
}

/** Text a player reads whole, not as ISO BMFF segments: @codecs adds nothing there (DASH-IF IOP §6.4). */
export const isSidecarText = (mime: string | undefined): boolean => mime === 'text/vtt' || mime === 'application/ttml+xml'

const roles = (as: Element): Element[] => childElements(as, 'Role').filter((r) => attrOf(r, 'schemeIdUri') === ROLE_SCHEME)
const labelOf = (as: Element): string | undefined => childElements(as, 'Label')[0]?.textContent?.trim() || undefined

export function checkAdaptationSets(sets: Element[], f: Findings, at: At): void {
  for (const as of sets) {
    for (const el of [as, ...childElements(as, 'Representation')]) {
      const lang = attrOf(el, 'lang')
      const problem = lang === undefined ? undefined : languageTagProblem(lang)
      if (problem) f.error('DASH_LANG_INVALID', at(el, 'lang'), `@lang ${problem}; it must be an RFC 5646 tag (ISO/IEC 23009-1 §5.3.7.2)`)
    }
    for (const r of roles(as)) {
      const v = attrOf(r, 'value') ?? ''
      if (!ROLE_VALUES.includes(v))
        f.error('DASH_ROLE_INVALID', at(r, 'value'), `Role value "${v}" is not one of ${ROLE_SCHEME}'s values (ISO/IEC 23009-1 §5.8.5.5, Table 22)`)
    }
    const kind = kindOf(as)
    const codecs = splitCodecs(
      attrOf(as, 'codecs') ??
        childElements(as, 'Representation')
          .map((r) => attrOf(r, 'codecs') ?? '')
          .join(','),
    )
    if (kind === 'text') checkTextSet(as, codecs, f, at)
    // each Representation's own @codecs (else the set's) names the set's kind: a video set of audio codecs cannot play as video
    for (const rep of childElements(as, 'Representation')) {
      const own = splitCodecs(attrOf(rep, 'codecs') ?? attrOf(as, 'codecs') ?? '')
      if (!own.length) continue
      if (kind === 'video' && !own.some(isVideoCodec))
        f.error(
          'DASH_CODECS_INCOMPLETE',
          at(rep),
          `a Representation of a video AdaptationSet whose @codecs (${own.join(',')}) name no video codec (ISO/IEC 23009-1 §5.3.7.2; RFC 6381)`,
        )
      if (kind === 'audio' && !own.some(isAudioCodec))
        f.error(
          'DASH_CODECS_INCOMPLETE',
          at(rep),
          `a Representation of an audio AdaptationSet whose @codecs (${own.join(',')}) name no audio codec (ISO/IEC 23009-1 §5.3.7.2; RFC 6381)`,
        )
    }
  }
  // Sets of one kind and language must differ by Role or Label, or a player's menu shows two identical entries (DASH-IF IOP §6.4; ISO/IEC 23009-1 §5.8.4.2)
  const seen = new Map<string, Element>()
  for (const as of sets) {
    const kind = kindOf(as)
    if (kind !== 'audio' && kind !== 'text') continue
    const key = `${kind}|${(attrOf(as, 'lang') ?? 'und').toLowerCase()}|${roles(as)
      .map((r) => attrOf(r, 'value'))
      .sort()
      .join(',')}|${labelOf(as) ?? ''}`
    const before = seen.get(key)
    if (before)
      f.warning(
        'DASH_TRACKS_INDISTINCT',
        at(as),
        `this ${kind} AdaptationSet has the same @lang, Role and Label as ${at(before).xpath}: players cannot tell them apart (ISO/IEC 23009-1 §5.8.4.2 Role, §5.3.3.2 Label; DASH-IF IOP)`,
      )
    else seen.set(key, as)
  }
}

function checkTextSet(as: Element, codecs: string[], f: Findings, at: At): void {
  const reps = childElements(as, 'Representation')
  const mime = attrOf(as, 'mimeType') ?? (reps[0] ? attrOf(reps[0], 'mimeType') : undefined)
  const ok =
    mime === 'text/vtt'
      ? codecs.every((c) => c === 'wvtt')
      : mime === 'application/mp4'
        ? codecs.length > 0 && codecs.every((c) => /^(wvtt$|stpp)/.test(c))
        : false
  if (!ok)
    f.error(
      'DASH_TEXT_FORMAT_INVALID',
      at(as),
      `a text AdaptationSet with @mimeType "${mime ?? ''}"${codecs.length ? ` and @codecs "${codecs.join(',')}"` : ''}: subtitles are text/vtt (a sidecar), or application/mp4 with @codecs wvtt or stpp… (DASH-IF IOP §6.4)`,
    )
  if (!roles(as).length)
    f.error(
      'DASH_ROLE_MISSING',
      at(as),
      `a text AdaptationSet without a Role of ${ROLE_SCHEME}: players need it to tell subtitles, captions and forced subtitles apart (DASH-IF IOP §6.4; ISO/IEC 23009-1 §5.8.5.5)`,
    )
}

/** A cue this far past the Period's end still counts as in it (rounding of the last cue). */
export const TEXT_END_TOLERANCE_S = 0.5

/** --deep on a text/vtt sidecar Representation: the file is WebVTT and its cues lie inside the Period. */
export async function deepTextRepresentations(
  reps: Array<{ el: Element; url: URL; periodDuration: number | undefined }>,
  f: Findings,
  at: At,
  maxInputBytes: number,
): Promise<void> {
  const texts = await readTexts(
    reps.map((r) => r.url),
    maxInputBytes,
  )
  for (const [i, text] of texts.entries()) {
    const r = reps[i]!
    if (text instanceof Error) {
      f.error('DASH_SEGMENT_UNREADABLE', at(r.el), `${text.message} (ISO/IEC 23009-1 §5.6)`)
      continue
    }
    const vtt = readWebVttTimings(text)
    if (vtt.headerProblem) {
      f.error('DASH_WEBVTT_INVALID', at(r.el), `${r.url.pathname.split('/').pop()}: ${vtt.headerProblem} (DASH-IF IOP §6.4)`)
      continue
    }
    for (const p of vtt.problems) f.error('DASH_WEBVTT_INVALID', at(r.el), `line ${p.line}: ${p.message}`)
    const late = r.periodDuration === undefined ? [] : vtt.cues.filter((c) => c.start > r.periodDuration! + TEXT_END_TOLERANCE_S)
    if (late.length)
      f.warning(
        'DASH_WEBVTT_CUE_OUTSIDE_PERIOD',
        at(r.el),
        `${late.length} cue${late.length > 1 ? 's start' : ' starts'} after the Period ends (${r.periodDuration!.toFixed(3)} s; first at line ${late[0]!.line}): never shown (ISO/IEC 23009-1 §5.3.2)`,
      )
  }
}
