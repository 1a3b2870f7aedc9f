import type { FileEntry, Title, VideoRendition } from '../lib/title-package.js'
import { codecAge, fallbacks } from './codec-demand.js'

/**
 * A title as the planner sees it: the bytes every play needs whatever its
 * rung and codec (title.json, manifests, audio, subtitles; the media
 * playlists are tiny) and the bytes of each video rendition, top rung first.
 * A title with several codecs lists each codec's ladder in turn, least
 * advanced codec first, each rendition with its `codec` and `fallback`.
 */
/** Ladder order, top rung first: by resolution, then by the rate asked of the encoder (measured rates of tiny rungs can invert). */
export const byRung = (a: VideoRendition, b: VideoRendition): number => b.height - a.height || b.targetBitrate - a.targetBitrate

export interface TitleSizes {
  id: string
  duration: number
  /** title.json is not in `files`; its size is added by the store that knows it */
  baseBytes: number
  renditions: { id: string; bytes: number; bandwidth: number; width: number; height: number; codec?: string; fallback?: number }[]
}

/** The files of one video rendition: init, segments and its media playlist. */
export function renditionFiles(title: Title, renditionId: string): Set<string> {
  const r = title.video.find((v) => v.id === renditionId) ?? title.audio.find((a) => a.id === renditionId)
  if (!r) return new Set()
  return new Set([r.init.path, r.playlist, ...r.segments.map((s) => s.uri)])
}

/** The title's files split into the shared part and each video rendition's part. */
export function titleSizes(title: Title, titleJsonBytes = 0): TitleSizes {
  const byPath = new Map(title.files.map((f) => [f.path, f.bytes]))
  const owned = new Set<string>()
  const multiCodec = new Set(title.video.map((v) => v.codec)).size > 1
  const ladderOrder = (a: VideoRendition, b: VideoRendition): number => (multiCodec ? codecAge(a.codec) - codecAge(b.codec) : 0) || byRung(a, b)
  const videos = [...title.video].sort(ladderOrder)
  const fb = multiCodec ? fallbacks(videos) : []
  const renditions = videos.map((v, i) => {
    const files = renditionFiles(title, v.id)
    for (const f of files) owned.add(f)
    const bytes = [...files].reduce((s, f) => s + (byPath.get(f) ?? 0), 0)
    const codec = multiCodec ? { codec: v.codec, ...(fb[i] !== undefined ? { fallback: fb[i] } : {}) } : {}
    return { id: v.id, bytes, bandwidth: v.bandwidth, width: v.width, height: v.height, ...codec }
  })
  const baseBytes = title.files.filter((f) => !owned.has(f.path)).reduce((s, f) => s + f.bytes, titleJsonBytes)
  return { id: title.id, duration: title.duration, baseBytes, renditions }
}

/**
 * The files to pre-position for a title with some of its video renditions
 * (of any codec): everything but the other renditions' files (so the shared
 * audio, subtitles and manifests always go), plus title.json itself (its
 * entry hashed by the store) so the node can verify later misses against it.
 */
export function filesFor(title: Title, renditionIds: readonly string[], titleJson: FileEntry): FileEntry[] {
  const excluded = new Set<string>()
  for (const v of title.video) if (!renditionIds.includes(v.id)) for (const f of renditionFiles(title, v.id)) excluded.add(f)
  return [...title.files.filter((f) => !excluded.has(f.path)), titleJson]
}
