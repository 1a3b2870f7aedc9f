import { mapLimit } from '../../lib/map-limit.js'
import { DEFAULT_MAX_INPUT_BYTES, fetchBytes, fetchText } from '../index.js'
import { type InitTrack, initTracks, type SegmentStart, segmentStart } from './mp4-probe.js'

/** What --deep learns from one rendition's files (HLS media playlist or DASH Representation). */
export interface MediaScan {
  /** every track of the init segment, or why it could not be read (null: no init segment) */
  tracks: InitTrack[] | { error: string } | null
  /** per segment: bytes (null when unreadable) and how its video starts */
  segments: Array<{ bytes: number | null; error?: string; start?: SegmentStart }>
}

export interface MediaRef {
  url: URL
  byterange?: { offset: number; length: number }
}

/** Reads at most this many segments at once (files or HTTP requests). */
export const DEEP_CONCURRENCY = 4

/** Read an init segment and every media segment of one rendition (with sim/manifest/read-input.ts's fetcher). */
export async function scanMedia(init: MediaRef | null, segments: MediaRef[], maxBytes = DEFAULT_MAX_INPUT_BYTES): Promise<MediaScan> {
  let tracks: MediaScan['tracks'] = null
  if (init) {
    try {
      tracks = initTracks(await fetchBytes(init.url, init.byterange, maxBytes))
    } catch (err) {
      tracks = { error: (err as Error).message }
    }
  }
  const video = Array.isArray(tracks) ? tracks.find((t) => t.handler === 'vide') : undefined
  const scanned = await mapLimit(segments, DEEP_CONCURRENCY, async (s) => {
    try {
      const buf = await fetchBytes(s.url, s.byterange, maxBytes)
      return { bytes: buf.length, ...(video ? { start: segmentStart(buf, video) } : buf[0] === 0x47 ? { start: { kind: 'ts' as const } } : {}) }
    } catch (err) {
      return { bytes: null, error: (err as Error).message }
    }
  })
  return { tracks, segments: scanned }
}

/** Read text files (WebVTT segments and sidecars), DEEP_CONCURRENCY at a time; each is its text or the error that stopped it. */
export function readTexts(urls: readonly URL[], maxBytes: number): Promise<Array<string | Error>> {
  return mapLimit(urls, DEEP_CONCURRENCY, async (url) => {
    try {
      return await fetchText(url, maxBytes)
    } catch (err) {
      return err as Error
    }
  })
}

/** Does a segment start with a picture a decoder can start from? null: cannot tell. */
export function startsIndependent(s: SegmentStart | undefined): boolean | null {
  if (s?.kind !== 'fmp4') return null
  if (s.picture === 'idr' || s.picture === 'irap') return true
  if (s.picture === 'non-irap') return false
  return s.sync
}
