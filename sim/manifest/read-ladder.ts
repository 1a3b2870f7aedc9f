import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { PlayerChoice } from './device.js'
import type { Ladder } from './ladder.js'
import { displayName, fetchText, type InputOptions, toUrl } from './read-input.js'

// Each format's loader (and its parser dependencies) loads only when a ladder of that format is read.
type Options = InputOptions & PlayerChoice
const loadDashLadder = async (s: string, o: Options): Promise<Ladder> => (await import('./read-dash.js')).loadDashLadder(s, o)
const loadHlsLadder = async (s: string, o: Options): Promise<Ladder> => (await import('./read-hls.js')).loadHlsLadder(s, o)
const loadTitleLadder = async (s: string, o: Options): Promise<Ladder> => (await import('./read-title.js')).loadTitleLadder(s, o)

import { isSabreMovie, ladderFromSabreMovie } from './read-sabre-movie.js'

/**
 * A ladder from title.json (or its package folder), a Sabre movie file, an
 * HLS multivariant playlist or a DASH MPD, by path or http(s) URL: by
 * extension, else by content. `opts` also says what the player asks (PlayerChoice): the codecs its device
 * decodes, its audio language, its subtitles. A Sabre movie has one ladder and no audio: it ignores them.
 */
export async function loadLadder(pathOrUrl: string, opts: Options = {}): Promise<Ladder> {
  const url = toUrl(pathOrUrl)
  const path = url.pathname.toLowerCase()
  if (path.endsWith('.json')) return (await sabreMovieAt(url, opts)) ?? loadTitleLadder(pathOrUrl, opts)
  if (path.endsWith('.m3u8')) return loadHlsLadder(pathOrUrl, opts)
  if (path.endsWith('.mpd')) return loadDashLadder(pathOrUrl, opts)
  if (url.protocol === 'file:') {
    const info = await stat(displayName(url)).catch(() => null)
    if (info?.isDirectory()) return loadTitleLadder(join(displayName(url), 'title.json'), opts)
  }
  const head = (await fetchText(url, opts.maxInputBytes)).trimStart()
  if (head.startsWith('#EXTM3U')) return loadHlsLadder(pathOrUrl, opts)
  if (head.startsWith('<')) return loadDashLadder(pathOrUrl, opts)
  return (await sabreMovieAt(url, opts)) ?? loadTitleLadder(pathOrUrl, opts)
}

/** The ladder of a Sabre movie file at `url`, or null when the JSON there is something else (a title). */
async function sabreMovieAt(url: URL, opts: InputOptions): Promise<Ladder | null> {
  let json: unknown
  try {
    json = JSON.parse(await fetchText(url, opts.maxInputBytes))
  } catch {
    return null // not readable or not JSON: the title loader reports it in its own words
  }
  return isSabreMovie(json) ? ladderFromSabreMovie(json, displayName(url)) : null
}
