import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Ladder } from './ladder.js'
import { loadDashLadder } from './load-dash.js'
import { loadHlsLadder } from './load-hls.js'
import { loadTitleLadder } from './load-title.js'
import { displayName, fetchText, toUrl, type InputOptions } from './source.js'

/**
 * A ladder from title.json (or its package folder), an HLS multivariant
 * playlist or a DASH MPD, by path or http(s) URL: by extension, else by content.
 */
export async function loadLadder(pathOrUrl: string, opts: InputOptions = {}): Promise<Ladder> {
  const url = toUrl(pathOrUrl)
  const path = url.pathname.toLowerCase()
  if (path.endsWith('.json')) return loadTitleLadder(pathOrUrl, opts)
  if (path.endsWith('.m3u8')) return loadHlsLadder(pathOrUrl, opts)
  if (path.endsWith('.mpd')) return loadDashLadder(pathOrUrl, opts)
  if (url.protocol === 'file:') {
    const info = await stat(displayName(url)).catch(() => null)
    if (info?.isDirectory()) return loadTitleLadder(join(displayName(url), 'title.json'), opts)
  }
  const head = (await fetchText(url, opts.maxInputBytes)).trimStart()
  if (head.startsWith('#EXTM3U')) return loadHlsLadder(pathOrUrl, opts)
  if (head.startsWith('<')) return loadDashLadder(pathOrUrl, opts)
  return loadTitleLadder(pathOrUrl, opts)
}
