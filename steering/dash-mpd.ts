import { ErrorCodes, OclabError } from '../lib/errors.js'
import type { Pathway } from './hls-master.js'

/**
 * Rewrite a DASH MPD for Content Steering (DASH-IF CTS 001 "Content Steering
 * for DASH" v1.0, ISO/IEC 23009-1 BaseURL@serviceLocation):
 *
 * - one MPD-level `<BaseURL serviceLocation="<pathway>">` per OCA, absolute,
 *   ending in `/` so the package's relative SegmentTemplate URLs resolve
 *   under it (RFC 3986 §5.2) and keep the signed path prefix;
 * - one `<ContentSteering defaultServiceLocation=… queryBeforeStart=…>` whose
 *   text is the steering server URL (and `proxyServerURL` when configured).
 *
 * MPD-level BaseURL and ContentSteering elements already in the package are
 * replaced; everything else (Periods, AdaptationSets, templates) is kept
 * byte for byte, so the package's timing stays exactly as encoded.
 */
export interface DashSteering {
  serverUrl: string
  defaultServiceLocation: string
  queryBeforeStart: boolean
  proxyServerUrl?: string
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Index just past the `>` closing the start tag that begins at `from`, honouring quoted attribute values. */
function endOfStartTag(xml: string, from: number): number {
  let quote = ''
  for (let i = from; i < xml.length; i++) {
    const c = xml[i]!
    if (quote) {
      if (c === quote) quote = ''
    } else if (c === '"' || c === "'") quote = c
    else if (c === '>') return i + 1
  }
  return -1
}

export function rewriteMpd(xml: string, pathways: readonly Pathway[], steering: DashSteering): string {
  const open = xml.search(/<MPD[\s>]/)
  const end = open < 0 ? -1 : endOfStartTag(xml, open)
  if (end < 0 || xml[end - 2] === '/') throw new OclabError(ErrorCodes.BAD_MANIFEST, 'not a DASH MPD (no <MPD> element)')
  if (!pathways.length) throw new OclabError(ErrorCodes.BAD_MANIFEST, 'no pathway to write')
  const period = xml.indexOf('<Period', end)
  const head = period < 0 ? xml.slice(end) : xml.slice(end, period)
  const rest = period < 0 ? '' : xml.slice(period)
  const cleaned = head.replace(/\s*<BaseURL\b[^>]*?(\/>|>[\s\S]*?<\/BaseURL>)/g, '').replace(/\s*<ContentSteering\b[^>]*?(\/>|>[\s\S]*?<\/ContentSteering>)/g, '')
  const indent = '\n  '
  const attrs = [`defaultServiceLocation="${esc(steering.defaultServiceLocation)}"`, `queryBeforeStart="${steering.queryBeforeStart}"`]
  if (steering.proxyServerUrl) attrs.push(`proxyServerURL="${esc(steering.proxyServerUrl)}"`)
  const added =
    pathways.map((p) => `${indent}<BaseURL serviceLocation="${esc(p.id)}">${esc(p.base)}</BaseURL>`).join('') +
    `${indent}<ContentSteering ${attrs.join(' ')}>${esc(steering.serverUrl)}</ContentSteering>`
  return xml.slice(0, end) + added + cleaned.replace(/^\s*/, indent) + rest
}
