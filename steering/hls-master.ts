import { ErrorCodes, OclabError } from '../lib/errors.js'
import { type AttributeList, attributeValue, formatAttributeList, parseAttributeList } from '../lib/media/hls-attributes.js'

/**
 * Rewrite an HLS multivariant playlist for Content Steering (HLS 2nd edition,
 * draft-pantos-hls-rfc8216bis §4.4.6.6 EXT-X-CONTENT-STEERING and the Apple
 * "HLS Content Steering" specification):
 *
 * - every variant (and I-frame variant) is repeated once per Pathway, with a
 *   `PATHWAY-ID` and absolute URIs to that Pathway's OCA;
 * - rendition groups are repeated per Pathway under their own GROUP-ID
 *   (`<group>-<pathway>`), so a Pathway's variants only reference renditions
 *   on the same OCA (hls.js maps a failed audio group back to its Pathway);
 * - `STABLE-VARIANT-ID` / `STABLE-RENDITION-ID` name each variant and
 *   rendition the same way in every Pathway, which PATHWAY-CLONES'
 *   PER-VARIANT-URIS / PER-RENDITION-URIS key on;
 * - one `EXT-X-CONTENT-STEERING:SERVER-URI=…,PATHWAY-ID=…` names the steering
 *   server and the Pathway to start on.
 */
export interface MasterPlaylist {
  /** tags other than the ones rewritten, in order (without #EXTM3U) */
  header: string[]
  media: AttributeList[]
  variants: Array<{ attrs: AttributeList; uri: string }>
  iframes: AttributeList[]
}

export interface Pathway {
  id: string
  /** absolute URL of the title directory on that OCA, ending in `/` (signed prefix included) */
  base: string
}

/** Stable ids → URI relative to the title directory; what clones need. */
export interface StableUris {
  variants: Record<string, string>
  renditions: Record<string, string>
}

/** A tag's attribute list; a list the grammar refuses is refused with its line (not guessed past and passed on). */
function attrsOf(list: string, line: number): AttributeList {
  const { attrs, error } = parseAttributeList(list)
  if (error) throw new OclabError(ErrorCodes.BAD_MANIFEST, `multivariant playlist line ${line}: ${error} (RFC 8216 §4.2)`)
  return attrs
}

const text = (a: AttributeList, k: string): string | undefined => a.get(k)?.raw
const { quoted } = attributeValue
/** A copy with `k` set: in place when present, else appended (the order players and tests see). */
const set = (a: AttributeList, k: string, v: string): AttributeList => new Map(a).set(k, quoted(v))

export function parseMaster(text: string): MasterPlaylist {
  const lines = text.split(/\r?\n/).map((l) => l.trim())
  if (lines[0] !== '#EXTM3U') throw new OclabError(ErrorCodes.BAD_MANIFEST, 'multivariant playlist does not start with #EXTM3U')
  const m: MasterPlaylist = { header: [], media: [], variants: [], iframes: [] }
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!
    if (l === '' || (l.startsWith('#') && !l.startsWith('#EXT'))) continue
    if (l.startsWith('#EXT-X-MEDIA:')) m.media.push(attrsOf(l.slice(13), i + 1))
    else if (l.startsWith('#EXT-X-I-FRAME-STREAM-INF:')) m.iframes.push(attrsOf(l.slice(26), i + 1))
    else if (l.startsWith('#EXT-X-STREAM-INF:')) {
      let j = i + 1
      while (j < lines.length && (lines[j] === '' || lines[j]!.startsWith('#'))) j++
      if (j >= lines.length) throw new OclabError(ErrorCodes.BAD_MANIFEST, `EXT-X-STREAM-INF on line ${i + 1} has no URI`)
      m.variants.push({ attrs: attrsOf(l.slice(18), i + 1), uri: lines[j]! })
      i = j
    } else if (l.startsWith('#EXT-X-CONTENT-STEERING:')) continue
    else if (l.startsWith('#')) m.header.push(l)
    else throw new OclabError(ErrorCodes.BAD_MANIFEST, `unexpected URI on line ${i + 1} of a multivariant playlist`)
  }
  if (!m.variants.length) throw new OclabError(ErrorCodes.BAD_MANIFEST, 'multivariant playlist has no variants')
  return m
}

/** Characters STABLE-VARIANT-ID allows: [a-zA-Z0-9], '+', '/', '=', '.', '-', '_'. */
const stableFrom = (s: string): string => s.replace(/[^A-Za-z0-9+/=._-]/g, '_')

function uniqueIds<T>(items: T[], idOf: (t: T, i: number) => string): string[] {
  const seen = new Map<string, number>()
  return items.map((t, i) => {
    const base = idOf(t, i)
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    return n ? `${base}.${n}` : base
  })
}

export function stableIds(m: MasterPlaylist): { variants: string[]; media: string[]; iframes: string[] } {
  return {
    variants: uniqueIds(m.variants, (v) => text(v.attrs, 'STABLE-VARIANT-ID') ?? stableFrom(v.uri)),
    media: uniqueIds(m.media, (a, i) => text(a, 'STABLE-RENDITION-ID') ?? stableFrom(text(a, 'URI') ?? `${text(a, 'GROUP-ID')}-${i}`)),
    iframes: uniqueIds(m.iframes, (a) => text(a, 'STABLE-VARIANT-ID') ?? stableFrom(text(a, 'URI') ?? 'iframe')),
  }
}

export function stableUris(m: MasterPlaylist): StableUris {
  const ids = stableIds(m)
  const variants: Record<string, string> = {}
  const renditions: Record<string, string> = {}
  for (const [i, v] of m.variants.entries()) variants[ids.variants[i]!] = v.uri
  for (const [i, a] of m.iframes.entries()) variants[ids.iframes[i]!] = text(a, 'URI')!
  m.media.forEach((a, i) => {
    const uri = text(a, 'URI')
    if (uri) renditions[ids.media[i]!] = uri
  })
  return { variants, renditions }
}

// CLOSED-CAPTIONS may be the enumerated NONE (unquoted), which names no group.
const GROUP_ATTRS = ['AUDIO', 'VIDEO', 'SUBTITLES', 'CLOSED-CAPTIONS'] as const

export function rewriteMaster(m: MasterPlaylist, pathways: readonly Pathway[], steering: { serverUri: string; pathwayId: string }): string {
  if (!pathways.length) throw new OclabError(ErrorCodes.BAD_MANIFEST, 'no pathway to write')
  const ids = stableIds(m)
  const tag = new Map([
    ['SERVER-URI', quoted(steering.serverUri)],
    ['PATHWAY-ID', quoted(steering.pathwayId)],
  ])
  const out = ['#EXTM3U', ...m.header, `#EXT-X-CONTENT-STEERING:${formatAttributeList(tag)}`]
  for (const p of pathways) {
    const abs = (uri: string): string => new URL(uri, p.base).href
    const group = (g: string): string => `${g}-${p.id}`
    m.media.forEach((a, i) => {
      let x = set(a, 'GROUP-ID', group(text(a, 'GROUP-ID') ?? ''))
      const uri = text(a, 'URI')
      if (uri) x = set(x, 'URI', abs(uri))
      x = set(x, 'STABLE-RENDITION-ID', ids.media[i]!)
      out.push(`#EXT-X-MEDIA:${formatAttributeList(x)}`)
    })
    m.variants.forEach((v, i) => {
      let x = v.attrs
      for (const g of GROUP_ATTRS) {
        const cur = x.get(g)
        if (cur?.quoted) x = set(x, g, group(cur.raw))
      }
      x = set(set(x, 'PATHWAY-ID', p.id), 'STABLE-VARIANT-ID', ids.variants[i]!)
      out.push(`#EXT-X-STREAM-INF:${formatAttributeList(x)}`, abs(v.uri))
    })
    m.iframes.forEach((a, i) => {
      let x = set(set(a, 'PATHWAY-ID', p.id), 'STABLE-VARIANT-ID', ids.iframes[i]!)
      const video = text(x, 'VIDEO')
      if (video) x = set(x, 'VIDEO', group(video))
      x = set(x, 'URI', abs(text(a, 'URI')!))
      out.push(`#EXT-X-I-FRAME-STREAM-INF:${formatAttributeList(x)}`)
    })
  }
  out.push('')
  return out.join('\n')
}
