import { av1cCodecs } from './av1-codecs.js'
import { type Box, readBoxes } from './boxes.js'

/**
 * Sample entries (ISO/IEC 14496-12 §8.5.2) and the RFC 6381 `codecs` strings
 * their configuration boxes give: avcC (ISO/IEC 14496-15 §5.3.3), hvcC
 * (14496-15 Annex E.3) and esds (ISO/IEC 14496-1 §7.2.6). The packager writes
 * the string into title.json; the linter compares it with the manifest's.
 */

/** The sample entry (avc1, mp4a, …) inside stsd. */
export function sampleEntry(buf: Buffer, stsd: Box): Box {
  // stsd: fullbox header (4) + entry_count (4), then entries
  const entries = readBoxes(buf, stsd.body + 8, stsd.start + stsd.size)
  if (!entries.length) throw new Error('MP4: stsd has no sample entry')
  return entries[0]!
}

const VISUAL_ENTRIES = new Set(['avc1', 'avc3', 'hvc1', 'hev1', 'vp09', 'av01'])

/** Child boxes of a sample entry, which has a fixed-size preamble before them. */
export function sampleEntryChildren(buf: Buffer, entry: Box): Box[] {
  // VisualSampleEntry: 6 reserved + 2 dref + 70 fields = 78; AudioSampleEntry: 6 + 2 + 20 = 28
  const preamble = VISUAL_ENTRIES.has(entry.type) ? 78 : 28
  return readBoxes(buf, entry.body + preamble, entry.start + entry.size)
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0')

/** RFC 6381 codecs string for H.264 from avcC: avc1.PPCCLL */
export function avcCodecs(buf: Buffer, avcC: Box, entryType = 'avc1'): string {
  const b = avcC.body
  return `${entryType}.${hex2(buf[b + 1]!)}${hex2(buf[b + 2]!)}${hex2(buf[b + 3]!)}`
}

/** NAL unit length field size of avcC / hvcC (lengthSizeMinusOne + 1). */
export function nalLengthSize(buf: Buffer, config: Box): number {
  return (buf[config.body + (config.type === 'hvcC' ? 21 : 4)]! & 3) + 1
}

const hex = (n: number): string => n.toString(16).toUpperCase()

/** RFC 6381 string from hvcC (ISO/IEC 14496-15 Annex E.3). */
export function hvcCodecs(buf: Buffer, hvcC: Box, entryType: string): string {
  const b = hvcC.body
  const byte1 = buf[b + 1]!
  const space = ['', 'A', 'B', 'C'][byte1 >> 6]
  const tier = byte1 & 0x20 ? 'H' : 'L'
  const profile = byte1 & 0x1f
  // compatibility flags are written bit-reversed
  let compat = buf.readUInt32BE(b + 2)
  let reversed = 0
  for (let i = 0; i < 32; i++) {
    reversed = (reversed << 1) | (compat & 1)
    compat >>>= 1
  }
  const constraints = [...buf.subarray(b + 6, b + 12)]
  while (constraints.length && constraints[constraints.length - 1] === 0) constraints.pop()
  const level = buf[b + 12]!
  return [`${entryType}`, `${space}${profile}`, hex(reversed >>> 0), `${tier}${level}`, ...constraints.map(hex)].join('.')
}

/** AV1 codecs parameter string from av1C's sequence header OBU (lib/media/av1-codecs.ts). */
export const av1Codecs = (buf: Buffer, av1C: Box, entryType = 'av01'): string => av1cCodecs(buf, av1C.body, av1C.start + av1C.size, entryType)

/** Read an MPEG-4 descriptor's tag and length (expandable size, up to 4 bytes). */
function descriptor(buf: Buffer, p: number): { tag: number; len: number; body: number } {
  const tag = buf[p]!
  let len = 0
  let i = p + 1
  for (let n = 0; n < 4; n++) {
    const byte = buf[i++]!
    len = (len << 7) | (byte & 0x7f)
    if (!(byte & 0x80)) break
  }
  return { tag, len, body: i }
}

/** RFC 6381 codecs string for MPEG-4 audio from esds: mp4a.OO.A (OTI hex, audio object type decimal). */
export function mp4aCodecs(buf: Buffer, esds: Box): string {
  const es = descriptor(buf, esds.body + 4) // after fullbox header
  if (es.tag !== 0x03) throw new Error('MP4: esds has no ES_Descriptor')
  const flags = buf[es.body + 2]!
  let p = es.body + 3
  if (flags & 0x80) p += 2 // dependsOn_ES_ID
  if (flags & 0x40) p += 1 + buf[p]! // URL
  if (flags & 0x20) p += 2 // OCR_ES_Id
  const dc = descriptor(buf, p)
  if (dc.tag !== 0x04) throw new Error('MP4: esds has no DecoderConfigDescriptor')
  const oti = buf[dc.body]!
  const dsi = descriptor(buf, dc.body + 13)
  let aot = dsi.tag === 0x05 ? buf[dsi.body]! >> 3 : 0
  if (aot === 31) aot = 32 + (((buf[dsi.body]! & 0x07) << 3) | (buf[dsi.body + 1]! >> 5))
  return `mp4a.${hex2(oti)}${aot ? `.${aot}` : ''}`
}

/**
 * The codecs string of a sample entry (AVC, HEVC, AV1, AAC) and, for AVC/HEVC, its NAL length size.
 * Encrypted entries (encv/enca) and unknown ones give the entry type alone.
 */
export function entryCodecs(buf: Buffer, entry: Box): { codecs: string; nalLengthSize?: number } {
  const kids = ['encv', 'enca'].includes(entry.type) ? [] : sampleEntryChildren(buf, entry)
  const avcC = kids.find((k) => k.type === 'avcC')
  if (avcC) return { codecs: avcCodecs(buf, avcC, entry.type), nalLengthSize: nalLengthSize(buf, avcC) }
  const hvcC = kids.find((k) => k.type === 'hvcC')
  if (hvcC) return { codecs: hvcCodecs(buf, hvcC, entry.type), nalLengthSize: nalLengthSize(buf, hvcC) }
  const av1C = kids.find((k) => k.type === 'av1C')
  if (av1C) return { codecs: av1Codecs(buf, av1C, entry.type) }
  const esds = kids.find((k) => k.type === 'esds')
  if (esds) return { codecs: mp4aCodecs(buf, esds) }
  return { codecs: entry.type }
}
