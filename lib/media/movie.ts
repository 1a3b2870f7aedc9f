import { type Box, boxVersion } from './boxes.js'

/**
 * Fields of the movie header boxes (ISO/IEC 14496-12 §8.3, §8.4, §8.8.3) that
 * the packager and the linter read: timescale, track id, handler, and the
 * per-track sample defaults fragments fall back to.
 */

/** mdhd timescale (version 0 and 1). */
export function mdhdTimescale(buf: Buffer, mdhd: Box): number {
  return buf.readUInt32BE(mdhd.body + 4 + (boxVersion(buf, mdhd) === 1 ? 16 : 8))
}

/** tkhd track_ID (version 0 and 1). */
export function tkhdTrackId(buf: Buffer, tkhd: Box): number {
  return buf.readUInt32BE(tkhd.body + (boxVersion(buf, tkhd) === 1 ? 20 : 12))
}

/** hdlr handler_type: 'vide', 'soun', … */
export const handlerType = (buf: Buffer, hdlr: Box): string => buf.toString('latin1', hdlr.body + 8, hdlr.body + 12)

export interface TrackDefaults {
  duration: number
  size: number
  flags: number
}

/** trex track_ID (which track its defaults are for). */
export const trexTrackId = (buf: Buffer, trex: Box): number => buf.readUInt32BE(trex.body + 4)

/** trex defaults from moov/mvex (zeros when absent). */
export function trexDefaults(buf: Buffer, trex: Box | undefined): TrackDefaults {
  if (!trex) return { duration: 0, size: 0, flags: 0 }
  // fullbox(4) track_ID(4) default_sample_description_index(4) then duration, size, flags
  return { duration: buf.readUInt32BE(trex.body + 12), size: buf.readUInt32BE(trex.body + 16), flags: buf.readUInt32BE(trex.body + 20) }
}
