/**
 * Bitrate ladders. A rung is one video rendition: a resolution and the
 * bitrate the encoder is asked for, plus the quality it is expected to reach
 * (per-title ladders know it from the convex hull; fixed ladders do not).
 */
export interface Rung {
  id: string
  width: number
  height: number
  bitrate: number
  /** Expected quality on the ladder's metric scale; the quality gate checks chunks against it. */
  targetQuality?: number
}

/**
 * The classic one-size-fits-all ladder (Netflix's pre-2015 fixed ladder,
 * "Per-Title Encode Optimization", Netflix Tech Blog, Dec 2015): bitrates in
 * kbit/s with the frame height used for each.
 */
export const FIXED_LADDER: ReadonlyArray<{ height: number; kbps: number }> = [
  { height: 240, kbps: 235 },
  { height: 288, kbps: 375 },
  { height: 384, kbps: 560 },
  { height: 384, kbps: 750 },
  { height: 480, kbps: 1050 },
  { height: 480, kbps: 1750 },
  { height: 720, kbps: 2350 },
  { height: 720, kbps: 3000 },
  { height: 1080, kbps: 4300 },
  { height: 1080, kbps: 5800 },
]

/** Width for a height at the source's display aspect ratio, rounded to even (4:2:0 needs it). */
export function widthFor(height: number, srcWidth: number, srcHeight: number): number {
  return Math.max(2, Math.round((height * srcWidth) / srcHeight / 2) * 2)
}

export const rungId = (height: number, bitrate: number): string => `v${height}p-${Math.round(bitrate / 1000)}k`

/**
 * The fixed ladder capped at the source: rungs taller than the source are
 * dropped, except that the first of them is kept at the source's own
 * resolution so the source's full detail still has a rung.
 */
export function fixedLadder(srcWidth: number, srcHeight: number): Rung[] {
  const rungs: Rung[] = []
  for (const { height, kbps } of FIXED_LADDER) {
    const h = Math.min(height, srcHeight - (srcHeight % 2))
    if (height > srcHeight && rungs.some((r) => r.height === h)) break
    rungs.push({ id: rungId(h, kbps * 1000), width: widthFor(h, srcWidth, srcHeight), height: h, bitrate: kbps * 1000 })
    if (height > srcHeight) break
  }
  return rungs
}

/**
 * Parse a ladder given by hand: `640x360@800k,1280x720@3M` (rates in bit/s
 * with optional k/M suffix). Returns null on a malformed spec so the CLI can
 * name it.
 */
export function parseLadderSpec(spec: string): Rung[] | null {
  const rungs: Rung[] = []
  for (const part of spec.split(',')) {
    const m = /^(\d+)x(\d+)@(\d+(?:\.\d+)?)([kKmM]?)$/.exec(part.trim())
    if (!m) return null
    const width = Number(m[1])
    const height = Number(m[2])
    const unit = m[4]!.toLowerCase() === 'm' ? 1e6 : m[4]!.toLowerCase() === 'k' ? 1e3 : 1
    const bitrate = Math.round(Number(m[3]) * unit)
    if (width % 2 || height % 2 || width < 16 || height < 16 || bitrate < 16_000) return null
    rungs.push({ id: rungId(height, bitrate), width, height, bitrate })
  }
  return sortLadder(rungs)
}

/** Rungs ordered by bitrate, ids made unique (two rungs may share a height and rate label). */
export function sortLadder(rungs: Rung[]): Rung[] {
  const sorted = [...rungs].sort((a, b) => a.bitrate - b.bitrate || a.height - b.height)
  const seen = new Map<string, number>()
  return sorted.map((r) => {
    const n = seen.get(r.id) ?? 0
    seen.set(r.id, n + 1)
    return n ? { ...r, id: `${r.id}-${n + 1}` } : r
  })
}
