import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { ffmpeg } from '../../lib/ffmpeg.js'
import type { Shot } from '../../lib/title-package.js'

/**
 * Shot detection at ingest: ffmpeg's scene-change score (the `select`
 * filter's `scene` variable: the mean absolute difference of consecutive
 * frames, normalised to [0, 1], present in the bundled 2018 build as in
 * current ones) for every frame, then cuts chosen here, purely:
 *
 * - a cut needs an absolute score (default 0.3) AND a jump over its
 *   neighbourhood (default 2.5× the median score of ±12 frames), so a fast
 *   pan, whose every frame differs, is not cut to pieces (the adaptive
 *   detector of PySceneDetect works the same way);
 * - shots shorter than a minimum (flashes, strobes) are merged into the
 *   neighbour across the weaker of their two boundaries;
 * - shots longer than a maximum are split into equal parts, so a long take
 *   still gives the allocation several decisions.
 */
export interface ShotDetection {
  /** minimum scene score for a cut. Default 0.3 */
  threshold: number
  /** a cut's score over the median of its neighbourhood. Default 2.5 */
  adaptiveRatio: number
  /** neighbourhood half-width, frames. Default 12 */
  window: number
  /** seconds. Default 1 */
  minShotSeconds: number
  /** seconds. Default 12 */
  maxShotSeconds: number
}

export const DEFAULT_SHOT_DETECTION: ShotDetection = { threshold: 0.3, adaptiveRatio: 2.5, window: 12, minShotSeconds: 1, maxShotSeconds: 12 }

const median = (xs: number[]): number => {
  if (!xs.length) return 0
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Shots from per-frame scene scores (scores[i]: frame i against frame i−1; scores[0] is ignored). Pure. */
export function detectShots(scores: readonly number[], frameRate: number, o: Partial<ShotDetection> = {}): Shot[] {
  const opt = { ...DEFAULT_SHOT_DETECTION, ...o }
  const n = scores.length
  if (!n) return []
  const minFrames = Math.max(1, Math.round(opt.minShotSeconds * frameRate))
  const maxFrames = Math.max(minFrames, Math.round(opt.maxShotSeconds * frameRate))
  // boundaries: [frame, score]; frame 0 always starts a shot
  let cuts: Array<{ frame: number; score: number }> = [{ frame: 0, score: Infinity }]
  for (let i = 1; i < n; i++) {
    const s = scores[i]!
    if (s < opt.threshold) continue
    const around = [...scores.slice(Math.max(1, i - opt.window), i), ...scores.slice(i + 1, i + 1 + opt.window)]
    if (s >= opt.adaptiveRatio * median(around)) cuts.push({ frame: i, score: s })
  }
  // merge the shortest too-short shot first, across its weaker boundary, until none is left
  for (;;) {
    const len = (k: number) => (k + 1 < cuts.length ? cuts[k + 1]!.frame : n) - cuts[k]!.frame
    let worst = -1
    for (let k = 0; k < cuts.length; k++) if (len(k) < minFrames && cuts.length > 1 && (worst < 0 || len(k) < len(worst))) worst = k
    if (worst < 0) break
    const before = cuts[worst]!.score // the boundary at its start (Infinity for the first shot)
    const after = worst + 1 < cuts.length ? cuts[worst + 1]!.score : Infinity
    // drop the weaker boundary: the short shot joins the neighbour on that side
    const drop = before <= after ? worst : worst + 1
    cuts = cuts.filter((_, k) => k !== drop)
  }
  const shots: Shot[] = []
  cuts.forEach((c, k) => {
    const end = k + 1 < cuts.length ? cuts[k + 1]!.frame : n
    const frames = end - c.frame
    const parts = Math.ceil(frames / maxFrames)
    for (let p = 0; p < parts; p++) {
      const a = c.frame + Math.round((p * frames) / parts)
      const b = c.frame + Math.round(((p + 1) * frames) / parts)
      shots.push({
        startFrame: a,
        frames: b - a,
        start: Number((a / frameRate).toFixed(6)),
        duration: Number(((b - a) / frameRate).toFixed(6)),
        // how the shot begins: a detected cut (its score), the title's start, or a split of a long shot
        cut: p > 0 ? 'split' : k === 0 ? 'start' : 'scene',
        ...(p === 0 && k > 0 ? { score: Number(c.score.toFixed(4)) } : {}),
      })
    }
  })
  return shots
}

/** Per-frame scene scores of the first video stream, measured on a small downscale (cuts do not need detail). */
export async function sceneScores(path: string, signal?: AbortSignal): Promise<number[]> {
  const r = await ffmpeg(
    ['-nostats', '-i', path, '-map', '0:v:0', '-an', '-vf', "scale=160:-2,select='gte(scene\\,0)',metadata=print:file=-", '-f', 'null', '-'],
    { signal },
  )
  const scores: number[] = []
  for (const m of r.stdout.matchAll(/lavfi\.scene_score=([0-9.eE+-]+)/g)) scores.push(Number(m[1]))
  if (!scores.length) throw new OclabError(ErrorCodes.FFMPEG, `${path}: ffmpeg printed no scene scores`)
  return scores
}

export async function findShots(path: string, frameRate: number, o: Partial<ShotDetection> = {}, signal?: AbortSignal): Promise<Shot[]> {
  return detectShots(await sceneScores(path, signal), frameRate, o)
}
