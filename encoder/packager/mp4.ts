/**
 * Just enough ISO BMFF (ISO/IEC 14496-12) to package CMAF: walk boxes, read
 * the fields a packager needs (timescale, codec configuration, fragment
 * timing) and patch the few it must change. Pure functions over Buffers.
 */
import { av1cCodecs } from './av1-codecs.js'

export interface Box {
  type: string
  /** offset of the box's first byte */
  start: number
  /** total size including the header */
  size: number
  /** offset of the payload (after size, type and any largesize) */
  body: number
}

/** Boxes laid end to end in buf[start, end). Throws on a size that overruns. */
export function readBoxes(buf: Buffer, start = 0, end = buf.length): Box[] {
  const boxes: Box[] = []
  let p = start
  while (p + 8 <= end) {
    let size = buf.readUInt32BE(p)
    const type = buf.toString('latin1', p + 4, p + 8)
    let header = 8
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(p + 8))
      header = 16
    } else if (size === 0) {
      size = end - p
    }
    if (size < header || p + size > end) throw new Error(`MP4: box "${type}" at ${p} has bad size ${size}`)
    boxes.push({ type, start: p, size, body: p + header })
    p += size
  }
  return boxes
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf', 'edts', 'dinf'])

/** Children of a container box. */
export const children = (buf: Buffer, box: Box): Box[] => readBoxes(buf, box.body, box.start + box.size)

/** First box along a path of types, e.g. ['moov','trak','mdia','mdhd']. */
export function findBox(buf: Buffer, path: string[], within?: Box): Box | undefined {
  let level = within ? children(buf, within) : readBoxes(buf)
  let found: Box | undefined
  for (const type of path) {
    found = level.find((b) => b.type === type)
    if (!found) return undefined
    level = CONTAINERS.has(type) ? children(buf, found) : []
  }
  return found
}

/** mdhd timescale (version 0 and 1). */
export function mdhdTimescale(buf: Buffer, mdhd: Box): number {
  const version = buf.readUInt8(mdhd.body)
  return buf.readUInt32BE(mdhd.body + 4 + (version === 1 ? 16 : 8))
}

/** The sample entry (avc1, mp4a, …) inside stsd. */
export function sampleEntry(buf: Buffer, stsd: Box): Box {
  // stsd: fullbox header (4) + entry_count (4), then entries
  const entries = readBoxes(buf, stsd.body + 8, stsd.start + stsd.size)
  if (!entries.length) throw new Error('MP4: stsd has no sample entry')
  return entries[0]!
}

/** Child boxes of a sample entry, which has a fixed-size preamble before them. */
export function sampleEntryChildren(buf: Buffer, entry: Box): Box[] {
  // VisualSampleEntry: 6 reserved + 2 dref + 70 fields = 78; AudioSampleEntry: 6 + 2 + 20 = 28
  const preamble = ['avc1', 'avc3', 'hvc1', 'hev1', 'vp09', 'av01'].includes(entry.type) ? 78 : 28
  return readBoxes(buf, entry.body + preamble, entry.start + entry.size)
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0')

/** RFC 6381 codecs string for H.264 from avcC: avc1.PPCCLL */
export function avcCodecs(buf: Buffer, avcC: Box, entryType = 'avc1'): string {
  const b = avcC.body
  return `${entryType}.${hex2(buf[b + 1]!)}${hex2(buf[b + 2]!)}${hex2(buf[b + 3]!)}`
}

const hexUpper = (n: number): string => n.toString(16).toUpperCase()

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
  for (let i = 0; i < 32; i++) (reversed = (reversed << 1) | (compat & 1)), (compat >>>= 1)
  const constraints = [...buf.subarray(b + 6, b + 12)]
  while (constraints.length && constraints[constraints.length - 1] === 0) constraints.pop()
  const level = buf[b + 12]!
  return [`${entryType}`, `${space}${profile}`, hexUpper(reversed >>> 0), `${tier}${level}`, ...constraints.map(hexUpper)].join('.')
}

/** AV1 codecs parameter string from av1C's sequence header OBU (encoder/av1-codecs.ts). */
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

/** tfdt baseMediaDecodeTime */
export function tfdtTime(buf: Buffer, tfdt: Box): number {
  const version = buf.readUInt8(tfdt.body)
  return version === 1 ? Number(buf.readBigUInt64BE(tfdt.body + 4)) : buf.readUInt32BE(tfdt.body + 4)
}

export interface TrunSample {
  duration: number
  size: number
  flags?: number
  compositionOffset: number
}

export interface TrackDefaults {
  duration: number
  size: number
  flags: number
}

/** tfhd defaults, layered over trex's. */
export function tfhdDefaults(buf: Buffer, tfhd: Box, trex: TrackDefaults): TrackDefaults {
  const flags = buf.readUInt32BE(tfhd.body) & 0xffffff
  let p = tfhd.body + 8 // fullbox + track_ID
  if (flags & 0x01) p += 8 // base_data_offset
  if (flags & 0x02) p += 4 // sample_description_index
  const d = { ...trex }
  if (flags & 0x08) (d.duration = buf.readUInt32BE(p)), (p += 4)
  if (flags & 0x10) (d.size = buf.readUInt32BE(p)), (p += 4)
  if (flags & 0x20) d.flags = buf.readUInt32BE(p)
  return d
}

/** trex defaults from moov/mvex (zeros when absent). */
export function trexDefaults(buf: Buffer, trex: Box | undefined): TrackDefaults {
  if (!trex) return { duration: 0, size: 0, flags: 0 }
  // fullbox(4) track_ID(4) default_sample_description_index(4) then duration, size, flags
  return { duration: buf.readUInt32BE(trex.body + 12), size: buf.readUInt32BE(trex.body + 16), flags: buf.readUInt32BE(trex.body + 20) }
}

export interface TrunLayout {
  version: number
  flags: number
  count: number
  /** offset of the first sample record */
  first: number
  /** bytes per sample record */
  stride: number
  /** offset of the composition offset field inside a record, or -1 */
  ctsAt: number
}

export function trunLayout(buf: Buffer, trun: Box): TrunLayout {
  const version = buf.readUInt8(trun.body)
  const flags = buf.readUInt32BE(trun.body) & 0xffffff
  const count = buf.readUInt32BE(trun.body + 4)
  let p = trun.body + 8
  if (flags & 0x01) p += 4 // data_offset
  if (flags & 0x04) p += 4 // first_sample_flags
  let stride = 0
  let ctsAt = -1
  if (flags & 0x100) stride += 4
  if (flags & 0x200) stride += 4
  if (flags & 0x400) stride += 4
  if (flags & 0x800) (ctsAt = stride), (stride += 4)
  return { version, flags, count, first: p, stride, ctsAt }
}

export function trunSamples(buf: Buffer, trun: Box, defaults: TrackDefaults): TrunSample[] {
  const l = trunLayout(buf, trun)
  const out: TrunSample[] = []
  for (let i = 0, p = l.first; i < l.count; i++, p += l.stride) {
    let q = p
    let duration = defaults.duration
    let size = defaults.size
    let flags: number | undefined
    if (l.flags & 0x100) (duration = buf.readUInt32BE(q)), (q += 4)
    if (l.flags & 0x200) (size = buf.readUInt32BE(q)), (q += 4)
    if (l.flags & 0x400) (flags = buf.readUInt32BE(q)), (q += 4)
    const compositionOffset = l.ctsAt < 0 ? 0 : l.version === 1 ? buf.readInt32BE(p + l.ctsAt) : buf.readUInt32BE(p + l.ctsAt)
    out.push({ duration, size, compositionOffset, ...(flags !== undefined ? { flags } : {}) })
  }
  return out
}

/**
 * Shift every composition offset of a trun by −shift and mark it version 1
 * (signed offsets). With B-frames the first frame is presented `shift` ticks
 * after its decode time; CMAF prefers negative offsets to an edit list, so the
 * first frame is presented at its segment's start and audio stays in sync.
 */
export function shiftCompositionOffsets(buf: Buffer, trun: Box, shift: number): void {
  const l = trunLayout(buf, trun)
  if (l.ctsAt < 0 || shift === 0) return
  for (let i = 0, p = l.first + l.ctsAt; i < l.count; i++, p += l.stride) {
    const v = l.version === 1 ? buf.readInt32BE(p) : buf.readUInt32BE(p)
    buf.writeInt32BE(v - shift, p)
  }
  buf.writeUInt8(1, trun.body)
}

/** An ftyp/styp box with the given brands. */
export function brandBox(type: 'ftyp' | 'styp', major: string, minor: number, compatible: string[]): Buffer {
  const b = Buffer.alloc(16 + 4 * compatible.length)
  b.writeUInt32BE(b.length, 0)
  b.write(type, 4, 'latin1')
  b.write(major, 8, 'latin1')
  b.writeUInt32BE(minor, 12)
  compatible.forEach((c, i) => b.write(c, 16 + 4 * i, 'latin1'))
  return b
}

/** Box types that open an ISO BMFF / QuickTime file (14496-12 top level, and QuickTime's `wide`/`pnot`). */
const FILE_START_BOXES = new Set(['ftyp', 'styp', 'moov', 'mdat', 'moof', 'sidx', 'free', 'skip', 'wide', 'pnot', 'pdin', 'meta', 'uuid'])

/**
 * Do the first bytes of a file look like an MP4 (a known top-level box with a
 * sane size)? Tells "an MP4 cut short" from "not an MP4 at all" when ffprobe
 * says only "moov atom not found" for both (it picks its demuxer by extension).
 */
export function looksLikeIsoBmff(head: Buffer): boolean {
  if (head.length < 8) return false
  const size = head.readUInt32BE(0)
  return (size === 0 || size === 1 || size >= 8) && FILE_START_BOXES.has(head.toString('latin1', 4, 8))
}
