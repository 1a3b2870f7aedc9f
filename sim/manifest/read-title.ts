import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { parseTitleJson, type Title } from '../../lib/title-package.js'
import { type Ladder, makeLadder, type QualityMetric } from './ladder.js'
import { displayName, fetchText, type InputOptions, toUrl } from './read-input.js'

/**
 * A title package's ladder: exact segment sizes, and per-segment quality when
 * every segment was measured. A player plays one codec's ladder (switching
 * codec mid-stream is not ABR): `codec`, default the title's main codec
 * (`encode.codec`, the first one encoded).
 */
export function ladderFromTitle(title: Title, name = title.id, codec = title.encode.codec): Ladder {
  const metric: QualityMetric = title.ladder.qualityMetric
  const video = title.video.filter((v) => v.codec === codec)
  if (!video.length)
    throw new OclabError(ErrorCodes.BAD_TITLE, `${name}: no ${codec} renditions (it has ${[...new Set(title.video.map((v) => v.codec))].join(', ')})`)
  const first = video[0]!
  const notes: string[] = []
  const rungs = video.map((v) => {
    const perSegment = v.segments.map((s) => s.quality?.[metric])
    const quality = perSegment.every((q): q is number => typeof q === 'number') ? perSegment : null
    return {
      id: v.id,
      bitrate: v.bandwidth,
      averageBitrate: v.averageBandwidth,
      width: v.width,
      height: v.height,
      codecs: v.codecs,
      bytes: v.segments.map((s) => s.bytes),
      quality,
    }
  })
  const missing = video
    .map((v) => ({ id: v.id, count: v.segments.filter((s) => typeof s.quality?.[metric] !== 'number').length, of: v.segments.length }))
    .filter((m) => m.count > 0)
  if (missing.length) {
    notes.push(`per-segment ${metric} is missing in ${missing.map((m) => `${m.id} (${m.count} of ${m.of} segments)`).join(', ')}; quality metrics are left out`)
  }
  return makeLadder({
    name,
    source: 'title',
    rungs,
    segmentDurations: first.segments.map((s) => s.duration),
    sizesExact: true,
    qualityMetric: metric,
    notes,
  })
}

/** Load title.json from a path (file or package folder) or an http(s) URL. */
export async function loadTitleLadder(pathOrUrl: string, opts: InputOptions = {}): Promise<Ladder> {
  let url = toUrl(pathOrUrl)
  // As readTitle does: a local path not naming a .json file is the package folder.
  if (url.protocol === 'file:' && !url.pathname.endsWith('.json')) url = new URL(`${url.pathname.replace(/\/*$/, '')}/title.json`, url)
  const name = displayName(url)
  return ladderFromTitle(parseTitleJson(await fetchText(url, opts.maxInputBytes), name), name)
}
