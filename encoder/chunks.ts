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
