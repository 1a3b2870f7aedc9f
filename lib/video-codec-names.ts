/**
 * The video codecs title.json can name (`VideoRendition.codec`), oldest
 * first: the encoder encodes them, the simulator's devices decode them, and
 * placement ranks them by this order (a device that decodes one decodes the
 * older ones too). One list, so adding a codec is one line here.
 */
export const VIDEO_CODEC_NAMES = ['h264', 'hevc', 'av1'] as const
export type VideoCodecName = (typeof VIDEO_CODEC_NAMES)[number]

export const isVideoCodecName = (s: string): s is VideoCodecName => (VIDEO_CODEC_NAMES as readonly string[]).includes(s)

/** A comma-separated codec list (`--codecs av1,h264`), trimmed, lower-cased and de-duplicated in order, with the names it did not know. */
export function splitCodecList(text: string): { codecs: VideoCodecName[]; unknown: string[] } {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
  return { codecs: [...new Set(names.filter(isVideoCodecName))], unknown: names.filter((n) => !isVideoCodecName(n)) }
}
