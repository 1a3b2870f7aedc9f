import { codecProblem, isAudioCodec, isVideoCodec, splitCodecs } from '../../lib/media/codec-strings.js'
import type { Findings } from './findings.js'
import { attr, type Playlist, type Tag } from './hls-playlist.js'

export interface Variant {
  line: number
  uri: string
  iframe: boolean
  bandwidth?: number
  averageBandwidth?: number
  codecs: string[] | null
  width?: number
  height?: number
  frameRate?: number
  audio?: string
  pathway: string
}

export interface Rendition {
  line: number
  type: string
  group: string
  name: string
  uri?: string
}

export interface Multivariant {
  variants: Variant[]
  renditions: Rendition[]
}

/** RFC 8216bis / HLS Content Steering spec: Pathway IDs use [a-zA-Z0-9], '-', '.', '_'. */
const PATHWAY_ID = /^[A-Za-z0-9._-]+$/
/** Variants without PATHWAY-ID belong to the pathway "." (RFC 8216bis §4.4.6.2). */
const DEFAULT_PATHWAY = '.'

const num = (t: Tag, name: string): number | undefined => {
  const v = attr(t, name)
  return v !== undefined && /^\d+(\.\d*)?$/.test(v) ? Number(v) : undefined
}

/** Multivariant playlist checks (RFC 8216 §4.3.4, RFC 8216bis §4.4.6.6, Apple HLS authoring spec §9). */
export function checkMultivariant(p: Playlist, f: Findings): Multivariant {
  const file = p.file
  const variants: Variant[] = []
  const renditions: Rendition[] = []
  let steering: Tag | undefined
  p.items.forEach((it, i) => {
    const where = { file, line: it.line }
    if (it.name === 'EXT-X-CONTENT-STEERING') steering = it
    if (it.name === 'EXT-X-MEDIA' && it.attrs) {
      const r: Rendition = { line: it.line, type: attr(it, 'TYPE') ?? '', group: attr(it, 'GROUP-ID') ?? '', name: attr(it, 'NAME') ?? '' }
      const uri = attr(it, 'URI')
      if (uri !== undefined) r.uri = uri
      renditions.push(r)
      if (r.type === 'CLOSED-CAPTIONS' && uri !== undefined)
        f.error('HLS_MEDIA_INVALID', where, 'a CLOSED-CAPTIONS rendition must not have a URI (RFC 8216 §4.3.4.1)')
      if (r.type === 'CLOSED-CAPTIONS' && !it.attrs.has('INSTREAM-ID'))
        f.error('HLS_MEDIA_INVALID', where, 'a CLOSED-CAPTIONS rendition needs INSTREAM-ID (RFC 8216 §4.3.4.1)')
      if (r.type === 'SUBTITLES' && uri === undefined) f.error('HLS_MEDIA_INVALID', where, 'a SUBTITLES rendition needs a URI (RFC 8216 §4.3.4.1)')
      if (attr(it, 'DEFAULT') === 'YES' && attr(it, 'AUTOSELECT') === 'NO')
        f.error('HLS_MEDIA_INVALID', where, 'DEFAULT=YES needs AUTOSELECT=YES when AUTOSELECT is present (RFC 8216 §4.3.4.1)')
      return
    }
    if ((it.name !== 'EXT-X-STREAM-INF' && it.name !== 'EXT-X-I-FRAME-STREAM-INF') || !it.attrs) return
    const iframe = it.name === 'EXT-X-I-FRAME-STREAM-INF'
    let uri = attr(it, 'URI')
    if (!iframe) {
      const next = p.items[i + 1]
      if (!next || next.uri === undefined) {
        f.error('HLS_STREAM_INF_URI_MISSING', where, 'EXT-X-STREAM-INF must be followed by the URI of its media playlist on the next line (RFC 8216 §4.3.4.2)')
        return
      }
      uri = next.uri
    }
    if (uri === undefined) return
    const codecsAttr = attr(it, 'CODECS')
    const codecs = codecsAttr === undefined ? null : splitCodecs(codecsAttr)
    const v: Variant = { line: it.line, uri, iframe, codecs, pathway: attr(it, 'PATHWAY-ID') ?? DEFAULT_PATHWAY }
    const bw = num(it, 'BANDWIDTH')
    const avg = num(it, 'AVERAGE-BANDWIDTH')
    if (bw !== undefined) v.bandwidth = bw
    if (avg !== undefined) v.averageBandwidth = avg
    const res = /^(\d+)x(\d+)$/.exec(attr(it, 'RESOLUTION') ?? '')
    if (res) {
      v.width = Number(res[1])
      v.height = Number(res[2])
    }
    const fps = num(it, 'FRAME-RATE')
    if (fps !== undefined) v.frameRate = fps
    const audio = attr(it, 'AUDIO')
    if (audio !== undefined) v.audio = audio
    variants.push(v)
    const tag = `#${it.name}`
    if (bw !== undefined && avg !== undefined && avg > bw)
      f.error('HLS_AVERAGE_ABOVE_PEAK', where, `AVERAGE-BANDWIDTH ${avg} is above BANDWIDTH ${bw}: an average cannot exceed the peak (RFC 8216 §4.3.4.2)`)
    if (!iframe && avg === undefined)
      f.warning(
        'HLS_AVERAGE_BANDWIDTH_MISSING',
        where,
        `${tag} has no AVERAGE-BANDWIDTH; players use it to estimate sustained throughput (RFC 8216 §4.3.4.2 SHOULD; Apple HLS authoring spec §9)`,
      )
    if (codecs === null)
      f.warning(
        'HLS_CODECS_MISSING',
        where,
        `${tag} has no CODECS: players must download media to learn whether they can play it (RFC 8216 §4.3.4.2 SHOULD; Apple HLS authoring spec §9 MUST)`,
      )
    else {
      for (const c of codecs) {
        const problem = codecProblem(c)
        if (problem) f.error('HLS_CODECS_MALFORMED', where, `CODECS ${problem} (RFC 6381 §3; RFC 8216 §4.3.4.2)`)
      }
    }
    const video = codecs === null ? undefined : codecs.some(isVideoCodec)
    const audioOnly = codecs !== null && codecs.length > 0 && codecs.every(isAudioCodec)
    if (!audioOnly && video !== false && !res)
      f.warning('HLS_RESOLUTION_MISSING', where, `${tag} carries video but has no RESOLUTION (RFC 8216 §4.3.4.2 SHOULD; Apple HLS authoring spec §9 MUST)`)
    if (!iframe && !audioOnly && video !== false && fps === undefined)
      f.warning('HLS_FRAME_RATE_MISSING', where, `${tag} carries video but has no FRAME-RATE (RFC 8216 §4.3.4.2; Apple HLS authoring spec §9 MUST)`)
    const pathway = attr(it, 'PATHWAY-ID')
    if (pathway !== undefined && !PATHWAY_ID.test(pathway))
      f.error('HLS_STEERING_MALFORMED', where, `PATHWAY-ID "${pathway}" has characters outside [a-zA-Z0-9._-] (RFC 8216bis §4.4.6.6)`)
  })

  for (const v of variants) {
    const t = p.items.find((x) => x.line === v.line)!
    for (const [a, type] of [
      ['AUDIO', 'AUDIO'],
      ['VIDEO', 'VIDEO'],
      ['SUBTITLES', 'SUBTITLES'],
      ['CLOSED-CAPTIONS', 'CLOSED-CAPTIONS'],
    ] as const) {
      const value = t.attrs?.get(a)
      if (!value || (a === 'CLOSED-CAPTIONS' && !value.quoted && value.raw === 'NONE')) continue
      if (!renditions.some((r) => r.type === type && r.group === value.raw)) {
        f.error(
          'HLS_GROUP_UNRESOLVED',
          { file, line: v.line },
          `${a}="${value.raw}" matches no EXT-X-MEDIA with TYPE=${type} and that GROUP-ID (RFC 8216 §4.3.4.2)`,
        )
      }
    }
  }
  for (const key of new Set(renditions.map((r) => `${r.type}\u0000${r.group}`))) {
    const group = renditions.filter((r) => `${r.type}\u0000${r.group}` === key)
    const names = new Map<string, number>()
    for (const r of group) {
      if (names.has(r.name))
        f.error(
          'HLS_MEDIA_INVALID',
          { file, line: r.line },
          `NAME "${r.name}" is used twice in group "${r.group}" (line ${names.get(r.name)}); names within a group must differ (RFC 8216 §4.3.4.1.1)`,
        )
      names.set(r.name, r.line)
    }
    const defaults = group.filter((r) => attr(p.items.find((x) => x.line === r.line)!, 'DEFAULT') === 'YES')
    if (defaults.length > 1)
      f.error(
        'HLS_MEDIA_INVALID',
        { file, line: defaults[1]!.line },
        `group "${group[0]!.group}" has more than one DEFAULT=YES rendition (RFC 8216 §4.3.4.1.1)`,
      )
  }
  if (steering?.attrs) checkSteering(steering, variants, p.file, f)
  if (!variants.some((v) => !v.iframe))
    f.error('HLS_NO_VARIANTS', { file, line: 1 }, 'the multivariant playlist has no EXT-X-STREAM-INF variant (RFC 8216 §4.3.4.2)')
  return { variants, renditions }
}

function checkSteering(t: Tag, variants: Variant[], file: string, f: Findings): void {
  const where = { file, line: t.line }
  const server = attr(t, 'SERVER-URI')
  if (server !== undefined) {
    let ok = server.length > 0
    try {
      new URL(server, 'http://base.invalid/')
    } catch {
      ok = false
    }
    if (!ok) f.error('HLS_STEERING_MALFORMED', where, `SERVER-URI "${server}" is not a URI (RFC 8216bis §4.4.6.6)`)
  }
  const pathway = attr(t, 'PATHWAY-ID')
  if (pathway === undefined) return
  if (!PATHWAY_ID.test(pathway))
    f.error('HLS_STEERING_MALFORMED', where, `PATHWAY-ID "${pathway}" has characters outside [a-zA-Z0-9._-] (RFC 8216bis §4.4.6.6)`)
  else if (!variants.some((v) => v.pathway === pathway)) {
    f.warning(
      'HLS_STEERING_PATHWAY_UNKNOWN',
      where,
      `PATHWAY-ID "${pathway}" names no variant's pathway (${[...new Set(variants.map((v) => v.pathway))].join(', ')}): clients start on a pathway with no streams (RFC 8216bis §4.4.6.6)`,
    )
  }
}
