import type { AudioRendition, Rendition, TextRendition, Title, VideoRendition } from '../../lib/title-package.js'

/**
 * HLS playlists for a title package (RFC 8216; CMAF/fMP4 needs EXT-X-MAP,
 * version 6+; we declare 7 as DESIGN.md asks). Pure: Title in, text out.
 */
export const HLS_VERSION = 7
export const AUDIO_GROUP = 'aud'
export const SUBTITLES_GROUP = 'subs'

/** RFC 8216 §4.3.3.1: EXTINF, rounded to the nearest integer, must not exceed the target duration. */
export const targetDurationOf = (segments: readonly { duration: number }[]): number => Math.max(1, ...segments.map((s) => Math.round(s.duration)))
export const targetDuration = (r: Rendition): number => targetDurationOf(r.segments)

export function mediaPlaylist(r: Rendition, dir: string): string {
  const rel = (uri: string) => (uri.startsWith(`${dir}/`) ? uri.slice(dir.length + 1) : uri)
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${HLS_VERSION}`,
    `#EXT-X-TARGETDURATION:${targetDuration(r)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI="${rel(r.init.path)}"`,
  ]
  for (const s of r.segments) lines.push(`#EXTINF:${s.duration.toFixed(6)},`, rel(s.uri))
  lines.push('#EXT-X-ENDLIST', '')
  return lines.join('\n')
}

/**
 * A subtitle rendition's media playlist: its WebVTT segments, no EXT-X-MAP
 * (WebVTT segments are self-contained text, RFC 8216 §3.5).
 */
export function textPlaylist(r: TextRendition, dir: string): string {
  const rel = (uri: string) => (uri.startsWith(`${dir}/`) ? uri.slice(dir.length + 1) : uri)
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${HLS_VERSION}`,
    `#EXT-X-TARGETDURATION:${targetDurationOf(r.segments)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
  ]
  for (const s of r.segments) lines.push(`#EXTINF:${s.duration.toFixed(6)},`, rel(s.uri))
  lines.push('#EXT-X-ENDLIST', '')
  return lines.join('\n')
}

/** Video renditions grouped by codec (in first-appearance order), each group in bandwidth order. */
export function byCodec(video: readonly VideoRendition[]): VideoRendition[][] {
  const sets = new Map<string, VideoRendition[]>()
  for (const v of video) sets.set(v.codec, [...(sets.get(v.codec) ?? []), v])
  return [...sets.values()].map((s) => s.sort((a, b) => a.bandwidth - b.bandwidth))
}

const quoted = (s: string) => `"${s.replace(/"/g, "'")}"`

/** Name shown by players for an audio rendition: its own (version 3), else its language (older packages). */
export const audioName = (a: AudioRendition): string => a.name ?? (a.language === 'und' ? 'Audio' : a.language)

/**
 * The multivariant playlist. Subtitles are a SUBTITLES group every variant
 * names; CODECS does not list them: RFC 8216 §4.3.4.2 CODECS lists sample
 * formats of the ISO BMFF name space (RFC 6381), and `wvtt` is WebVTT carried
 * in ISO BMFF (ISO/IEC 14496-30), which our plain-text WebVTT segments are
 * not. Apple's own examples (WWDC 2017, "Advances in HLS") list `stpp` for
 * IMSC1 in fMP4 but nothing for a segmented WebVTT group.
 */
export function multivariantPlaylist(title: Pick<Title, 'video' | 'audio' | 'text'>): string {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, '#EXT-X-INDEPENDENT-SEGMENTS']
  title.audio.forEach((a, i) => {
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=${quoted(AUDIO_GROUP)},NAME=${quoted(audioName(a))},LANGUAGE=${quoted(a.language)},` +
        `DEFAULT=${i === 0 ? 'YES' : 'NO'},AUTOSELECT=YES,CHANNELS=${quoted(String(a.channels))},URI=${quoted(a.playlist)}`,
    )
  })
  for (const x of title.text ?? []) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=${quoted(SUBTITLES_GROUP)},NAME=${quoted(x.name)},LANGUAGE=${quoted(x.language)},` +
        `DEFAULT=NO,AUTOSELECT=YES${x.forced ? ',FORCED=YES' : ''},URI=${quoted(x.playlist)}`,
    )
  }
  const subtitles = (title.text ?? []).length > 0
  // A variant's BANDWIDTH covers everything played with it: the video plus its
  // most demanding audio and subtitle renditions (RFC 8216 §4.3.4.2: the
  // largest sum of peak segment bit rates of any playable combination).
  const otherPeak = Math.max(0, ...title.audio.map((a) => a.bandwidth)) + Math.max(0, ...(title.text ?? []).map((x) => x.bandwidth))
  const otherAvg = Math.max(0, ...title.audio.map((a) => a.averageBandwidth)) + Math.max(0, ...(title.text ?? []).map((x) => x.averageBandwidth))
  const audioCodecs = title.audio[0]?.codecs
  // one variant set per codec, each in bandwidth order: clients pick the set by CODECS
  for (const set of byCodec(title.video)) for (const v of set) lines.push(streamInf(v, otherPeak, otherAvg, audioCodecs, subtitles), v.playlist)
  lines.push('')
  return lines.join('\n')
}

function streamInf(v: VideoRendition, otherPeak: number, otherAvg: number, audioCodecs: string | undefined, subtitles: boolean): string {
  const attrs = [
    `BANDWIDTH=${v.bandwidth + otherPeak}`,
    `AVERAGE-BANDWIDTH=${v.averageBandwidth + otherAvg}`,
    `CODECS=${quoted(audioCodecs ? `${v.codecs},${audioCodecs}` : v.codecs)}`,
    `RESOLUTION=${v.width}x${v.height}`,
    `FRAME-RATE=${v.frameRate.toFixed(3)}`,
  ]
  if (audioCodecs) attrs.push(`AUDIO=${quoted(AUDIO_GROUP)}`)
  if (subtitles) attrs.push(`SUBTITLES=${quoted(SUBTITLES_GROUP)}`)
  return `#EXT-X-STREAM-INF:${attrs.join(',')}`
}
