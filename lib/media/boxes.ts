/**
 * The one ISO BMFF (ISO/IEC 14496-12) box layer of the project: walk boxes,
 * find them by path, and write new ones. The encoder's packager, the linter's
 * --deep reader and the simulator's sidx reading all go through it, so a box
 * header (32-bit size, 64-bit largesize, size 0 "to the end") is read in one
 * place. Pure functions over Buffers; fields of particular boxes live beside
 * it (fragment.ts, sample-entry.ts, sidx.ts).
 */

export interface Box {
  type: string
  /** offset of the box's first byte */
  start: number
  /** total size including the header */
  size: number
  /** offset of the payload (after size, type and any largesize) */
  body: number
}

/** Bytes a header needs at most (size, type, largesize): what to read from a file to learn one box. */
export const MAX_HEADER_BYTES = 16

/**
 * The box whose header starts at `p`, inside a parent that ends at `end`.
 * `origin` is the file offset of buf[0], so a header read on its own from a
 * file (cmaf.ts reads 16 bytes per top-level box) gives file offsets.
 * Throws on a size that overruns the parent.
 */
export function boxAt(buf: Buffer, p: number, end: number, origin = 0): Box {
  let size = buf.readUInt32BE(p)
  const type = buf.toString('latin1', p + 4, p + 8)
  let header = 8
  if (size === 1) {
    size = Number(buf.readBigUInt64BE(p + 8))
    header = 16
  } else if (size === 0) {
    size = end - (origin + p)
  }
  const start = origin + p
  if (size < header || start + size > end) throw new Error(`MP4: box "${type}" at ${start} has bad size ${size}`)
  return { type, start, size, body: start + header }
}

/** Boxes laid end to end in buf[start, end). Throws on a size that overruns. */
export function readBoxes(buf: Buffer, start = 0, end = buf.length): Box[] {
  const boxes: Box[] = []
  for (let p = start; p + 8 <= end; ) {
    const box = boxAt(buf, p, end)
    boxes.push(box)
    p += box.size
  }
  return boxes
}

/** Boxes whose payload is only other boxes (14496-12's containers the project walks into). */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf', 'edts', 'dinf'])

/** Children of a container box. */
export const children = (buf: Buffer, box: Box): Box[] => readBoxes(buf, box.body, box.start + box.size)

/** First box along a path of types, e.g. ['moov','trak','mdia','mdhd'], from the top or from inside `within`. */
export function findBox(buf: Buffer, path: readonly string[], within?: Box): Box | undefined {
  let level = within ? children(buf, within) : readBoxes(buf)
  let found: Box | undefined
  for (const type of path) {
    found = level.find((b) => b.type === type)
    if (!found) return undefined
    level = CONTAINERS.has(type) ? children(buf, found) : []
  }
  return found
}

/** A full box's version (the byte before its 24 flag bits). */
export const boxVersion = (buf: Buffer, box: Box): number => buf.readUInt8(box.body)
/** A full box's 24 flag bits. */
export const boxFlags = (buf: Buffer, box: Box): number => buf.readUInt32BE(box.body) & 0xffffff

/** A box of `type` around `payload` (32-bit size; nothing the project writes comes near 4 GiB). */
export function writeBox(type: string, ...payload: Buffer[]): Buffer {
  if (type.length !== 4) throw new Error(`MP4: box type "${type}" is not four characters`)
  const header = Buffer.alloc(8)
  const size = 8 + payload.reduce((s, b) => s + b.length, 0)
  header.writeUInt32BE(size, 0)
  header.write(type, 4, 'latin1')
  return Buffer.concat([header, ...payload])
}

/** A full box (version and flags before the payload). */
export function writeFullBox(type: string, version: number, flags: number, ...payload: Buffer[]): Buffer {
  const vf = Buffer.alloc(4)
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0)
  return writeBox(type, vf, ...payload)
}

/** An ftyp/styp box with the given brands. */
export function brandBox(type: 'ftyp' | 'styp', major: string, minor: number, compatible: readonly string[]): Buffer {
  const b = Buffer.alloc(8 + 4 * compatible.length)
  b.write(major, 0, 'latin1')
  b.writeUInt32BE(minor, 4)
  for (const [i, c] of compatible.entries()) b.write(c, 8 + 4 * i, 'latin1')
  return writeBox(type, b)
}

/** Major brand, minor version and compatible brands of an ftyp/styp box. */
export function readBrands(buf: Buffer, box: Box): { major: string; minor: number; compatible: string[] } {
  const end = box.start + box.size
  const compatible: string[] = []
  for (let p = box.body + 8; p + 4 <= end; p += 4) compatible.push(buf.toString('latin1', p, p + 4))
  return { major: buf.toString('latin1', box.body, box.body + 4), minor: buf.readUInt32BE(box.body + 4), compatible }
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
