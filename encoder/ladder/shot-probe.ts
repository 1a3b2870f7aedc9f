import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ffmpeg } from '../../lib/ffmpeg.js'
import type { Shot } from '../../lib/title-package.js'
import { qualityAtBitrate, upperConvexHull } from './hull.js'
import { type ProbeRun, probeGrid } from './probe.js'
import type { ShotCurve, ShotPoint } from './shot-allocation.js'

/**
 * Probe encodes per shot (the Dynamic Optimizer's first step): each shot is
 * cut from the source losslessly and encoded at every candidate height × CRF
 * with the title's own x264 settings (so a CRF's rate in the probe is what
 * the real encode at that CRF will spend), scored with VMAF on every 3rd
 * frame. One curve per shot.
 */
export interface ShotProbeOptions extends ProbeRun {
  source: string
  shots: readonly Shot[]
  sourceWidth: number
  sourceHeight: number
  frameRate: number
  /** seconds from the file's start to the first video frame */
  videoStartInFile: number
  heights: number[]
  crfs: number[]
}

export async function probeShots(o: ShotProbeOptions): Promise<ShotCurve[]> {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-shot-probe-'))
  const total = o.shots.length * o.heights.length * o.crfs.length
  let before = 0
  try {
    const curves: ShotCurve[] = []
    for (const [i, shot] of o.shots.entries()) {
      const clip = join(dir, `shot-${i}.mkv`)
      // half a frame early: input seeking then keeps exactly the frames from startFrame on (as chunk jobs do)
      const seek = shot.startFrame === 0 ? [] : ['-ss', (o.videoStartInFile + (shot.startFrame - 0.5) / o.frameRate).toFixed(6)]
      await ffmpeg(
        [
          ...seek,
          '-i',
          o.source,
          '-map',
          '0:v:0',
          '-frames:v',
          String(shot.frames),
          '-vf',
          'setpts=N/FRAME_RATE/TB',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-qp',
          '0',
          '-an',
          clip,
        ],
        { signal: o.signal },
      )
      const done0 = before
      const points: ShotPoint[] = await probeGrid({
        ...o,
        clip,
        frames: shot.frames,
        clipSeconds: shot.frames / o.frameRate,
        workDir: dir,
        onProbe: (done) => o.onProbe?.(done0 + done, total),
      })
      before += o.heights.length * o.crfs.length
      await rm(clip, { force: true })
      curves.push({ duration: shot.frames / o.frameRate, points: points.sort((a, b) => a.height - b.height || a.crf - b.crf) })
    }
    return curves
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * The title's RD points implied by its shots: at each height × CRF, the
 * duration-weighted mean rate and quality over all shots (what one CRF for
 * the whole title would give). The rung choice works on these, as per-title
 * does on its excerpt probes.
 */
export function titlePoints(curves: readonly ShotCurve[]): ShotPoint[] {
  const total = curves.reduce((s, c) => s + c.duration, 0)
  const keys = new Map<string, ShotPoint>()
  for (const p of curves[0]?.points ?? []) keys.set(`${p.height}:${p.crf}`, p)
  const out: ShotPoint[] = []
  for (const [key, p] of keys) {
    const at = curves.map((c) => c.points.find((q) => `${q.height}:${q.crf}` === key))
    if (at.some((q) => !q)) continue
    out.push({
      width: p.width,
      height: p.height,
      crf: p.crf,
      bitrate: Math.round(at.reduce((s, q, i) => s + q!.bitrate * curves[i]!.duration, 0) / total),
      quality: Number((at.reduce((s, q, i) => s + q!.quality * curves[i]!.duration, 0) / total).toFixed(3)),
    })
  }
  return out
}

/**
 * What a span of frames (a per-title chunk) should score at a rung, from the
 * probes of the shots it overlaps: at each CRF of the rung's height, the
 * overlap-weighted mean rate and quality of those shots is the span's own RD
 * point; the quality at the rung's bitrate is read off the span's hull
 * (linear between points, clamped at its ends). A per-title rung's hull
 * quality is the title's mean, and half the chunks of a varied title sit
 * below their title's mean by design: gating chunks against it re-encoded
 * every hard chunk. null when no shot probe covers the span at that height.
 * Pure.
 */
export function spanQuality(
  curves: readonly ShotCurve[],
  shots: readonly Pick<Shot, 'startFrame' | 'frames'>[],
  span: { startFrame: number; frames: number },
  height: number,
  bitrate: number,
): number | null {
  const parts = shots.flatMap((s, i) => {
    const overlap = Math.min(s.startFrame + s.frames, span.startFrame + span.frames) - Math.max(s.startFrame, span.startFrame)
    const points = curves[i]?.points.filter((p) => p.height === height) ?? []
    return overlap > 0 && points.length ? [{ duration: overlap, points }] : []
  })
  if (!parts.length) return null
  const hull = upperConvexHull(titlePoints(parts))
  return qualityAtBitrate(hull, bitrate)?.quality ?? null
}
