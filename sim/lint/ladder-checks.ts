import type { Findings, Location } from './findings.js'

/** One video rung as a manifest declares it. */
export interface DeclaredRung {
  label: string
  where: Location
  bandwidth: number
  width?: number
  height?: number
  frameRate?: number
  /** rungs are compared within a group (codec family, pathway): a ladder per group */
  group: string
}

/**
 * Ladder sanity thresholds. Apple's example ladder in the HLS authoring
 * spec steps between 1.3× and 2.5× from rung to rung; steps much below that
 * spend a rung on a change viewers cannot see, steps above it leave players
 * no rung to fall back to.
 */
export interface LadderOptions {
  /** neighbour bitrate ratio below this is "too close" (default 1.2) */
  minStep: number
  /** neighbour bitrate ratio above this is "too far" (default 2.6) */
  maxStep: number
  /** a rung whose bits per pixel is this factor off the ladder's median is an outlier (default 3) */
  bppFactor: number
}

export const LADDER_DEFAULTS: LadderOptions = { minStep: 1.2, maxStep: 2.6, bppFactor: 3 }

const SPEC = 'Apple HLS authoring spec, video ladder'
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

export function checkLadder(all: DeclaredRung[], source: { width: number; height: number } | null, f: Findings, opts: LadderOptions = LADDER_DEFAULTS): void {
  for (const group of new Set(all.map((r) => r.group))) {
    const rungs = all.filter((r) => r.group === group)
    const listed = rungs.findIndex((r, i) => i > 0 && r.bandwidth < rungs[i - 1]!.bandwidth)
    if (listed > 0) {
      const r = rungs[listed]!
      f.warning(
        'LADDER_NOT_SORTED',
        r.where,
        `${r.label} (${r.bandwidth} bit/s) is listed after a higher rung (${rungs[listed - 1]!.bandwidth} bit/s): list rungs in bitrate order so every tool reads the ladder the same way (${SPEC})`,
      )
    }
    const sorted = [...rungs].sort((a, b) => a.bandwidth - b.bandwidth)
    for (let i = 1; i < sorted.length; i++) {
      const lo = sorted[i - 1]!
      const hi = sorted[i]!
      const ratio = hi.bandwidth / lo.bandwidth
      const sameSize = lo.width === hi.width && lo.height === hi.height
      if (ratio === 1 && sameSize) {
        f.warning('LADDER_DUPLICATE_RUNG', hi.where, `${hi.label} has the same bitrate and resolution as ${lo.label}: a duplicate rung (${SPEC})`)
        continue
      }
      if (ratio < opts.minStep)
        f.warning(
          'LADDER_STEP_TOO_SMALL',
          hi.where,
          `${hi.label} is only ${ratio.toFixed(2)}× ${lo.label} (${lo.bandwidth} → ${hi.bandwidth} bit/s), below ${opts.minStep}×: rungs too close to tell apart (${SPEC})`,
        )
      if (ratio > opts.maxStep)
        f.warning(
          'LADDER_STEP_TOO_LARGE',
          hi.where,
          `${hi.label} is ${ratio.toFixed(2)}× ${lo.label} (${lo.bandwidth} → ${hi.bandwidth} bit/s), above ${opts.maxStep}×: a gap players cannot step through smoothly (${SPEC})`,
        )
      if (lo.height !== undefined && hi.height !== undefined && hi.height < lo.height) {
        f.warning(
          'LADDER_RESOLUTION_NOT_MONOTONIC',
          hi.where,
          `${hi.label} has a higher bitrate but a lower resolution (${hi.width}x${hi.height}) than ${lo.label} (${lo.width}x${lo.height}) (${SPEC})`,
        )
      }
    }
    if (source) {
      for (const r of sorted) {
        if (r.width !== undefined && r.height !== undefined && (r.width > source.width || r.height > source.height)) {
          f.warning(
            'LADDER_ABOVE_SOURCE',
            r.where,
            `${r.label} is ${r.width}x${r.height}, above the source's ${source.width}x${source.height}: upscaled rungs spend bits on no detail (${SPEC})`,
          )
        }
      }
    }
    const withBpp = sorted.filter((r) => r.width && r.height && r.frameRate).map((r) => ({ r, bpp: r.bandwidth / (r.width! * r.height! * r.frameRate!) }))
    if (withBpp.length >= 3) {
      const m = median(withBpp.map((x) => x.bpp))
      for (const { r, bpp } of withBpp) {
        const off = bpp > m ? bpp / m : m / bpp
        if (off > opts.bppFactor) {
          f.warning(
            'LADDER_BPP_OUTLIER',
            r.where,
            `${r.label} has ${bpp.toFixed(3)} bits per pixel, ${off.toFixed(1)}× ${bpp > m ? 'above' : 'below'} the ladder's median ${m.toFixed(3)}: its resolution does not fit its bitrate (${SPEC})`,
          )
        }
      }
    }
  }
}
