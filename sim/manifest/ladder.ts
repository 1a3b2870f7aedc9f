import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { formatBitRate, MAX_BITS_PER_SECOND, MAX_SEGMENT_SECONDS, MAX_TITLE_SECONDS } from './limits.js'

/**
 * The ladder a player sees: rungs in ascending bitrate, each with the size of
 * every segment and, when the title package measured it, each segment's quality.
 * Virtual-time sessions and HTTP-mode sessions both drive ABR policies from it.
 */
export interface Rung {
  id: string
  /** Declared bits/s (HLS BANDWIDTH, DASH @bandwidth, title.json bandwidth): what an ABR rule compares with throughput. */
  bitrate: number
  /** Mean bits/s over the segments. */
  averageBitrate: number
  width?: number
  height?: number
  codecs?: string
  /** Bytes of each segment (exact, or bitrate × duration when the source did not say: see Ladder.sizesExact). */
  bytes: Float64Array
  /** Quality of each segment on Ladder.qualityMetric's scale, or null when unknown. */
  quality: Float64Array | null
}

export type QualityMetric = 'vmaf' | 'ssim' | 'psnr'

/**
 * What a player fetches beside each video segment on the same link: the
 * chosen audio rendition and, when asked, subtitles (sim/manifest/companions.ts
 * matches them to video segments by time).
 */
export interface Companions {
  /** Bytes fetched with each video segment (same length as Ladder.segmentDurations). */
  bytes: Float64Array
  /** The renditions they come from, e.g. "audio audio-en (en, 130 kbit/s)". */
  tracks: string[]
}

export interface Ladder {
  name: string
  source: 'title' | 'hls' | 'dash' | 'synthetic' | 'sabre'
  rungs: Rung[]
  /** Rung bitrates, ascending, as a flat array for the hot loop. */
  bitrates: Float64Array
  segmentDurations: Float64Array
  /** Nominal (most common) segment duration, seconds. */
  segmentDuration: number
  duration: number
  sizesExact: boolean
  qualityMetric: QualityMetric | null
  /** What the loader had to assume, said plainly (e.g. sizes estimated from BANDWIDTH). */
  notes: string[]
  /** The video codec family played (h264, hevc, av1…), when the source says. */
  codec?: string
  /** Audio and subtitle bytes fetched with each video segment; absent when the player fetches video only. */
  companions?: Companions
}

export interface RungInput {
  id: string
  bitrate: number
  averageBitrate?: number
  width?: number
  height?: number
  codecs?: string
  bytes: ArrayLike<number>
  quality?: ArrayLike<number> | null
}

/**
 * Build a ladder from rungs in any order: sorts them, checks every rung has
 * the same segments (CMAF-aligned ladders do; a player cannot switch otherwise).
 */
export function makeLadder(opts: {
  name: string
  source: Ladder['source']
  rungs: RungInput[]
  segmentDurations: ArrayLike<number>
  sizesExact: boolean
  qualityMetric?: QualityMetric | null
  notes?: string[]
  codec?: string
  companions?: Companions
}): Ladder {
  const bad = (msg: string) => new OclabError(ErrorCodes.BAD_MANIFEST, `${opts.name}: ${msg}`)
  if (opts.rungs.length === 0) throw bad('the ladder has no video rungs')
  const n = opts.segmentDurations.length
  if (n === 0) throw bad('the ladder has no segments')
  const durations = Float64Array.from(opts.segmentDurations)
  for (let i = 0; i < n; i++) {
    if (!(durations[i]! > 0) || !Number.isFinite(durations[i]!)) throw bad(`segment ${i + 1} has duration ${durations[i]}`)
    if (durations[i]! > MAX_SEGMENT_SECONDS) throw bad(`segment ${i + 1} lasts ${durations[i]} s, more than the ${MAX_SEGMENT_SECONDS} s a segment may last`)
  }
  const duration = durations.reduce((a, b) => a + b, 0)
  if (duration > MAX_TITLE_SECONDS) throw bad(`the segments add up to ${duration} s, more than the ${MAX_TITLE_SECONDS} s (7 days) a title may last`)
  const rungs: Rung[] = opts.rungs.map((r) => {
    if (r.bytes.length !== n) throw bad(`rung "${r.id}" has ${r.bytes.length} segments, expected ${n} (every rung must have the same segments)`)
    if (!(r.bitrate > 0) || !Number.isFinite(r.bitrate)) throw bad(`rung "${r.id}" has bitrate ${r.bitrate}`)
    if (r.bitrate > MAX_BITS_PER_SECOND)
      throw bad(`rung "${r.id}" has bitrate ${formatBitRate(r.bitrate)}, above the ${formatBitRate(MAX_BITS_PER_SECOND)} a rung may have`)
    if (r.averageBitrate !== undefined && !(r.averageBitrate > 0 && r.averageBitrate <= MAX_BITS_PER_SECOND))
      throw bad(`rung "${r.id}" has average bitrate ${r.averageBitrate}`)
    const bytes = Float64Array.from(r.bytes)
    let total = 0
    for (let i = 0; i < n; i++) {
      // More bytes than MAX_BITS_PER_SECOND delivers over the segment's duration is no real segment.
      if (!(bytes[i]! > 0) || !Number.isFinite(bytes[i]!) || (bytes[i]! * 8) / durations[i]! > MAX_BITS_PER_SECOND) {
        throw bad(`rung "${r.id}" segment ${i + 1} has ${bytes[i]} bytes`)
      }
      total += bytes[i]!
    }
    const quality = r.quality && r.quality.length === n ? Float64Array.from(r.quality) : null
    return {
      id: r.id,
      bitrate: r.bitrate,
      averageBitrate: r.averageBitrate ?? (total * 8) / duration,
      ...(r.width !== undefined ? { width: r.width } : {}),
      ...(r.height !== undefined ? { height: r.height } : {}),
      ...(r.codecs !== undefined ? { codecs: r.codecs } : {}),
      bytes,
      quality,
    }
  })
  rungs.sort((a, b) => a.bitrate - b.bitrate)
  for (let i = 1; i < rungs.length; i++) {
    if (rungs[i]!.bitrate === rungs[i - 1]!.bitrate) throw bad(`rungs "${rungs[i - 1]!.id}" and "${rungs[i]!.id}" have the same bitrate ${rungs[i]!.bitrate}`)
  }
  const qualityMetric = rungs.every((r) => r.quality) ? (opts.qualityMetric ?? null) : null
  if (opts.companions) {
    const c = opts.companions.bytes
    if (c.length !== n) throw bad(`companion bytes for ${c.length} segments, expected ${n}`)
    for (let i = 0; i < n; i++) if (!(c[i]! >= 0) || !Number.isFinite(c[i]!)) throw bad(`segment ${i + 1} has ${c[i]} companion bytes`)
  }
  return {
    name: opts.name,
    source: opts.source,
    rungs,
    bitrates: Float64Array.from(rungs.map((r) => r.bitrate)),
    segmentDurations: durations,
    segmentDuration: modeOf(durations),
    duration,
    sizesExact: opts.sizesExact,
    qualityMetric,
    notes: opts.notes ?? [],
    ...(opts.codec !== undefined ? { codec: opts.codec } : {}),
    ...(opts.companions ? { companions: opts.companions } : {}),
  }
}

/** The most common segment duration (the last segment is usually shorter). */
function modeOf(values: Float64Array): number {
  const counts = new Map<number, number>()
  let best = values[0]!
  let bestCount = 0
  for (const v of values) {
    const k = Math.round(v * 1000) / 1000
    const c = (counts.get(k) ?? 0) + 1
    counts.set(k, c)
    if (c > bestCount) {
      bestCount = c
      best = k
    }
  }
  return best
}

/**
 * A synthetic ladder for tests and benchmarks: constant-duration segments whose
 * sizes vary around each rung's bitrate (±variation, seeded) like VBR encodes do.
 */
export function syntheticLadder(opts: {
  bitrates: number[]
  segmentDuration: number
  segments: number
  variation?: number
  random?: () => number
  name?: string
}): Ladder {
  const variation = opts.variation ?? 0
  const rand = opts.random ?? (() => 0.5)
  const complexity = Array.from({ length: opts.segments }, () => 1 + variation * (2 * rand() - 1))
  return makeLadder({
    name: opts.name ?? `synthetic ${opts.bitrates.map((b) => Math.round(b / 1000)).join('/')} kbps`,
    source: 'synthetic',
    segmentDurations: new Array<number>(opts.segments).fill(opts.segmentDuration),
    sizesExact: true,
    rungs: opts.bitrates.map((b, i) => ({
      id: `r${i}`,
      bitrate: b,
      bytes: complexity.map((c) => Math.max(1, Math.round((b * opts.segmentDuration * c) / 8))),
    })),
  })
}

/** Said when a manifest has audio renditions: only title.json gives their segment sizes exactly, so manifests play video only. */
export const MANIFEST_AUDIO_NOTE = 'audio renditions are not fetched: the link carries video only (title.json input models audio and subtitles)'
