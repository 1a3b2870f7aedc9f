import type { M3u8Manifest } from 'm3u8-parser'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { videoCodecFamily } from '../../lib/media/codec-strings.js'
import { manifestCodec, type PlayerChoice } from './device.js'
import { type Ladder, MANIFEST_AUDIO_NOTE, makeLadder, type RungInput } from './ladder.js'
import { displayName, fetchText, type InputOptions, toUrl } from './read-input.js'

// m3u8-parser is loaded when a playlist is read, not with the CLI (start-up time)
async function parsePlaylist(text: string, name: string): Promise<M3u8Manifest> {
  if (!text.trimStart().startsWith('#EXTM3U')) throw bad(name, 'does not start with #EXTM3U (not an HLS playlist)')
  const { Parser } = await import('m3u8-parser')
  const p = new Parser()
  p.push(text)
  p.end()
  return p.manifest
}

const bad = (name: string, msg: string) => new OclabError(ErrorCodes.BAD_MANIFEST, `${name}: ${msg}`)

/** Audio-only variants (CODECS lists no video codec) are not rungs of the video ladder. */
const isAudioOnly = (codecs: string | undefined): boolean => !!codecs && codecs.split(',').every((c) => /^(mp4a|ac-3|ec-3|opus|flac)/i.test(c.trim()))

/**
 * A ladder from an HLS multivariant playlist (path or URL) and its media
 * playlists. Segment sizes come from EXT-X-BYTERANGE when every segment has
 * one; otherwise from BANDWIDTH × duration, and the ladder's notes say so.
 */
export async function loadHlsLadder(pathOrUrl: string, opts: InputOptions & PlayerChoice = {}): Promise<Ladder> {
  const url = toUrl(pathOrUrl)
  const name = displayName(url)
  const master = await parsePlaylist(await fetchText(url, opts.maxInputBytes), name)
  const videoVariants = (master.playlists ?? []).filter((v) => !isAudioOnly(v.attributes.CODECS))
  if (!master.playlists?.length) {
    throw bad(name, master.segments.length ? 'is a media playlist, not a multivariant playlist (no EXT-X-STREAM-INF)' : 'has no EXT-X-STREAM-INF variants')
  }
  if (videoVariants.length === 0) throw bad(name, 'has only audio variants')
  // A player decodes the variants whose CODECS name a codec it has (RFC 8216 §4.3.4.2: CODECS is what it chooses by).
  const families = videoVariants.map((v) => videoCodecFamily(v.attributes.CODECS) ?? 'unstated (no CODECS)')
  const codec = manifestCodec(families, opts, name)
  const variants = opts.decodes ? videoVariants.filter((_, i) => families[i] === codec) : videoVariants
  const estimated: string[] = []
  let durations: number[] | null = null
  const rungs: RungInput[] = []
  for (const [i, v] of variants.entries()) {
    const bandwidth = v.attributes.BANDWIDTH
    if (typeof bandwidth !== 'number' || !(bandwidth > 0)) throw bad(name, `variant ${i + 1} (${v.uri}) has no valid BANDWIDTH attribute`)
    const mediaUrl = new URL(v.uri, url)
    const mediaName = displayName(mediaUrl)
    const media = await parsePlaylist(await fetchText(mediaUrl, opts.maxInputBytes), mediaName)
    if (media.playlists?.length) throw bad(mediaName, 'is a multivariant playlist where a media playlist was expected')
    if (media.segments.length === 0) throw bad(mediaName, 'lists no segments')
    const segDurs = media.segments.map((s, k) => {
      if (typeof s.duration !== 'number' || !(s.duration > 0)) throw bad(mediaName, `segment ${k + 1} (${s.uri}) has no valid #EXTINF duration`)
      return s.duration
    })
    if (durations && durations.length !== segDurs.length) {
      throw bad(name, `variant ${v.uri} has ${segDurs.length} segments but the first variant has ${durations.length}; rungs must be segment-aligned`)
    }
    durations ??= segDurs
    const exact = media.segments.every((s) => s.byterange && s.byterange.length > 0)
    if (!exact) estimated.push(v.uri)
    const average = Number(v.attributes['AVERAGE-BANDWIDTH'])
    rungs.push({
      id: v.uri.replace(/\/index\.m3u8$|\.m3u8$/i, '') || `v${i}`,
      bitrate: bandwidth,
      ...(average > 0 ? { averageBitrate: average } : {}),
      ...(v.attributes.RESOLUTION ? { width: v.attributes.RESOLUTION.width, height: v.attributes.RESOLUTION.height } : {}),
      ...(v.attributes.CODECS ? { codecs: v.attributes.CODECS } : {}),
      bytes: media.segments.map((s, k) => (exact ? s.byterange!.length : Math.round(((average > 0 ? average : bandwidth) * segDurs[k]!) / 8))),
    })
  }
  const notes = estimated.length
    ? [
        `segment sizes of ${estimated.length === rungs.length ? 'every variant' : estimated.join(', ')} estimated as (AVERAGE-)BANDWIDTH × duration: the playlists have no EXT-X-BYTERANGE`,
      ]
    : []
  if (opts.audio !== false && Object.keys(master.mediaGroups?.AUDIO ?? {}).length) notes.push(MANIFEST_AUDIO_NOTE)
  return makeLadder({
    name,
    source: 'hls',
    rungs,
    segmentDurations: durations!,
    sizesExact: estimated.length === 0,
    notes,
    ...(codec ? { codec } : {}),
  })
}
