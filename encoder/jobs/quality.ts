import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ffmpeg } from '../../lib/ffmpeg.js'
import type { Quality } from '../../lib/title-package.js'

/**
 * Full-reference quality of an encode against its source: VMAF through
 * libvmaf when a model is given, SSIM and PSNR always. The distorted frames
 * are upscaled to the source resolution first (bicubic), as Netflix computes
 * VMAF at display resolution, so rungs of different sizes compare fairly.
 */

export interface FrameScores {
  vmaf?: number[]
  ssim: number[]
  psnr: number[]
}

/** A PSNR of identical frames is infinite; cap it so averages stay finite. */
export const PSNR_CAP = 100

/** `n:1 Y:0.93 U:0.92 V:0.93 All:0.935102 (11.87)` per line → All */
export function parseSsimStats(text: string): number[] {
  const out: number[] = []
  for (const line of text.split('\n')) {
    const m = /All:([0-9.]+|inf|nan)/.exec(line)
    if (m) out.push(m[1] === 'inf' || m[1] === 'nan' ? 1 : Number(m[1]))
  }
  return out
}

/** `n:1 mse_avg:54.46 ... psnr_avg:30.77 ...` per line → psnr_avg, capped */
export function parsePsnrStats(text: string): number[] {
  const out: number[] = []
  for (const line of text.split('\n')) {
    const m = /psnr_avg:([0-9.]+|inf)/.exec(line)
    if (m) out.push(m[1] === 'inf' ? PSNR_CAP : Math.min(PSNR_CAP, Number(m[1])))
  }
  return out
}

/** libvmaf 1.3 JSON log → per-frame VMAF */
export function parseVmafLog(text: string): number[] {
  const json = JSON.parse(text) as { frames?: Array<{ metrics?: { vmaf?: number } }> }
  return (json.frames ?? []).map((f) => f.metrics?.vmaf ?? NaN).filter((v) => Number.isFinite(v))
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)
const round = (x: number, digits: number): number => Number(x.toFixed(digits))

/** Pool frames [from, to) into one Quality (arithmetic mean, the usual VMAF pooling). */
export function poolQuality(scores: FrameScores, from = 0, to = Math.max(scores.ssim.length, scores.vmaf?.length ?? 0)): Quality {
  const q: Quality = {
    ssim: round(mean(scores.ssim.slice(from, to)), 6),
    psnr: round(mean(scores.psnr.slice(from, to)), 3),
  }
  if (scores.vmaf) q.vmaf = round(Math.min(100, Math.max(0, mean(scores.vmaf.slice(from, to)))), 3)
  return q
}

/** Per-segment quality: consecutive groups of `framesPerSegment` frames, or of each length in a list (shot-aligned segments). */
export function segmentQualities(scores: FrameScores, framesPerSegment: number | readonly number[]): Quality[] {
  const out: Quality[] = []
  if (typeof framesPerSegment !== 'number') {
    let at = 0
    for (const f of framesPerSegment) {
      out.push(poolQuality(scores, at, at + f))
      at += f
    }
    return out
  }
  for (let i = 0; i < scores.ssim.length; i += framesPerSegment) out.push(poolQuality(scores, i, i + framesPerSegment))
  return out
}

/** Scalar quality on the ladder's scale: VMAF where measured, else SSIM in dB. */
export function qualityScore(q: Quality, metric: 'vmaf' | 'ssim'): number {
  if (metric === 'vmaf') return q.vmaf ?? NaN
  return ssimDb(q.ssim)
}

/** SSIM as −10·log10(1 − SSIM): roughly linear in perceived quality, unlike raw SSIM near 1. */
export const ssimDb = (ssim: number): number => (ssim >= 1 ? 60 : -10 * Math.log10(1 - ssim))

/** ffmpeg filter arguments quote ':' and '\'; our work paths have no other specials. */
const filterPath = (p: string): string => p.replace(/\\/g, '\\\\').replace(/:/g, '\\:').replace(/'/g, "\\'")

export interface MeasureOptions {
  /** The encode to score (any resolution). */
  distorted: string
  /** The source file and which frames of it the encode covers. */
  source: string
  sourceSeek: number
  frames: number
  sourceWidth: number
  sourceHeight: number
  /** libvmaf model (.pkl); without it only SSIM and PSNR are measured. */
  vmafModel?: string | null
  signal?: AbortSignal
  threads?: number
  /** Score VMAF on every n-th frame only (SSIM/PSNR stay per frame). Default 1. */
  vmafSubsample?: number
  /**
   * With a model, measure VMAF only (ssim and psnr come back empty). Default
   * false. Probes only place a point on a VMAF curve: SSIM and PSNR on every
   * frame were a third of a probe's scoring time for numbers nobody read.
   */
  vmafOnly?: boolean
}

export async function measureQuality(opts: MeasureOptions): Promise<FrameScores> {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-q-'))
  try {
    const ssimLog = join(dir, 'ssim.log')
    const psnrLog = join(dir, 'psnr.log')
    const vmafLog = join(dir, 'vmaf.json')
    const vmafOnly = Boolean(opts.vmafOnly && opts.vmafModel)
    const n = vmafOnly ? 1 : opts.vmafModel ? 3 : 2
    const labels = (p: string) => Array.from({ length: n }, (_, i) => `[${p}${i}]`).join('')
    const graph = [
      `[0:v]setpts=N/FRAME_RATE/TB,scale=${opts.sourceWidth}:${opts.sourceHeight}:flags=bicubic,format=yuv420p,split=${n}${labels('d')}`,
      `[1:v]trim=end_frame=${opts.frames},setpts=N/FRAME_RATE/TB,format=yuv420p,split=${n}${labels('r')}`,
    ]
    if (!vmafOnly) graph.push(`[d0][r0]ssim=stats_file=${filterPath(ssimLog)}`, `[d1][r1]psnr=stats_file=${filterPath(psnrLog)}`)
    if (opts.vmafModel) {
      graph.push(
        `[d${n - 1}][r${n - 1}]libvmaf=model_path=${filterPath(opts.vmafModel)}:log_path=${filterPath(vmafLog)}:log_fmt=json:n_threads=${opts.threads ?? 1}:n_subsample=${opts.vmafSubsample ?? 1}`,
      )
    }
    const seek = opts.sourceSeek > 0 ? ['-ss', opts.sourceSeek.toFixed(6)] : []
    await ffmpeg(['-threads', String(opts.threads ?? 1), '-i', opts.distorted, ...seek, '-i', opts.source, '-lavfi', graph.join(';'), '-f', 'null', '-'], {
      signal: opts.signal,
    })
    const scores: FrameScores = vmafOnly
      ? { ssim: [], psnr: [] }
      : { ssim: parseSsimStats(await readFile(ssimLog, 'utf8')), psnr: parsePsnrStats(await readFile(psnrLog, 'utf8')) }
    if (opts.vmafModel) scores.vmaf = parseVmafLog(await readFile(vmafLog, 'utf8'))
    return scores
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
