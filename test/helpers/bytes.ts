/**
 * Flip bits of one byte in place, keeping the length: the corruption tests need bytes only a
 * checksum can tell apart. readUInt8/writeUInt8 throw on an index past the end, so a test that
 * aims outside the buffer fails loudly instead of "corrupting" nothing.
 */
export function flipBits(buf: Buffer, at: number, mask: number): Buffer {
  buf.writeUInt8(buf.readUInt8(at) ^ mask, at)
  return buf
}
