import { type Box, children, findBox, readBoxes } from '../../lib/media/boxes.js'
import { firstSampleFlags, NON_SYNC_SAMPLE, tfhdBaseDataOffset, tfhdDefaults, tfhdTrackId, trunLayout, trunSamples } from '../../lib/media/fragment.js'
import { handlerType, type TrackDefaults, tkhdTrackId, trexDefaults, trexTrackId } from '../../lib/media/movie.js'
import { entryCodecs, sampleEntry } from '../../lib/media/sample-entry.js'

/**
 * What --deep reads from fMP4 media: each track's codecs string from its init
 * segment (avcC, hvcC, esds) and whether a media segment starts with a
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
      const id = tkhd ? tkhdTrackId(buf, tkhd) : 0
      const hdlr = findBox(buf, ['mdia', 'hdlr'], trak)
      const stsd = findBox(buf, ['mdia', 'minf', 'stbl', 'stsd'], trak)
      if (!stsd) throw new Error(`track ${id} has no stsd`)
      const entry = sampleEntry(buf, stsd)
      const trex = trexes.find((t) => trexTrackId(buf, t) === id)
      return { id, handler: hdlr ? handlerType(buf, hdlr) : '', entry: entry.type, ...entryCodecs(buf, entry), defaults: trexDefaults(buf, trex) }
    })
}

export type SegmentStart =
  | { kind: 'ts' }
  | { kind: 'unreadable'; why: string }
  /** sync: the sample flags say so; picture: the first picture's NAL type says IDR/IRAP (null when not readable) */
  | { kind: 'fmp4'; sync: boolean; picture: 'idr' | 'irap' | 'non-irap' | null }

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
    return t.type === 'traf' && tfhd && tfhdTrackId(buf, tfhd) === track.id
  })
  if (!traf) return { kind: 'unreadable', why: `no track fragment for track ${track.id}` }
  const tfhd = findBox(buf, ['tfhd'], traf)!
  const trun = findBox(buf, ['trun'], traf)
  if (!trun) return { kind: 'unreadable', why: 'no trun box' }
  const defaults = tfhdDefaults(buf, tfhd, track.defaults)
  const layout = trunLayout(buf, trun)
  const samples = trunSamples(buf, trun, defaults)
  if (!samples.length) return { kind: 'unreadable', why: 'the first track run has no samples' }
  const sync = (firstSampleFlags(layout, samples, defaults) & NON_SYNC_SAMPLE) === 0
  let picture: 'idr' | 'irap' | 'non-irap' | null = null
  if (track.nalLengthSize) {
    // §8.8.7.1: without base_data_offset, offsets count from the moof (default-base-is-moof)
    const base = tfhdBaseDataOffset(buf, tfhd) ?? moof.start
    const mdat = boxes.find((b) => b.type === 'mdat' && b.start > moof.start)
    const start = layout.dataOffset !== undefined ? base + layout.dataOffset : mdat?.body
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
