import { type AttributeList, parseAttributeList, typeProblem } from '../../lib/media/hls-attributes.js'
import type { Findings } from './findings.js'
import { playlistLines } from './hls-syntax.js'
import { ONCE, TAGS, VERSION_FEATURES } from './hls-tags.js'

export interface Tag {
  line: number
  name: string
  value: string
  /** parsed attribute-list, when the tag takes one and it parsed */
  attrs?: AttributeList
}

export interface Playlist {
  file: string
  kind: 'media' | 'multivariant'
  /** every tag and URI line in order (URIs as name '') */
  items: Array<Tag & { uri?: string }>
  version: number
  versionLine?: number
}

const MULTIVARIANT_ONLY = new Set(
  Object.entries(TAGS)
    .filter(([, s]) => s.scope === 'multivariant')
    .map(([n]) => n),
)
const MEDIA_ONLY = new Set(
  Object.entries(TAGS)
    .filter(([, s]) => s.scope === 'media')
    .map(([n]) => n),
)

/**
 * Checks every playlist gets, whichever its kind: the header, tag placement,
 * attribute lists and their types, single-use tags, and EXT-X-VERSION against
 * the features used (RFC 8216 §4.1–§4.3, §7). Returns null when the text is
 * not an HLS playlist at all.
 */
export function readPlaylist(text: string, file: string, f: Findings, expect?: 'media' | 'multivariant'): Playlist | null {
  const lines = playlistLines(text)
  const first = lines.find((l) => l.kind !== 'blank')
  if (first?.kind !== 'tag' || first.name !== 'EXTM3U' || first.line !== 1) {
    f.error('HLS_NO_EXTM3U', { file, line: 1 }, 'the first line is not #EXTM3U: not an HLS playlist (RFC 8216 §4.3.1.1)')
    return null
  }
  const tagLines = lines.filter((l) => l.kind === 'tag')
  const hasMv = tagLines.some((l) => MULTIVARIANT_ONLY.has(l.name))
  const hasMedia = tagLines.some((l) => MEDIA_ONLY.has(l.name))
  const kind =
    expect ??
    (hasMv && !hasMedia ? 'multivariant' : hasMv && hasMedia ? (tagLines.some((l) => l.name === 'EXT-X-STREAM-INF') ? 'multivariant' : 'media') : 'media')
  if (expect === 'media' && hasMv && !hasMedia) {
    const at = tagLines.find((l) => MULTIVARIANT_ONLY.has(l.name))!
    f.error(
      'HLS_NOT_MEDIA_PLAYLIST',
      { file, line: at.line },
      `a multivariant playlist (#${at.name}) where a media playlist was expected: variants must name media playlists (RFC 8216 §4.3.4.2)`,
    )
    return null
  }
  if (hasMv && hasMedia) {
    const stray = tagLines.find((l) => (kind === 'multivariant' ? MEDIA_ONLY : MULTIVARIANT_ONLY).has(l.name))!
    f.error(
      'HLS_MIXED_PLAYLIST',
      { file, line: stray.line },
      `#${stray.name} in a ${kind} playlist: a playlist is either a media or a multivariant playlist, never both (RFC 8216 §4.1)`,
    )
  }
  const items: Playlist['items'] = []
  const seenOnce = new Map<string, number>()
  let allowCache: number | undefined
  const features: Array<{ feature: keyof typeof VERSION_FEATURES; line: number }> = []
  let version = 1
  let versionLine: number | undefined
  for (const l of lines) {
    if (l.kind === 'uri') {
      items.push({ line: l.line, name: '', value: l.value, uri: l.value })
      continue
    }
    if (l.kind !== 'tag' || l.line === first.line) continue
    const where = { file, line: l.line }
    const spec = TAGS[l.name]
    if (!spec) {
      f.info('HLS_UNKNOWN_TAG', where, `#${l.name} is not a tag of RFC 8216 or its successor draft; clients ignore it (RFC 8216 §4.1)`)
      items.push({ line: l.line, name: l.name, value: l.value })
      continue
    }
    if (ONCE.has(l.name)) {
      const prev = seenOnce.get(l.name)
      if (prev !== undefined)
        f.error('HLS_DUPLICATE_TAG', where, `#${l.name} appears again (first on line ${prev}); it may appear at most once (${spec.section})`)
      else seenOnce.set(l.name, l.line)
    }
    if (l.name === 'EXT-X-ALLOW-CACHE') allowCache ??= l.line
    const tag: Tag = { line: l.line, name: l.name, value: l.value }
    if (spec.attributes) {
      const { attrs, error } = parseAttributeList(l.value)
      if (error) f.error('HLS_BAD_ATTRIBUTE_LIST', where, `#${l.name}: ${error} (RFC 8216 §4.2)`)
      else {
        tag.attrs = attrs
        checkAttributes(l.name, attrs, spec.section, where, f)
      }
    }
    items.push(tag)
    if (l.name === 'EXT-X-VERSION') {
      if (!/^\d+$/.test(l.value)) f.error('HLS_BAD_ATTRIBUTE_VALUE', where, `EXT-X-VERSION "${l.value}" is not a decimal-integer (RFC 8216 §4.3.1.2)`)
      else {
        version = Number(l.value)
        versionLine = l.line
      }
    }
    if (l.name === 'EXTINF' && /^\d+\.\d/.test(l.value)) features.push({ feature: 'floatExtinf', line: l.line })
    if (l.name === 'EXT-X-BYTERANGE') features.push({ feature: 'byterange', line: l.line })
    if (l.name === 'EXT-X-I-FRAMES-ONLY') features.push({ feature: 'iframesOnly', line: l.line })
    if (l.name === 'EXT-X-DEFINE') features.push({ feature: 'define', line: l.line })
    if (l.name === 'EXT-X-KEY' && tag.attrs?.has('IV')) features.push({ feature: 'keyIv', line: l.line })
    if (l.name === 'EXT-X-KEY' && (tag.attrs?.has('KEYFORMAT') || tag.attrs?.has('KEYFORMATVERSIONS'))) features.push({ feature: 'keyformat', line: l.line })
    if (l.name === 'EXT-X-MAP') features.push({ feature: tagLines.some((t) => t.name === 'EXT-X-I-FRAMES-ONLY') ? 'mapIframes' : 'map', line: l.line })
    if (l.name === 'EXT-X-MEDIA' && /^SERVICE/.test(tag.attrs?.get('INSTREAM-ID')?.raw ?? '')) features.push({ feature: 'instreamService', line: l.line })
  }
  const needed = features.reduce<(typeof features)[number] | null>(
    (best, x) => (!best || VERSION_FEATURES[x.feature].version > VERSION_FEATURES[best.feature].version ? x : best),
    null,
  )
  if (needed && VERSION_FEATURES[needed.feature].version > version) {
    const need = VERSION_FEATURES[needed.feature]
    f.error(
      'HLS_VERSION_TOO_LOW',
      { file, line: versionLine ?? 1 },
      `${versionLine ? `EXT-X-VERSION is ${version}` : 'no EXT-X-VERSION (so version 1)'} but ${need.what} (line ${needed.line}) needs version ${need.version} or higher (RFC 8216 §7)`,
    )
  }
  if (version >= 7 && allowCache !== undefined) {
    f.warning('HLS_REMOVED_TAG', { file, line: allowCache }, 'EXT-X-ALLOW-CACHE was removed in protocol version 7; clients ignore it (RFC 8216 §7)')
  }
  return { file, kind, items, version, ...(versionLine ? { versionLine } : {}) }
}

function checkAttributes(tag: string, attrs: AttributeList, section: string, where: { file: string; line: number }, f: Findings): void {
  const specs = TAGS[tag]!.attributes!
  for (const [name, spec] of Object.entries(specs)) {
    const v = attrs.get(name)
    if (!v) {
      if (!spec.required) continue
      if (name === 'BANDWIDTH') f.error('HLS_BANDWIDTH_MISSING', where, `#${tag} has no BANDWIDTH; it is REQUIRED (${section})`)
      else f.error('HLS_MISSING_ATTRIBUTE', where, `#${tag} has no ${name}; it is REQUIRED (${section})`)
      continue
    }
    if (spec.alsoEnumerated && !v.quoted && spec.alsoEnumerated.includes(v.raw)) continue
    const problem = typeProblem(v, spec.type)
    if (problem) f.error('HLS_BAD_ATTRIBUTE_VALUE', where, `#${tag} ${name} ${problem} (${section}, RFC 8216 §4.2)`)
    else if (spec.values && !spec.values.includes(v.raw))
      f.error('HLS_BAD_ATTRIBUTE_VALUE', where, `#${tag} ${name}=${v.raw} is not one of ${spec.values.join(', ')} (${section})`)
  }
}

/** Unquoted text of an attribute, if present. */
export const attr = (t: Tag, name: string): string | undefined => t.attrs?.get(name)?.raw
