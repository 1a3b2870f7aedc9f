import { open, mkdir } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../lib/atomic-file.js'
import { sha256 } from '../../lib/hash.js'
import {
  av1Codecs, avcCodecs, brandBox, hvcCodecs, children, findBox, mdhdTimescale, mp4aCodecs, readBoxes, sampleEntry, sampleEntryChildren,
  shiftCompositionOffsets, tfdtTime, tfhdDefaults, trexDefaults, trunSamples, type Box,
} from './mp4.js'

/**
 * CMAF packaging over ffmpeg's fragmented MP4 (one moof+mdat per segment):
 * the init segment is a fresh CMAF ftyp plus the moov; each media segment is
 * an styp plus one moof+mdat. The segments are written as files; the file is
 * read fragment by fragment, so memory stays at one segment.
 */

export interface PackagedSegment {
  uri: string
  bytes: number
  sha256: string
  /** presentation start and duration in track timescale ticks */
  startTicks: number
  durationTicks: number
  samples: number
}

export interface PackagedTrack {
  timescale: number
  codecs: string
  init: { uri: string; bytes: number; sha256: string }
  segments: PackagedSegment[]
}

const INIT_FTYP = brandBox('ftyp', 'cmfc', 0, ['iso6', 'cmfc', 'dash', 'mp41'])
const SEGMENT_STYP = brandBox('styp', 'msdh', 0, ['msdh', 'msix', 'cmfs', 'cmff'])
const NON_SYNC = 0x10000

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len)
  const { bytesRead } = await fh.read(buf, 0, len, pos)
  if (bytesRead !== len) throw new Error(`MP4: file ends inside a box at ${pos}`)
  return buf
}

/** Top-level box headers of a file without reading the payloads. */
async function topBoxes(fh: FileHandle): Promise<Box[]> {
  const { size: end } = await fh.stat()
  const out: Box[] = []
  for (let p = 0; p + 8 <= end; ) {
    const h = await readAt(fh, p, Math.min(16, end - p))
    let size = h.readUInt32BE(0)
    let header = 8
    if (size === 1) (size = Number(h.readBigUInt64BE(8))), (header = 16)
    else if (size === 0) size = end - p
    if (size < header || p + size > end) throw new Error(`MP4: top-level box at ${p} has bad size ${size}`)
    out.push({ type: h.toString('latin1', 4, 8), start: p, size, body: p + header })
    p += size
  }
  return out
}

function codecsOf(moov: Buffer): string {
  const stsd = findBox(moov, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'])
  if (!stsd) throw new Error('MP4: no stsd in moov')
  const entry = sampleEntry(moov, stsd)
  const kids = sampleEntryChildren(moov, entry)
  const avcC = kids.find((b) => b.type === 'avcC')
  if (avcC) return avcCodecs(moov, avcC, entry.type)
  const hvcC = kids.find((b) => b.type === 'hvcC')
  if (hvcC) return hvcCodecs(moov, hvcC, entry.type)
  const av1C = kids.find((b) => b.type === 'av1C')
  if (av1C) return av1Codecs(moov, av1C, entry.type)
  const esds = kids.find((b) => b.type === 'esds')
  if (esds) return mp4aCodecs(moov, esds)
  throw new Error(`MP4: unsupported sample entry ${entry.type}`)
}

export interface PackageOptions {
  /** Fragmented MP4 written by ffmpeg (frag_keyframe/frag_duration, empty_moov, default_base_moof). */
  input: string
  outDir: string
  /** Directory name of the rendition, used in the URIs. */
  uriPrefix: string
  /** Video: require every segment to start with a sync sample and remove the B-frame delay. */
  video: boolean
}

export async function packageCmaf(opts: PackageOptions): Promise<PackagedTrack> {
  const fh = await open(opts.input, 'r')
  try {
    const boxes = await topBoxes(fh)
    const moovBox = boxes.find((b) => b.type === 'moov')
    if (!moovBox) throw new Error(`${opts.input}: no moov box`)
    const moov = await readAt(fh, moovBox.start, moovBox.size)
    const mdhd = findBox(moov, ['moov', 'trak', 'mdia', 'mdhd'])
    if (!mdhd) throw new Error(`${opts.input}: no mdhd`)
    const timescale = mdhdTimescale(moov, mdhd)
    const codecs = codecsOf(moov)
    const trex = trexDefaults(moov, findBox(moov, ['moov', 'mvex', 'trex']))

    await mkdir(opts.outDir, { recursive: true })
    const initBytes = Buffer.concat([INIT_FTYP, moov])
    await writeFileAtomic(join(opts.outDir, 'init.mp4'), initBytes)

    const segments: PackagedSegment[] = []
    let ctsShift: number | null = null
    let expectedStart: number | null = null
    for (let i = 0; i < boxes.length; i++) {
      if (boxes[i]!.type !== 'moof') continue
      const mdat = boxes[i + 1]
      if (!mdat || mdat.type !== 'mdat') throw new Error(`${opts.input}: moof at ${boxes[i]!.start} is not followed by mdat`)
      const moof = await readAt(fh, boxes[i]!.start, boxes[i]!.size)
      const moofBox = readBoxes(moof)[0]!
      const traf = children(moof, moofBox).find((b) => b.type === 'traf')
      const tfhd = traf && children(moof, traf).find((b) => b.type === 'tfhd')
      const tfdt = traf && children(moof, traf).find((b) => b.type === 'tfdt')
      const truns = traf ? children(moof, traf).filter((b) => b.type === 'trun') : []
      if (!traf || !tfhd || !tfdt || !truns.length) throw new Error(`${opts.input}: fragment ${segments.length + 1} lacks tfhd/tfdt/trun`)
      const defaults = tfhdDefaults(moof, tfhd, trex)
      const samples = truns.flatMap((t) => trunSamples(moof, t, defaults))
      const start = tfdtTime(moof, tfdt)
      const duration = samples.reduce((s, x) => s + x.duration, 0)
      if (expectedStart !== null && start !== expectedStart) {
        throw new Error(`${opts.input}: fragment ${segments.length + 1} starts at ${start}, expected ${expectedStart} (gap or overlap)`)
      }
      expectedStart = start + duration
      if (opts.video) {
        const first = truns[0]!
        const firstFlags = (moof.readUInt32BE(first.body) & 0x04) !== 0 ? moof.readUInt32BE(first.body + 12) : samples[0]?.flags ?? defaults.flags
        if (firstFlags & NON_SYNC) throw new Error(`${opts.input}: segment ${segments.length + 1} does not start with a keyframe`)
        // the first frame's composition offset is the encoder's reorder delay
        ctsShift ??= samples[0]?.compositionOffset ?? 0
        for (const t of truns) shiftCompositionOffsets(moof, t, ctsShift)
      }
      const mdatBytes = await readAt(fh, mdat.start, mdat.size)
      const data = Buffer.concat([SEGMENT_STYP, moof, mdatBytes])
      const uri = `seg-${String(segments.length + 1).padStart(5, '0')}.m4s`
      await writeFileAtomic(join(opts.outDir, uri), data)
      segments.push({
        uri: `${opts.uriPrefix}/${uri}`,
        bytes: data.length,
        sha256: sha256(data),
        startTicks: start,
        durationTicks: duration,
        samples: samples.length,
      })
    }
    if (!segments.length) throw new Error(`${opts.input}: no fragments (was it written with frag_keyframe?)`)
    return { timescale, codecs, init: { uri: `${opts.uriPrefix}/init.mp4`, bytes: initBytes.length, sha256: sha256(initBytes) }, segments }
  } finally {
    await fh.close()
  }
}
