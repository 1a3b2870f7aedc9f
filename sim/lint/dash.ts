import { codecCovers, codecProblem, isVideoCodec, splitCodecs } from '../../lib/media/codec-strings.js'
import { parseSidx } from '../../lib/media/sidx.js'
import { displayName, fetchBytes } from '../index.js'
import { expandTimeline, fillTemplate, templateProblem } from './dash-timeline.js'
import { checkAdaptationSets, deepTextRepresentations, isSidecarText } from './dash-tracks.js'
import type { Findings } from './findings.js'
import { parseIsoDuration } from './iso-duration.js'
import { checkLadder, type DeclaredRung, type LadderOptions } from './ladder-checks.js'
import { bandwidthBucketViolation } from './measure.js'
import { scanMedia, startsIndependent } from './read-media.js'
import { attrOf, childElements, descendants, lineOf, parseXml, xpathOf } from './xml.js'

export interface DashLintOptions {
  deep: boolean
  ladder: LadderOptions
  source: { width: number; height: number } | null
  /** seconds segment boundaries may differ across Representations and still count as aligned */
  alignment: number
  /** largest index range or segment read, bytes */
  maxInputBytes: number
}

const MPD_NS = 'urn:mpeg:dash:schema:mpd:2011'
const KNOWN_PROFILES = [
  'urn:mpeg:dash:profile:isoff-live:2011',
  'urn:mpeg:dash:profile:isoff-on-demand:2011',
  'urn:mpeg:dash:profile:isoff-main:2011',
  'urn:mpeg:dash:profile:full:2011',
  'urn:mpeg:dash:profile:isoff-ext-live:2014',
  'urn:mpeg:dash:profile:isoff-ext-on-demand:2014',
  'urn:mpeg:dash:profile:isoff-broadcast:2015',
  'urn:mpeg:dash:profile:cmaf:2019',
  'urn:mpeg:dash:profile:cmaf-extended:2019',
  'urn:mpeg:dash:profile:mp2t-main:2011',
  'urn:mpeg:dash:profile:mp2t-simple:2011',
  'urn:dvb:dash:profile:dvb-dash:2014',
  'urn:hbbtv:dash:profile:isoff-live:2012',
]
/** A timeline may end this much before or after its Period and still count as filling it (one audio frame or so). */
export const DURATION_TOLERANCE_S = 0.1

interface SegInfo {
  el: Element
  kind: 'template' | 'base' | 'list'
  timescale: number
  attrs: Map<string, string>
  timeline: Element | null
}

interface RepInfo {
  el: Element
  as: Element
  id: string
  bandwidth?: number
  codecs: string[] | null
  seg: SegInfo | null
  /** segment start and duration in seconds (null: not derivable from the MPD) */
  times: Array<{ start: number; duration: number }> | null
  baseUrl: URL
  periodDuration: number | undefined
}

/** Lint a DASH MPD (ISO/IEC 23009-1; DASH-IF IOP; DASH-IF Content Steering). */
export async function lintDash(url: URL, text: string, opts: DashLintOptions, f: Findings): Promise<void> {
  const file = displayName(url)
  const at = (el: Element, attr?: string) => ({ file, xpath: xpathOf(el, attr), ...(lineOf(el) ? { line: lineOf(el)! } : {}) })
  const { doc, problems } = parseXml(text)
  if (!doc || problems.length) {
    const p = problems[0]!
    f.error('DASH_XML_MALFORMED', { file, ...(p.line ? { line: p.line } : {}) }, `not well-formed XML: ${p.message} (XML 1.0; ISO/IEC 23009-1 §5.3)`)
    if (!doc) return
  }
  const mpd = doc.documentElement
  if (mpd.localName !== 'MPD' || mpd.namespaceURI !== MPD_NS) {
    f.error(
      'DASH_NOT_MPD',
      at(mpd),
      `the root element is <${mpd.tagName}> in namespace "${mpd.namespaceURI ?? ''}", not <MPD> in ${MPD_NS} (ISO/IEC 23009-1 §5.3.1)`,
    )
    return
  }
  const attrs = new CheckedAttributes(f, at)
  const top = checkMpd(mpd, attrs, f, at)
  if (!top) return
  checkBaseUrls(mpd, f, at, url)
  checkSteering(mpd, f, at)
  const walk: Walk = { f, at, attrs, opts, mpd, top, rungs: [], reps: [] }
  const mpdBase = firstBaseUrl(mpd, url)
  for (const [pi, period] of top.periods.entries()) checkPeriod(walk, period, pi, mpdBase)
  checkLadder(walk.rungs, opts.source, f, opts.ladder)
  if (!opts.deep) return
  for (const r of walk.reps) await deepRep(r, top.minBufferTime, f, at, opts.maxInputBytes)
  const sidecars = walk.reps.filter((r) => (attrOf(r.el, 'mimeType') ?? attrOf(r.as, 'mimeType')) === 'text/vtt')
  await deepTextRepresentations(
    sidecars.filter((r) => !r.seg).map((r) => ({ el: r.el, url: r.baseUrl, periodDuration: r.periodDuration })),
    f,
    at,
    opts.maxInputBytes,
  )
}

/** Attribute readers of ISO/IEC 23009-1's types that report a missing or malformed value where it is. */
class CheckedAttributes {
  constructor(
    private readonly f: Findings,
    private readonly at: At,
  ) {}

  need(el: Element, name: string, section: string): string | undefined {
    const v = attrOf(el, name)
    if (v === undefined) this.f.error('DASH_MISSING_ATTRIBUTE', this.at(el), `<${el.localName}> has no @${name}; it is mandatory (ISO/IEC 23009-1 ${section})`)
    return v
  }

  duration(el: Element, name: string, section: string): number | undefined {
    const v = attrOf(el, name)
    if (v === undefined) return undefined
    const s = parseIsoDuration(v)
    if (s === null || s < 0)
      this.f.error('DASH_BAD_ATTRIBUTE_VALUE', this.at(el, name), `@${name}="${v}" is not a non-negative xs:duration (ISO/IEC 23009-1 ${section})`)
    return s ?? undefined
  }

  integer(el: Element, name: string, section: string, min = 0): number | undefined {
    const v = attrOf(el, name)
    if (v === undefined) return undefined
    if (!/^\d+$/.test(v) || Number(v) < min) {
      this.f.error('DASH_BAD_ATTRIBUTE_VALUE', this.at(el, name), `@${name}="${v}" is not an integer${min ? ` ≥ ${min}` : ''} (ISO/IEC 23009-1 ${section})`)
      return undefined
    }
    return Number(v)
  }
}

/** What the MPD element says that every Period and Representation check needs. */
interface MpdLevel {
  periods: Element[]
  minBufferTime: number
  mpdDuration: number | undefined
  maxSegmentDuration: number | undefined
  /** every profile is a live (SegmentTemplate) one */
  onlyLive: boolean
  /** every profile is an on-demand (SegmentBase) one */
  onlyOnDemand: boolean
}

/** State of one walk over Periods, AdaptationSets and Representations. */
interface Walk {
  f: Findings
  at: At
  attrs: CheckedAttributes
  opts: DashLintOptions
  mpd: Element
  top: MpdLevel
  rungs: DeclaredRung[]
  reps: RepInfo[]
}

/** MPD-level attributes (§5.3.1.2); null when there is no Period to go on with. */
function checkMpd(mpd: Element, attrs: CheckedAttributes, f: Findings, at: At): MpdLevel | null {
  const profiles = (attrs.need(mpd, 'profiles', '§5.3.1.2') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (profiles.length && !profiles.some((p) => KNOWN_PROFILES.includes(p) || p.startsWith('http://dashif.org/guidelines/'))) {
    f.warning(
      'DASH_PROFILE_UNKNOWN',
      at(mpd, 'profiles'),
      `@profiles names no profile of ISO/IEC 23009-1 §8 or DASH-IF IOP (${profiles.join(', ')}); players may refuse it`,
    )
  }
  const type = attrOf(mpd, 'type') ?? 'static'
  if (type !== 'static' && type !== 'dynamic')
    f.error('DASH_BAD_ATTRIBUTE_VALUE', at(mpd, 'type'), `@type="${type}" is neither static nor dynamic (ISO/IEC 23009-1 §5.3.1.2)`)
  attrs.need(mpd, 'minBufferTime', '§5.3.1.2')
  const minBufferTime = attrs.duration(mpd, 'minBufferTime', '§5.3.1.2') ?? 0
  const mpdDuration = attrs.duration(mpd, 'mediaPresentationDuration', '§5.3.1.2')
  const maxSegmentDuration = attrs.duration(mpd, 'maxSegmentDuration', '§5.3.1.2')
  if (type === 'dynamic') attrs.need(mpd, 'availabilityStartTime', '§5.3.1.2')
  const periods = childElements(mpd, 'Period')
  if (!periods.length) {
    f.error('DASH_NO_PERIOD', at(mpd), 'the MPD has no <Period> (ISO/IEC 23009-1 §5.3.1.2)')
    return null
  }
  const lastPeriodDuration = attrOf(periods.at(-1)!, 'duration')
  if (type === 'static' && mpdDuration === undefined && lastPeriodDuration === undefined && attrOf(mpd, 'minimumUpdatePeriod') === undefined) {
    f.error('DASH_MISSING_ATTRIBUTE', at(mpd), 'a static MPD needs @mediaPresentationDuration when the last Period has no @duration (ISO/IEC 23009-1 §5.3.1.2)')
  }
  return {
    periods,
    minBufferTime,
    mpdDuration,
    maxSegmentDuration,
    onlyLive: profiles.length > 0 && profiles.every((p) => /isoff-live|cmaf|dash264|isoff-ext-live/.test(p)),
    onlyOnDemand: profiles.length > 0 && profiles.every((p) => /on-demand/.test(p)),
  }
}

/** One Period (§5.3.2): its length, then each AdaptationSet with its Representations, alignment and video rungs. */
function checkPeriod(w: Walk, period: Element, pi: number, mpdBase: URL): void {
  const { periods, mpdDuration } = w.top
  const start = w.attrs.duration(period, 'start', '§5.3.2.2') ?? 0
  const nextStart = periods[pi + 1] ? parseIsoDuration(attrOf(periods[pi + 1]!, 'start') ?? '') : null
  const periodDuration =
    w.attrs.duration(period, 'duration', '§5.3.2.2') ?? (nextStart !== null ? nextStart - start : mpdDuration !== undefined ? mpdDuration - start : undefined)
  const periodBase = firstBaseUrl(period, mpdBase)
  const ids = new Map<string, Element>()
  checkAdaptationSets(childElements(period, 'AdaptationSet'), w.f, w.at)
  for (const [ai, as] of childElements(period, 'AdaptationSet').entries()) {
    const asBase = firstBaseUrl(as, periodBase)
    const asReps = childElements(as, 'Representation')
    if (!asReps.length) w.f.error('DASH_NO_REPRESENTATION', w.at(as), '<AdaptationSet> has no <Representation> (ISO/IEC 23009-1 §5.3.3.2)')
    const setReps = asReps.map((rep) => checkRepresentation(w, { period, as, rep, ids, periodDuration, base: asBase }))
    w.reps.push(...setReps)
    checkAlignment(as, setReps, w.opts.alignment, w.f, w.at)
    w.rungs.push(...videoRungs(as, setReps, `${pi}/${ai}`, w.at))
  }
}

interface RepPlace {
  period: Element
  as: Element
  rep: Element
  /** Representation ids seen so far in this Period */
  ids: Map<string, Element>
  periodDuration: number | undefined
  base: URL
}

/** One Representation (§5.3.5, §5.3.7, §5.3.9): id, bandwidth, codecs, picture attributes, how its segments are found and whether they fill the Period. */
function checkRepresentation(w: Walk, place: RepPlace): RepInfo {
  const { f, at, attrs } = w
  const { period, as, rep, ids, periodDuration } = place
  const id = attrs.need(rep, 'id', '§5.3.5.2') ?? ''
  if (id && ids.has(id))
    f.error('DASH_DUPLICATE_ID', at(rep, 'id'), `Representation @id "${id}" is used twice in this Period; it must be unique (ISO/IEC 23009-1 §5.3.5.2)`)
  else if (id) ids.set(id, rep)
  if (id && /\s/.test(id)) f.error('DASH_BAD_ATTRIBUTE_VALUE', at(rep, 'id'), `Representation @id "${id}" contains whitespace (ISO/IEC 23009-1 §5.3.5.2)`)
  let bandwidth: number | undefined
  if (attrOf(rep, 'bandwidth') === undefined)
    f.error('DASH_BANDWIDTH_MISSING', at(rep), '<Representation> has no @bandwidth; it is mandatory (ISO/IEC 23009-1 §5.3.5.2)')
  else bandwidth = attrs.integer(rep, 'bandwidth', '§5.3.5.2', 1)
  if (attrOf(rep, 'mimeType') === undefined && attrOf(as, 'mimeType') === undefined) {
    f.error('DASH_MISSING_ATTRIBUTE', at(rep), 'no @mimeType on the Representation or its AdaptationSet (ISO/IEC 23009-1 §5.3.7.2)')
  }
  const codecs = checkCodecs(as, rep, f, at)
  for (const el of [as, rep]) checkPicture(el, attrs, f, at)
  const seg = segmentInfo([period, as, rep])
  checkSegmentAddressing(w, place, seg)
  const times = seg ? segmentTimes(seg, periodDuration, at, f, w.top.maxSegmentDuration) : null
  if (seg && times?.length && periodDuration !== undefined) checkFillsPeriod(seg, times, periodDuration, f, at)
  return {
    el: rep,
    as,
    id,
    codecs,
    seg,
    times,
    baseUrl: firstBaseUrl(rep, place.base),
    periodDuration,
    ...(bandwidth !== undefined ? { bandwidth } : {}),
  }
}

/** @codecs on the Representation or its AdaptationSet, each entry well formed (RFC 6381); null when there is none. */
function checkCodecs(as: Element, rep: Element, f: Findings, at: At): string[] | null {
  const codecsAttr = attrOf(rep, 'codecs') ?? attrOf(as, 'codecs')
  if (codecsAttr === undefined && isSidecarText(attrOf(rep, 'mimeType') ?? attrOf(as, 'mimeType'))) return null
  if (codecsAttr === undefined) {
    f.error('DASH_CODECS_MISSING', at(rep), 'no @codecs on the Representation or its AdaptationSet (DASH-IF IOP §3.2.2; ISO/IEC 23009-1 §5.3.7.2)')
    return null
  }
  const codecs = splitCodecs(codecsAttr)
  for (const c of codecs) {
    const problem = codecProblem(c)
    if (problem)
      f.error('DASH_CODECS_MALFORMED', at(attrOf(rep, 'codecs') !== undefined ? rep : as, 'codecs'), `@codecs ${problem} (RFC 6381; ISO/IEC 23009-1 §5.3.7.2)`)
  }
  return codecs
}

/** @width, @height, @frameRate and @sar of an AdaptationSet or Representation (§5.3.7.2). */
function checkPicture(el: Element, attrs: CheckedAttributes, f: Findings, at: At): void {
  attrs.integer(el, 'width', '§5.3.7.2', 1)
  attrs.integer(el, 'height', '§5.3.7.2', 1)
  const fr = attrOf(el, 'frameRate')
  if (fr !== undefined && !/^\d+(\/\d+)?$/.test(fr))
    f.error('DASH_BAD_ATTRIBUTE_VALUE', at(el, 'frameRate'), `@frameRate="${fr}" is not N or N/D (ISO/IEC 23009-1 §5.3.7.2)`)
  const sar = attrOf(el, 'sar')
  if (sar !== undefined && !/^\d+:\d+$/.test(sar)) f.error('DASH_BAD_ATTRIBUTE_VALUE', at(el, 'sar'), `@sar="${sar}" is not N:M (ISO/IEC 23009-1 §5.3.7.2)`)
}

/** The media can be found at all (§5.3.9), and by the means the MPD's profiles allow (§8.3.2, §8.4.2). */
function checkSegmentAddressing(w: Walk, { period, as, rep }: RepPlace, seg: SegInfo | null): void {
  const { f, at } = w
  const hasBaseUrl = [rep, as, period, w.mpd].some((e) => childElements(e, 'BaseURL').length > 0)
  if (!seg && !hasBaseUrl)
    f.error(
      'DASH_NO_SEGMENT_INFO',
      at(rep),
      'no SegmentTemplate, SegmentList, SegmentBase or BaseURL at any level: the player cannot find the media (ISO/IEC 23009-1 §5.3.9)',
    )
  if (seg && w.top.onlyLive && seg.kind !== 'template')
    f.warning(
      'DASH_PROFILE_MISMATCH',
      at(rep),
      `the live profile addresses segments with SegmentTemplate, this Representation uses Segment${seg.kind === 'base' ? 'Base' : 'List'} (ISO/IEC 23009-1 §8.4.2)`,
    )
  if (w.top.onlyOnDemand && seg?.kind === 'template')
    f.warning(
      'DASH_PROFILE_MISMATCH',
      at(rep),
      'the on-demand profile uses SegmentBase with an index, this Representation uses SegmentTemplate (ISO/IEC 23009-1 §8.3.2)',
    )
}

/** The segments end where the Period does: short, players stall at the end; a timeline over a segment long says more than the Period (§5.3.9.6). */
function checkFillsPeriod(seg: SegInfo, times: Array<{ start: number; duration: number }>, periodDuration: number, f: Findings, at: At): void {
  const last = times.at(-1)!
  const end = last.start + last.duration
  if (end < periodDuration - DURATION_TOLERANCE_S) {
    f.warning(
      'DASH_DURATION_MISMATCH',
      at(seg.timeline ?? seg.el),
      `the segments end at ${end.toFixed(3)} s but the Period lasts ${periodDuration.toFixed(3)} s: players stall at the end (ISO/IEC 23009-1 §5.3.9.6, §5.3.1.2)`,
    )
  } else if (seg.timeline && end > periodDuration + Math.max(DURATION_TOLERANCE_S, last.duration)) {
    f.warning(
      'DASH_DURATION_MISMATCH',
      at(seg.timeline),
      `the SegmentTimeline runs to ${end.toFixed(3)} s, more than a segment past the Period's ${periodDuration.toFixed(3)} s (ISO/IEC 23009-1 §5.3.9.6)`,
    )
  }
}

/** The rungs of a video AdaptationSet, for the ladder checks (a set is video by @contentType, a video mimeType or a video codec). */
function videoRungs(as: Element, setReps: RepInfo[], group: string, at: At): DeclaredRung[] {
  const isVideo =
    attrOf(as, 'contentType') === 'video' ||
    /^video\//.test(attrOf(as, 'mimeType') ?? '') ||
    setReps.some((r) => r.codecs?.some(isVideoCodec) || /^video\//.test(attrOf(r.el, 'mimeType') ?? ''))
  if (!isVideo) return []
  const rungs: DeclaredRung[] = []
  for (const r of setReps) {
    if (r.bandwidth === undefined) continue
    const w = Number(attrOf(r.el, 'width') ?? attrOf(as, 'width'))
    const h = Number(attrOf(r.el, 'height') ?? attrOf(as, 'height'))
    const fr = (attrOf(r.el, 'frameRate') ?? attrOf(as, 'frameRate') ?? '').split('/').map(Number)
    const fps = fr.length === 2 ? fr[0]! / fr[1]! : fr[0]
    rungs.push({
      label: `Representation "${r.id}"`,
      where: at(r.el),
      bandwidth: r.bandwidth,
      ...(w > 0 && h > 0 ? { width: w, height: h } : {}),
      ...(fps && fps > 0 ? { frameRate: fps } : {}),
      group,
    })
  }
  return rungs
}

type At = (el: Element, attr?: string) => { file: string; xpath: string; line?: number }

function firstBaseUrl(el: Element, parent: URL): URL {
  const b = childElements(el, 'BaseURL')[0]
  if (!b) return parent
  try {
    return new URL((b.textContent ?? '').trim(), parent)
  } catch {
    return parent
  }
}

/** The segment addressing in force for a Representation: the lowest level's element, inheriting attributes from above (§5.3.9.1). */
function segmentInfo(levels: Element[]): SegInfo | null {
  for (const [name, kind] of [
    ['SegmentTemplate', 'template'],
    ['SegmentList', 'list'],
    ['SegmentBase', 'base'],
  ] as const) {
    const found = levels.map((l) => childElements(l, name)[0]).filter((e): e is Element => !!e)
    if (!found.length) continue
    const attrs = new Map<string, string>()
    let timeline: Element | null = null
    for (const e of found) {
      for (let i = 0; i < e.attributes.length; i++) attrs.set(e.attributes[i]!.name, e.attributes[i]!.value)
      timeline = childElements(e, 'SegmentTimeline')[0] ?? timeline
    }
    const ts = Number(attrs.get('timescale') ?? 1)
    return { el: found.at(-1)!, kind, timescale: ts, attrs, timeline }
  }
  return null
}

/** Segment starts and durations in seconds from a SegmentTemplate (timeline or @duration); null for SegmentBase/List. */
function segmentTimes(
  seg: SegInfo,
  periodDuration: number | undefined,
  at: At,
  f: Findings,
  maxSegmentDuration: number | undefined,
): Array<{ start: number; duration: number }> | null {
  const ts = seg.attrs.get('timescale')
  if (ts !== undefined && !(/^\d+$/.test(ts) && Number(ts) > 0)) {
    f.error('DASH_BAD_ATTRIBUTE_VALUE', at(seg.el, 'timescale'), `@timescale="${ts}" is not a positive integer (ISO/IEC 23009-1 §5.3.9.2)`)
    return null
  }
  if (seg.kind !== 'template') return null
  const media = seg.attrs.get('media')
  for (const name of ['media', 'initialization'] as const) {
    const v = seg.attrs.get(name)
    const problem = v === undefined ? undefined : templateProblem(v)
    if (problem) f.error('DASH_TEMPLATE_INVALID', at(seg.el, name), `@${name}: ${problem} (ISO/IEC 23009-1 §5.3.9.4.4)`)
  }
  if (media === undefined) f.error('DASH_MISSING_ATTRIBUTE', at(seg.el), '<SegmentTemplate> has no @media (ISO/IEC 23009-1 §5.3.9.4.2)')
  if (media?.includes('$Time') && !seg.timeline)
    f.error('DASH_TEMPLATE_INVALID', at(seg.el, 'media'), '@media uses $Time$ but there is no SegmentTimeline to give the times (ISO/IEC 23009-1 §5.3.9.4.4)')
  const timescale = seg.timescale
  const pto = Number(seg.attrs.get('presentationTimeOffset') ?? 0)
  let times: Array<{ start: number; duration: number }>
  if (seg.timeline) {
    const sEls = childElements(seg.timeline, 'S')
    const num = (e: Element, n: string) => (e.hasAttribute(n) && /^-?\d+$/.test(e.getAttribute(n)!) ? Number(e.getAttribute(n)) : undefined)
    const entries = sEls.map((e) => ({
      ...(num(e, 't') !== undefined ? { t: num(e, 't')! } : {}),
      ...(num(e, 'd') !== undefined ? { d: num(e, 'd')! } : {}),
      ...(num(e, 'r') !== undefined ? { r: num(e, 'r')! } : {}),
    }))
    const end = periodDuration !== undefined ? pto + Math.round(periodDuration * timescale) : null
    const { segments, problems } = expandTimeline(entries, end, entries[0]?.t ?? 0)
    for (const p of problems) f.error(p.code, at(sEls[p.entry]!), `${p.message} (ISO/IEC 23009-1 §5.3.9.6)`)
    times = segments.map((s) => ({ start: (s.t - pto) / timescale, duration: s.d / timescale }))
    if (maxSegmentDuration !== undefined) {
      const long = segments.find((s) => s.d / timescale > maxSegmentDuration + 1e-9)
      if (long)
        f.error(
          'DASH_MAX_SEGMENT_DURATION_EXCEEDED',
          at(sEls[long.entry]!),
          `a segment lasts ${(long.d / timescale).toFixed(3)} s, above MPD@maxSegmentDuration ${maxSegmentDuration} s (ISO/IEC 23009-1 §5.3.1.2)`,
        )
    }
  } else {
    const d = seg.attrs.get('duration')
    if (d === undefined || !/^\d+$/.test(d) || Number(d) <= 0) {
      if (media?.includes('$Number'))
        f.error(
          'DASH_TEMPLATE_INVALID',
          at(seg.el),
          'a $Number$ template needs @duration (positive integer ticks) or a SegmentTimeline (ISO/IEC 23009-1 §5.3.9.4.2)',
        )
      return null
    }
    if (periodDuration === undefined) return null
    const segDur = Number(d) / timescale
    if (maxSegmentDuration !== undefined && segDur > maxSegmentDuration + 1e-9)
      f.error(
        'DASH_MAX_SEGMENT_DURATION_EXCEEDED',
        at(seg.el, 'duration'),
        `@duration is ${segDur.toFixed(3)} s, above MPD@maxSegmentDuration ${maxSegmentDuration} s (ISO/IEC 23009-1 §5.3.1.2)`,
      )
    const count = Math.ceil(periodDuration / segDur - 1e-9)
    times = Array.from({ length: count }, (_, i) => ({ start: i * segDur, duration: Math.min(segDur, periodDuration - i * segDur) }))
  }
  return times
}

/** Representations of one AdaptationSet switch at the same instants (§5.3.3.2 @segmentAlignment; DASH-IF IOP §3.2.2). */
function checkAlignment(as: Element, reps: RepInfo[], tolerance: number, f: Findings, at: At): void {
  const timed = reps.filter((r) => r.times?.length)
  const declared = attrOf(as, 'segmentAlignment') === 'true' || /^\d+$/.test(attrOf(as, 'segmentAlignment') ?? '')
  const ref = timed[0]
  if (!ref) return
  let aligned = true
  for (const r of timed.slice(1)) {
    const a = ref.times!
    const b = r.times!
    const i = b.findIndex((s, k) => !a[k] || Math.abs(s.start - a[k]!.start) > tolerance)
    if (i < 0 && a.length === b.length) continue
    aligned = false
    const what =
      i < 0
        ? `has ${b.length} segments, "${ref.id}" has ${a.length}`
        : `segment ${i + 1} starts at ${b[i]!.start.toFixed(3)} s, in "${ref.id}" at ${a[i]?.start.toFixed(3) ?? '(none)'} s`
    const msg = `Representation "${r.id}" ${what}: segments are not aligned across the AdaptationSet`
    if (declared) f.error('DASH_SEGMENTS_MISALIGNED', at(r.el), `${msg}, yet @segmentAlignment is true (ISO/IEC 23009-1 §5.3.3.2)`)
    else f.warning('DASH_SEGMENTS_MISALIGNED', at(r.el), `${msg}; players switch cleanly only at aligned boundaries (DASH-IF IOP §3.2.2)`)
  }
  if (aligned && timed.length > 1 && !declared)
    f.info(
      'DASH_SEGMENT_ALIGNMENT_UNDECLARED',
      at(as),
      'the Representations are segment-aligned: say so with @segmentAlignment="true" (DASH-IF IOP §3.2.2; ISO/IEC 23009-1 §5.3.3.2)',
    )
}

function checkBaseUrls(mpd: Element, f: Findings, at: At, url: URL): void {
  const all = descendants(mpd, 'BaseURL')
  const seen = new Map<Node, Set<string>>()
  for (const b of all) {
    const text = (b.textContent ?? '').trim()
    let ok = text.length > 0 && !/\s/.test(text)
    try {
      new URL(text, url)
    } catch {
      ok = false
    }
    if (!ok) f.error('DASH_BASEURL_MALFORMED', at(b), `<BaseURL> "${text}" is not a URI reference (RFC 3986; ISO/IEC 23009-1 §5.6)`)
    const loc = attrOf(b, 'serviceLocation')
    if (loc === undefined) continue
    const siblings = seen.get(b.parentNode!) ?? new Set<string>()
    if (siblings.has(loc))
      f.warning(
        'DASH_SERVICE_LOCATION_DUPLICATE',
        at(b, 'serviceLocation'),
        `@serviceLocation "${loc}" is used by another BaseURL at this level; steering cannot tell them apart (ISO/IEC 23009-1 §5.6; DASH-IF Content Steering)`,
      )
    siblings.add(loc)
    seen.set(b.parentNode!, siblings)
  }
}

function checkSteering(mpd: Element, f: Findings, at: At): void {
  const els = childElements(mpd, 'ContentSteering')
  if (els.length > 1)
    f.error(
      'DASH_STEERING_MALFORMED',
      at(els[1]!),
      'more than one <ContentSteering> element; at most one is allowed (DASH-IF Content Steering; ISO/IEC 23009-1 §5.3.1.2)',
    )
  const el = els[0]
  if (!el) return
  const text = (el.textContent ?? '').trim()
  let ok = false
  try {
    ok = /^https?:$/.test(new URL(text).protocol)
  } catch {
    ok = false
  }
  if (!ok)
    f.error('DASH_STEERING_MALFORMED', at(el), `<ContentSteering> "${text}" is not an absolute http(s) URL of a steering server (DASH-IF Content Steering)`)
  const qbs = attrOf(el, 'queryBeforeStart')
  if (qbs !== undefined && qbs !== 'true' && qbs !== 'false')
    f.error('DASH_STEERING_MALFORMED', at(el, 'queryBeforeStart'), `@queryBeforeStart="${qbs}" is not a boolean (DASH-IF Content Steering)`)
  const locations = new Set(
    descendants(mpd, 'BaseURL')
      .map((b) => attrOf(b, 'serviceLocation'))
      .filter((x): x is string => !!x),
  )
  if (!locations.size)
    f.warning(
      'DASH_STEERING_UNKNOWN_LOCATION',
      at(el),
      'ContentSteering is present but no BaseURL has a @serviceLocation to steer between (DASH-IF Content Steering)',
    )
  for (const loc of (attrOf(el, 'defaultServiceLocation') ?? '').split(/\s+/).filter(Boolean)) {
    if (locations.size && !locations.has(loc))
      f.warning(
        'DASH_STEERING_UNKNOWN_LOCATION',
        at(el, 'defaultServiceLocation'),
        `@defaultServiceLocation "${loc}" names no BaseURL@serviceLocation (${[...locations].join(', ')}) (DASH-IF Content Steering)`,
      )
  }
}

/** --deep on one Representation: init codecs, segment sizes vs @bandwidth (the minBufferTime bucket), SAP/IDR starts. */
async function deepRep(r: RepInfo, minBufferTime: number, f: Findings, at: At, maxInputBytes: number): Promise<void> {
  const seg = r.seg
  if (!seg || seg.kind === 'list') return
  let sizes: Array<{ bytes: number; duration: number }> | null = null
  if (seg.kind === 'base') {
    const range = /^(\d+)-(\d+)$/.exec(seg.attrs.get('indexRange') ?? '')
    if (!range) return
    try {
      const refs = parseSidx(await fetchBytes(r.baseUrl, { offset: Number(range[1]), length: Number(range[2]) - Number(range[1]) + 1 }, maxInputBytes))
      if (typeof refs === 'string') f.error('DASH_SEGMENT_UNREADABLE', at(seg.el, 'indexRange'), `${refs} (ISO/IEC 23009-1 §5.3.9.2)`)
      else sizes = refs
    } catch (err) {
      f.error('DASH_SEGMENT_UNREADABLE', at(seg.el), `${(err as Error).message} (ISO/IEC 23009-1 §5.3.9.2)`)
    }
  } else {
    if (!r.times || seg.attrs.get('media') === undefined) return
    const startNumber = Number(seg.attrs.get('startNumber') ?? 1)
    const pto = Number(seg.attrs.get('presentationTimeOffset') ?? 0)
    const vars = { RepresentationID: r.id, ...(r.bandwidth !== undefined ? { Bandwidth: r.bandwidth } : {}) }
    const init = seg.attrs.get('initialization')
    const scan = await scanMedia(
      init ? { url: new URL(fillTemplate(init, vars), r.baseUrl) } : null,
      r.times.map((t, i) => ({
        url: new URL(fillTemplate(seg.attrs.get('media')!, { ...vars, Number: startNumber + i, Time: Math.round(t.start * seg.timescale) + pto }), r.baseUrl),
      })),
      maxInputBytes,
    )
    if (scan.tracks && !Array.isArray(scan.tracks))
      f.error(
        'DASH_INIT_UNREADABLE',
        at(seg.el, 'initialization'),
        `the initialization segment is not readable ISO BMFF: ${scan.tracks.error} (ISO/IEC 23009-1 §5.3.9.4)`,
      )
    const bad = scan.segments.findIndex((s) => s.bytes === null)
    if (bad >= 0) f.error('DASH_SEGMENT_UNREADABLE', at(seg.el, 'media'), `segment ${bad + 1}: ${scan.segments[bad]!.error} (ISO/IEC 23009-1 §5.3.9.4)`)
    else sizes = scan.segments.map((s, i) => ({ bytes: s.bytes!, duration: r.times![i]!.duration }))
    if (Array.isArray(scan.tracks) && r.codecs) {
      for (const a of scan.tracks.map((t) => t.codecs)) {
        if (!r.codecs.some((d) => codecCovers(d, a)))
          f.error(
            'DASH_CODECS_MISMATCH',
            at(r.el),
            `the initialization segment holds ${a} but @codecs="${r.codecs.join(',')}" does not describe it (RFC 6381; ISO/IEC 23009-1 §5.3.7.2)`,
          )
      }
    }
    const starts = scan.segments.map((s) => startsIndependent(s.start))
    const nonSap = starts.indexOf(false)
    if (nonSap >= 0) {
      const sap = attrOf(r.el, 'startWithSAP') ?? attrOf(r.as, 'startWithSAP')
      const msg = `segment ${nonSap + 1} does not start with a SAP (IDR)${starts.filter((x) => x === false).length > 1 ? ` (${starts.filter((x) => x === false).length} segments do not)` : ''}`
      if (sap !== undefined && Number(sap) >= 1 && Number(sap) <= 3)
        f.error('DASH_SEGMENT_NOT_SAP', at(r.el), `${msg}, yet @startWithSAP="${sap}" (ISO/IEC 23009-1 §5.3.7.2, §4.5.2)`)
      else
        f.warning(
          'DASH_SEGMENT_NOT_SAP',
          at(r.el),
          `${msg}: the live profile needs every segment to start with SAP type 1 or 2 (DASH-IF IOP §3.2.2; ISO/IEC 23009-1 §8.4.3)`,
        )
    }
  }
  if (sizes && r.bandwidth !== undefined) {
    const v = bandwidthBucketViolation(sizes, r.bandwidth, minBufferTime)
    if (v) {
      const need = Math.ceil(
        sizes.slice(v.from, v.to + 1).reduce((a, s) => a + s.bytes * 8, 0) /
          (minBufferTime + sizes.slice(v.from, v.to + 1).reduce((a, s) => a + s.duration, 0)),
      )
      f.error(
        'DASH_BANDWIDTH_TOO_LOW',
        at(r.el, 'bandwidth'),
        `@bandwidth ${r.bandwidth} with minBufferTime ${minBufferTime} s cannot deliver segments ${v.from + 1}–${v.to + 1} in time (they need about ${need} bit/s): delivered at @bandwidth, a client would stall (ISO/IEC 23009-1 §5.3.5.2)`,
      )
    }
  }
}
