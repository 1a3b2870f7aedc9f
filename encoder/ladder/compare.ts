import { stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { readTitle, type Title } from '../../lib/title-package.js'
import { type BdResult, bjontegaard, type RatePoint } from './bd-rate.js'

/**
 * Compare two encodes of the same source as rate-quality curves: one point
 * per video rendition (its measured average bitrate, its measured quality),
 * BD-rate and BD-quality of B against A on VMAF (when both have it) and PSNR.
 */
export type CompareMetric = 'vmaf' | 'psnr'

export interface LadderCurve {
  /** what the user named (title dir, title.json or a manifest) */
  name: string
  titleId: string
  kind: string
  /** the codec whose ladder this is */
  codec: string
  points: Array<{ id: string; width: number; height: number; rate: number; vmaf?: number; psnr: number }>
}

export interface Comparison {
  anchor: LadderCurve
  test: LadderCurve
  metrics: Array<{ metric: CompareMetric } & BdResult>
}

/** The curve of a title (one codec's ladder: default its main codec): video renditions in bitrate order, measured values only. */
export function ladderCurve(title: Title, name: string, codec = title.encode.codec): LadderCurve {
  const points = title.video
    .filter((v) => v.codec === codec)
    .sort((a, b) => a.averageBandwidth - b.averageBandwidth)
    .map((v) => ({
      id: v.id,
      width: v.width,
      height: v.height,
      rate: v.averageBandwidth,
      psnr: v.quality.psnr,
      ...(v.quality.vmaf !== undefined ? { vmaf: v.quality.vmaf } : {}),
    }))
  return { name, titleId: title.id, kind: title.ladder.kind, codec, points }
}

/**
 * Each codec of a multi-codec title against H.264 on the same source (or
 * against the title's main codec when it has no H.264): BD-rate < 0 means
 * the codec needs fewer bits for the same measured quality.
 */
export function codecComparisons(title: Title, name = title.id): Comparison[] {
  const codecs = [...new Set(title.video.map((v) => v.codec))]
  const anchor = codecs.includes('h264') ? 'h264' : title.encode.codec
  const a = ladderCurve(title, name, anchor)
  return codecs.filter((c) => c !== anchor).map((c) => compareCurves(a, ladderCurve(title, name, c)))
}

const rd = (c: LadderCurve, m: CompareMetric): RatePoint[] =>
  c.points.flatMap((p) => {
    const q = m === 'vmaf' ? p.vmaf : p.psnr
    return q === undefined ? [] : [{ rate: p.rate, quality: q }]
  })

/** BD figures of `test` against `anchor` for every metric both curves carry (pure). */
export function compareCurves(anchor: LadderCurve, test: LadderCurve): Comparison {
  const metrics: Comparison['metrics'] = []
  for (const metric of ['vmaf', 'psnr'] as const) {
    const a = rd(anchor, metric)
    const b = rd(test, metric)
    if (a.length && b.length) metrics.push({ metric, ...bjontegaard(a, b) })
  }
  return { anchor, test, metrics }
}

/**
 * A title package from what the user names: its directory, its title.json,
 * or one of its manifests (master.m3u8, manifest.mpd): manifests carry no
 * measured quality, so the title.json beside them is read.
 */
export async function readLadderCurve(path: string): Promise<LadderCurve> {
  return ladderCurve(await readTitle(await titleJsonOf(path)), path)
}

/** The title.json a user means by a package directory, a manifest or the file itself. */
export async function titleJsonOf(path: string): Promise<string> {
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  )
  return isDir ? join(path, 'title.json') : /\.(m3u8|mpd)$/i.test(path) ? join(dirname(path), 'title.json') : path
}
