import type { AudioRendition, Rendition, Title, VideoRendition } from '../../lib/title-package.js'

/**
 * HLS playlists for a title package (RFC 8216; CMAF/fMP4 needs EXT-X-MAP,
 * version 6+; we declare 7 as DESIGN.md asks). Pure: Title in, text out.
 */
export const HLS_VERSION = 7
export const AUDIO_GROUP = 'aud'

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

/** Video renditions grouped by codec (in first-appearance order), each group in bandwidth order. */
export function byCodec(video: readonly VideoRendition[]): VideoRendition[][] {
  const sets = new Map<string, VideoRendition[]>()
  for (const v of video) sets.set(v.codec, [...(sets.get(v.codec) ?? []), v])
  return [...sets.values()].map((s) => s.sort((a, b) => a.bandwidth - b.bandwidth))
}

const quoted = (s: string) => `"${s.replace(/"/g, "'")}"`

/** Name shown by players for an audio rendition. */
const audioName = (a: AudioRendition): string => (a.language === 'und' ? 'Audio' : a.language)

export function multivariantPlaylist(title: Pick<Title, 'video' | 'audio'>): string {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, '#EXT-X-INDEPENDENT-SEGMENTS']
  title.audio.forEach((a, i) => {
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=${quoted(AUDIO_GROUP)},NAME=${quoted(audioName(a))},LANGUAGE=${quoted(a.language)},` +
        `DEFAULT=${i === 0 ? 'YES' : 'NO'},AUTOSELECT=YES,CHANNELS=${quoted(String(a.channels))},URI=${quoted(a.playlist)}`,
    )
  })
  // A variant's BANDWIDTH covers everything played with it: the video plus its
  // most demanding audio rendition (RFC 8216 §4.3.4.2).
  const audioPeak = Math.max(0, ...title.audio.map((a) => a.bandwidth))
  const audioAvg = Math.max(0, ...title.audio.map((a) => a.averageBandwidth))
  const audioCodecs = title.audio[0]?.codecs
  // one variant set per codec, each in bandwidth order: clients pick the set by CODECS
  for (const set of byCodec(title.video)) for (const v of set) lines.push(streamInf(v, audioPeak, audioAvg, audioCodecs), v.playlist)
  lines.push('')
  return lines.join('\n')
}

function streamInf(v: VideoRendition, audioPeak: number, audioAvg: number, audioCodecs: string | undefined): string {
  const attrs = [
    `BANDWIDTH=${v.bandwidth + audioPeak}`,
    `AVERAGE-BANDWIDTH=${v.averageBandwidth + audioAvg}`,
    `CODECS=${quoted(audioCodecs ? `${v.codecs},${audioCodecs}` : v.codecs)}`,
    `RESOLUTION=${v.width}x${v.height}`,
    `FRAME-RATE=${v.frameRate.toFixed(3)}`,
  ]
  if (audioCodecs) attrs.push(`AUDIO=${quoted(AUDIO_GROUP)}`)
  return `#EXT-X-STREAM-INF:${attrs.join(',')}`
}
