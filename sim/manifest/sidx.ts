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
  const size = buf.readUInt32BE(0)
  if (buf.toString('latin1', 4, 8) !== 'sidx') return `the index range holds a "${buf.toString('latin1', 4, 8)}" box, not "sidx"`
  if (size > buf.length) return `the sidx box says ${size} bytes but the index range has ${buf.length}`
  const version = buf.readUInt8(8)
  let p = 12 + 4 // version/flags, reference_ID
  const timescale = buf.readUInt32BE(p)
  p += 4
  p += version === 0 ? 8 : 16 // earliest_presentation_time, first_offset
  p += 2 // reserved
  if (p + 2 > size) return 'the sidx box is truncated'
  const count = buf.readUInt16BE(p)
  p += 2
  if (p + count * 12 > size) return 'the sidx box is truncated'
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

/** Build a sidx box (version 0) for tests and tools. */
export function buildSidx(timescale: number, refs: Array<{ bytes: number; ticks: number }>): Buffer {
  const size = 32 + refs.length * 12
  const b = Buffer.alloc(size)
  b.writeUInt32BE(size, 0)
  b.write('sidx', 4, 'latin1')
  b.writeUInt32BE(1, 12)
  b.writeUInt32BE(timescale, 16)
  b.writeUInt16BE(refs.length, 30)
  refs.forEach((r, i) => {
    b.writeUInt32BE(r.bytes, 32 + i * 12)
    b.writeUInt32BE(r.ticks, 36 + i * 12)
    b.writeUInt32BE(0x90000000, 40 + i * 12)
  })
  return b
}
