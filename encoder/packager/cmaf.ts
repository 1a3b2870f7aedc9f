import type { FileHandle } from 'node:fs/promises'
import { mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../lib/atomic-file.js'
import { sha256 } from '../../lib/hash.js'
import { type Box, boxAt, brandBox, children, findBox, MAX_HEADER_BYTES, readBoxes } from '../../lib/media/boxes.js'
import { firstSampleFlags, NON_SYNC_SAMPLE, shiftCompositionOffsets, tfdtTime, tfhdDefaults, trunLayout, trunSamples } from '../../lib/media/fragment.js'
import { mdhdTimescale, trexDefaults } from '../../lib/media/movie.js'
import { entryCodecs, sampleEntry } from '../../lib/media/sample-entry.js'
import { segmentFileName } from './segment-names.js'

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
    const box = boxAt(await readAt(fh, p, Math.min(MAX_HEADER_BYTES, end - p)), 0, end, p)
    out.push(box)
    p += box.size
  }
  return out
}

/** The track's codecs string; the packager only takes AVC video and AAC audio from ffmpeg. */
function codecsOf(moov: Buffer): string {
  const stsd = findBox(moov, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'])
  if (!stsd) throw new Error('MP4: no stsd in moov')
  const entry = sampleEntry(moov, stsd)
  const { codecs } = entryCodecs(moov, entry)
  if (codecs === entry.type) throw new Error(`MP4: unsupported sample entry ${entry.type}`)
  return codecs
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
    for (const [i, box] of boxes.entries()) {
      if (box.type !== 'moof') continue
      const mdat = boxes[i + 1]
      if (mdat?.type !== 'mdat') throw new Error(`${opts.input}: moof at ${box.start} is not followed by mdat`)
      const moof = await readAt(fh, box.start, box.size)
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
        if (firstSampleFlags(trunLayout(moof, truns[0]!), samples, defaults) & NON_SYNC_SAMPLE)
          throw new Error(`${opts.input}: segment ${segments.length + 1} does not start with a keyframe`)
        // the first frame's composition offset is the encoder's reorder delay
        ctsShift ??= samples[0]?.compositionOffset ?? 0
        for (const t of truns) shiftCompositionOffsets(moof, t, ctsShift)
      }
      const mdatBytes = await readAt(fh, mdat.start, mdat.size)
      const data = Buffer.concat([SEGMENT_STYP, moof, mdatBytes])
      const uri = segmentFileName(segments.length + 1, 'm4s')
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
