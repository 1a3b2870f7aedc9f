/**
 * GOP-aligned chunking. Every segment starts with an IDR frame at a fixed
 * interval, so a chunk of whole segments can be encoded on its own and the
 * pieces concatenated bit-exactly (closed GOPs, no scene-cut keyframes).
 */
export interface Chunk {
  index: number
  /** first frame (0-based, in source frame numbers) */
  startFrame: number
  frames: number
  /** seconds */
  start: number
  duration: number
  /**
   * Frames of each segment, when they vary (shot-aligned plans); absent, the
   * chunk is cut every framesPerSegment frames.
   */
  segments?: number[]
}

export interface ChunkPlan {
  framesPerSegment: number
  segmentDuration: number
  chunks: Chunk[]
}

/**
 * Frames per segment must be whole: a 4 s segment at 29.97 fps is not, so the
 * segment duration is rounded to whole frames and reported as such.
 */
export function planChunks(frameCount: number, frameRate: number, segmentDuration: number, segmentsPerChunk: number): ChunkPlan {
  if (!(frameCount > 0)) throw new RangeError('frameCount must be positive')
  if (!(frameRate > 0)) throw new RangeError('frameRate must be positive')
  if (!(segmentsPerChunk >= 1) || !Number.isInteger(segmentsPerChunk)) throw new RangeError('segmentsPerChunk must be a whole number ≥ 1')
  const framesPerSegment = Math.max(1, Math.round(segmentDuration * frameRate))
  const framesPerChunk = framesPerSegment * segmentsPerChunk
  const chunks: Chunk[] = []
  for (let start = 0, i = 0; start < frameCount; start += framesPerChunk, i++) {
    const frames = Math.min(framesPerChunk, frameCount - start)
    chunks.push({ index: i, startFrame: start, frames, start: start / frameRate, duration: frames / frameRate })
  }
  return { framesPerSegment, segmentDuration: framesPerSegment / frameRate, chunks }
}

/**
 * Shot-aligned chunking (shot-based encoding): every shot is a chunk, and
 * starts a segment; a shot longer than the segment target is cut into the
 * fewest equal parts no longer than it (no sliver at the end). Segment
 * durations vary, but the plan is the same for every rendition, so segments
 * stay aligned across the ladder. framesPerSegment is the longest segment:
 * the title-wide IDR interval (x264 derives SPS fields from it, and every
 * chunk must carry the same SPS to be concatenated).
 */
export function planShotChunks(shots: ReadonlyArray<{ startFrame: number; frames: number }>, frameRate: number, segmentDuration: number): ChunkPlan {
  if (!shots.length) throw new RangeError('no shots')
  if (!(frameRate > 0)) throw new RangeError('frameRate must be positive')
  const target = Math.max(1, Math.round(segmentDuration * frameRate))
  const chunks: Chunk[] = shots.map((s, index) => {
    const parts = Math.ceil(s.frames / target)
    const segments = Array.from({ length: parts }, (_, k) => Math.round(((k + 1) * s.frames) / parts) - Math.round((k * s.frames) / parts))
    return { index, startFrame: s.startFrame, frames: s.frames, start: s.startFrame / frameRate, duration: s.frames / frameRate, segments }
  })
  for (let i = 1; i < chunks.length; i++) {
    if (chunks[i]!.startFrame !== chunks[i - 1]!.startFrame + chunks[i - 1]!.frames) throw new RangeError(`shot ${i} does not start where shot ${i - 1} ends`)
  }
  const framesPerSegment = Math.max(...chunks.flatMap((c) => c.segments!))
  return { framesPerSegment, segmentDuration: target / frameRate, chunks }
}

/** Frame offsets, within a chunk, at which its segments start. */
export const segmentStarts = (chunk: Chunk, framesPerSegment: number): number[] => {
  if (!chunk.segments) return Array.from({ length: Math.ceil(chunk.frames / framesPerSegment) }, (_, k) => k * framesPerSegment)
  const out: number[] = []
  let at = 0
  for (const f of chunk.segments) {
    out.push(at)
    at += f
  }
  return out
}
