import { type Box, boxAt, writeFullBox } from './boxes.js'

/** One media subsegment listed in a Segment Index box. */
export interface SidxReference {
  bytes: number
  duration: number
}

/**
 * Parse an ISO BMFF `sidx` box (ISO/IEC 14496-12 §8.16.3), as a DASH
 * SegmentBase@indexRange points to: the exact size and duration of each
 * subsegment. Returns an error string instead of throwing so the caller can
 * name the manifest and representation.
 */
export function parseSidx(buf: Buffer): SidxReference[] | string {
  if (buf.length < 12) return 'the index range is too short for a sidx box'
  const type = buf.toString('latin1', 4, 8)
  if (type !== 'sidx') return `the index range holds a "${type}" box, not "sidx"`
  const claimed = buf.readUInt32BE(0)
  if (claimed > buf.length) return `the sidx box says ${claimed} bytes but the index range has ${buf.length}`
  let box: Box
  try {
    box = boxAt(buf, 0, buf.length)
  } catch {
    return 'the sidx box has a bad size'
  }
  const end = box.start + box.size
  const version = buf.readUInt8(box.body)
  let p = box.body + 4 + 4 // version/flags, reference_ID
  if (p + 4 > end) return 'the sidx box is truncated'
  const timescale = buf.readUInt32BE(p)
  p += 4
  p += version === 0 ? 8 : 16 // earliest_presentation_time, first_offset
  p += 2 // reserved
  if (p + 2 > end) return 'the sidx box is truncated'
  const count = buf.readUInt16BE(p)
  p += 2
  if (p + count * 12 > end) return 'the sidx box is truncated'
  if (!timescale) return 'the sidx box has timescale 0'
  const refs: SidxReference[] = []
  for (let i = 0; i < count; i++, p += 12) {
    const word = buf.readUInt32BE(p)
    if (word >>> 31) return 'hierarchical sidx (references to other index boxes) is not supported'
    refs.push({ bytes: word & 0x7fffffff, duration: buf.readUInt32BE(p + 4) / timescale })
  }
  if (refs.length === 0) return 'the sidx box lists no subsegments'
  return refs
}

/** A sidx box (version 0, reference_ID 1, every subsegment starting with a SAP of type 1), for tests and tools. */
export function buildSidx(timescale: number, refs: ReadonlyArray<{ bytes: number; ticks: number }>): Buffer {
  const b = Buffer.alloc(20 + refs.length * 12)
  b.writeUInt32BE(1, 0) // reference_ID
  b.writeUInt32BE(timescale, 4)
  // earliest_presentation_time, first_offset (32 bits each in version 0), reserved: zero
  b.writeUInt16BE(refs.length, 18)
  refs.forEach((r, i) => {
    b.writeUInt32BE(r.bytes, 20 + i * 12)
    b.writeUInt32BE(r.ticks, 24 + i * 12)
    b.writeUInt32BE(0x90000000, 28 + i * 12) // starts_with_SAP, SAP_type 1
  })
  return writeFullBox('sidx', 0, 0, b)
}
