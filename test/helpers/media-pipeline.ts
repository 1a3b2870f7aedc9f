import type { Page } from 'playwright-core'

/**
 * What Chromium's media pipeline says it is decoding, read through the
 * DevTools protocol's Media domain (the data chrome://media-internals shows):
 * the codec of the video track its demuxer found in the init segment
 * (`kVideoTracks[].codec`: "h264", "hevc", "av1") and the decoder it chose
 * (`kVideoDecoderName`, e.g. Dav1dVideoDecoder). A player's own state says
 * what it asked for; this says what the browser actually decoded.
 */
export interface MediaPipeline {
  /** every video codec the pipeline reported, in order, without repeats in a row */
  videoCodecs: string[]
  /** every video decoder it reported, likewise */
  videoDecoders: string[]
}

/** Start recording before the page loads its player (call before `page.goto`). */
export async function watchMediaPipeline(page: Page): Promise<MediaPipeline> {
  const seen: MediaPipeline = { videoCodecs: [], videoDecoders: [] }
  const push = (list: string[], v: string) => {
    if (list.at(-1) !== v) list.push(v)
  }
  const cdp = await page.context().newCDPSession(page)
  cdp.on('Media.playerPropertiesChanged', (e) => {
    for (const p of e.properties) {
      // a decoder name is plain text; track lists are JSON arrays of track descriptions
      if (p.name === 'kVideoDecoderName') push(seen.videoDecoders, p.value)
      if (p.name === 'kVideoTracks') for (const track of JSON.parse(p.value) as Array<{ codec: string }>) push(seen.videoCodecs, track.codec)
    }
  })
  await cdp.send('Media.enable')
  return seen
}
