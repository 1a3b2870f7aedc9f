import { codecCovers, isAudioCodec, isVideoCodec } from '../../lib/media/codec-strings.js'
import { displayName, fetchText } from '../index.js'
import type { Findings } from './findings.js'
import { checkMediaPlaylist, type MediaPlaylist } from './hls-media.js'
import { checkMultivariant, type Multivariant, type Variant } from './hls-multivariant.js'
import { readPlaylist } from './hls-playlist.js'
import { checkRenditions } from './hls-renditions.js'
import { checkSubtitlePlaylist, deepSubtitles, looksLikeSubtitles } from './hls-subtitles.js'
import { checkLadder, type DeclaredRung, type LadderOptions } from './ladder-checks.js'
import { averageBitrate, peakSegmentBitrate } from './measure.js'
import { type MediaScan, scanMedia, startsIndependent } from './read-media.js'

export interface HlsLintOptions {
  deep: boolean
  ladder: LadderOptions
  source: { width: number; height: number } | null
  /** measured vs declared bitrate tolerance (Apple HLS authoring spec: within 10% for VOD) */
  tolerance: number
  /** seconds two variants' segment boundaries may differ and still count as aligned */
  alignment: number
  /** largest playlist or segment read, bytes */
  maxInputBytes: number
}

interface Loaded {
  url: URL
  media: MediaPlaylist
  independentInMaster: boolean
  scan?: MediaScan
}

/** Lint an HLS playlist (multivariant or media) and, from a multivariant one, every playlist it names. */
export async function lintHls(url: URL, text: string, opts: HlsLintOptions, f: Findings): Promise<void> {
  const name = displayName(url)
  const p = readPlaylist(text, name, f)
  if (!p) return
  if (p.kind === 'media') {
    const media = checkMediaPlaylist(p, f)
    if (!opts.deep) return
    if (looksLikeSubtitles(media)) await deepSubtitles(url, media, f, opts)
    else await deepMedia({ url, media, independentInMaster: false }, f, opts.maxInputBytes)
    return
  }
  const mv = checkMultivariant(p, f)
  checkRenditions(p, mv, f)
  const subtitles = new Set(mv.renditions.filter((r) => r.type === 'SUBTITLES' && r.uri !== undefined).map((r) => r.uri!))
  const independentInMaster = p.items.some((t) => t.name === 'EXT-X-INDEPENDENT-SEGMENTS')
  const loaded = new Map<string, Loaded | null>()
  const refs = [
    ...mv.variants.map((v) => ({ uri: v.uri, line: v.line })),
    ...mv.renditions.filter((r) => r.uri !== undefined).map((r) => ({ uri: r.uri!, line: r.line })),
  ]
  for (const ref of refs) {
    if (loaded.has(ref.uri)) continue
    const mediaUrl = new URL(ref.uri, url)
    let mediaText: string
    try {
      mediaText = await fetchText(mediaUrl, opts.maxInputBytes)
    } catch (err) {
      f.error('HLS_PLAYLIST_UNREADABLE', { file: name, line: ref.line }, `${(err as Error).message} (RFC 8216 §4.3.4)`)
      loaded.set(ref.uri, null)
      continue
    }
    const mp = readPlaylist(mediaText, displayName(mediaUrl), f, 'media')
    const media = mp ? checkMediaPlaylist(mp, f) : null
    if (media && subtitles.has(ref.uri)) checkSubtitlePlaylist(media, f)
    loaded.set(ref.uri, media ? { url: mediaUrl, media, independentInMaster } : null)
  }
  for (const v of mv.variants.filter((x) => x.iframe)) {
    const l = loaded.get(v.uri)
    if (l && !l.media.iframesOnly)
      f.error(
        'HLS_IFRAME_PLAYLIST_INVALID',
        { file: name, line: v.line },
        `${v.uri} is named by EXT-X-I-FRAME-STREAM-INF but has no EXT-X-I-FRAMES-ONLY (RFC 8216 §4.3.4.3)`,
      )
  }
  const videoVariants = mv.variants.filter((v) => !v.iframe && !(v.codecs?.length && v.codecs.every(isAudioCodec)))
  checkAlignment(videoVariants, loaded, name, opts.alignment, f)
  // A variant without CODECS joins the ladder of the first video codec named, not a ladder of its own.
  const mainVideoCodec =
    videoVariants
      .flatMap((v) => v.codecs ?? [])
      .find(isVideoCodec)
      ?.split('.')[0] ?? ''
  checkLadder(
    videoVariants
      .filter((v) => v.bandwidth !== undefined)
      .map(
        (v): DeclaredRung => ({
          label: v.uri,
          where: { file: name, line: v.line },
          bandwidth: v.bandwidth!,
          ...(v.width !== undefined ? { width: v.width, height: v.height! } : {}),
          ...(v.frameRate !== undefined ? { frameRate: v.frameRate } : {}),
          group: `${v.codecs?.find(isVideoCodec)?.split('.')[0] ?? mainVideoCodec}|${v.pathway}`,
        }),
      ),
    opts.source,
    f,
    opts.ladder,
  )
  if (!opts.deep) return
  for (const [uri, l] of loaded) {
    if (!l || l.media.iframesOnly) continue
    if (subtitles.has(uri) || looksLikeSubtitles(l.media)) await deepSubtitles(l.url, l.media, f, opts)
    else await deepMedia(l, f, opts.maxInputBytes)
  }
  for (const v of mv.variants.filter((x) => !x.iframe)) deepVariant(v, mv, loaded, name, opts.tolerance, f)
}

/** Variants must switch at the same instants: same segment count and boundaries (Apple HLS authoring spec §6; RFC 8216 §6.2.4). */
function checkAlignment(variants: Variant[], loaded: Map<string, Loaded | null>, file: string, tolerance: number, f: Findings): void {
  const vod = variants
    .map((v) => ({ v, l: loaded.get(v.uri) }))
    .filter((x): x is { v: Variant; l: Loaded } => !!x.l && x.l.media.endlist && x.l.media.segments.length > 0)
  const ref = vod[0]
  if (!ref) return
  for (const { v, l } of vod.slice(1)) {
    const a = ref.l.media.segments
    const b = l.media.segments
    if (a.length !== b.length) {
      f.warning(
        'HLS_VARIANT_SEGMENT_COUNT_MISMATCH',
        { file, line: v.line },
        `${v.uri} has ${b.length} segments, ${ref.v.uri} has ${a.length}: variants must be segment-aligned to switch cleanly (Apple HLS authoring spec §6; RFC 8216 §6.2.4)`,
      )
    }
    let ta = 0
    let tb = 0
    for (let i = 0; i < Math.min(a.length, b.length) - 1; i++) {
      ta += a[i]!.duration
      tb += b[i]!.duration
      if (Math.abs(ta - tb) > tolerance) {
        f.warning(
          'HLS_VARIANT_SEGMENTS_MISALIGNED',
          { file: l.media.file, line: b[i]!.line },
          `segment ${i + 1} ends at ${tb.toFixed(3)} s but segment ${i + 1} of ${ref.v.uri} ends at ${ta.toFixed(3)} s: switch points (keyframes) are not aligned across variants (Apple HLS authoring spec §6; RFC 8216 §6.2.4)`,
        )
        break
      }
    }
  }
}

/** --deep on one media playlist: read its init and segments, check that segments start with IDR frames. */
async function deepMedia(l: Loaded, f: Findings, maxInputBytes: number): Promise<void> {
  const m = l.media
  const file = m.file
  l.scan = await scanMedia(
    m.map ? { url: new URL(m.map.uri, l.url), ...(m.map.byterange ? { byterange: m.map.byterange } : {}) } : null,
    m.segments.map((s) => ({ url: new URL(s.uri, l.url), ...(s.byterange ? { byterange: s.byterange } : {}) })),
    maxInputBytes,
  )
  const scan = l.scan
  if (scan.tracks && !Array.isArray(scan.tracks))
    f.error(
      'HLS_INIT_UNREADABLE',
      { file, line: m.map!.line },
      `the EXT-X-MAP init segment is not a readable ISO BMFF init segment: ${scan.tracks.error} (RFC 8216 §3.3)`,
    )
  scan.segments.forEach((s, i) => {
    if (s.bytes === null) f.error('HLS_SEGMENT_UNREADABLE', { file, line: m.segments[i]!.line }, `${s.error} (RFC 8216 §3)`)
  })
  if (scan.segments.some((s) => s.start?.kind === 'ts')) {
    f.info(
      'HLS_DEEP_TS_SEGMENTS',
      { file, line: m.segments[0]!.line },
      'MPEG-TS segments: sizes measured, codecs and IDR starts not read (only fMP4 is parsed) (RFC 8216 §3.2)',
    )
  }
  const video = Array.isArray(scan.tracks) && scan.tracks.some((t) => t.handler === 'vide')
  if (!video) return
  const starts = scan.segments.map((s) => startsIndependent(s.start))
  const bad = starts.indexOf(false)
  const declared = m.independent !== null || l.independentInMaster
  if (bad >= 0) {
    const n = starts.filter((x) => x === false).length
    const where = { file, line: m.segments[bad]!.line }
    const what = `segment ${bad + 1} (${m.segments[bad]!.uri}) does not start with an IDR frame${n > 1 ? ` (${n} segments do not)` : ''}`
    if (declared) f.error('HLS_SEGMENT_NOT_INDEPENDENT', where, `${what}, yet EXT-X-INDEPENDENT-SEGMENTS says every segment does (RFC 8216 §4.3.5.1)`)
    else
      f.warning('HLS_SEGMENT_NOT_IDR', where, `${what}: players cannot start or switch there (Apple HLS authoring spec §1, video segments start with an IDR)`)
  } else if (!declared && starts.length && starts.every((x) => x === true)) {
    f.info(
      'HLS_INDEPENDENT_SEGMENTS_MISSING',
      { file, line: 1 },
      'every segment starts with an IDR frame: add EXT-X-INDEPENDENT-SEGMENTS so players know (RFC 8216 §4.3.5.1; Apple HLS authoring spec §9)',
    )
  }
}

const measured = (l: Loaded | null | undefined): { peak: number; avg: number } | null => {
  if (!l?.scan || l.scan.segments.some((s) => s.bytes === null) || !l.media.segments.length) return null
  const segs = l.media.segments.map((s, i) => ({ bytes: l.scan!.segments[i]!.bytes!, duration: s.duration }))
  return { peak: peakSegmentBitrate(segs, l.media.targetDuration ?? Math.max(...segs.map((s) => s.duration))), avg: averageBitrate(segs) }
}

const initCodecs = (l: Loaded | null | undefined): string[] => (l?.scan && Array.isArray(l.scan.tracks) ? l.scan.tracks.map((t) => t.codecs) : [])

/** --deep on one variant: BANDWIDTH/AVERAGE-BANDWIDTH vs measured, CODECS vs init segments. */
function deepVariant(v: Variant, mv: Multivariant, loaded: Map<string, Loaded | null>, file: string, tolerance: number, f: Findings): void {
  const where = { file, line: v.line }
  const own = loaded.get(v.uri)
  const groupLoads = mv.renditions.filter((r) => r.type === 'AUDIO' && r.group === v.audio && r.uri !== undefined).map((r) => loaded.get(r.uri!))
  const m = measured(own)
  const audio = groupLoads.map(measured)
  if (m && audio.every((a) => a !== null)) {
    // RFC 8216 §4.3.4.2: the largest sum over playable combinations: the variant plus its most demanding audio rendition.
    const peak = Math.round(m.peak + Math.max(0, ...audio.map((a) => a!.peak)))
    const avg = Math.round(m.avg + Math.max(0, ...audio.map((a) => a!.avg)))
    if (v.bandwidth !== undefined) {
      const ratio = peak / v.bandwidth
      const text = `measured peak ${peak} bit/s vs BANDWIDTH ${v.bandwidth} (${(ratio * 100).toFixed(0)}%)`
      if (ratio > 1 + tolerance)
        f.error(
          'HLS_BANDWIDTH_BELOW_PEAK',
          where,
          `${text}: BANDWIDTH must cover the peak segment bit rate (RFC 8216 §4.3.4.2; Apple HLS authoring spec: within 10%)`,
        )
      else if (ratio > 1.0005) f.warning('HLS_BANDWIDTH_BELOW_PEAK', where, `${text}: BANDWIDTH must be at least the peak segment bit rate (RFC 8216 §4.3.4.2)`)
      else if (ratio < 1 / (1 + tolerance))
        f.warning(
          'HLS_BANDWIDTH_OVERSTATED',
          where,
          `${text}: more than 10% above the peak; players will pick lower variants than the network allows (Apple HLS authoring spec: peak within 10% of BANDWIDTH)`,
        )
    }
    if (v.averageBandwidth !== undefined) {
      const ratio = avg / v.averageBandwidth
      if (Math.abs(ratio - 1) > tolerance) {
        f.warning(
          'HLS_AVERAGE_BANDWIDTH_MISMATCH',
          where,
          `measured average ${avg} bit/s vs AVERAGE-BANDWIDTH ${v.averageBandwidth} (${(ratio * 100).toFixed(0)}%): not within 10% (Apple HLS authoring spec; RFC 8216 §4.3.4.2)`,
        )
      }
    }
    if (own?.media.endlist && m.avg > 0 && m.peak > 2 * m.avg) {
      f.info(
        'HLS_PEAK_ABOVE_TWICE_AVERAGE',
        where,
        `peak ${Math.round(m.peak)} bit/s is ${(m.peak / m.avg).toFixed(2)}× the average: VOD peaks should stay within 200% of the average (Apple HLS authoring spec)`,
      )
    }
  }
  if (v.codecs === null) return
  const actual = [...initCodecs(own), ...groupLoads.flatMap(initCodecs)]
  if (!actual.length) return
  for (const a of new Set(actual)) {
    if (!v.codecs.some((d) => codecCovers(d, a))) {
      f.error(
        'HLS_CODECS_MISMATCH',
        where,
        `the init segments hold ${a} but CODECS="${v.codecs.join(',')}" does not list it (or lists a lower profile/level) (RFC 8216 §4.3.4.2; RFC 6381)`,
      )
    }
  }
  for (const d of v.codecs) {
    if (!actual.some((a) => a.split('.')[0] === d.split('.')[0]))
      f.warning('HLS_CODECS_EXTRA', where, `CODECS lists ${d} but no init segment of this variant or its renditions holds it (RFC 8216 §4.3.4.2)`)
  }
}
