import { type Box, boxFlags, boxVersion } from './boxes.js'
import type { TrackDefaults } from './movie.js'

/**
 * Movie fragment fields (ISO/IEC 14496-12 §8.8.7 tfhd, §8.8.8 trun, §8.8.12
 * tfdt): sample timing, sizes and flags, and the one in-place change the
 * packager makes (signed composition offsets).
 */

/** sample_is_non_sync_sample in sample flags (§8.8.3.1). */
export const NON_SYNC_SAMPLE = 0x10000

/** tfdt baseMediaDecodeTime */
export function tfdtTime(buf: Buffer, tfdt: Box): number {
  return boxVersion(buf, tfdt) === 1 ? Number(buf.readBigUInt64BE(tfdt.body + 4)) : buf.readUInt32BE(tfdt.body + 4)
}

/** tfhd track_ID */
export const tfhdTrackId = (buf: Buffer, tfhd: Box): number => buf.readUInt32BE(tfhd.body + 4)

/** tfhd base_data_offset, when the box carries one (flag 0x01). */
export function tfhdBaseDataOffset(buf: Buffer, tfhd: Box): number | undefined {
  return boxFlags(buf, tfhd) & 0x01 ? Number(buf.readBigUInt64BE(tfhd.body + 8)) : undefined
}

/** tfhd defaults, layered over trex's. */
export function tfhdDefaults(buf: Buffer, tfhd: Box, trex: TrackDefaults): TrackDefaults {
  const flags = boxFlags(buf, tfhd)
  let p = tfhd.body + 8 // fullbox + track_ID
  if (flags & 0x01) p += 8 // base_data_offset
  if (flags & 0x02) p += 4 // sample_description_index
  const d = { ...trex }
  if (flags & 0x08) {
    d.duration = buf.readUInt32BE(p)
    p += 4
  }
  if (flags & 0x10) {
    d.size = buf.readUInt32BE(p)
    p += 4
  }
  if (flags & 0x20) d.flags = buf.readUInt32BE(p)
  return d
}

export interface TrunSample {
  duration: number
  size: number
  flags?: number
  compositionOffset: number
}

export interface TrunLayout {
  version: number
  flags: number
  count: number
  /** data_offset (flag 0x01), signed, from the base data offset */
  dataOffset?: number
  /** first_sample_flags (flag 0x04) */
  firstSampleFlags?: number
  /** offset of the first sample record */
  first: number
  /** bytes per sample record */
  stride: number
  /** offset of the composition offset field inside a record, or -1 */
  ctsAt: number
}

export function trunLayout(buf: Buffer, trun: Box): TrunLayout {
  const version = boxVersion(buf, trun)
  const flags = boxFlags(buf, trun)
  const count = buf.readUInt32BE(trun.body + 4)
  let p = trun.body + 8
  const l: TrunLayout = { version, flags, count, first: 0, stride: 0, ctsAt: -1 }
  if (flags & 0x01) {
    l.dataOffset = buf.readInt32BE(p)
    p += 4
  }
  if (flags & 0x04) {
    l.firstSampleFlags = buf.readUInt32BE(p)
    p += 4
  }
  l.first = p
  if (flags & 0x100) l.stride += 4
  if (flags & 0x200) l.stride += 4
  if (flags & 0x400) l.stride += 4
  if (flags & 0x800) {
    l.ctsAt = l.stride
    l.stride += 4
  }
  if (p + count * l.stride > trun.start + trun.size) throw new Error(`MP4: trun at ${trun.start} lists ${count} samples but is ${trun.size} bytes`)
  return l
}

export function trunSamples(buf: Buffer, trun: Box, defaults: TrackDefaults): TrunSample[] {
  const l = trunLayout(buf, trun)
  const out: TrunSample[] = []
  for (let i = 0, p = l.first; i < l.count; i++, p += l.stride) {
    let q = p
    let duration = defaults.duration
    let size = defaults.size
    let flags: number | undefined
    if (l.flags & 0x100) {
      duration = buf.readUInt32BE(q)
      q += 4
    }
    if (l.flags & 0x200) {
      size = buf.readUInt32BE(q)
      q += 4
    }
    if (l.flags & 0x400) {
      flags = buf.readUInt32BE(q)
      q += 4
    }
    const compositionOffset = l.ctsAt < 0 ? 0 : l.version === 1 ? buf.readInt32BE(p + l.ctsAt) : buf.readUInt32BE(p + l.ctsAt)
    out.push({ duration, size, compositionOffset, ...(flags !== undefined ? { flags } : {}) })
  }
  return out
}

/** The flags of a run's first sample: first_sample_flags, else its own record's, else the defaults (§8.8.8.1). */
export function firstSampleFlags(layout: TrunLayout, samples: readonly TrunSample[], defaults: TrackDefaults): number {
  return layout.firstSampleFlags ?? samples[0]?.flags ?? defaults.flags
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
