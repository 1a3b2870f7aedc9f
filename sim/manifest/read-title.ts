import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { parseTitleJson, type Title } from '../../lib/title-package.js'
import { companionBytes } from './companions.js'
import { type PlayerChoice, playedCodec } from './device.js'
import { type Companions, type Ladder, makeLadder, type QualityMetric } from './ladder.js'
import { displayName, fetchText, type InputOptions, toUrl } from './read-input.js'
import { chooseAudio, chooseText } from './tracks.js'

/**
 * A title package's ladder: exact segment sizes, and per-segment quality when
 * every segment was measured. A player plays one codec's ladder (switching
 * codec mid-stream is not ABR): the one its device prefers among those the
 * title has (`choice.decodes`), else `choice.codec` (a string third argument
 * is that codec), else the title's main codec. The chosen audio and subtitle
 * renditions' bytes go with each video segment (`Ladder.companions`).
 */
export function ladderFromTitle(title: Title, name = title.id, choice: PlayerChoice | string = {}): Ladder {
  const c: PlayerChoice = typeof choice === 'string' ? { codec: choice } : choice
  const metric: QualityMetric = title.ladder.qualityMetric
  const offered = [...new Set(title.video.map((v) => v.codec))]
  const codec = playedCodec(offered, c, title.encode.codec, name)
  const video = title.video.filter((v) => v.codec === codec)
  if (!video.length) throw new OclabError(ErrorCodes.BAD_TITLE, `${name}: no ${codec} renditions (it has ${offered.join(', ')})`)
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
  const companions = titleCompanions(title, first.segments, c)
  return makeLadder({
    name,
    source: 'title',
    rungs,
    segmentDurations: first.segments.map((s) => s.duration),
    sizesExact: true,
    qualityMetric: metric,
    notes,
    codec,
    ...(companions ? { companions } : {}),
  })
}

/** The chosen audio and subtitle renditions' bytes per video segment, or undefined when the player fetches neither. */
function titleCompanions(title: Title, video: ReadonlyArray<{ start: number; duration: number }>, c: PlayerChoice): Companions | undefined {
  const audio = chooseAudio(title, c.audio ?? true)
  const text = chooseText(title, c.subtitles)
  if (!audio && !text) return undefined
  const ends = video.map((s) => s.start + s.duration)
  const tracks: string[] = []
  if (audio) tracks.push(`audio ${audio.id} (${audio.language}, ${Math.round(audio.averageBandwidth / 1000)} kbit/s)`)
  if (text) tracks.push(`subtitles ${text.id} (${text.language})`)
  return { bytes: companionBytes(ends, [...(audio ? [audio.segments] : []), ...(text ? [text.segments] : [])]), tracks }
}

/** Load title.json from a path (file or package folder) or an http(s) URL. */
export async function loadTitleLadder(pathOrUrl: string, opts: InputOptions & PlayerChoice = {}): Promise<Ladder> {
  let url = toUrl(pathOrUrl)
  // As readTitle does: a local path not naming a .json file is the package folder.
  if (url.protocol === 'file:' && !url.pathname.endsWith('.json')) url = new URL(`${url.pathname.replace(/\/*$/, '')}/title.json`, url)
  const name = displayName(url)
  return ladderFromTitle(parseTitleJson(await fetchText(url, opts.maxInputBytes), name), name, opts)
}
