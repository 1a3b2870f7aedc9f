/**
 * RFC 6381 `codecs` strings, one module for every reader of them: which
 * sample entry codes are video or audio and which codec family each belongs
 * to (the simulator picks a device's codec by family), the shape of each
 * family's parameters (ISO/IEC 14496-15 Annex E for AVC/HEVC, RFC 6381 §3.3
 * for MPEG-4 audio, the AV1 and VP9 ISOBMFF bindings), and whether a declared
 * string covers what an init segment holds (the linter).
 */
const FORMS: Array<[RegExp, RegExp, string]> = [
  [/^avc[13]\./, /^avc[13]\.[0-9A-Fa-f]{6}$/, 'avc1.PPCCLL (profile, constraint flags, level as 6 hex digits)'],
  [
    /^(hvc1|hev1)\./,
    /^(hvc1|hev1)\.[A-C]?\d{1,2}\.[0-9A-Fa-f]{1,8}\.[LH]\d{1,3}(\.[0-9A-Fa-f]{1,2}){0,6}$/,
    'hvc1.[A-C]P.CCCC.[L|H]LL[.CC…] (ISO/IEC 14496-15 Annex E)',
  ],
  [/^mp4a\./, /^mp4a\.[0-9A-Fa-f]{2}(\.\d{1,2})?$/, 'mp4a.OO[.A] (object type indication in hex, audio object type in decimal)'],
  [/^av01\./, /^av01\.\d\.\d{2}[MH]\.\d{2}(\.\d(\.\d{3}(\.\d{2}){3}(\.\d)?)?)?$/, 'av01.P.LLT.DD[…] (AV1 ISOBMFF binding)'],
  [/^vp09\./, /^vp09\.\d{2}\.\d{2}\.\d{2}(\.\d{2}){0,5}$/, 'vp09.PP.LL.DD[…] (VP9 ISOBMFF binding)'],
]
const GENERIC = /^[A-Za-z0-9-]{4}(\.[A-Za-z0-9.-]+)?$/

/**
 * Sample entry codes (the part before the first dot; MP4RA's registered codes, case as registered) of the codecs
 * a manifest may name, with the video codec family of each video code. Families use title.json's codec names
 * (lib/video-codec-names.ts) where it has one.
 */
const VIDEO_ENTRIES: Readonly<Record<string, string>> = {
  avc1: 'h264',
  avc2: 'h264',
  avc3: 'h264',
  avc4: 'h264',
  hvc1: 'hevc',
  hev1: 'hevc',
  av01: 'av1',
  vp08: 'vp8',
  vp09: 'vp9',
  dvh1: 'dolby-vision',
  dvhe: 'dolby-vision',
  dva1: 'dolby-vision',
  dvav: 'dolby-vision',
  mp4v: 'mpeg4-visual',
}
const AUDIO_ENTRIES = new Set(['mp4a', 'ac-3', 'ec-3', 'ac-4', 'opus', 'Opus', 'fLaC', 'alac', 'mha1', 'mhm1', 'dtsc', 'dtse', 'dtsh', 'dtsl'])

const fourcc = (c: string): string => c.split('.')[0]!

export const isVideoCodec = (c: string): boolean => Object.hasOwn(VIDEO_ENTRIES, fourcc(c))
export const isAudioCodec = (c: string): boolean => AUDIO_ENTRIES.has(fourcc(c))

/**
 * The video codec family of a codecs attribute (HLS CODECS, DASH @codecs,
 * title.json `codecs`), from its first video entry, read leniently (any case)
 * as a player would; null when it names no video codec (audio, subtitles) or
 * is absent.
 */
export function videoCodecFamily(codecs: string | undefined): string | null {
  for (const entry of splitCodecs(codecs ?? '')) {
    const code = fourcc(entry).toLowerCase()
    if (Object.hasOwn(VIDEO_ENTRIES, code)) return VIDEO_ENTRIES[code]!
  }
  return null
}

/** The comma-separated entries of a codecs attribute, trimmed. */
export const splitCodecs = (s: string): string[] =>
  s
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean)

/** Why one entry is malformed, or undefined. */
export function codecProblem(c: string): string | undefined {
  for (const [family, form, shape] of FORMS) if (family.test(c)) return form.test(c) ? undefined : `"${c}" is not of the form ${shape}`
  return GENERIC.test(c) ? undefined : `"${c}" is not a sample entry code with optional dot-separated parameters`
}

/**
 * Does a declared entry describe the stream whose init segment gave `actual`?
 * Profile and constraints must match; a declared level may be higher than the
 * stream's (it still tells the player enough), not lower.
 */
export function codecCovers(declared: string, actual: string): boolean {
  if (fourcc(declared) !== fourcc(actual)) return false
  const d = declared.toLowerCase()
  const a = actual.toLowerCase()
  if (d === a) return true
  if (/^avc[13]\./.test(a)) return d.slice(0, 9) === a.slice(0, 9) && parseInt(d.slice(9, 11), 16) >= parseInt(a.slice(9, 11), 16)
  if (/^(hvc1|hev1)\./.test(a)) {
    const dp = d.split('.')
    const ap = a.split('.')
    const level = (s: string) => ({ tier: s[0], n: Number(s.slice(1)) })
    return (
      dp[1] === ap[1] &&
      dp[2] === ap[2] &&
      level(dp[3]!).tier === level(ap[3]!).tier &&
      level(dp[3]!).n >= level(ap[3]!).n &&
      dp.slice(4).join('.') === ap.slice(4).join('.')
    )
  }
  if (a.startsWith('av01.')) {
    // av01.P.LLT.DD[.M.CCC.cc.tt.mm.F] (AV1 ISOBMFF binding): a higher level is fine; the tail, when declared, must match, and may be left off only at its defaults
    const dp = d.split('.')
    const ap = a.split('.')
    const lvl = (s: string) => ({ n: Number(s.slice(0, 2)), tier: s.slice(2) })
    const tail = (p: string[]) => (p.length > 4 ? p.slice(4).join('.') : '0.110.01.01.01.0')
    return dp[1] === ap[1] && lvl(dp[2]!).tier === lvl(ap[2]!).tier && lvl(dp[2]!).n >= lvl(ap[2]!).n && dp[3] === ap[3] && tail(dp) === tail(ap)
  }
  if (a.startsWith('mp4a.')) {
    const norm = (s: string) =>
      s
        .split('.')
        .map((p, i) => (i === 2 ? String(Number(p)) : p))
        .join('.')
    return norm(d) === norm(a)
  }
  // Other families: the init segment gives only the sample entry type, already equal.
  return !/\./.test(a)
}
