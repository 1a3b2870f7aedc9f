import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ffmpeg } from '../../lib/ffmpeg.js'
import type { HullPoint } from '../../lib/title-package.js'
import type { H264Settings } from '../jobs/h264.js'
import { measureQuality, poolQuality, qualityScore } from '../jobs/quality.js'
import { VIDEO_CODECS, type VideoCodec, videoArgs } from '../jobs/video-codecs.js'
import type { RdPoint } from './hull.js'
import { widthFor } from './ladder.js'

/** How probe encodes run, for every kind of probe (excerpts, grids, shots). */
export interface ProbeRun {
  /** the title's x264 settings, so a CRF's rate in a probe is what the real encode spends */
  h264: Omit<H264Settings, 'gop'>
  /** Default h264. */
  codec?: VideoCodec
  /** The build that encodes `codec` when it is not the quality build. */
  ffmpeg?: string
  metric: 'vmaf' | 'ssim'
  vmafModel: string | null
  concurrency: number
  signal?: AbortSignal
  onProbe?: (done: number, total: number) => void
}

/**
 * Probe encodes for a per-title ladder: a short excerpt clip of the source
 * (a few evenly spaced pieces, so the probe sees the title's variety) encoded
 * at each candidate resolution × CRF, scored against the same clip.
 */
export interface ProbeOptions extends ProbeRun {
  source: string
  sourceWidth: number
  sourceHeight: number
  frameRate: number
  duration: number
  /** Candidate heights (capped at the source). Default 1080, 720, 540, 432, 360, 270, 180. */
  heights?: number[]
  /** x264 CRFs to probe. Default 20, 25, 30, 36: from near-transparent to starved. */
  crfs?: number[]
  /** Excerpts and their length. Default 3 × 2 s (the whole source when shorter than that). */
  excerpts?: number
  excerptSeconds?: number
}

/** A probe only places a point on a curve: VMAF on every 3rd frame is plenty and a third of the cost. */
const PROBE_VMAF_SUBSAMPLE = 3

export const DEFAULT_PROBE_HEIGHTS = [1080, 720, 540, 432, 360, 270, 180]
export const DEFAULT_PROBE_CRFS = [20, 25, 30, 36]

/** Candidate heights capped at the source (even), deduplicated, none under 90 lines. */
export const probeHeights = (heights: readonly number[], sourceHeight: number): number[] =>
  [...new Set(heights.map((h) => Math.min(h, sourceHeight - (sourceHeight % 2))))].filter((h) => h >= 90)

export interface GridOptions extends ProbeRun {
  /** the clip to encode, and what it is scored against */
  clip: string
  frames: number
  clipSeconds: number
  heights: number[]
  crfs: number[]
  sourceWidth: number
  sourceHeight: number
  frameRate: number
  workDir: string
}

/** Encode a clip at every height × CRF and score each encode against the clip: one RD point each. */
export async function probeGrid(o: GridOptions): Promise<Array<RdPoint & { crf: number }>> {
  const tasks = o.heights.flatMap((h) => o.crfs.map((crf) => ({ h, crf })))
  const points: Array<RdPoint & { crf: number }> = []
  let done = 0
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const { h, crf } = tasks[next++]!
      const w = widthFor(h, o.sourceWidth, o.sourceHeight)
      const out = join(o.workDir, `p${h}-${crf}-${next}.mp4`)
      const args = videoArgs(o.codec ?? 'h264', w, h, { crf }, { ...o.h264, gop: Math.round(o.frameRate * 4) })
      await ffmpeg(['-i', o.clip, '-map', '0:v:0', ...args, out], { signal: o.signal, ...(o.ffmpeg ? { bin: o.ffmpeg } : {}) })
      const bytes = (await stat(out)).size
      const scores = await measureQuality({
        distorted: out,
        source: o.clip,
        sourceSeek: 0,
        frames: o.frames,
        sourceWidth: o.sourceWidth,
        sourceHeight: o.sourceHeight,
        vmafModel: o.metric === 'vmaf' ? o.vmafModel : null,
        vmafSubsample: PROBE_VMAF_SUBSAMPLE,
        vmafOnly: true,
        signal: o.signal,
      })
      await rm(out, { force: true })
      const quality = qualityScore(poolQuality(scores), o.metric)
      points.push({ width: w, height: h, bitrate: Math.round((bytes * 8) / o.clipSeconds), quality: Number(quality.toFixed(3)), crf })
      o.onProbe?.(++done, tasks.length)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker))
  return points
}

/** Evenly spaced excerpt start times covering the title (pure). */
export function excerptStarts(duration: number, count: number, length: number): number[] {
  if (duration <= count * length) return [0]
  const gap = (duration - length) / Math.max(1, count - 1)
  return Array.from({ length: count }, (_, i) => Math.max(0, Math.min(duration - length, i * gap)))
}

export async function probeSource(o: ProbeOptions): Promise<{ points: HullPoint[]; rd: RdPoint[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-probe-'))
  try {
    const len = o.excerptSeconds ?? 2
    const starts = excerptStarts(o.duration, o.excerpts ?? 3, len)
    const clip = join(dir, 'clip.mkv')
    const clipSeconds = starts.length === 1 ? Math.min(o.duration, len * (o.excerpts ?? 3)) : starts.length * len
    const select =
      starts.length === 1 ? `trim=end=${clipSeconds}` : `select='${starts.map((s) => `between(t,${s.toFixed(3)},${(s + len).toFixed(3)})`).join('+')}'`
    // the excerpt clip is stored losslessly so probes are scored against exactly what they encoded
    await ffmpeg(
      ['-i', o.source, '-map', '0:v:0', '-vf', `${select},setpts=N/FRAME_RATE/TB`, '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-an', clip],
      { signal: o.signal },
    )
    const frames = Math.round(clipSeconds * o.frameRate)
    const heights = probeHeights(o.heights ?? DEFAULT_PROBE_HEIGHTS, o.sourceHeight)
    const grid = await probeGrid({
      ...o,
      clip,
      frames,
      clipSeconds,
      heights,
      crfs: o.crfs ?? (o.codec ? [...VIDEO_CODECS[o.codec].probeCrfs] : DEFAULT_PROBE_CRFS),
      workDir: dir,
    })
    const points: HullPoint[] = grid.map(({ crf: _c, ...p }) => ({ ...p, onHull: false }))
    points.sort((a, b) => a.height - b.height || a.bitrate - b.bitrate)
    return { points, rd: points.map(({ width, height, bitrate, quality }) => ({ width, height, bitrate, quality })) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
