import type { MpdPlaylist } from 'mpd-parser'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { videoCodecFamily } from '../../lib/media/codec-strings.js'
import { parseSidx } from '../../lib/media/sidx.js'
import { manifestCodec, type PlayerChoice } from './device.js'
import { type Ladder, MANIFEST_AUDIO_NOTE, makeLadder, type RungInput } from './ladder.js'
import { displayName, fetchBytes, fetchText, type InputOptions, toUrl } from './read-input.js'

const bad = (name: string, msg: string) => new OclabError(ErrorCodes.BAD_MANIFEST, `${name}: ${msg}`)

/**
 * A ladder from a DASH MPD (path or URL), parsed with mpd-parser. Segment
 * sizes are exact from SegmentList@mediaRange, or from the sidx box a
 * SegmentBase@indexRange points to (fetched as a byte range); otherwise
 * @bandwidth × duration, and the ladder's notes say so.
 */
export async function loadDashLadder(pathOrUrl: string, opts: InputOptions & PlayerChoice = {}): Promise<Ladder> {
  const url = toUrl(pathOrUrl)
  const name = displayName(url)
  const text = await fetchText(url, opts.maxInputBytes)
  if (!/<MPD[\s>]/.test(text)) throw bad(name, 'has no <MPD> element (not a DASH manifest)')
  let playlists: MpdPlaylist[]
  let hasAudio: boolean
  // mpd-parser is loaded when an MPD is read, not with the CLI (start-up time)
  const { parse } = await import('mpd-parser')
  try {
    const mpd = parse(text, { manifestUri: url.href })
    playlists = mpd.playlists
    hasAudio = Object.keys(mpd.mediaGroups?.AUDIO ?? {}).length > 0
  } catch (err) {
    throw bad(name, `not a valid MPD: ${(err as Error).message.split('\n')[0]}`)
  }
  if (!playlists?.length) throw bad(name, 'has no video Representation')
  // A player decodes the AdaptationSets whose @codecs name a codec it has (ISO/IEC 23009-1 §5.3.7.2).
  const families = playlists.map((p) => videoCodecFamily(p.attributes.CODECS) ?? 'unstated (no @codecs)')
  const codec = manifestCodec(families, opts, name)
  if (opts.decodes) playlists = playlists.filter((_, i) => families[i] === codec)
  const estimated: string[] = []
  const rungs: RungInput[] = []
  let durations: number[] | null = null
  for (const [i, p] of playlists.entries()) {
    const id = p.attributes.NAME ?? `rep${i}`
    const bandwidth = p.attributes.BANDWIDTH
    if (typeof bandwidth !== 'number' || !(bandwidth > 0)) throw bad(name, `Representation "${id}" has no valid @bandwidth`)
    let bytes: number[]
    let segDurs: number[]
    if (p.segments.length === 0 && p.sidx) {
      const buf = await fetchBytes(new URL(p.sidx.resolvedUri), p.sidx.byterange, opts.maxInputBytes)
      const refs = parseSidx(buf)
      if (typeof refs === 'string') throw bad(name, `Representation "${id}": ${refs}`)
      bytes = refs.map((r) => r.bytes)
      segDurs = refs.map((r) => r.duration)
    } else {
      if (p.segments.length === 0) throw bad(name, `Representation "${id}" has no segments (no SegmentTemplate, SegmentList or SegmentBase)`)
      segDurs = p.segments.map((s, k) => {
        if (!(s.duration > 0)) throw bad(name, `Representation "${id}" segment ${k + 1} has no valid duration`)
        return s.duration
      })
      const exact = p.segments.every((s) => s.byterange && s.byterange.length > 0)
      if (!exact) estimated.push(id)
      bytes = p.segments.map((s, k) => (exact ? s.byterange!.length : Math.round((bandwidth * segDurs[k]!) / 8)))
    }
    if (durations && durations.length !== segDurs.length) {
      throw bad(name, `Representation "${id}" has ${segDurs.length} segments but "${rungs[0]!.id}" has ${durations.length}; rungs must be segment-aligned`)
    }
    durations ??= segDurs
    rungs.push({
      id,
      bitrate: bandwidth,
      ...(p.attributes.RESOLUTION ? { width: p.attributes.RESOLUTION.width, height: p.attributes.RESOLUTION.height } : {}),
      ...(p.attributes.CODECS ? { codecs: p.attributes.CODECS } : {}),
      bytes,
    })
  }
  const notes = estimated.length
    ? [
        `segment sizes of ${estimated.length === rungs.length ? 'every Representation' : estimated.join(', ')} estimated as @bandwidth × duration: no SegmentBase index or mediaRange`,
      ]
    : []
  if (opts.audio !== false && hasAudio) notes.push(MANIFEST_AUDIO_NOTE)
  return makeLadder({
    name,
    source: 'dash',
    rungs,
    segmentDurations: durations!,
    sizesExact: estimated.length === 0,
    notes,
    ...(codec ? { codec } : {}),
  })
}
