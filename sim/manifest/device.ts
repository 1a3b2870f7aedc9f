import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { splitCodecList, VIDEO_CODEC_NAMES, type VideoCodecName } from '../../lib/video-codec-names.js'

/**
 * Which video codec a player plays: a device decodes some codecs, in an order
 * of preference (better compression first), and a player picks the first of
 * them the title offers. Switching codec mid-stream is not ABR (a new decoder,
 * a new init segment, a flush), so a session plays one codec's ladder.
 * Pure: no I/O, the loaders and the HTTP player call it.
 */

export type VideoCodec = VideoCodecName

export interface DeviceProfile {
  /** Codecs decoded, best first. */
  codecs: readonly VideoCodec[]
  /** What kind of device it stands for. */
  stands: string
  /** Why these codecs, and where that is documented. */
  source: string
}

/**
 * Named device profiles. A profile lists what a device decodes without
 * special hardware; a codec that needs a decoder only some models have is
 * left out, since a service cannot count on it.
 */
export const DEVICE_PROFILES: Readonly<Record<string, DeviceProfile>> = {
  chrome: {
    codecs: ['av1', 'h264'],
    stands: 'Chrome and other Chromium browsers on desktop',
    source:
      'Chromium decodes AV1 in software (dav1d, Chrome 70+) and H.264; HEVC only through a platform hardware decoder (Chrome 107+), so not assumed (Chromium media/base/supported_types.cc, IsHevcProfileSupported)',
  },
  safari: {
    codecs: ['hevc', 'h264'],
    stands: 'Safari on macOS and iOS',
    source:
      "Apple's HLS Authoring Specification lists HEVC and H.264 video; Safari decodes HEVC through VideoToolbox (Safari 11+), AV1 only on chips with an AV1 decoder (A17 Pro, M3), so not assumed",
  },
  'tv-2020': {
    codecs: ['av1', 'hevc', 'h264'],
    stands: 'a smart TV or streaming device of model year 2020 on',
    source:
      'hardware AV1 decoders in 2020 TV SoCs (Samsung 2020 TV media specifications; Netflix Tech Blog, "Bringing AV1 Streaming to Netflix Members\' TVs", 2021), HEVC for 4K/HDR since 2015, H.264',
  },
  legacy: {
    codecs: ['h264'],
    stands: 'any HLS/DASH player, including old phones, set-top boxes and TVs',
    source: "H.264 is the codec every HLS and DASH player decodes (Apple's HLS Authoring Specification keeps H.264 variants for compatibility)",
  },
}

export const DEVICE_NAMES = Object.keys(DEVICE_PROFILES)

/** The codecs a named device decodes, best first. */
export function deviceCodecs(name: string): readonly VideoCodec[] {
  const profile = DEVICE_PROFILES[name]
  if (!profile) throw new OclabError(ErrorCodes.USAGE, `unknown device "${name}" (one of ${DEVICE_NAMES.join(', ')})`)
  return profile.codecs
}

/** A codec list given by hand ("av1,h264"), best first. */
export function parseCodecList(text: string): VideoCodec[] {
  const { codecs, unknown } = splitCodecList(text)
  if (unknown.length || codecs.length === 0)
    throw new OclabError(
      ErrorCodes.USAGE,
      `codecs "${text}": ${unknown.length ? `unknown ${unknown.join(', ')}; ` : ''}give a list of ${VIDEO_CODEC_NAMES.join(', ')}`,
    )
  return codecs
}

/**
 * The first codec the device decodes that is offered: what a player plays.
 * `offered` are the families the title or manifest has (in any order);
 * `device` names the profile (or "--codecs") for the message when nothing fits.
 */
export function chooseCodec(offered: readonly string[], decodes: readonly string[], what: string, device = 'the device'): string {
  const codec = decodes.find((c) => offered.includes(c))
  if (codec === undefined) {
    const has = [...new Set(offered)]
    throw new OclabError(
      ErrorCodes.NO_PLAYABLE_CODEC,
      `${what} offers ${has.length ? has.join(', ') : 'no known video codec'}, and ${device} decodes only ${decodes.join(', ')}`,
      { offered: has, decodes: [...decodes] },
    )
  }
  return codec
}

/** What a player asks of a title or manifest: which codec it can play, and which audio and subtitles it fetches. */
export interface PlayerChoice {
  /** Play this codec's ladder; default the title's main codec (`encode.codec`, the first one encoded). */
  codec?: string
  /** The codecs the device decodes, best first (a DEVICE_PROFILES entry, or a list): the first offered is played. */
  decodes?: readonly string[]
  /** The device's name in messages (a profile name, or "--codecs"). */
  device?: string
  /**
   * Fetch audio beside the video: `true` the first rendition (the HLS group's DEFAULT), a language range
   * (RFC 4647, e.g. `en`) the first rendition in it, `false` none. Default true: a player downloads audio.
   */
  audio?: boolean | string
  /** Also fetch the subtitles in this language; default none (subtitles are off until a viewer turns them on). */
  subtitles?: string
}

/** The codec a player with `choice` plays from what is offered; today's default (`fallback`) without a device. */
export function playedCodec(offered: readonly string[], choice: PlayerChoice, fallback: string, what: string): string {
  if (choice.decodes) return chooseCodec(offered, choice.decodes, what, choice.device)
  return choice.codec ?? fallback
}

/**
 * The codec a manifest's video variants are played in, from each variant's
 * codec family (`videoCodecFamily`, or an "unstated …" placeholder): with a
 * device, the first it decodes that the manifest offers (the caller keeps
 * those variants); without, the family every variant shares, or undefined
 * when they differ or are unstated (all are played, as before devices).
 */
export function manifestCodec(families: readonly string[], choice: PlayerChoice, what: string): string | undefined {
  if (choice.decodes) return playedCodec(families, choice, '', what)
  const one = families[0]
  return one !== undefined && !one.startsWith('unstated') && families.every((f) => f === one) ? one : undefined
}
