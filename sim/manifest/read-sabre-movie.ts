import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { type Ladder, makeLadder } from './ladder.js'

/**
 * A Sabre movie file (the reference ABR simulator's input, UMass-LIDS/sabre):
 * `{"segment_duration_ms": 3000, "bitrates_kbps": [...], "segment_sizes_bits": [[bits per rung] per segment]}`.
 * A player team often has its ladder in this form; it is accepted wherever a title is.
 */
export interface SabreMovie {
  segment_duration_ms: number
  bitrates_kbps: number[]
  segment_sizes_bits: number[][]
}

export function isSabreMovie(json: unknown): boolean {
  return typeof json === 'object' && json !== null && 'segment_sizes_bits' in json
}

export function ladderFromSabreMovie(json: unknown, name: string): Ladder {
  const bad = (msg: string) => new OclabError(ErrorCodes.BAD_TITLE, `${name}: Sabre movie: ${msg}`)
  const m = json as Partial<SabreMovie>
  const dur = m.segment_duration_ms
  if (typeof dur !== 'number' || !(dur > 0) || !Number.isFinite(dur)) throw bad(`segment_duration_ms must be a positive number, got ${JSON.stringify(dur)}`)
  const rates = m.bitrates_kbps
  if (!Array.isArray(rates) || rates.length === 0) throw bad('bitrates_kbps must be a non-empty array')
  rates.forEach((r, i) => {
    if (typeof r !== 'number' || !(r > 0) || !Number.isFinite(r)) throw bad(`bitrates_kbps[${i}] must be a positive number, got ${JSON.stringify(r)}`)
  })
  const sizes = m.segment_sizes_bits
  if (!Array.isArray(sizes) || sizes.length === 0) throw bad('segment_sizes_bits must be a non-empty array of segments')
  sizes.forEach((seg, i) => {
    if (!Array.isArray(seg) || seg.length !== rates.length) throw bad(`segment_sizes_bits[${i}] must list one size per bitrate (${rates.length})`)
    seg.forEach((b, k) => {
      if (typeof b !== 'number' || !(b > 0) || !Number.isFinite(b))
        throw bad(`segment_sizes_bits[${i}][${k}] must be a positive number of bits, got ${JSON.stringify(b)}`)
    })
  })
  return makeLadder({
    name,
    source: 'sabre',
    sizesExact: true,
    segmentDurations: new Array<number>(sizes.length).fill(dur / 1000),
    rungs: rates.map((kbps, k) => ({ id: `${kbps}k`, bitrate: kbps * 1000, bytes: sizes.map((seg) => seg[k]! / 8) })),
    notes: ['Sabre movie: segment sizes only, no per-segment quality'],
  })
}

/** The Sabre movie form of a ladder (every segment at its nominal duration, as Sabre assumes). */
export function sabreMovieFromLadder(ladder: Ladder): SabreMovie {
  return {
    segment_duration_ms: Math.round(ladder.segmentDuration * 1000),
    bitrates_kbps: Array.from(ladder.bitrates, (b) => b / 1000),
    segment_sizes_bits: Array.from(ladder.segmentDurations, (_, i) => ladder.rungs.map((r) => Math.round(r.bytes[i]! * 8))),
  }
}
