import { ErrorCodes, OclabError } from '../lib/errors.js'
import { VIDEO_CODEC_NAMES, type VideoCodecName } from '../lib/video-codec-names.js'

/**
 * Which codec a client plays, for placing a title that carries several
 * codecs' ladders (title.json version 2+: `video[].codec`). Pure.
 *
 * Devices are modelled as three nested classes: an AV1 device also decodes
 * HEVC and H.264, an HEVC device also H.264, an H.264 device only H.264. A
 * client plays the most advanced codec of the title its device decodes (its
 * preferred ladder). H.264 is the universal fallback: when its site does not
 * hold the preferred rendition but holds one it falls back to (the less
 * advanced codec's rung at the same position from the top), the client plays
 * that from the site; when the site holds none, the play is a miss on the
 * preferred rendition's bytes.
 */
export const CODECS_BY_AGE = VIDEO_CODEC_NAMES
export type DeviceCodec = VideoCodecName

/** Share of plays by the most advanced codec the client's device decodes; sums to 1. */
export type DeviceMix = Record<DeviceCodec, number>

/**
 * AV1: ~30 % of Netflix viewing (Netflix TechBlog, "AV1 — Now Powering 30% of
 * Netflix Streaming", Dec 2025). The split of the rest between HEVC and
 * H.264-only devices is an assumption (the same post names H.264 the most
 * used codec, so it gets the larger part).
 */
export const DEFAULT_DEVICE_MIX: Readonly<DeviceMix> = { av1: 0.3, hevc: 0.2, h264: 0.5 }

/** Position in CODECS_BY_AGE; a codec the device model does not know is refused. */
export function codecAge(codec: string): number {
  const i = (CODECS_BY_AGE as readonly string[]).indexOf(codec)
  if (i < 0) throw new OclabError(ErrorCodes.BAD_TITLE, `placement knows the video codecs ${CODECS_BY_AGE.join(', ')}; got "${codec}"`)
  return i
}

export function checkDeviceMix(m: Partial<Record<string, number>>, source = 'device mix'): DeviceMix {
  for (const k of Object.keys(m))
    if (!(CODECS_BY_AGE as readonly string[]).includes(k))
      throw new OclabError(ErrorCodes.USAGE, `${source}: unknown device class "${k}" (${CODECS_BY_AGE.join(', ')})`)
  const mix = { av1: m.av1 ?? 0, hevc: m.hevc ?? 0, h264: m.h264 ?? 0 }
  for (const [k, v] of Object.entries(mix))
    if (!(Number.isFinite(v) && v >= 0 && v <= 1)) throw new OclabError(ErrorCodes.USAGE, `${source}: ${k} must be a share in [0, 1], got ${v}`)
  const total = mix.av1 + mix.hevc + mix.h264
  if (Math.abs(total - 1) > 1e-6) throw new OclabError(ErrorCodes.USAGE, `${source}: shares must add up to 1, got ${total}`)
  return mix
}

/** `av1=0.3,hevc=0.2,h264=0.5` → a checked DeviceMix (classes left out get 0). */
export function parseDeviceMix(spec: string): DeviceMix {
  const m: Record<string, number> = {}
  for (const part of spec.split(',')) {
    const kv = /^\s*([a-z0-9]+)\s*=\s*([0-9.]+)\s*$/.exec(part)
    if (!kv) throw new OclabError(ErrorCodes.USAGE, `device mix must look like av1=0.3,hevc=0.2,h264=0.5; got "${spec}"`)
    m[kv[1]!] = Number(kv[2])
  }
  return checkDeviceMix(m, `device mix "${spec}"`)
}

/**
 * The share of a title's plays each of its codecs' ladders gets: each device
 * class plays the most advanced of `titleCodecs` it decodes. A class that
 * decodes none of them (an H.264-only device and an AV1-only title) is
 * counted on the title's least advanced codec: the forecast says it is
 * watched, and that is the ladder it would be offered.
 */
export function codecShares(titleCodecs: readonly string[], mix: DeviceMix): Map<string, number> {
  const codecs = [...new Set(titleCodecs)].sort((a, b) => codecAge(a) - codecAge(b))
  const out = new Map(codecs.map((c) => [c, 0]))
  for (const device of CODECS_BY_AGE) {
    const decodable = codecs.filter((c) => codecAge(c) <= codecAge(device))
    const plays = decodable.at(-1) ?? codecs[0]!
    out.set(plays, out.get(plays)! + mix[device])
  }
  return out
}

/**
 * Each rendition's fallback in a multi-codec title's rendition list: the
 * rendition at the same position from the top in the ladder of the next less
 * advanced codec the title has (clamped to that ladder's last rung, as
 * `rungShares` folds lower rungs into the last). The least advanced codec's
 * renditions have none. `renditions` lists each ladder top rung first.
 */
export function fallbacks(renditions: readonly { codec: string }[]): (number | undefined)[] {
  const ladders = new Map<string, number[]>()
  for (const [i, r] of renditions.entries()) ladders.set(r.codec, [...(ladders.get(r.codec) ?? []), i])
  const codecs = [...ladders.keys()].sort((a, b) => codecAge(a) - codecAge(b))
  const out: (number | undefined)[] = renditions.map(() => undefined)
  for (const [k, codec] of codecs.entries()) {
    if (k === 0) continue
    const below = ladders.get(codecs[k - 1]!)!
    for (const [pos, i] of ladders.get(codec)!.entries()) out[i] = below[Math.min(pos, below.length - 1)]
  }
  return out
}
