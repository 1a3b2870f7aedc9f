import { validateTitle } from '../../lib/title-package.js'
import { DEFAULT_MAX_INPUT_BYTES, displayName, fetchText, toUrl } from '../index.js'
import { lintDash } from './dash.js'
import { Findings, type LintReport, makeReport } from './findings.js'
import { lintHls } from './hls.js'
import { LADDER_DEFAULTS, type LadderOptions } from './ladder-checks.js'

export type { Finding, LintReport, Severity } from './findings.js'
export { formatReport } from './format.js'

export interface LintOptions {
  /** read init and media segments: measured bitrates, codecs from the init boxes, IDR starts (default false) */
  deep: boolean
  ladder: LadderOptions
  /** measured vs declared bitrate tolerance (default 0.10, Apple's "within 10%") */
  tolerance: number
  /** seconds segment boundaries may differ across variants and still count as aligned (default 0.02) */
  alignment: number
  /** refuse any one manifest, playlist, index or segment larger than this, bytes (default DEFAULT_MAX_INPUT_BYTES, 64 MiB) */
  maxInputBytes: number
}

export const LINT_DEFAULTS: LintOptions = { deep: false, ladder: LADDER_DEFAULTS, tolerance: 0.1, alignment: 0.02, maxInputBytes: DEFAULT_MAX_INPUT_BYTES }

/** The source's size from a title.json beside the manifest (our packages have one), else null. */
async function sourceSize(url: URL, maxInputBytes: number): Promise<{ width: number; height: number } | null> {
  try {
    const title = validateTitle(JSON.parse(await fetchText(new URL('title.json', url), maxInputBytes)), 'title.json')
    return { width: title.source.video.width, height: title.source.video.height }
  } catch {
    return null
  }
}

/** Lint an HLS playlist or a DASH MPD (path or http(s) URL): by extension, else by content. */
export async function lintManifest(pathOrUrl: string, options: Partial<LintOptions> = {}): Promise<LintReport> {
  const opts = { ...LINT_DEFAULTS, ...options }
  const url = toUrl(pathOrUrl)
  const text = await fetchText(url, opts.maxInputBytes)
  const path = url.pathname.toLowerCase()
  const kind =
    path.endsWith('.m3u8') || path.endsWith('.m3u') ? 'hls' : path.endsWith('.mpd') ? 'dash' : text.trimStart().startsWith('#EXTM3U') ? 'hls' : 'dash'
  const f = new Findings()
  const source = await sourceSize(url, opts.maxInputBytes)
  if (kind === 'hls') await lintHls(url, text, { ...opts, source }, f)
  else await lintDash(url, text, { ...opts, source }, f)
  return makeReport(displayName(url), kind, opts.deep, f.list)
}
