import { av1Codecs, avcCodecs, children, hvcCodecs, findBox, mp4aCodecs, readBoxes, sampleEntry, sampleEntryChildren, tfhdDefaults, trexDefaults, trunLayout, trunSamples, type Box, type TrackDefaults } from '../../encoder/packager/mp4.js'

/**
 * What --deep reads from fMP4 media: each track's codecs string from its init
 * segment (avcC, hvcC, av1C, esds) and whether a media segment starts with a
 * random access point (the first sample's sync flag, ISO/IEC 14496-12
 * §8.8.3.1, and the NAL unit type of its first picture).
 */
export interface InitTrack {
  id: number
  handler: string
  /** sample entry type: avc1, hvc1, mp4a, … */
  entry: string
  codecs: string
  /** AVC/HEVC NAL length field size in bytes */
  nalLengthSize?: number
  defaults: TrackDefaults
}

/** Every track of an init segment (ftyp + moov); throws on a file that is not ISO BMFF. */
export function initTracks(buf: Buffer): InitTrack[] {
  const moov = findBox(buf, ['moov'])
  if (!moov) throw new Error('no moov box')
  const top = children(buf, moov)
  const trexes = findBox(buf, ['mvex'], moov) ? children(buf, findBox(buf, ['mvex'], moov)!).filter((b) => b.type === 'trex') : []
  return top
    .filter((b) => b.type === 'trak')
    .map((trak) => {
      const tkhd = findBox(buf, ['tkhd'], trak)
      const id = tkhd ? buf.readUInt32BE(tkhd.body + (buf.readUInt8(tkhd.body) === 1 ? 20 : 12)) : 0
      const hdlr = findBox(buf, ['mdia', 'hdlr'], trak)
      const handler = hdlr ? buf.toString('latin1', hdlr.body + 8, hdlr.body + 12) : ''
      const stsd = findBox(buf, ['mdia', 'minf', 'stbl', 'stsd'], trak)
      if (!stsd) throw new Error(`track ${id} has no stsd`)
      const entry = sampleEntry(buf, stsd)
      const kids = ['encv', 'enca'].includes(entry.type) ? [] : sampleEntryChildren(buf, entry)
      const box = (t: string) => kids.find((k) => k.type === t)
      let codecs = entry.type
      let nalLengthSize: number | undefined
      if (box('avcC')) {
        codecs = avcCodecs(buf, box('avcC')!, entry.type)
        nalLengthSize = (buf[box('avcC')!.body + 4]! & 3) + 1
      } else if (box('hvcC')) {
        codecs = hvcCodecs(buf, box('hvcC')!, entry.type)
        nalLengthSize = (buf[box('hvcC')!.body + 21]! & 3) + 1
      } else if (box('av1C')) codecs = av1Codecs(buf, box('av1C')!, entry.type)
      else if (box('esds')) codecs = mp4aCodecs(buf, box('esds')!)
      const trex = trexes.find((t) => buf.readUInt32BE(t.body + 4) === id)
      return { id, handler, entry: entry.type, codecs, ...(nalLengthSize ? { nalLengthSize } : {}), defaults: trexDefaults(buf, trex) }
    })
}

export type SegmentStart =
  | { kind: 'ts' }
  | { kind: 'unreadable'; why: string }
  /** sync: the sample flags say so; picture: the first picture's NAL type says IDR/IRAP (null when not readable) */
  | { kind: 'fmp4'; sync: boolean; picture: 'idr' | 'irap' | 'non-irap' | null }

const IS_NON_SYNC = 0x10000

/** How the first sample of `track` in a media segment starts. */
export function segmentStart(buf: Buffer, track: InitTrack): SegmentStart {
  if (buf[0] === 0x47 && (buf.length < 189 || buf[188] === 0x47)) return { kind: 'ts' }
  let boxes: Box[]
  try {
    boxes = readBoxes(buf)
  } catch (err) {
    return { kind: 'unreadable', why: (err as Error).message }
  }
  const moof = boxes.find((b) => b.type === 'moof')
  if (!moof) return { kind: 'unreadable', why: 'no moof box' }
  const traf = children(buf, moof).find((t) => {
    const tfhd = findBox(buf, ['tfhd'], t)
    return t.type === 'traf' && tfhd && buf.readUInt32BE(tfhd.body + 4) === track.id
  })
  if (!traf) return { kind: 'unreadable', why: `no track fragment for track ${track.id}` }
  const tfhd = findBox(buf, ['tfhd'], traf)!
  const trun = findBox(buf, ['trun'], traf)
  if (!trun) return { kind: 'unreadable', why: 'no trun box' }
  const defaults = tfhdDefaults(buf, tfhd, track.defaults)
  const layout = trunLayout(buf, trun)
  const samples = trunSamples(buf, trun, defaults)
  if (!samples.length) return { kind: 'unreadable', why: 'the first track run has no samples' }
  const flags = layout.flags & 0x04 ? buf.readUInt32BE(trun.body + 8 + (layout.flags & 0x01 ? 4 : 0)) : (samples[0]!.flags ?? defaults.flags)
  const sync = (flags & IS_NON_SYNC) === 0
  let picture: 'idr' | 'irap' | 'non-irap' | null = null
  if (track.nalLengthSize) {
    const tfhdFlags = buf.readUInt32BE(tfhd.body) & 0xffffff
    const base = tfhdFlags & 0x01 ? Number(buf.readBigUInt64BE(tfhd.body + 8)) : moof.start
    const mdat = boxes.find((b) => b.type === 'mdat' && b.start > moof.start)
    const start = layout.flags & 0x01 ? base + buf.readInt32BE(trun.body + 8) : mdat?.body
    if (start !== undefined) picture = firstPicture(buf, start, samples[0]!.size, track.nalLengthSize, track.entry.startsWith('h'))
  }
  return { kind: 'fmp4', sync, picture }
}

/** The first VCL NAL unit of a length-prefixed sample: IDR, other IRAP (HEVC CRA/BLA), or neither. */
function firstPicture(buf: Buffer, start: number, size: number, lengthSize: number, hevc: boolean): 'idr' | 'irap' | 'non-irap' | null {
  const end = start + size
  if (start < 0 || end > buf.length) return null
  for (let p = start; p + lengthSize < end; ) {
    let len = 0
    for (let i = 0; i < lengthSize; i++) len = len * 256 + buf[p + i]!
    const header = buf[p + lengthSize]!
    if (hevc) {
      const type = (header >> 1) & 0x3f
      if (type < 32) return type === 19 || type === 20 ? 'idr' : type >= 16 && type <= 21 ? 'irap' : 'non-irap'
    } else {
      const type = header & 0x1f
      if (type >= 1 && type <= 5) return type === 5 ? 'idr' : 'non-irap'
    }
    p += lengthSize + len
  }
  return null
}
