import type { AudioRendition, Rendition, TextRendition, Title, VideoRendition } from '../../lib/title-package.js'
import { audioName, byCodec } from './hls.js'
import { DASH_MEDIA_PATTERN } from './segment-names.js'

/**
 * A static DASH MPD (ISO/IEC 23009-1, isoff-live profile; DASH-IF IOP) over
 * the same CMAF segments the HLS playlists use: SegmentTemplate with
 * $Number$ and a SegmentTimeline of the measured segment durations.
 */

/** xs:duration with millisecond precision */
export const isoDuration = (seconds: number): string => `PT${seconds.toFixed(3)}S`

/** DASH @frameRate as an integer or a common NTSC fraction (29.97 → 30000/1001). */
export function frameRateAttr(fps: number): string {
  if (Number.isInteger(fps)) return String(fps)
  const ntsc = Math.round(fps * 1.001)
  if (Math.abs(ntsc / 1.001 - fps) < 1e-3) return `${ntsc * 1000}/1001`
  return String(Number(fps.toFixed(3)))
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')

/** SegmentTimeline runs: <S t d r> with r repeats of equal durations. */
export function segmentTimeline(r: Rendition, timescale: number): string {
  const out: string[] = []
  let prevEnd: number | null = null
  let run: { t: number; d: number; r: number } | null = null
  const flush = () => {
    if (!run) return
    out.push(`<S${run.t !== prevEnd ? ` t="${run.t}"` : ''} d="${run.d}"${run.r ? ` r="${run.r}"` : ''}/>`)
    prevEnd = run.t + run.d * (run.r + 1)
  }
  for (const s of r.segments) {
    const t = Math.round(s.start * timescale)
    const d = Math.round(s.duration * timescale)
    if (run && run.d === d && run.t + run.d * (run.r + 1) === t) run.r++
    else {
      flush()
      run = { t, d, r: 0 }
    }
  }
  flush()
  return out.join('')
}

function template(r: Rendition, dir: string): string {
  const ts = r.timescale ?? 90000
  return (
    `<SegmentTemplate timescale="${ts}" initialization="${esc(r.init.path)}" media="${esc(dir)}/${DASH_MEDIA_PATTERN}" startNumber="1">` +
    `<SegmentTimeline>${segmentTimeline(r, ts)}</SegmentTimeline></SegmentTemplate>`
  )
}

const dirOf = (r: Rendition): string => r.init.path.split('/')[0]!

function videoRep(v: VideoRendition): string {
  return (
    `      <Representation id="${esc(v.id)}" bandwidth="${v.bandwidth}" codecs="${esc(v.codecs)}" width="${v.width}" height="${v.height}" ` +
    `frameRate="${frameRateAttr(v.frameRate)}" sar="1:1">\n        ${template(v, dirOf(v))}\n      </Representation>`
  )
}

function audioSet(a: AudioRendition, id: number): string {
  return [
    `    <AdaptationSet id="${id}" contentType="audio" mimeType="audio/mp4" lang="${esc(a.language)}" segmentAlignment="true" startWithSAP="1">`,
    `      <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${a.channels}"/>`,
    `      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="${id === 1 ? 'main' : 'alternate'}"/>`,
    `      <Label>${esc(audioName(a))}</Label>`,
    `      <Representation id="${esc(a.id)}" bandwidth="${a.bandwidth}" codecs="${esc(a.codecs)}" audioSamplingRate="${a.sampleRate}">`,
    `        ${template(a, dirOf(a))}`,
    '      </Representation>',
    '    </AdaptationSet>',
  ].join('\n')
}

/**
 * A subtitle rendition as DASH-IF IOP's side-loaded WebVTT ("text/vtt", one
 * file per Representation by BaseURL): dash.js reads text/vtt only whole, not
 * as segments, hence the rendition's `full.vtt`.
 */
function textSet(x: TextRendition, id: number): string {
  return [
    `    <AdaptationSet id="${id}" contentType="text" mimeType="text/vtt" lang="${esc(x.language)}">`,
    `      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="${x.forced ? 'forced-subtitle' : 'subtitle'}"/>`,
    `      <Label>${esc(x.name)}</Label>`,
    `      <Representation id="${esc(x.id)}" bandwidth="${x.bandwidth}"><BaseURL>${esc(x.sidecar.path)}</BaseURL></Representation>`,
    '    </AdaptationSet>',
  ].join('\n')
}

/** One video AdaptationSet per codec (DASH-IF IOP: Representations of a set share a codec family; players pick a set they can decode). */
function videoSet(video: readonly VideoRendition[], id: number): string[] {
  const maxW = Math.max(...video.map((v) => v.width))
  const maxH = Math.max(...video.map((v) => v.height))
  const fps = video[0]!.frameRate
  return [
    `    <AdaptationSet id="${id}" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" ` +
      `maxWidth="${maxW}" maxHeight="${maxH}" maxFrameRate="${frameRateAttr(fps)}">`,
    ...video.map(videoRep),
    '    </AdaptationSet>',
  ]
}

export function mpd(title: Pick<Title, 'duration' | 'segmentDuration' | 'video' | 'audio' | 'text'>): string {
  const sets = byCodec(title.video)
  // audio sets keep ids 1…n (their Role follows id 1); video sets after them, H.264's (the first) id 0 as before
  const videoIds = sets.map((_, i) => (i === 0 ? 0 : title.audio.length + i))
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019" ` +
      `type="static" mediaPresentationDuration="${isoDuration(title.duration)}" minBufferTime="${isoDuration(title.segmentDuration)}">`,
    '  <Period id="0" start="PT0S">',
    ...sets.flatMap((set, i) => videoSet(set, videoIds[i]!)),
    ...title.audio.map((a, i) => audioSet(a, i + 1)),
    // text sets after every audio and video set
    ...(title.text ?? []).map((x, i) => textSet(x, title.audio.length + sets.length + i)),
    '  </Period>',
    '</MPD>',
    '',
  ].join('\n')
}
