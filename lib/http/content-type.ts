/**
 * Media types of the files in a title package. HLS per RFC 8216 §4, DASH per
 * ISO/IEC 23009-1 Annex C, CMAF init and media segments per RFC 4337 / the
 * DASH-IF guidance (`video/mp4` serves audio-only fMP4 too: players sniff the
 * init segment, not the type).
 */
const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.m4a': 'audio/mp4',
  '.m4v': 'video/mp4',
  '.json': 'application/json; charset=utf-8',
  '.vtt': 'text/vtt; charset=utf-8',
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

export function contentTypeFor(path: string): string {
  const dot = path.lastIndexOf('.')
  if (dot < 0 || dot < path.lastIndexOf('/')) return DEFAULT_CONTENT_TYPE
  return TYPES[path.slice(dot).toLowerCase()] ?? DEFAULT_CONTENT_TYPE
}

/** Manifests can be repackaged; segments, init segments and title.json-listed media never change under one name. */
export const isManifest = (path: string): boolean => /\.(m3u8|mpd|json)$/i.test(path)

export interface CachePolicy {
  /** seconds a manifest may be reused; default 2 */
  manifestMaxAge?: number
  /** seconds a segment may be reused; default one year (with `immutable`) */
  segmentMaxAge?: number
}

export function cacheControlFor(path: string, policy: CachePolicy = {}): string {
  if (isManifest(path)) return `public, max-age=${policy.manifestMaxAge ?? 2}`
  return `public, max-age=${policy.segmentMaxAge ?? 31536000}, immutable`
}
